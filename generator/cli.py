"""`python -m generator`: build, lint and write every template; `--check` for CI."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from generator import config as config_module
from generator.output.layout import DEFAULT_CONFIG, Layout

EXIT_OK, EXIT_STALE, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator",
        description="Generate, lint and write the CloudFormation templates.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="deployment config (default: %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="where templates are written (default: by config)"
    )
    parser.add_argument(
        "--assets",
        type=Path,
        default=None,
        help="where function zips are written (default: by config)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the templates differ from what would be written",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    regions = commands.add_parser("regions", help="print the target regions, space-separated")
    regions.add_argument("--home", action="store_true", help="print the home region instead")
    publish = commands.add_parser(
        "publish", help="upload the function zips to one region's artifact bucket (boto3)"
    )
    publish.add_argument("--region", required=True, help="the target region to publish to")
    publish.add_argument(
        "--from",
        dest="from_dir",
        type=Path,
        default=None,
        help="upload the zips in this folder (a build's assets) instead of bundling",
    )
    return parser


def layout_of(config: Path) -> Layout:
    """The config's layout, relative to the current folder when the config is inside it,
    else to the config's own folder."""
    here = Path.cwd()
    root = here if config.resolve().is_relative_to(here.resolve()) else config.resolve().parent
    return Layout.of(config, root)


def _publish(config: config_module.Config, region: str, from_dir: Path | None) -> int:
    from generator.output import bundles
    from generator.output.publish import publish

    if region not in config.targets.regions:
        print(
            f"error: {region!r} is not a target region; targets: "
            f"{', '.join(config.targets.regions)}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if from_dir is not None:
        assets = bundles.read(from_dir)
        if not assets:
            print(f"error: no <function>/<sha256>.zip under {from_dir}", file=sys.stderr)
            return EXIT_BAD_INPUT
    else:
        assets = sorted(bundles.bundle_all(config).values(), key=lambda a: a.key)
    result = publish(assets, config.application.bucket_prefix, region)
    for key in result.uploaded:
        print(f"  uploaded s3://{result.bucket}/{key}")
    for key in result.skipped:
        print(f"  present  s3://{result.bucket}/{key}")
    print(f"{len(result.uploaded)} uploaded, {len(result.skipped)} already present")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    try:
        config = config_module.load(args.config)
        if args.command == "regions":
            home = [config.application.home_region]
            print(" ".join(home if args.home else config.targets.regions))
            return EXIT_OK
        if args.command == "publish":
            return _publish(config, args.region, args.from_dir)
        from generator.build import BuildError, build

        layout = layout_of(args.config)
        result = build(config, layout)
    except config_module.ConfigError as exc:
        print(f"error: invalid config\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BuildError as exc:
        print("error: templates not written; these checks failed:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from generator.output import bundles
    from generator.output.tree import stale, write_tree

    out = args.out or layout.templates
    assets = args.assets or layout.assets
    if args.check:
        differing = stale(out, result.files)
        if differing:
            print(
                f"{out}/ is stale; run `make templates` and commit. Differs: "
                + ", ".join(differing),
                file=sys.stderr,
            )
            return EXIT_STALE
        print(f"{out}/ is up to date ({len(result.files)} files)")
        return EXIT_OK
    changed = write_tree(out, result.files)
    bundles.write(result.assets, assets)
    deploy = assets.parent / "deploy"
    write_tree(deploy, result.bodies())
    for name, resources, indented, deployed in result.summary():
        print(
            f"  {out}/{name:<36} {resources:>4} resources {indented:>8} B {deployed:>8} B deployed"
        )
    elapsed = time.perf_counter() - started
    verdict = "written" if changed else "unchanged"
    print(f"whitespace-free bodies for CloudFormation: {deploy}/")
    print(f"{len(result.files)} files {verdict} in {elapsed:.2f}s")
    print(f"{len(result.assets)} bundles in {assets}/")
    return EXIT_OK
