"""The build command: each environment asked for is built (generated, checked, linted),
then either written or compared with what is on disk (`--check`).

Nothing is written until every environment asked for has built: `samconfig.toml` spans
all of them, and a failed one leaves every file as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.checks import lint
from generator.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_STALE, Failure, config_layout, load_config
from generator.output import derived, samconfig, stamp
from generator.output.layout import Layout, committed
from generator.output.tree import Changes, compare, diff, read_tree, write_file, write_tree

if TYPE_CHECKING:
    from generator.build import Build
    from generator.config import Config

LINT_CACHE = Path("build/cache/lint")
# Another folder for the lint cache, e.g. one that every test of a run shares.
LINT_CACHE_VARIABLE = lint.CACHE_VARIABLE


@dataclass
class Environment:
    """One config, built, and where its files go."""

    layout: Layout
    config: Config
    result: Build
    out: Path
    assets: Path

    @property
    def deploy(self) -> Path:
        return self.assets.parent / "deploy"


def main(args: argparse.Namespace) -> int:
    layout = config_layout(args.config)
    if args.all and (args.out or args.assets):
        raise Failure("--all writes each environment's own folders; drop --out and --assets")
    paths = list(committed(layout.root)) if args.all else [args.config]
    if not paths:
        raise Failure(f"no configs in {layout.root}")
    # --no-cache derives every fact afresh too (generator/output/derived.py).
    with derived.using(None if args.no_cache else derived_cache(layout)):
        return _main(args, layout, paths)


def _main(args: argparse.Namespace, layout: Layout, paths: list[Path]) -> int:
    cache = None if args.no_cache else lint_cache(layout)
    key, name, watched = _stamp(layout, paths, args)
    stamped = stamp.fresh(layout.root, name, key, watched)
    if stamped is not None:
        print("\n".join(stamped))
        return EXIT_OK
    built: list[Environment] = []
    failed = 0
    # Forked now, before anything is imported or built: they load cfn-lint's rules while
    # this process builds, and lint whatever the cache does not hold. On one core (or in
    # a pytest-xdist worker) this process lints, with the rules it may have loaded.
    cores = lint.default_workers()
    with lint.Workers(cores) if cores > 1 else contextlib.nullcontext() as workers:
        for path in paths:
            try:
                built.append(_environment(path, args, cache, workers))
            except Failure as failure:
                print(f"error: {path}: {failure}", file=sys.stderr)
                failed += 1
    if failed and not args.all:
        return EXIT_BAD_INPUT
    sam = _samconfig(layout.root, built)
    derived.save()  # what loading the other environments' configs asked
    status = _check(built, sam) if args.check else _write(built, sam, args.started)
    if failed:
        return EXIT_BAD_INPUT
    if status == EXIT_OK:
        stamp.save(layout.root, name, key, watched, _unchanged(built, args.check))
    return status


def _stamp(
    layout: Layout, paths: list[Path], args: argparse.Namespace
) -> tuple[str | None, str, list[Path]]:
    """The inputs' hash (None with --no-cache), the stamp's name, and the files it covers."""
    mode = "check" if args.check else "write"
    name = json.dumps([mode, [str(p) for p in paths], str(args.out), str(args.assets)])
    if args.no_cache:
        return None, name, []
    environments = list(committed(layout.root))
    watched = [layout.at(Path(samconfig.FILE))]
    for path in paths:
        env = config_layout(path)
        out = args.out or env.at(env.templates)
        assets = args.assets or env.at(env.assets)
        watched += [out] if args.check else [out, assets, assets.parent / "deploy"]
    options = {
        "mode": mode,
        "root": str(layout.root),
        "out": str(args.out),
        "assets": str(args.assets),
    }
    return stamp.inputs([*paths, *environments], options), name, watched


def _unchanged(built: list[Environment], check: bool) -> list[str]:
    """What a run with the same inputs and files reports, having rebuilt nothing."""
    why = "same inputs and files as the last run that passed every check; --no-cache rebuilds"
    verdict = "is up to date" if check else "unchanged"
    return [f"{shown(e.out)}/ {verdict} ({len(e.result.files)} files): {why}" for e in built]


def lint_cache(layout: Layout) -> Path:
    """The project's lint cache, or the folder the environment names."""
    named = os.environ.get(LINT_CACHE_VARIABLE)
    return Path(named) if named else layout.at(LINT_CACHE)


def derived_cache(layout: Layout) -> Path:
    """The project's cache of derived facts, or the folder the environment names."""
    named = os.environ.get(derived.VARIABLE)
    return Path(named) if named else layout.at(derived.FOLDER)


