"""Benchmark the generator, cfn-lint and the Lambda handlers, all in one process.

    .venv/bin/python -m bench.run                 # print the tables (Markdown) to stdout
    .venv/bin/python -m bench.run --write         # ... and (re)write bench/RESULTS.md
    .venv/bin/python -m bench.run --profile 3x30  # cProfile one build+lint instead

Configs are written to a temporary folder (regions x functions, every function a copy of
functions/api with one route), so nothing in the repository is read as config or written:
`build()` returns template bodies and never touches templates/. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import importlib.util
import io
import json
import math
import os
import platform
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `python bench/run.py` puts bench/, not the repo, on the path
    sys.path.insert(0, str(REPO_ROOT))

FUNCTIONS_DIR = REPO_ROOT / "functions"
OWN_CODE = (str(REPO_ROOT / "generator"), str(FUNCTIONS_DIR))
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

HOME_REGION = "eu-west-1"
PREFERRED_REGIONS = ("us-east-1", "ap-southeast-2")  # the next two of deployment.toml
REGION_COUNTS: tuple[int | None, ...] = (3, 17, None)  # None: every commercial region
FUNCTION_COUNTS = (1, 10, 28, 30)  # 28: the most one application stack holds
GEN_RUNS = 5  # generation alone takes milliseconds: the median of a few runs
WAVE_SIZE = 8

HANDLER_CALLS = 2000
IMPORT_RUNS = 5
# What the handlers see in Lambda (trimmed to what they read); nothing may reach AWS or X-Ray.
FUNCTION_ENV = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "bench",
}
HOOK_ENV = {
    "AWS_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "TARGET_FUNCTION_ARN": "arn:aws:lambda:eu-west-1:123456789012:function:bench-api:7",
}
# `python -X importtime` writes "import time: <self us> | <cumulative us> | <indent><name>".
TOP_LEVEL_APP = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| app$", re.MULTILINE)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def median_timed(call: Callable[[], Any], runs: int) -> tuple[Any, Timing]:
    """The last result, and the median wall and median CPU time of `runs` runs."""
    results = [timed(call) for _ in range(runs)]
    return results[-1][0], Timing(
        statistics.median(t.wall for _, t in results), statistics.median(t.cpu for _, t in results)
    )


def timed(call: Callable[[], Any]) -> tuple[Any, Timing]:
    """Run `call` once after a full collection; wall (perf_counter) and CPU (process_time)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    return value, Timing(time.perf_counter() - wall, time.process_time() - cpu)


