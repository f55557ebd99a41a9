"""Tests for functions/api/app.py: routes, error shapes, logs and EMF metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.metrics.provider import cold_start

TOO_LARGE = 16 * 1024 + 1

# Powertools warns on every flush without application metrics (e.g. /health); that's by design.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


def parse_response(response: dict[str, Any]) -> tuple[int, Any]:
    """Status code and JSON-decoded body of a proxy integration response."""
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def emf_documents(stdout: str) -> list[dict[str, Any]]:
    """The CloudWatch EMF documents Powertools Metrics printed to stdout."""
    docs = []
    for line in stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            docs.append(json.loads(line))
    return docs


@pytest.fixture
def call(api_app: ModuleType, http_event, lambda_context):
    """Invoke the handler and return (status, json body)."""

    def _call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        return parse_response(api_app.handler(http_event(method, path, **kwargs), lambda_context))

    return _call


@pytest.fixture
def api_logs(api_app: ModuleType) -> Iterator[io.StringIO]:
    """Capture the Powertools Logger's JSON output (its handler keeps the stream it started on)."""
    handler = api_app.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def log_records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_health_returns_ok(call) -> None:
    assert call("GET", "/health") == (200, {"status": "ok"})


def test_hello_defaults_to_world(call) -> None:
    assert call("GET", "/hello") == (200, {"message": "Hello, world!"})


@pytest.mark.parametrize("name", ["Ada", "Ada Lovelace", "x-ray_2", "a" * 64, "7"])
def test_hello_greets_valid_names(call, name: str) -> None:
    assert call("GET", "/hello", query={"name": name}) == (200, {"message": f"Hello, {name}!"})


@pytest.mark.parametrize(
    "name",
    ["", "a" * 65, "<script>", "Robert'); DROP TABLE", "héllo", "a,b", "ada\n", "a.b", "名前"],
)
def test_hello_rejects_invalid_names(call, name: str) -> None:
    status, body = call("GET", "/hello", query={"name": name})
    assert status == 400
    assert body["error"]["code"] == "INVALID_NAME"
    assert "1-64" in body["error"]["message"]
    assert set(body) == {"error"}


def test_hello_emits_greeting_metric(api_app: ModuleType, call, capsys) -> None:
    call("GET", "/hello", query={"name": "Ada"})
    docs = emf_documents(capsys.readouterr().out)
    greetings = [d for d in docs if "HelloGreetings" in d]
    assert len(greetings) == 1
    metric_def = greetings[0]["_aws"]["CloudWatchMetrics"][0]
    assert greetings[0]["HelloGreetings"] == [1.0]
    assert metric_def["Namespace"] == "ShopApi"
    assert greetings[0]["service"] == "shop-api"
    assert {"Name": "HelloGreetings", "Unit": "Count"} in metric_def["Metrics"]


def test_health_emits_no_greeting_metric(call, capsys) -> None:
    with pytest.warns(UserWarning, match="No application metrics"):
        call("GET", "/health")
    assert not [d for d in emf_documents(capsys.readouterr().out) if "HelloGreetings" in d]


def test_cold_start_metric_only_on_first_invocation(call, capsys, monkeypatch) -> None:
    monkeypatch.setattr(cold_start, "is_cold_start", True)
    call("GET", "/hello")
    call("GET", "/hello")
    docs = emf_documents(capsys.readouterr().out)
    assert len([d for d in docs if "ColdStart" in d]) == 1
    assert len([d for d in docs if "HelloGreetings" in d]) == 2


def test_echo_returns_the_object(call) -> None:
    payload = {"a": 1, "nested": {"list": [1, "two", None, True]}, "unicode": "héllo"}
    assert call("POST", "/echo", body=json.dumps(payload)) == (200, {"echo": payload})


def test_echo_accepts_base64_encoded_body(call) -> None:
    payload = {"binary": "ok"}
    status, body = call("POST", "/echo", body=json.dumps(payload), base64_body=True)
    assert (status, body) == (200, {"echo": payload})


