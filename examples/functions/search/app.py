"""A search API for the examples: finds the configured terms in a query string.

It imports a third-party package with native code (pyahocorasick, from requirements.txt:
the bundle holds its wheel for Lambda's arm64 Python 3.11), and reads its terms from an
SSM parameter that an extension adds (examples/extensions/search.py), whose name comes
from the environment. API Gateway HTTP APIs send payload format 2.0 events.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import ahocorasick
import boto3


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }


@cache
def _automaton() -> Any:
    """The terms of the settings parameter, read once per execution environment."""
    parameter = boto3.client("ssm").get_parameter(Name=os.environ["SETTINGS_PARAMETER"])
    automaton = ahocorasick.Automaton()
    for term in json.loads(parameter["Parameter"]["Value"])["terms"]:
        automaton.add_word(term.lower(), term)
    automaton.make_automaton()
    return automaton


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = event.get("rawPath", "/")
    if path == "/health" or path.endswith("/health"):
        return _response(200, {"status": "ok", "engine": ahocorasick.__name__})
    if path == "/search":
        query = (event.get("queryStringParameters") or {}).get("q", "")
        found = sorted({term for _, term in _automaton().iter(query.lower())})
        return _response(200, {"query": query, "terms": found})
    return _response(404, {"error": "not found"})
