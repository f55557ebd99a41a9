"""The speed goals, measured: each row as a user meets it (whole processes, `make`
and `pre-commit` included), beside its goal.

Rows run in a copy of the project (bench.configs.project) with the repository's venv, so
nothing in the repository is written; `make test` runs the repository's own suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.configs import Workspace, config_text, project, region_sets
from bench.measure import REPO_ROOT, Child, child, median_child, progress

PY = sys.executable
MAKE = ["make", "-s"]
GENERATE_ONLY = (
    "import sys; from generator.cli import load_config; from generator.build import generate; "
    "generate(load_config(__import__('pathlib').Path(sys.argv[1])))"
)


@dataclass(frozen=True)
class Goal:
    measure: str
    before: str
    target: str
    limit_s: float
    limit_mb: float | None = None


@dataclass(frozen=True)
class Result:
    goal: Goal
    figure: Child | None
    note: str = ""

    @property
    def met(self) -> bool:
        if self.figure is None or self.figure.status not in (0, 1):
            return False
        fits = self.figure.wall <= self.goal.limit_s
        return fits and (self.goal.limit_mb is None or self.figure.maxrss_mb <= self.goal.limit_mb)


GOALS = {
    "nothing": Goal("`make templates`, warm, nothing changed", "2.7 s", "≤ 0.5 s", 0.5),
    "one": Goal("`make templates`, warm, one function's code changed", "~2.7 s", "≤ 1.5 s", 1.5),
    "generate": Goal(
        "generation only, whole process, shipped config",
        "1.27 s, 180 MiB",
        "≤ 0.3 s, ≤ 80 MiB",
        0.3,
        80,
    ),
    "big": Goal(
        "every target region x 28 functions, generate + lint, nothing cached", "23 s", "≤ 6 s", 6
    ),
    "regions": Goal("`python -m generator regions`", "1.4 s", "≤ 0.2 s", 0.2),
    "test": Goal("`make test` on 2 cores", "40-72 s", "≤ 25 s", 25),
    "precommit": Goal("`pre-commit run` with one changed file, warm", "~16 s", "≤ 5 s", 5),
    "bench": Goal("`make bench`", "7 min 23 s", "≤ 90 s, same table", 90),
}


def touch_function(root: Path) -> Callable[[int], None]:
    """A change of one function's code, different on every run."""

    def change(index: int) -> None:
        app = root / "functions" / "api" / "app.py"
        app.write_text(app.read_text() + f"\n# bench change {time.time_ns()} {index}\n")

    return change


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def measure_project(root: Path) -> dict[str, Result]:
    results: dict[str, Result] = {}
    first = child([*MAKE, "templates"], root)
    progress(
        f"first `make templates` in a copy of the project: {first.wall:.2f}s (lint cache cold)"
    )
    results["nothing"] = Result(GOALS["nothing"], median_child([*MAKE, "templates"], root, 5))
    results["one"] = Result(
        GOALS["one"], median_child([*MAKE, "templates"], root, 3, touch_function(root))
    )
    command = [PY, "-c", GENERATE_ONLY, str(root / "deployment.toml")]
    results["generate"] = Result(GOALS["generate"], median_child(command, root, 3))
    command = [PY, "-m", "generator", "regions"]
    results["regions"] = Result(GOALS["regions"], median_child(command, root, 5))
    results["precommit"] = _precommit(root)
    progress("measured the project rows")
    return results


def _precommit(root: Path) -> Result:
    """`pre-commit run` on one changed function file, after a first, warming run."""
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    command = [str(Path(PY).parent / "pre-commit"), "run", "--files", "functions/api/app.py"]
    child(command, root)
    touch_function(root)(0)
    done = child(command, root)
    return Result(
        GOALS["precommit"], done, "hooks: ruff, ruff format, templates fresh (make check)"
    )


def measure_big(workspace: Workspace) -> Result:
    """Every target region x the most functions one stack holds, linted afresh."""
    from generator.config.regions import target_regions

    label, regions = region_sets(tuple(target_regions()))[-1]
    path = workspace.root / "big.toml"
    path.write_text(config_text(regions, 28), encoding="utf-8")
    command = [PY, "-m", "generator", "--config", str(path), "--no-cache"]
    done = child(command, workspace.root)
    progress(f"{label} regions x 28 functions: {done.wall:.2f}s (exit {done.status})")
    return Result(GOALS["big"], done, f"{len(regions)} regions")


def measure_tests() -> Result:
    done = child([*MAKE, "test", "PYTEST_ARGS=-p no:cacheprovider"], REPO_ROOT)
    tail = done.output.strip().splitlines()[-1:] or [""]
    progress(f"make test: {done.wall:.1f}s ({tail[0]})")
    return Result(GOALS["test"], done, tail[0][:80])


def measure_all(with_tests: bool) -> dict[str, Result]:
    with tempfile.TemporaryDirectory(prefix="bench-project-") as tmp:
        results = measure_project(project(Path(tmp)))
    with tempfile.TemporaryDirectory(prefix="bench-big-") as tmp:
        results["big"] = measure_big(Workspace(Path(tmp), 28))
    if with_tests:
        results["test"] = measure_tests()
    return results


def table(results: dict[str, Result], total_s: float) -> list[str]:
    lines = [
        "| measure | before | goal | now | met |",
        "| --- | --- | --- | ---: | :---: |",
    ]
    for key, goal in GOALS.items():
        result = results.get(key)
        if key == "bench":
            figure = f"{total_s:.1f} s"
            met = "yes" if total_s <= goal.limit_s else "no"
        elif result is None or result.figure is None:
            figure, met = "not run", "—"
        else:
            figure = _figure(result)
            met = "yes" if result.met else "no"
        lines.append(f"| {goal.measure} | {goal.before} | {goal.target} | {figure} | {met} |")
    return lines


def _figure(result: Result) -> str:
    assert result.figure is not None
    text = f"{result.figure.wall:.2f} s"
    if result.goal.limit_mb is not None:
        text += f", {result.figure.maxrss_mb:.0f} MiB"
    if result.figure.status not in (0, 1):
        text += f" (exit {result.figure.status})"
    if result.goal is GOALS["big"]:
        text += f" ({result.note})"
    return text


def as_json(results: dict[str, Result]) -> str:
    return json.dumps(
        {
            k: r.figure and {"wall": r.figure.wall, "mb": r.figure.maxrss_mb}
            for k, r in results.items()
        }
    )
