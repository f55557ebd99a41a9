"""Sample HTTP API (payload format 2.0) handler built on Powertools for AWS Lambda (Python) v3.

Powertools is provided at runtime by AWS's public Lambda layer, so this folder holds only plain
``.py`` files and the deployment zip stays tiny. Configuration comes from the standard Powertools
environment variables (``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``, ...).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, ServiceError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

MAX_ECHO_BODY_BYTES = 16 * 1024
# Bounded nesting keeps json.loads / the response serializer far from Python's recursion limit,
# so a hostile body can only ever produce a 400, never an unhandled RecursionError.
MAX_ECHO_DEPTH = 32
_NAME_PATTERN = re.compile(r"[A-Za-z0-9 _-]{1,64}")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()


class InvalidInputError(BadRequestError):
    """A 400 carrying a machine-readable error code, so clients can branch without parsing text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _error_response(status: int, code: str, message: str) -> Response:
    """Build the single error shape every failure path uses."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message}},
    )


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness probe for the CodeDeploy traffic hook: deliberately no downstream calls."""
    return {"status": "ok"}


@app.get("/hello")
def hello() -> dict[str, str]:
    """Greet ``name`` (validated so user input never reaches logs or output unchecked)."""
    name = app.current_event.get_query_string_value(name="name", default_value="world")
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name):
        raise InvalidInputError(
            "INVALID_NAME",
            "Query parameter 'name' must be 1-64 characters: letters, digits, space, '-' or '_'.",
        )
    metrics.add_metric(name="HelloGreetings", unit=MetricUnit.Count, value=1)
    return {"message": f"Hello, {name}!"}


@app.post("/echo")
def echo() -> dict[str, Any]:
    """Echo a JSON object back; every malformed body maps to a 400, never a 500."""
    return {"echo": _parse_echo_body()}


def _parse_echo_body() -> dict[str, Any]:
    """Decode, size-check and parse the request body into a JSON object."""
    event = app.current_event
    raw = event.body
    if not raw:
        raise InvalidInputError("INVALID_BODY", "Request body must be a JSON object.")
    try:
        data = base64.b64decode(raw, validate=True) if event.is_base64_encoded else raw.encode()
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise InvalidInputError("INVALID_BODY", "Request body is not valid base64.") from None
    if len(data) > MAX_ECHO_BODY_BYTES:
        raise InvalidInputError(
            "BODY_TOO_LARGE", f"Request body must be at most {MAX_ECHO_BODY_BYTES} bytes."
        )
    try:
        payload = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidInputError("INVALID_JSON", "Request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise InvalidInputError("INVALID_BODY", "Request body must be a JSON object.")
    if _depth(payload) > MAX_ECHO_DEPTH:
        raise InvalidInputError(
            "INVALID_BODY", f"Request body must be nested at most {MAX_ECHO_DEPTH} levels deep."
        )
    return payload


def _reject_constant(token: str) -> Any:
    """NaN/Infinity are not JSON; accepting them would make us emit invalid JSON in the echo."""
    raise ValueError(f"non-standard JSON constant {token}")


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, computed iteratively (no recursion to exhaust)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            items: Any = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in items)
    return deepest


# Without this, the catch-all Exception handler below would also swallow Powertools' own
# NotFoundError/BadRequestError (handlers are looked up along the exception's MRO) and turn
# every 404/400 into a 500.
@app.exception_handler(ServiceError)
def handle_service_error(exc: ServiceError) -> Response:
    """Render expected HTTP errors (bad input, unknown route) in the common error shape."""
    try:
        status = HTTPStatus(exc.status_code)
    except ValueError:  # not a real HTTP status: treat as our bug, never echo it to the client
        return handle_unexpected_error(exc)
    code = getattr(exc, "code", None) or status.name
    message = exc.msg if isinstance(exc.msg, str) else status.phrase
    if status == HTTPStatus.NOT_FOUND:
        message = "No route matches this method and path."
    logger.info("Request rejected", extra={"status_code": status.value, "error_code": code})
    return _error_response(status.value, code, message)


@app.exception_handler(Exception)
def handle_unexpected_error(exc: Exception) -> Response:
    """Log the full exception, but return a generic body that leaks no internals."""
    logger.exception("Unhandled error while processing request")
    return _error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR.value, "INTERNAL_ERROR", "An internal error occurred."
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
# capture_response=False: /echo returns caller-supplied data, which must not land in X-Ray.
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (``app.handler``): route the HTTP API v2 event."""
    return app.resolve(event, context)
