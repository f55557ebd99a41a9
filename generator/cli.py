"""`python -m generator`: build, lint and write every template; `--check` for CI.

Each command imports only what it uses: `regions` and `paths` read the config and nothing
else, `bodies` reads the committed templates, and only a build loads troposphere, the
checks and cfn-lint.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.output.layout import DEFAULT_CONFIG, Layout, LayoutError, layout_of, project_root

if TYPE_CHECKING:
    from generator.config import Config

EXIT_OK, EXIT_STALE, EXIT_BAD_INPUT, EXIT_AWS = 0, 1, 2, 3
PATHS = ("environment", "config", "templates", "build", "assets", "deploy")


class Failure(Exception):
    """A run that stops with a message and an exit status, never a traceback."""

    def __init__(self, message: str, status: int = EXIT_BAD_INPUT) -> None:
        self.status = status
        super().__init__(message)


class _Version(argparse.Action):
    """`--version`, looked up only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        import generator

        print(f"{parser.prog} {generator.__version__}")
        parser.exit()


def _common() -> argparse.ArgumentParser:
    """`--config`, accepted before or after the command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"deployment config, from any folder (default: {DEFAULT_CONFIG})",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="python -m generator",
        description="Generate, lint and write the CloudFormation templates.",
        epilog="exit status: 0 ok, 1 stale (--check), 2 bad input or a failed check, "
        "3 AWS refused (publish)",
        parents=[common],
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version")
    parser.add_argument(
        "--all",
        action="store_true",
        help="every committed environment: deployment.toml, envs/*.toml, examples/*.toml",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and show a diff if any file differs from what would be written",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="lint every template afresh (CI does)"
    )
    parser.add_argument("--out", type=Path, help="where templates are written (default: by config)")
    parser.add_argument("--assets", type=Path, help="where zips are written (default: by config)")
    _commands(parser.add_subparsers(dest="command", metavar="COMMAND"), common)
    return parser


def _commands(commands: Any, common: argparse.ArgumentParser) -> None:
    def add(name: str, text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(name, help=text, parents=[common])
        return parser

    regions = add("regions", "print the target regions, space-separated")
    one = regions.add_mutually_exclusive_group()
    one.add_argument("--home", action="store_true", help="print the home region instead")
    one.add_argument(
        "--first", action="store_true", help="print the first region of the first wave instead"
    )
    templates = add("templates", "print the committed templates' paths, space-separated")
    where = templates.add_mutually_exclusive_group()
    where.add_argument("--regional", action="store_true", help="only those of every region")
    where.add_argument("--home", action="store_true", help="only those of the home region")
    paths = add("paths", "print where the environment's files go")
    paths.add_argument("name", nargs="?", choices=PATHS, help="print only this one")
    add("bodies", "write the whitespace-free bodies of the COMMITTED templates to build/.../deploy")
    add("bundles", "write the function zips, checked against the committed app.json")
    publish = add("publish", "upload the function zips to one region's artifact bucket")
    publish.add_argument("--region", required=True, help="the target region to publish to")
    source = publish.add_mutually_exclusive_group()
    source.add_argument(
        "--from", dest="from_dir", type=Path, help="upload the zips in this folder instead"
    )
    source.add_argument(
        "--built",
        type=Path,
        help="a build's output folder, laid out like the project: upload its zips",
    )
    plan = add("plan", "what the current config would change, against a git ref or the fleet")
    source = plan.add_mutually_exclusive_group()
    source.add_argument("--against", metavar="REF", help="git ref (default: upstream or HEAD)")
    source.add_argument(
        "--live", action="store_true", help="compare with what the fleet runs (boto3)"
    )
    plan.add_argument("--format", choices=("json", "markdown", "text"), default="text")
    plan.add_argument("--output", type=Path, help="also write the plan to this file")
    plan.add_argument("--json", type=Path, metavar="FILE", help="also write it as JSON here")
    plan.add_argument(
        "--gate",
        type=Path,
        metavar="FILE",
        help="write PLAN_GATE (approval or none) and PLAN_RISKS as shell variables, for the "
        "pipeline's review stage",
    )
    rollout = add("rollout", "roll the built release out wave by wave with boto3 (no pipeline)")
    rollout.add_argument(
        "--yes", action="store_true", help="start without asking (a terminal asks first)"
    )
    status = add("status", "every stack instance of the fleet, with its release and drift")
    status.add_argument(
        "--assume-role",
        metavar="NAME",
        help="a role of that name in each target account, to read its live aliases",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.config = getattr(args, "config", DEFAULT_CONFIG)
    args.started = time.perf_counter()
    command: Callable[[argparse.Namespace], int] = COMMANDS.get(args.command, _build)
    try:
        return command(args)
    except Failure as failure:
        print(f"error: {failure}", file=sys.stderr)
        return failure.status


# --- reading the config ---------------------------------------------------------------


def config_layout(config: Path) -> Layout:
    if config.is_dir():
        raise Failure(f"{config}: is a folder; give the config file (--config PATH.toml)")
    try:
        return layout_of(config)
    except LayoutError as exc:
        raise Failure(str(exc)) from None


def load_config(path: Path) -> Config:
    from generator import config as config_module

    try:
        # Function folders may be anywhere in the project, e.g. envs/prod.toml's in functions/.
        return config_module.load(path, root=project_root(path))
    except config_module.ConfigError as exc:
        raise Failure(f"invalid config\n{exc}") from None


# --- commands that read ----------------------------------------------------------------


# Where `regions` keeps what it read from a valid config (see `placement`).
PLACEMENTS = Path("build/cache/placements")


def _regions(args: argparse.Namespace) -> int:
    found = placement(args.config)
    regions = [found["home"]] if args.home else [found["first"]] if args.first else found["regions"]
    print(" ".join(regions))
    return EXIT_OK


def placement(path: Path) -> dict[str, Any]:
    """The target regions, home region and first region of a valid config.

    Validating a config costs more than the rest of the command (pydantic, the endpoint
    data), so the answer is kept under the hash of everything validation reads, as a
    build's stamp is (generator/output/stamp.py: the config, its function folders, the
    generator, the installed packages; AWS_DATA_PATH besides): the same inputs give the
    same answer, and any change validates afresh. An invalid config keeps nothing."""
    from generator.output import stamp

    layout = config_layout(path)
    options = {"mode": "placement", "AWS_DATA_PATH": os.environ.get("AWS_DATA_PATH", "")}
    key = stamp.inputs([path], options)
    kept = layout.at(PLACEMENTS) / f"{key}.json"
    if key is not None and kept.is_file():
        try:
            found: dict[str, Any] = json.loads(kept.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # torn: validate afresh and keep it again
        else:
            return found
    config = load_config(path)
    found = {
        "regions": list(config.targets.regions),
        "home": config.application.home_region,
        "first": config.targets.wave_list[0][0],
    }
    if key is not None:
        with contextlib.suppress(OSError):
            kept.parent.mkdir(parents=True, exist_ok=True)
            staging = kept.with_suffix(f".{os.getpid()}.tmp")
            staging.write_text(json.dumps(found, sort_keys=True), encoding="utf-8")
            staging.replace(kept)
    return found


def _templates(args: argparse.Namespace) -> int:
    """Committed template paths, from the registry: what the Makefile and hooks lint and
    scan; with --all, every committed environment's."""
    from generator.output.layout import committed
    from generator.stacks import REGISTRY

    layout = config_layout(args.config)
    configs = list(committed(layout.root)) if args.all else [args.config]
    chosen = [
        s for s in REGISTRY if not (args.regional or args.home) or s.regional == args.regional
    ]
    found = []
    for config in configs:
        env = config_layout(config)
        folder = env.templates
        # A template that only some configs have is listed where it was written.
        found += [
            (folder / s.file).as_posix()
            for s in chosen
            if not s.optional or env.at(folder / s.file).is_file()
        ]
    print(" ".join(found))
    return EXIT_OK


