"""The configs and projects the benchmarks run on, all in temporary folders: nothing in
the repository is read as config or written."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from bench.measure import REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"
HOME_REGION = "eu-west-1"
PREFERRED_REGIONS = ("us-east-1", "ap-southeast-2")  # the next two of deployment.toml
REGION_COUNTS: tuple[int | None, ...] = (3, 17, None)  # None: every target region
WAVE_SIZE = 8
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def region_sets(known: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(label, regions) per size; each list starts with the home region, smaller ⊂ larger."""
    home = HOME_REGION if HOME_REGION in known else known[0]
    preferred = [r for r in PREFERRED_REGIONS if r in known and r != home]
    ordered = [home, *preferred, *(r for r in known if r != home and r not in preferred)]
    sets = []
    for count in REGION_COUNTS:
        if count is None:
            sets.append((f"all ({len(ordered)})", ordered))
        elif count <= len(ordered):
            sets.append((str(count), ordered[:count]))
    return sets


def waves(regions: list[str]) -> list[list[str]]:
    """The first region alone, then the rest in waves of up to WAVE_SIZE."""
    rest = regions[1:]
    return [regions[:1], *(rest[i : i + WAVE_SIZE] for i in range(0, len(rest), WAVE_SIZE))]


def function_name(index: int) -> str:
    return f"f{index:02d}"


def config_text(regions: list[str], functions: int) -> str:
    """Every function a copy of functions/api, with one route that is its health path."""
    lines = [
        "[application]",
        'name = "bench"',
        f"home_region = {json.dumps(regions[0])}",
        "",
        "[targets]",
        f"regions = {json.dumps(regions)}",
        f"waves = {json.dumps(waves(regions))}",
        "",
    ]
    for index in range(1, functions + 1):
        name = function_name(index)
        lines += [
            f"[functions.{name}]",
            f'source = "functions/{name}"',
            f'routes = ["GET /{name}"]',
            f'health_path = "/{name}"',
            "",
        ]
    return "\n".join(lines)


class Workspace:
    """A temp folder with functions/f01..fNN (copies of functions/api) and the configs."""

    def __init__(self, root: Path, functions: int) -> None:
        self.root = root
        for index in range(1, functions + 1):
            target = root / "functions" / function_name(index)
            shutil.copytree(FUNCTIONS_DIR / "api", target, ignore=IGNORED)

    def config(self, label: str, regions: list[str], functions: int) -> Path:
        slug = label.split()[0]
        path = self.root / f"bench-{slug}r-{functions}f.toml"
        path.write_text(config_text(regions, functions), encoding="utf-8")
        return path


def project(root: Path) -> Path:
    """A copy of the project as a user has it (Makefile, config, functions, hooks, a git
    repository), run with the repository's venv and generator: what `make templates` and
    `pre-commit` do there is what they do in a checkout."""
    for name in ("Makefile", "deployment.toml", "requirements.lock", ".pre-commit-config.yaml"):
        shutil.copy2(REPO_ROOT / name, root / name)
    shutil.copytree(FUNCTIONS_DIR, root / "functions", ignore=IGNORED)
    (root / ".venv").symlink_to(Path(sys.prefix))
    # Older than the venv's stamp: make never remakes the repository's venv from a copy.
    os.utime(root / "requirements.lock", (0, 0))
    return root
