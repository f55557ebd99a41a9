"""Benchmarks: the speed goals from one run, the functions one application stack
holds, and the handlers' timings.

    .venv/bin/python -m bench                  # print the tables (Markdown) to stdout
    .venv/bin/python -m bench --write          # ... and (re)write bench/RESULTS.md
    .venv/bin/python -m bench --no-tests       # without the `make test` row
    .venv/bin/python -m bench --matrix         # also the per-config table (minutes)
    .venv/bin/python -m bench --profile 3x30   # cProfile one build+lint instead

Modules by concern: measure (timing, memory, child processes), configs (temporary
projects and configs), goals (the goal table), matrix (per-config table, profile),
handlers (Lambda handlers). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import capacity, goals, handlers, plan
from bench.configs import Workspace, region_sets
from bench.measure import REPO_ROOT, maxrss_mb, progress

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine_section() -> list[str]:
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False)
    return [
        "## Machine",
        "",
        f"- `uname -a`: `{uname.stdout.strip() or platform.uname()}`",
        f"- `nproc`: {os.cpu_count()}",
        f"- Python: {sys.version.split()[0]} ({sys.executable})",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M:%S UTC')}",
    ]


BLOCKS_PREFACE = [
    "## Resources per building block",
    "",
    "What a block adds to each template, generated (not linted) from two functions in two "
    "regions of one account, with one block of the kind and with two: the first may bring "
    "what its kind shares (the region's data key, the schedules' group and dead-letter "
    "queue). A function's dependencies and `uses` cost no resource.",
]


def report(
    goal_lines: list[str],
    capacity_lines: list[str],
    plan_lines: list[str],
    handler_lines: list[str],
    extra: list[str],
) -> list[str]:
    return [
        "## Goals",
        "",
        "Whole processes as a user runs them, in a copy of the project with the "
        "repository's venv: `make templates` median of 5 (nothing changed; the lint cache "
        "warm from a first run) and of 3 (a function's code changed before each run); "
        "generation only = `generate()` of the shipped config in a fresh interpreter (the "
        "project's cache of derived facts warm from the first run), median of 3, with its "
        "peak RSS; every target region x 28 functions = `python -m generator --no-cache`, "
        "one run; `regions` median of 5; `make test` = the repository's suite, one run (its "
        "lint cache, build/cache/tests, as earlier runs left it); `pre-commit run --files "
        "functions/api/app.py` after a warming run; `make bench` = this whole run. Child "
        "processes run without PYTHONDONTWRITEBYTECODE, as a user's shell does.",
        "",
        *goal_lines,
        "",
        "## Functions per application stack",
        "",
        "The most functions app.json holds under CloudFormation's 500 resources, each "
        "function with one route, by logging mode and subscription kind: generated (not "
        "linted) with 1 and 2 functions for the cost of one more, then with the most that "
        "fit and one more. Single account (OU targets give the same counts: a subscription "
        "role more, the execution role's version check fewer).",
        "",
        *capacity_lines,
        "",
        "## Plan",
        "",
        "`python -m generator plan --against HEAD` on the example with the most template "
        "bytes, and generation alone of the same config, each a whole process, median of 3 "
        "after a warming run: what the plan adds to generating.",
        "",
        *plan_lines,
        "",
        "## Lambda handlers",
        "",
        "Import: cumulative µs of the top-level `app` line of `python -X importtime -c "
        "'import app'` in a fresh interpreter (no .pyc for app.py, as in Lambda). Calls: "
        "in-process, after one warm call; log lines and EMF metrics go to /dev/null.",
        "",
        *handler_lines,
        *extra,
    ]


def matrix_lines(profile: str | None) -> list[str]:
    from bench import matrix
    from generator.config.regions import target_regions

    sets = region_sets(tuple(target_regions()))
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workspace = Workspace(Path(tmp), max(matrix.FUNCTION_COUNTS))
        if profile:
            return [matrix.profile(workspace, sets, profile)]
        started = time.perf_counter()
        import generator.build  # noqa: F401

        results = matrix.bench_generator(workspace, sets, time.perf_counter() - started)
    return [
        "",
        "## Per config (`--matrix`)",
        "",
        *matrix.generator_table(results),
        "",
        *matrix.warmup_table(results),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"(re)write {RESULTS.name}")
    parser.add_argument("--no-tests", action="store_true", help="skip the `make test` row")
    parser.add_argument("--matrix", action="store_true", help="add the per-config table")
    parser.add_argument("--profile", metavar="RxF", help="only cProfile one build, e.g. 3x30")
    parser.add_argument("--calls", type=int, default=handlers.HANDLER_CALLS)
    args = parser.parse_args(argv)
    if args.profile:
        print("\n".join(matrix_lines(args.profile)))
        return 0
    started = time.perf_counter()
    results = goals.measure_all(with_tests=not args.no_tests)
    capacity_lines = capacity.table(capacity.measure())
    capacity_lines += ["", *BLOCKS_PREFACE, "", *capacity.block_table(capacity.block_costs())]
    plan_lines = plan.table(plan.measure())
    handler_lines = handlers.handler_table(handlers.bench_handlers(args.calls))
    extra = matrix_lines(None) if args.matrix else []
    total = time.perf_counter() - started
    lines = report(goals.table(results, total), capacity_lines, plan_lines, handler_lines, extra)
    lines += ["", f"Total run {total:.1f} s; this process's peak RSS {maxrss_mb():.0f} MB."]
    print("\n".join(lines))
    if args.write:
        header = ["# Benchmark results", "", "Written by `.venv/bin/python -m bench --write`.", ""]
        RESULTS.write_text("\n".join([*header, *lines, "", *machine_section(), ""]), "utf-8")
        progress(f"wrote {RESULTS.relative_to(REPO_ROOT)}")
    return 0
