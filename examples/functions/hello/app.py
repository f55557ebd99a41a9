"""A minimal HTTP function for the examples: answers its health route and one greeting.

It uses only the standard library (Powertools is on the runtime through AWS's layer, but
this example does not need it). API Gateway HTTP APIs send payload format 2.0 events.
"""

from __future__ import annotations

import json
from typing import Any


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = event.get("rawPath", "/")
    if path == "/health" or path.endswith("/health"):
        return _response(200, {"status": "ok"})
    if path == "/hello":
        return _response(200, {"message": "hello"})
    return _response(404, {"error": "not found"})