def _environment(
    path: Path, args: argparse.Namespace, cache: Path | None, workers: lint.Workers | None
) -> Environment:
    from generator.build import BuildError, build
    from generator.checks import replicas
    from generator.extensions import ExtensionError
    from generator.output.bundles import BundleError

    layout = config_layout(path)
    config = load_config(path)
    try:
        result = build(
            config,
            layout,
            lint_cache=cache,
            lint_workers=workers,
            dependency_cache=None if args.no_cache else "layout",
        )
    except BuildError as exc:
        lines = "\n".join(f"  {p}" for p in exc.problems)
        raise Failure(f"templates not written; these checks failed:\n{lines}") from None
    except (BundleError, ExtensionError) as exc:
        raise Failure(f"templates not written; {exc}") from None
    out = args.out or layout.at(layout.templates)
    refused = replicas.problems(config, replicas.last_release(out), result.data)
    if refused:
        lines = "\n".join(f"  {problem}" for problem in refused)
        raise Failure(
            f"templates not written; the tables of {shown(out)}/ cannot change this way:\n" + lines
        )
    assets = args.assets or layout.at(layout.assets)
    return Environment(layout, config, result, out, assets)


def _samconfig(root: Path, built: list[Environment]) -> str | None:
    """samconfig.toml's text when a deployable environment was built, else None."""
    if not any(e.layout.deployable for e in built):
        return None
    loaded = {e.layout.config: e.config for e in built}
    sections: list[tuple[Config, Layout]] = []
    for path in committed(root):
        layout = config_layout(path)
        if layout.deployable:
            sections.append((loaded.get(layout.config) or load_config(path), layout))
    names = [layout.environment for _, layout in sections]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise Failure(f"two environments named {', '.join(twice)}: samconfig.toml needs one each")
    return samconfig.render(sections)


# --- --check --------------------------------------------------------------------------


def _check(built: list[Environment], sam: str | None) -> int:
    stale = False
    for env in built:
        stale |= _report(f"{shown(env.out)}/", read_tree(env.out), env.result.files)
    if sam is not None and built:
        path = built[0].layout.at(Path(samconfig.FILE))
        on_disk = {path.name: path.read_text(encoding="utf-8")} if path.is_file() else {}
        stale |= _report(str(shown(path)), on_disk, {path.name: sam})
    return EXIT_STALE if stale else EXIT_OK


def _report(label: str, current: dict[str, str], files: dict[str, str]) -> bool:
    """Print what differs, with a short diff per file; return whether anything does."""
    changes = compare(current, files)
    if not changes:
        print(f"{label} is up to date ({len(files)} files)")
        return False
    print(f"{label} is stale; run `make templates` and commit. Differs:", file=sys.stderr)
    for name in changes.names:
        print("\n".join(diff(name, current.get(name), files.get(name))), file=sys.stderr)
    return True


# --- writing --------------------------------------------------------------------------


def _write(built: list[Environment], sam: str | None, started: float) -> int:
    from generator.output import bundles

    for env in built:
        changes = write_tree(env.out, env.result.files)
        bundles.write(env.result.assets, env.assets)
        write_tree(env.deploy, env.result.bodies())
        _summary(env, changes, started)
    if sam is not None and built:
        path = built[0].layout.at(Path(samconfig.FILE))
        if write_file(path, sam):
            print(f"~ {samconfig.FILE} (one section per environment)")
    return EXIT_OK


def _summary(env: Environment, changes: Changes, started: float) -> None:
    """Each template with its size indented and whitespace-free (the size CloudFormation's
    limits count), then every file added, changed or removed."""
    print(f"{env.layout.config} → {shown(env.out)}/")
    for name, resources, indented, compact in env.result.summary():
        print(
            f"  {name:<32} {resources:>4} resources {indented:>9,} B indented "
            f"{compact:>9,} B whitespace-free"
        )
    for line in changes.lines(shown(env.out)):
        print(f"  {line}")
    added, changed, removed = len(changes.added), len(changes.changed), len(changes.removed)
    counts = f"{added} added, {changed} changed, {removed} removed" if changes else "unchanged"
    print(
        f"{len(env.result.files)} files ({counts}) in {time.perf_counter() - started:.2f}s; "
        f"{len(env.result.assets)} bundles in {shown(env.assets)}/; "
        f"whitespace-free bodies in {shown(env.deploy)}/"
    )


def shown(path: Path) -> Path:
    """A path as short as it reads: relative to the working folder when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