def peak_bytes(call: Callable[[], Any]) -> int:
    """tracemalloc's peak while `call` runs (a separate run: tracing slows everything down)."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def describe(exc: BaseException) -> str:
    """One short line for a failed build: the exception, its first problem, where it rose."""
    problems = [str(p) for p in getattr(exc, "problems", None) or []]
    lines = problems or str(exc).strip().splitlines() or [""]
    text = f"{type(exc).__name__}: {lines[0]}"
    if len(lines) > 1:
        text += f" (+{len(lines) - 1} more)"
    # The deepest frame in the project's own code, e.g. a troposphere limit hit by a stack.
    ours = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(OWN_CODE)]
    if ours and not problems:
        where = Path(ours[-1].filename).relative_to(REPO_ROOT)
        text += f" (raised under {where}:{ours[-1].lineno})"
    return text if len(text) <= 300 else text[:297] + "..."


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- configs --------------------------------------------------------------------------------


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
            "",
        ]
    return "\n".join(lines)


class Workspace:
    """A temp folder with functions/f01..fNN (copies of functions/api) and the configs."""

    def __init__(self, root: Path, functions: int) -> None:
        self.root = root
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for index in range(1, functions + 1):
            target = root / "functions" / function_name(index)
            shutil.copytree(FUNCTIONS_DIR / "api", target, ignore=ignore)

    def config(self, label: str, regions: list[str], functions: int) -> Path:
        slug = label.split()[0]
        path = self.root / f"bench-{slug}r-{functions}f.toml"
        path.write_text(config_text(regions, functions), encoding="utf-8")
        return path


# --- generator ------------------------------------------------------------------------------


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
    from generator import config as config_module
    from generator.build import build

    row = Row(label, functions)
    step, started = "config", time.perf_counter()
    try:
        config = config_module.load(path)
        step, started = "gen", time.perf_counter()
        result, row.gen = median_timed(lambda: build(config, run_lint=False), GEN_RUNS)
        row.templates = result.summary()
        others = [body for name, body in result.files.items() if name not in result.templates]
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
    from generator import config as config_module
    from generator.build import build
    from generator.checks import lint

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
            config = config_module.load(workspace.config(label, regions, 1))
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
    from generator import config as config_module
    from generator.build import build
    from generator.checks import lint

    lint.rules()
    config = config_module.load(workspace.config(label, regions, int(wanted_functions)))
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


# --- handlers -------------------------------------------------------------------------------


@dataclass
class HandlerRow:
    function: str
    import_ms: str
    call: str
    calls: int = 0
    mean_us: float | None = None
    p99_us: float | None = None
    error: str | None = None


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def import_time_us(function: str) -> int:
    """Cumulative µs of `import app` in a fresh interpreter, from `python -X importtime`."""
    source = FUNCTIONS_DIR / function
    paths = [str(source), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        **os.environ,
        **FUNCTION_ENV,
        "PYTHONPATH": os.pathsep.join(paths),
        # Lambda's /var/task is read-only and the zips ship no .pyc: app.py compiles each time.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app"],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = [int(m.group(1)) for m in TOP_LEVEL_APP.finditer(proc.stderr)]
    if proc.returncode or not found:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        raise RuntimeError(tail[0])
    return sum(found)


def import_ms(function: str) -> str:
    try:
        runs = [import_time_us(function) for _ in range(IMPORT_RUNS)]
    except Exception as exc:
        return f"error: {describe(exc)}"
    return f"{statistics.median(runs) / 1000:.1f} (min {min(runs) / 1000:.1f})"


def load_module(function: str) -> ModuleType:
    """Import functions/<function>/app.py by path under a unique name, writing no .pyc."""
    name = f"_bench_{function}_app"
    spec = importlib.util.spec_from_file_location(name, FUNCTIONS_DIR / function / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


def per_call_us(call: Callable[[], Any], calls: int) -> tuple[float, float]:
    """Mean and p99 µs of `calls` calls, after one warming call."""
    call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    return statistics.fmean(samples) / 1000, samples[math.ceil(0.99 * calls) - 1] / 1000


def http_event(method: str, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event (mirrors tests/functions/conftest.py)."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {
            "accept": "application/json",
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "user-agent": "bench",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "bench",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "26/Nov/2025:15:22:00 +0000",
            "timeEpoch": 1764170520000,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    return event


@dataclass
class FakeContext:
    function_name: str = "bench-api"
    function_version: str = "7"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:bench-api:live"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


class FakeLambdaClient:
    def invoke(self, **_: Any) -> dict[str, Any]:
        return {"StatusCode": 200, "Payload": io.BytesIO(b'{"statusCode":200,"body":"{}"}')}


class FakeCodeDeployClient:
    def put_lifecycle_event_hook_execution_status(self, **_: Any) -> dict[str, Any]:
        return {}


# (function, call, the call, a check of its result): a broken handler must not time as fast.
Case = tuple[str, str, Callable[[], Any], Callable[[Any], bool]]


def api_cases() -> list[Case]:
    api = load_module("api")
    context = FakeContext()
    health = http_event("GET", "/health")
    hello = http_event("GET", "/hello", {"name": "bench"})

    def ok(response: Any) -> bool:
        return response.get("statusCode") == 200

    return [
        ("api", "handler GET /health", lambda: api.handler(health, context), ok),
        ("api", "handler GET /hello?name=bench", lambda: api.handler(hello, context), ok),
    ]


def hook_cases() -> list[Case]:
    hook = load_module("traffic_hook")
    clients = {"lambda_client": FakeLambdaClient(), "codedeploy_client": FakeCodeDeployClient()}
    event = {"DeploymentId": "d-BENCH", "LifecycleEventHookExecutionId": "bench-1"}

    def succeeded(result: Any) -> bool:
        return result.get("status") == hook.SUCCEEDED

    return [
        (
            "traffic_hook",
            "build_health_event",
            lambda: hook.build_health_event("/health", "bench-1"),
            bool,
        ),
        (
            "traffic_hook",
            "handler (fake lambda + codedeploy clients)",
            lambda: hook.handler(event, None, **clients),
            succeeded,
        ),
    ]


def bench_handlers(calls: int) -> list[HandlerRow]:
    imported = {name: import_ms(name) for name in ("api", "traffic_hook")}
    progress("measured handler import times")
    rows: list[HandlerRow] = []
    # Log lines and EMF metrics go to stdout, as in Lambda; here to /dev/null, not the table.
    with (
        open(os.devnull, "w") as null,
        contextlib.redirect_stdout(null),
        environment({**FUNCTION_ENV, **HOOK_ENV}),
        warnings.catch_warnings(),
    ):
        # Powertools warns (once) when /health flushes no metric; expected here, not news.
        warnings.filterwarnings("ignore", "No application metrics to publish")
        for function, make_cases in (("api", api_cases), ("traffic_hook", hook_cases)):
            try:
                cases = make_cases()
            except Exception as exc:
                rows.append(HandlerRow(function, imported[function], "import", error=describe(exc)))
                continue
            for _, label, call, ok in cases:
                row = HandlerRow(function, imported[function], label, calls)
                try:
                    first = call()
                    if not ok(first):
                        raise RuntimeError(f"unexpected result {str(first)[:200]}")
                    row.mean_us, row.p99_us = per_call_us(call, calls)
                except Exception as exc:
                    row.error = describe(exc)
                rows.append(row)
    progress("measured handler calls")
    return rows


# --- report ---------------------------------------------------------------------------------


def templates_cell(row: Row) -> str:
    parts = [f"{Path(name).stem}: {count}/{size}" for name, count, size in row.templates]
    if row.other_files[0]:
        parts.append(f"+{row.other_files[0]} files/{row.other_files[1]}")
    return "; ".join(parts)


def num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


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


def handler_table(rows: list[HandlerRow]) -> list[str]:
    lines = [
        f"| function | `import app` ms (median of {IMPORT_RUNS}, -X importtime) | call "
        "| warm calls | mean µs | p99 µs |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        if row.error:
            numbers = f"— | **{cell(row.error)}** | —"
        else:
            numbers = f"{row.calls} | {num(row.mean_us, 1)} | {num(row.p99_us, 1)}"
        lines.append(f"| {row.function} | {cell(row.import_ms)} | {row.call} | {numbers} |")
    return lines


def environment_line(results: GeneratorResults, total_s: float) -> str:
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}, {os.cpu_count()} CPUs; cfn-lint rules load "
        f"{results.rules_s:.3f} s; ru_maxrss {results.maxrss_mb:.0f} MB after the generator "
        f"runs, {maxrss_mb():.0f} MB at the end; total run {total_s:.1f} s."
    )


def machine_section() -> list[str]:
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False)
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False)
    return [
        "## Machine",
        "",
        f"- `uname -a`: `{uname.stdout.strip() or platform.uname()}`",
        f"- `nproc`: {nproc.stdout.strip() or os.cpu_count()}",
        f"- Python: {sys.version.split()[0]} ({sys.executable})",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M:%S UTC')}",
    ]


def report(results: GeneratorResults, handlers: list[HandlerRow], total_s: float) -> list[str]:
    return [
        "## Generator: `build(config)` per config",
        "",
        "Rules loaded and every region set's first lint done beforehand (see below). gen = "
        f"`build(config, run_lint=False)`, median of {GEN_RUNS} runs; gen+lint = "
        "`build(config)`, one run. peak MB = tracemalloc peak of one more, traced "
        "`build(config)` (MB = 2^20 bytes; allocations after the warm-up only). Per template: "
        "resources/bytes from `Build.summary()`; `+N files/B` = the StackSet and parameter "
        "files besides. A failed config shows the error instead of numbers.",
        "",
        *generator_table(results),
        "",
        *warmup_table(results),
        "",
        "## Lambda handlers",
        "",
        "Import: cumulative µs of the top-level `app` line of `python -X importtime -c "
        "'import app'` in a fresh interpreter (no .pyc for app.py, as in Lambda). Calls: "
        "in-process, after one warm call; log lines and EMF metrics go to /dev/null.",
        "",
        *handler_table(handlers),
        "",
        environment_line(results, total_s),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"(re)write {RESULTS.name}")
    parser.add_argument("--calls", type=int, default=HANDLER_CALLS, help="warm calls per handler")
    parser.add_argument(
        "--profile", metavar="RxF", help="only cProfile one build+lint, e.g. 3x30 or allx30"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    import generator.build
    import generator.checks.lint
    import generator.config
    import generator.config.regions

    import_s = time.perf_counter() - started
    sets = region_sets(generator.regions.commercial_regions())
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workspace = Workspace(Path(tmp), max(FUNCTION_COUNTS))
        if args.profile:
            print(profile(workspace, sets, args.profile))
            return 0
        results = bench_generator(workspace, sets, import_s)
    handlers = bench_handlers(args.calls)
    lines = report(results, handlers, time.perf_counter() - started)
    print("\n".join(lines))
    if args.write:
        header = [
            "# Benchmark results",
            "",
            "Written by `.venv/bin/python -m bench.run --write` (`make bench` only prints).",
            "",
        ]
        RESULTS.write_text("\n".join([*header, *lines, "", *machine_section(), ""]), "utf-8")
        progress(f"wrote {RESULTS.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
