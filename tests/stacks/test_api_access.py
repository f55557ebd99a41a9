"""Who may call the HTTP API and how fast: JWT authorizers on the routes the config names,
CORS, and throttling per stage and per route, as wired in the generated app.json."""

from __future__ import annotations

from typing import Any

import pytest

from generator import config as config_module
from generator.build import generate
from generator.config.routes import chosen
from tests.conftest import resources_of_type

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE11"


def with_access(raw: dict[str, Any]) -> None:
    raw["functions"]["api"]["routes"] = ["GET /health", "GET /hello", "POST /orders/{proxy+}"]
    raw["api"] = {
        "throttle": {"burst_limit": 50, "rate_limit": 25.0},
        "cors": {
            "allow_origins": ["https://app.example.com"],
            "allow_methods": ["GET", "POST"],
            "allow_headers": ["authorization"],
            "max_age": 300,
            "allow_credentials": True,
        },
        "authorizers": {
            "users": {"issuer": ISSUER, "audience": ["client-a", "client-b"]},
            "partners": {"issuer": "https://login.partner.example", "audience": ["api"]},
        },
        "routes": {
            "GET /hello": {"authorizer": "users"},
            "POST /orders/{proxy+}": {
                "authorizer": "partners",
                "scopes": ["orders/read", "orders/write"],
                "throttle": {"burst_limit": 5, "rate_limit": 2.0},
            },
        },
    }


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import copy

    from tests.conftest import REFERENCE, write_project

    raw = copy.deepcopy(REFERENCE)
    with_access(raw)
    path = write_project(tmp_path_factory.mktemp("access"), raw)
    return generate(config_module.load(path)).data["app.json"]


def routes_by_key(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        r["Properties"]["RouteKey"]: (logical_id, r["Properties"])
        for logical_id, r in resources_of_type(template, "AWS::ApiGatewayV2::Route").items()
    }


def test_each_route_is_wired_to_the_authorizer_the_config_names(app):
    resources = app["Resources"]
    routes = routes_by_key(app)
    expected = {"GET /hello": ("users", []), "POST /orders/{proxy+}": ("partners", None)}
    for key, (name, _) in expected.items():
        _, route = routes[key]
        assert route["AuthorizationType"] == "JWT"
        authorizer = resources[route["AuthorizerId"]["Ref"]]
        assert authorizer["Type"] == "AWS::ApiGatewayV2::Authorizer"
        props = authorizer["Properties"]
        assert props["Name"] == name
        assert props["AuthorizerType"] == "JWT"
        assert props["ApiId"] == route["ApiId"] == {"Ref": "HttpApi"}
        assert props["IdentitySource"] == ["$request.header.Authorization"]
    users = resources[routes["GET /hello"][1]["AuthorizerId"]["Ref"]]["Properties"]
    assert users["JwtConfiguration"] == {"Issuer": ISSUER, "Audience": ["client-a", "client-b"]}
    assert "AuthorizationScopes" not in routes["GET /hello"][1]
    assert routes["POST /orders/{proxy+}"][1]["AuthorizationScopes"] == [
        "orders/read",
        "orders/write",
    ]


def test_routes_the_config_does_not_name_stay_public(app):
    _, health = routes_by_key(app)["GET /health"]
    assert "AuthorizationType" not in health and "AuthorizerId" not in health


def test_cors_is_the_apis(app):
    cors = app["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
    assert cors == {
        "AllowOrigins": ["https://app.example.com"],
        "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["authorization"],
        "MaxAge": 300,
        "AllowCredentials": True,
    }


def test_throttling_per_stage_and_per_route(app):
    stage = app["Resources"]["HttpApiStage"]
    props = stage["Properties"]
    assert props["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": 50,
        "ThrottlingRateLimit": 25.0,
    }
    assert props["RouteSettings"] == {
        "POST /orders/{proxy+}": {"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 2.0}
    }
    # Route settings name the route by key: the stage is created after that route.
    route_id, _ = routes_by_key(app)["POST /orders/{proxy+}"]
    assert route_id in stage["DependsOn"]


def test_without_api_settings_nothing_changes_but_the_default_limits(app_template):
    assert not resources_of_type(app_template, "AWS::ApiGatewayV2::Authorizer")
    assert "CorsConfiguration" not in app_template["Resources"]["HttpApi"]["Properties"]
    props = app_template["Resources"]["HttpApiStage"]["Properties"]
    assert props["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": 200,
        "ThrottlingRateLimit": 100.0,
    }
    assert "RouteSettings" not in props


@pytest.mark.parametrize(
    ("routes", "request_path", "expected"),
    [
        (["ANY /{proxy+}", "GET /health"], "/health", "GET /health"),
        (["ANY /health", "GET /{name}"], "/health", "ANY /health"),
        (["ANY /health", "GET /health"], "/health", "GET /health"),
        (["GET /{proxy+}", "GET /{name}"], "/health", "GET /{name}"),
        (["POST /health"], "/health", None),
    ],
)
def test_the_route_api_gateway_picks_is_the_most_specific(routes, request_path, expected):
    assert chosen(routes, "GET", request_path) == expected
