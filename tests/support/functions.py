"""Helpers shared by the function tests and the benchmarks: a clean Lambda-like
environment, handler modules loaded by path, a fake context, and HTTP API events."""

from __future__ import annotations

import base64
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REGION = "eu-west-1"

# Set before the handler modules are imported: Powertools reads most settings at construction.
FUNCTION_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "shop-api",
    "POWERTOOLS_METRICS_NAMESPACE": "ShopApi",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
UNSET_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "POWERTOOLS_DEV", "POWERTOOLS_METRICS_DISABLED")


@contextmanager
def function_environment() -> Iterator[None]:
    """Fake credentials/region and Powertools settings; nothing may reach AWS or X-Ray."""
    with pytest.MonkeyPatch.context() as mp:
        for key in UNSET_ENV:
            mp.delenv(key, raising=False)
        for key, value in FUNCTION_ENV.items():
            mp.setenv(key, value)
        yield


def load_module(path: Path, name: str) -> ModuleType:
    """Import a handler file under a unique module name (every function has an app.py)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class FakeLambdaContext:
    """The attributes Powertools' Logger reads from a real LambdaContext."""

    function_name: str = "shop-api"
    function_version: str = "7"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:shop-api:live"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name: str = "/aws/lambda/shop-api"
    log_stream_name: str = "2025/11/26/[7]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: str | bytes | None = None,
    base64_body: bool = False,
    headers: dict[str, str] | None = None,
    request_id: str = "JKJaXmPLvHcESHA=",
) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event like the one API Gateway delivers."""
    raw_query = "&".join(f"{k}={v}" for k, v in (query or {}).items())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {
            "accept": "application/json",
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "user-agent": "pytest",
            "x-forwarded-proto": "https",
            **(headers or {}),
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
                "userAgent": "pytest",
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": "26/Nov/2025:15:22:00 +0000",
            "timeEpoch": 1764170520000,
        },
        "isBase64Encoded": base64_body,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if body is not None:
        raw = body.encode() if isinstance(body, str) else body
        event["body"] = base64.b64encode(raw).decode() if base64_body else raw.decode()
        event["headers"]["content-type"] = "application/json"
    return event