def _paths(args: argparse.Namespace) -> int:
    layout = config_layout(args.config)
    values = {name: getattr(layout, name) for name in PATHS}
    if args.name:
        print(
            Path(values[args.name]).as_posix() if args.name != "environment" else values[args.name]
        )
        return EXIT_OK
    for name, value in values.items():
        print(f"{name}={value if isinstance(value, str) else value.as_posix()}")
    return EXIT_OK


# --- commands that write from what is committed ----------------------------------------


def _bodies(args: argparse.Namespace) -> int:
    from generator.output import bodies
    from generator.output.tree import write_tree

    layout = config_layout(args.config)
    found = bodies.from_committed(layout.at(layout.templates))
    if not found:
        raise Failure(f"no templates in {layout.templates}/; run `make templates` first")
    changes = write_tree(layout.at(layout.deploy), found)
    print(f"{len(found)} bodies in {layout.deploy}/ ({'written' if changes else 'unchanged'})")
    return EXIT_OK


def _bundles(args: argparse.Namespace) -> int:
    from generator.output import bodies, bundles

    layout = config_layout(args.config)
    assets = _bundle(load_config(args.config), layout)
    missing = bodies.unreferenced(assets, layout.at(layout.templates))
    if missing:
        raise Failure(
            f"{layout.templates}/app.json does not reference {', '.join(missing)}; the "
            "committed templates are stale: run `make templates` and commit",
            EXIT_STALE,
        )
    bundles.write(assets, layout.at(layout.assets))
    print(f"{len(assets)} bundles in {layout.assets}/, each referenced by the committed app.json")
    return EXIT_OK


