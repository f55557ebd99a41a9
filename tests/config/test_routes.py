"""Route keys: which requests a route serves, and the health path a function must serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import config
from generator.config.routes import route_problem, serves
from tests.config.support import minimal, write_toml

SERVES = [
    ("GET /health", "GET", "/health"),
    ("ANY /health", "GET", "/health"),
    ("GET /", "GET", "/"),
    ("GET /{name}", "GET", "/health"),
    ("GET /api/{version}/health", "GET", "/api/v1/health"),
    ("GET /{proxy+}", "GET", "/health"),
    ("ANY /{proxy+}", "GET", "/a/b/c"),
    ("GET /api/{proxy+}", "GET", "/api/health"),
]
DOES_NOT_SERVE = [
    ("POST /health", "GET", "/health"),
    ("GET /health", "GET", "/healthz"),
    ("GET /health", "GET", "/health/"),
    ("GET /health", "GET", "/"),
    ("GET /", "GET", "/health"),
    ("GET /{name}", "GET", "/"),
    ("GET /{name}", "GET", "/a/b"),
    ("GET /{proxy+}", "GET", "/"),
    ("GET /api/{proxy+}", "GET", "/api"),
    ("GET /api/{proxy+}", "GET", "/other/health"),
    ("GET /a/b", "GET", "/a"),
]


@pytest.mark.parametrize(("route", "method", "path"), SERVES)
def test_serves(route: str, method: str, path: str) -> None:
    assert serves(route, method, path)


@pytest.mark.parametrize(("route", "method", "path"), DOES_NOT_SERVE)
def test_does_not_serve(route: str, method: str, path: str) -> None:
    assert not serves(route, method, path)


@pytest.mark.parametrize("route", ["GET /{proxy+}/x", "ANY /a/{rest+}/b"])
def test_greedy_variable_must_end_the_path(route: str) -> None:
    assert route_problem(route) == (
        f"{route!r}: a greedy path variable ({{name+}}) must be the last segment"
    )


@pytest.mark.parametrize("route", ["GET /", "GET /a/{b}/c", "ANY /{proxy+}", "GET /a/{b+}"])
def test_good_route_keys(route: str) -> None:
    assert route_problem(route) is None


def _load(project: Path, **function: Any) -> config.Config:
    return config.load(write_toml(project / "deployment.toml", minimal(**function)))


@pytest.mark.parametrize(
    ("routes", "health_path"),
    [
        (["GET /health", "POST /orders"], "/health"),
        (["ANY /{proxy+}"], "/health"),
        (["GET /orders/{id}"], "/orders/status"),
        ([], "/health"),  # no routes: the hook invokes the function directly
    ],
)
def test_a_served_health_path_is_accepted(
    project: Path, routes: list[str], health_path: str
) -> None:
    loaded = _load(project, routes=routes, health_path=health_path)
    assert loaded.functions["api"].health_path == health_path


def test_an_unserved_health_path_names_function_path_and_routes(project: Path) -> None:
    with pytest.raises(config.ConfigError) as caught:
        _load(project, routes=["POST /health", "GET /{proxy+}"], health_path="/")
    assert caught.value.problems == [
        "functions.api.health_path: the pre-traffic hook requests GET /, which none of the "
        "function's routes serves (POST /health, GET /{proxy+}), so every release would "
        "roll back; add a route such as 'GET /' or set health_path to a path a GET or ANY "
        "route serves"
    ]
