"""The Lambda handlers: import time in a fresh interpreter and warm in-process calls.

The api handler is functions/api/app.py; the pre-traffic hook ships inside the generator
(generator/hook/app.py). Nothing reaches AWS or X-Ray: the clients are fakes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import os
import re
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bench.measure import REPO_ROOT, cell, describe, num, progress

HANDLER_CALLS = 2000
IMPORT_RUNS = 5
SOURCES = {"api": REPO_ROOT / "functions" / "api", "hook": REPO_ROOT / "generator" / "hook"}
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
    source = SOURCES[function]
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
    spec = importlib.util.spec_from_file_location(name, SOURCES[function] / "app.py")
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
    hook = load_module("hook")
    clients = {"lambda_client": FakeLambdaClient(), "codedeploy_client": FakeCodeDeployClient()}
    event = {"DeploymentId": "d-BENCH", "LifecycleEventHookExecutionId": "bench-1"}

    def succeeded(result: Any) -> bool:
        return result.get("status") == hook.SUCCEEDED

    return [
        (
            "hook",
            "build_health_event",
            lambda: hook.build_health_event("/health", "bench-1"),
            bool,
        ),
        (
            "hook",
            "handler (fake lambda + codedeploy clients)",
            lambda: hook.handler(event, None, **clients),
            succeeded,
        ),
    ]


def bench_handlers(calls: int) -> list[HandlerRow]:
    imported = {name: import_ms(name) for name in SOURCES}
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
        for function, make_cases in (("api", api_cases), ("hook", hook_cases)):
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
