"""How long bundling a function's packages takes: the search example (one function whose
requirements.txt pins a wheel from examples/wheels, and the pre-traffic hook), cold (an
empty install cache, as `--no-cache` and a fresh clone have) and warm (the install kept
under build/cache/dependencies, as every later build has). Prints; asserts nothing.

    .venv/bin/python -m bench.dependencies [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import REPO_ROOT
from generator import config as config_module
from generator.output import bundles

CONFIG = REPO_ROOT / "examples" / "search.toml"


def _seconds(config: config_module.Config, cache: Path) -> float:
    started = time.perf_counter()
    bundles.bundle_all(config, bundles.installer_for(config, cache))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dependencies")
    parser.add_argument("--runs", type=int, default=5, help="runs of each kind (default 5)")
    args = parser.parse_args(argv)
    config = config_module.load(CONFIG)
    cold, warm = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-dependencies-") as folder:
            cold.append(_seconds(config, Path(folder)))
            warm.append(_seconds(config, Path(folder)))
    print(f"bundling {CONFIG.relative_to(REPO_ROOT)}'s functions, {args.runs} runs of each:")
    for name, runs in (("cold (pip installs)", cold), ("warm (install kept)", warm)):
        print(
            f"  {name:20} median {statistics.median(runs):.3f} s, "
            f"min {min(runs):.3f} s, max {max(runs):.3f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
