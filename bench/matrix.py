"""The per-config table (`--matrix`): generation alone and generation plus cfn-lint for
3, 17 and every target region x 1, 10, 28 and 30 functions, in one process, with peak
memory and each template's resources and bytes; and cProfile of one build (`--profile`).
Minutes, not seconds: not part of the default run.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.configs import Workspace
from bench.measure import (
    Timing,
    cell,
    describe,
    maxrss_mb,
    median_timed,
    num,
    peak_bytes,
    progress,
    timed,
)

FUNCTION_COUNTS = (1, 10, 28, 30)  # 28: the most one application stack holds
GEN_RUNS = 5


@dataclass
class Row:
    regions: str
    functions: int
    gen: Timing | None = None
    lint: Timing | None = None
    peak_mb: float | None = None
    templates: list[tuple[str, int, int]] = field(default_factory=list)
    other_files: tuple[int, int] = (0, 0)
    error: str | None = None


@dataclass
class GeneratorResults:
    import_s: float = 0.0
    rules_s: float = 0.0
    first_gen: Timing | None = None
    first_lint: list[tuple[str, Timing | str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    maxrss_mb: float = 0.0


def measure_row(label: str, functions: int, path: Path) -> Row:
    from generator.build import build
    from generator.cli import load_config

    row = Row(label, functions)
    step, started = "config", time.perf_counter()
    try:
        config = load_config(path)
        step, started = "gen", time.perf_counter()
        result, row.gen = median_timed(lambda: build(config, run_lint=False), GEN_RUNS)
        row.templates = [(n, r, b) for n, r, _, b in result.summary()]
        others = [body for name, body in result.files.items() if name not in result.data]
        row.other_files = (len(others), sum(len(b.encode()) for b in others))
        step, started = "gen+lint", time.perf_counter()
        _, row.lint = timed(lambda: build(config))
        step, started = "traced gen+lint", time.perf_counter()
        row.peak_mb = peak_bytes(lambda: build(config)) / 2**20
    except Exception as exc:  # a crossed limit or any generator bug: a row, not a crash
        row.error = f"{step} failed after {time.perf_counter() - started:.2f} s: {describe(exc)}"
    return row


def bench_generator(
    workspace: Workspace, sets: list[tuple[str, list[str]]], import_s: float
) -> GeneratorResults:
    from generator.build import build
    from generator.checks import lint
    from generator.cli import load_config

    results = GeneratorResults(import_s=import_s)
    _, rules = timed(lint.rules)
    results.rules_s = rules.wall
    progress(f"generator imported in {results.import_s:.2f}s, cfn-lint rules in {rules.wall:.2f}s")

    # The first build in the process pays for lazy imports and caches of troposphere/awacs;
    # the first lint of a region set pays for cfn-lint's per-region resource schemas. Both are
    # measured here, once, so the table below shows per-config costs with everything warm.
    for index, (label, regions) in enumerate(sets):
        started = time.perf_counter()
        try:
            config = load_config(workspace.config(label, regions, 1))
            if index == 0:
                _, results.first_gen = timed(lambda c=config: build(c, run_lint=False))
            started = time.perf_counter()
            _, first = timed(lambda c=config: build(c))
            results.first_lint.append((label, first))
        except Exception as exc:  # the schemas are loaded all the same if only lint found issues
            failed = f"failed after {time.perf_counter() - started:.2f} s: {describe(exc)}"
            results.first_lint.append((label, failed))
        progress(f"warmed up cfn-lint for {label} regions")

    for label, regions in sets:
        for functions in FUNCTION_COUNTS:
            row = measure_row(label, functions, workspace.config(label, regions, functions))
            results.rows.append(row)
            done = row.error or f"gen+lint {row.lint.wall if row.lint else 0:.2f}s"
            progress(f"{label} regions x {functions} functions: {done}")
    results.maxrss_mb = maxrss_mb()
    return results


def profile(workspace: Workspace, sets: list[tuple[str, list[str]]], case: str) -> str:
    """cProfile of one warm build+lint, top entries by cumulative time."""
    wanted_regions, _, wanted_functions = case.partition("x")
    chosen = [(lb, r) for lb, r in sets if wanted_regions in (lb.split()[0], str(len(r)))]
    if not chosen or not wanted_functions.isdigit():
        raise SystemExit(f"--profile {case!r}: use REGIONSxFUNCTIONS, e.g. 3x30 or allx30")
    label, regions = chosen[0]
    from generator.build import build
    from generator.checks import lint
    from generator.cli import load_config

    lint.rules()
    config = load_config(workspace.config(label, regions, int(wanted_functions)))
    with contextlib.suppress(Exception):
        build(config)  # warm: regional schemas, lazy imports
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        build(config)
    except Exception as exc:
        progress(f"build failed while profiled: {describe(exc)}")
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(25)
    title = f"cProfile: {label} regions x {wanted_functions} functions, build(config)"
    return f"{title}\n{out.getvalue()}"


def templates_cell(row: Row) -> str:
    parts = [f"{Path(name).stem}: {count}/{size}" for name, count, size in row.templates]
    if row.other_files[0]:
        parts.append(f"+{row.other_files[0]} files/{row.other_files[1]}")
    return "; ".join(parts)


def generator_table(results: GeneratorResults) -> list[str]:
    lines = [
        "| regions | functions | gen wall s | gen cpu s | gen+lint wall s | gen+lint cpu s "
        "| peak MB | per template: resources/bytes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in results.rows:
        detail = templates_cell(row)
        if row.error:
            detail = f"**{cell(row.error)}**" + (f" (generated: {detail})" if detail else "")
        gen, lint = row.gen, row.lint
        lines.append(
            f"| {row.regions} | {row.functions} | {num(gen and gen.wall)} | {num(gen and gen.cpu)} "
            f"| {num(lint and lint.wall)} | {num(lint and lint.cpu)} | {num(row.peak_mb, 1)} "
            f"| {detail} |"
        )
    return lines


def warmup_table(results: GeneratorResults) -> list[str]:
    lines = [
        "| one-off cost in the process | wall s | cpu s |",
        "| --- | ---: | ---: |",
        f"| import generator (troposphere, awacs, pydantic, cfn-lint, boto3) "
        f"| {results.import_s:.3f} | — |",
        f"| `generator.lint.rules()`: load cfn-lint's rules | {results.rules_s:.3f} | — |",
    ]
    if results.first_gen:
        lines.append(
            f"| first `build(run_lint=False)` (1 function, lazy imports) "
            f"| {results.first_gen.wall:.3f} | {results.first_gen.cpu:.3f} |"
        )
    for label, first in results.first_lint:
        what = f"first `build()` for {label} regions, 1 function (regional schemas)"
        if isinstance(first, Timing):
            lines.append(f"| {what} | {first.wall:.3f} | {first.cpu:.3f} |")
        else:
            lines.append(f"| {what} | **{cell(first)}** | — |")
    return lines
