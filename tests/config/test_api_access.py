"""Config errors of `[api]`: each names the file, the field and what is allowed, exit 2,
and leaves templates/ as it was."""

from __future__ import annotations

from typing import Any

import pytest

from tests.config.support import minimal, refused, write_toml

USERS = {"issuer": "https://login.example.com", "audience": ["app"]}


def api_config(api: dict[str, Any], routes: list[str] | None = None) -> dict[str, Any]:
    raw = minimal(routes=routes or ["GET /health", "GET /orders", "ANY /{proxy+}"])
    raw["api"] = api
    return raw


def test_a_route_naming_an_unknown_authorizer(project, out_dir, capsys):
    raw = api_config(
        {
            "authorizers": {"users": USERS, "partners": USERS},
            "routes": {"GET /orders": {"authorizer": "user"}},
        }
    )
    err = refused(project, out_dir, capsys, raw)
    assert (
        "deployment.toml: api.routes.GET /orders.authorizer: unknown authorizer 'user'; "
        "allowed: partners, users; did you mean 'users'?"
    ) in err


def test_an_authorizer_when_none_is_defined(project, out_dir, capsys):
    raw = api_config({"routes": {"GET /orders": {"authorizer": "users"}}})
    err = refused(project, out_dir, capsys, raw)
    assert "api.routes.GET /orders.authorizer: unknown authorizer 'users'; allowed: none" in err


def test_the_health_route_stays_public(project, out_dir, capsys):
    raw = api_config(
        {"authorizers": {"users": USERS}, "routes": {"GET /health": {"authorizer": "users"}}}
    )
    err = refused(project, out_dir, capsys, raw)
    assert "api.routes.GET /health.authorizer: 'GET /health' serves GET /health" in err


def test_a_catch_all_route_may_be_authorized_beside_a_public_health_route(
    project, tmp_path, capsys
):
    from generator import config

    raw = api_config(
        {"authorizers": {"users": USERS}, "routes": {"ANY /{proxy+}": {"authorizer": "users"}}}
    )
    loaded = config.load(write_toml(project / "deployment.toml", raw))
    assert loaded.api.routes["ANY /{proxy+}"].authorizer == "users"


def test_an_authorized_catch_all_that_serves_the_health_path(project, out_dir, capsys):
    raw = api_config(
        {"authorizers": {"users": USERS}, "routes": {"ANY /{proxy+}": {"authorizer": "users"}}},
        routes=["ANY /{proxy+}"],
    )
    err = refused(project, out_dir, capsys, raw)
    assert (
        "api.routes.ANY /{proxy+}.authorizer: 'ANY /{proxy+}' serves GET /health, the health "
        "path of function 'api'"
    ) in err
    assert "add a public route 'GET /health'" in err


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        (
            {"routes": {"GET /nowhere": {}}},
            "api.routes.GET /nowhere: is not a route of any function",
        ),
        ({"routes": {"GET nowhere": {}}}, "api.routes: 'GET nowhere' is not a route key"),
        (
            {"routes": {"GET /orders": {"scopes": ["orders/read"]}}},
            "api.routes.GET /orders.scopes: scopes are checked by an authorizer",
        ),
        (
            {"cors": {"allow_origins": ["*"], "allow_credentials": True}},
            "api.cors.allow_origins: '*' with allow_credentials = true",
        ),
        ({"cors": {"allow_origins": ["https://a.example.com/"]}}, "is not an origin"),
        (
            {"cors": {"allow_origins": ["https://a.example.com"], "allow_methods": ["FETCH"]}},
            "'FETCH' is not a method",
        ),
        ({"throttle": {"burst_limit": 5001}}, "api.throttle.burst_limit"),
        (
            {"authorizers": {"users": {"issuer": "http://login.example.com", "audience": ["a"]}}},
            "api.authorizers.users.issuer",
        ),
        (
            {"authorizers": {"users": {"issuer": "https://login.example.com", "audience": []}}},
            "api.authorizers.users.audience: name at least one audience",
        ),
    ],
)
def test_bad_api_settings(project, out_dir, capsys, api, expected):
    err = refused(project, out_dir, capsys, api_config(api))
    assert expected in err, err


def test_cors_with_an_authorized_any_route(project, out_dir, capsys):
    """The ANY route would take the browsers' preflight OPTIONS, which carries no token."""
    raw = api_config(
        {
            "authorizers": {"users": USERS},
            "routes": {"ANY /{proxy+}": {"authorizer": "users"}},
            "cors": {"allow_origins": ["https://app.example.com"]},
        }
    )
    err = refused(project, out_dir, capsys, raw)
    assert (
        "api.routes.ANY /{proxy+}.authorizer: 'ANY /{proxy+}' matches the browsers' "
        "preflight OPTIONS requests too"
    ) in err
    del raw["api"]["cors"]
    from generator import config

    assert config.load(write_toml(project / "deployment.toml", raw)).api.cors is None
