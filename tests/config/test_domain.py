"""Config errors of `[domain]`: where the zone must be, and what the health check needs."""

from __future__ import annotations

from typing import Any

import pytest

from generator import config
from tests.config.support import minimal, refused, write_toml

ZONE_ACCOUNT = "111122223333"
OTHER = "444455556666"
DOMAIN = {
    "name": "api.example.com",
    "hosted_zone_id": "Z0123456789EXAMPLE01",
    "hosted_zone_account": ZONE_ACCOUNT,
}


def domain_config(targets: dict[str, Any] | None = None, **domain: Any) -> dict[str, Any]:
    raw = minimal(routes=["GET /health", "GET /orders"])
    raw["domain"] = {**DOMAIN, **domain}
    if targets:
        raw["targets"] = targets
    return raw


def test_the_zone_in_the_one_target_account_is_accepted(project):
    raw = domain_config({"accounts": [ZONE_ACCOUNT], "central_account": OTHER})
    loaded = config.load(write_toml(project / "deployment.toml", raw))
    assert loaded.domain.name == "api.example.com"


def test_a_zone_of_another_account(project, out_dir, capsys):
    raw = domain_config({"accounts": [OTHER], "central_account": OTHER})
    err = refused(project, out_dir, capsys, raw)
    assert (
        f"deployment.toml: domain.hosted_zone_account: is {ZONE_ACCOUNT}, but the app stacks "
        f"run in {OTHER} (targets.accounts)"
    ) in err
    assert "CreatingNewSubdomain" in err


def test_a_zone_of_another_account_than_the_central_one(project, out_dir, capsys):
    raw = domain_config({"central_account": OTHER})
    err = refused(project, out_dir, capsys, raw)
    assert f"run in {OTHER} (targets.central_account)" in err


def test_several_target_accounts(project, out_dir, capsys):
    raw = domain_config({"accounts": [ZONE_ACCOUNT, OTHER], "central_account": OTHER})
    err = refused(project, out_dir, capsys, raw)
    assert "domain.name: needs the app in one account, the zone's, but targets.accounts" in err


def test_organizational_units(project, out_dir, capsys):
    targets = {
        "permission_model": "SERVICE_MANAGED",
        "organizational_units": ["ou-ab12-11111111"],
        "organization_id": "o-a1b2c3d4e5",
        "central_account": ZONE_ACCOUNT,
    }
    err = refused(project, out_dir, capsys, domain_config(targets))
    assert "domain.name: needs the app in one account" in err
    assert "organizational_units" in err


def test_a_health_check_path_no_route_serves(project, out_dir, capsys):
    err = refused(project, out_dir, capsys, domain_config(health_check_path="/ping"))
    assert "domain.health_check_path: no route serves GET /ping" in err


def test_a_health_check_path_behind_an_authorizer(project, out_dir, capsys):
    raw = domain_config(health_check_path="/orders")
    raw["api"] = {
        "authorizers": {"users": {"issuer": "https://login.example.com", "audience": ["a"]}},
        "routes": {"GET /orders": {"authorizer": "users"}},
    }
    err = refused(project, out_dir, capsys, raw)
    assert (
        "domain.health_check_path: GET /orders is served by 'GET /orders', which needs a token"
        in err
    )


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ({"hosted_zone_id": None}, "domain.hosted_zone_id: is required with name"),
        ({"hosted_zone_account": None}, "domain.hosted_zone_account: is required with name"),
        ({"name": "API.example.com"}, "domain.name"),
        ({"name": "*.example.com"}, "domain.name"),
        ({"hosted_zone_id": "/hostedzone/Z0123"}, "domain.hosted_zone_id"),
    ],
)
def test_bad_domain_settings(project, out_dir, capsys, domain, expected):
    raw = domain_config()
    for key, value in domain.items():
        if value is None:
            raw["domain"].pop(key)
        else:
            raw["domain"][key] = value
    err = refused(project, out_dir, capsys, raw)
    assert expected in err, err


def test_zone_settings_without_a_name(project, out_dir, capsys):
    raw = minimal(routes=["GET /health"])
    raw["domain"] = {"hosted_zone_id": "Z0123456789EXAMPLE01"}
    err = refused(project, out_dir, capsys, raw)
    assert "domain.hosted_zone_id: is a setting of the custom domain: set name too" in err


def test_the_apps_account_must_be_known_to_check_the_zone(project, out_dir, capsys):
    """With no account named, the app runs in the pipeline's, which the config cannot
    compare with the zone's: it asks for it."""
    err = refused(project, out_dir, capsys, domain_config())
    assert "targets.central_account: is required with a domain" in err
    raw = domain_config({"central_account": ZONE_ACCOUNT})
    assert config.load(write_toml(project / "deployment.toml", raw)).domain.name