def test_echo_accepts_body_at_size_limit(call) -> None:
    prefix = '{"k": "'
    body = prefix + "x" * (16 * 1024 - len(prefix) - 2) + '"}'
    assert len(body.encode()) == 16 * 1024
    status, response = call("POST", "/echo", body=body)
    assert status == 200
    assert len(response["echo"]["k"]) == 16 * 1024 - len(prefix) - 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "INVALID_JSON"),
        ("{'single': 'quotes'}", "INVALID_JSON"),
        ('{"a": NaN}', "INVALID_JSON"),
        ('{"a": Infinity}', "INVALID_JSON"),
        ("[" * 10_000, "INVALID_JSON"),
        ("[1, 2, 3]", "INVALID_BODY"),
        ('"a string"', "INVALID_BODY"),
        ("42", "INVALID_BODY"),
        ("null", "INVALID_BODY"),
        ("", "INVALID_BODY"),
        ('{"a":' * 33 + "1" + "}" * 33, "INVALID_BODY"),
        ('{"k": "' + "x" * TOO_LARGE + '"}', "BODY_TOO_LARGE"),
    ],
    ids=[
        "not-json",
        "single-quotes",
        "nan",
        "infinity",
        "deep-brackets",
        "array",
        "string",
        "number",
        "null",
        "empty",
        "too-deep",
        "too-large",
    ],
)
def test_echo_rejects_bad_bodies(call, body: str, code: str) -> None:
    status, response = call("POST", "/echo", body=body)
    assert status == 400
    assert response["error"]["code"] == code
    assert isinstance(response["error"]["message"], str) and response["error"]["message"]


def test_echo_rejects_missing_body(call) -> None:
    status, response = call("POST", "/echo")
    assert (status, response["error"]["code"]) == (400, "INVALID_BODY")


def test_echo_rejects_too_large_body_by_bytes_not_chars(call) -> None:
    body = json.dumps({"k": "é" * (9 * 1024)}, ensure_ascii=False)  # < 16 KiB chars, > 16 KiB bytes
    assert len(body) < 16 * 1024 < len(body.encode())
    status, response = call("POST", "/echo", body=body)
    assert (status, response["error"]["code"]) == (400, "BODY_TOO_LARGE")


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"\xff\xfe not utf-8", "INVALID_JSON")],
)
def test_echo_rejects_non_utf8_base64_body(call, raw: bytes, code: str) -> None:
    status, response = call("POST", "/echo", body=raw, base64_body=True)
    assert (status, response["error"]["code"]) == (400, code)


def test_echo_rejects_invalid_base64(api_app, http_event, lambda_context) -> None:
    event = http_event("POST", "/echo", body="{}", base64_body=True)
    event["body"] = "%%%not-base64%%%"
    status, response = parse_response(api_app.handler(event, lambda_context))
    assert (status, response["error"]["code"]) == (400, "INVALID_BODY")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/"), ("DELETE", "/hello"), ("GET", "/echo"), ("POST", "/health")],
)
def test_unknown_route_or_method_is_json_404(call, method: str, path: str) -> None:
    status, body = call(method, path)
    assert status == 404
    assert body == {
        "error": {"code": "NOT_FOUND", "message": "No route matches this method and path."}
    }


def test_unexpected_exception_is_500_without_internals(
    api_app: ModuleType, call, monkeypatch, api_logs: io.StringIO
) -> None:
    def explode() -> dict[str, Any]:
        raise RuntimeError("db password is hunter2 at /var/task/app.py")

    monkeypatch.setattr(api_app, "_parse_echo_body", explode)
    status, body = call("POST", "/echo", body="{}")

    assert status == 500
    assert body == {"error": {"code": "INTERNAL_ERROR", "message": "An internal error occurred."}}
    # ...while the full exception is logged for operators.
    errors = [r for r in log_records(api_logs) if r["level"] == "ERROR"]
    assert len(errors) == 1
    assert "hunter2" in errors[0]["exception"]
    assert errors[0]["exception_name"] == "RuntimeError"


def test_logs_are_structured_with_lambda_context_and_correlation_id(
    call, api_logs: io.StringIO
) -> None:
    call("GET", "/hello", query={"name": "bad!"}, request_id="req-1234")
    records = log_records(api_logs)
    rejected = [r for r in records if r["message"] == "Request rejected"]
    assert len(rejected) == 1
    record = rejected[0]
    assert record["correlation_id"] == "req-1234"
    assert record["service"] == "shop-api"
    assert record["function_name"] == "shop-api"
    assert record["function_request_id"] == "c6af9ac6-7b61-11e6-9a41-93e812345678"
    assert record["status_code"] == 400
    assert record["error_code"] == "INVALID_NAME"


def test_named_stage_prefix_is_stripped(api_app, http_event, lambda_context) -> None:
    event = http_event("GET", "/prod/health")
    event["requestContext"]["stage"] = "prod"
    status, body = parse_response(api_app.handler(event, lambda_context))
    assert (status, body) == (200, {"status": "ok"})


def test_module_import_creates_no_boto3_clients(api_app: ModuleType) -> None:
    assert "boto3" not in api_app.__dict__
    assert not any(type(v).__module__.startswith("botocore") for v in vars(api_app).values())