def _bundle(config: Config, layout: Layout) -> list[Any]:
    """The config's bundles; functions' packages from the environment's cache."""
    from generator.output import bundles, dependencies

    installer = bundles.installer_for(config, layout.at(dependencies.FOLDER))
    try:
        return sorted(bundles.bundle_all(config, installer).values(), key=lambda a: a.key)
    except bundles.BundleError as exc:
        raise Failure(str(exc)) from None


def _publish(args: argparse.Namespace) -> int:
    from generator.output import bundles
    from generator.output.publish import PublishError, publish

    config = load_config(args.config)
    if args.region not in config.targets.regions:
        raise Failure(
            f"{args.region!r} is not a target region; targets: {', '.join(config.targets.regions)}"
        )
    folder = args.from_dir
    if args.built is not None:
        folder = args.built / config_layout(args.config).assets
    assets = _bundle(config, config_layout(args.config)) if folder is None else bundles.read(folder)
    if not assets:
        raise Failure(f"no <function>/<sha256>.zip under {folder}")
    try:
        result = publish(assets, config.application.bucket_prefix, args.region)
    except PublishError as exc:
        raise Failure(str(exc), EXIT_AWS) from None
    for key in result.uploaded:
        print(f"  uploaded s3://{result.bucket}/{key}")
    for key in result.skipped:
        print(f"  present  s3://{result.bucket}/{key}")
    print(f"{len(result.uploaded)} uploaded, {len(result.skipped)} already present")
    return EXIT_OK


def _plan(args: argparse.Namespace) -> int:
    from generator.build import generate
    from generator.extensions import ExtensionError
    from generator.output.bundles import BundleError
    from generator.plan import command
    from generator.stacks import REGISTRY

    config = load_config(args.config)
    layout = config_layout(args.config)
    try:
        new = generate(config, layout).files
    except (BundleError, ExtensionError) as exc:
        raise Failure(str(exc)) from None
    return command.run(args, config, layout, new, [s.file for s in REGISTRY])


def _rollout(args: argparse.Namespace) -> int:
    from generator.fleet import commands

    config = load_config(args.config)
    layout = config_layout(args.config)
    return commands.rollout(config, layout.at(layout.deploy), layout.at(layout.templates), args.yes)


def _status(args: argparse.Namespace) -> int:
    from generator.fleet import commands

    return commands.status(load_config(args.config), args.assume_role)


def _build(args: argparse.Namespace) -> int:
    from generator.output import run

    return run.main(args)


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    "regions": _regions,
    "templates": _templates,
    "paths": _paths,
    "bodies": _bodies,
    "bundles": _bundles,
    "publish": _publish,
    "plan": _plan,
    "rollout": _rollout,
    "status": _status,
}
