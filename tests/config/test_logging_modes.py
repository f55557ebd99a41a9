"""`logging.mode`, `logging.subscription` and the centralization rule's settings: what
each mode needs is checked when the config loads, with the field and the fix named, and
nothing is written when it is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import config
from generator.config import centralization
from generator.config.models import Targets
from tests.config.support import minimal, run_cli, tree_digest, write_toml

ORG = "o-a1b2c3d4e5"


def logged(logging: dict[str, Any], **targets: Any) -> dict[str, Any]:
    data = minimal(routes=["GET /health"])
    data["logging"] = logging
    data["targets"] = {"regions": ["eu-west-1", "us-east-1"], **targets}
    return data


def load(project: Path, data: dict[str, Any]) -> config.Config:
    return config.load(write_toml(project / "deployment.toml", data))


def refusal(project: Path, data: dict[str, Any]) -> str:
    with pytest.raises(config.ConfigError) as caught:
        load(project, data)
    return "\n".join(caught.value.problems)


def test_the_firehose_path_with_a_filter_per_log_group_is_the_default(project: Path) -> None:
    logging = load(project, minimal(routes=["GET /health"])).logging
    assert (logging.mode, logging.subscription) == ("firehose", "log-group")
    assert logging.firehose and not logging.centralized


@pytest.mark.parametrize(
    "mode, firehose, centralized",
    [("firehose", True, False), ("centralization", False, True), ("both", True, True)],
)
def test_each_mode_names_its_paths(
    project: Path, mode: str, firehose: bool, centralized: bool
) -> None:
    logging = load(project, logged({"mode": mode}, organization_id=ORG)).logging
    assert (logging.firehose, logging.centralized) == (firehose, centralized)


def test_centralization_without_an_organization_names_the_field(
    project: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 and nothing written, with the field to set."""
    path = write_toml(project / "deployment.toml", logged({"mode": "centralization"}))
    before = tree_digest(out_dir)
    code, err = run_cli(path, out_dir, capsys)
    assert code == 2
    assert "targets.organization_id: is required with logging.mode = 'centralization'" in err
    assert "AWS Organizations" in err and "Traceback" not in err
    assert tree_digest(out_dir) == before


def test_a_region_without_the_rule_type_is_refused(project: Path) -> None:
    """af-south-1 offers the application (and the Powertools layer) but not the rule:
    cfn-lint's schemas say so, and the config says which region and what to do."""
    assert centralization.unavailable(["af-south-1", "eu-west-1"]) == ["af-south-1"]
    data = logged({"mode": "both"}, organization_id=ORG)
    data["targets"]["regions"] = ["eu-west-1", "af-south-1"]
    problems = refusal(project, data)
    assert "logging.mode: 'both' needs AWS::ObservabilityAdmin::OrganizationCentralizationRule" in (
        problems
    )
    assert "does not offer in af-south-1 (the resource schemas of cfn-lint " in problems
    assert "or use logging.mode = 'firehose'" in problems


def test_the_home_and_backup_regions_are_checked_too(project: Path) -> None:
    backup = {"mode": "centralization", "backup_region": "ap-east-1"}
    data = logged({**backup, "backup_key_arn": _backup_key("ap-east-1")}, organization_id=ORG)
    assert "does not offer in ap-east-1" in refusal(project, data)
    backup = {"mode": "centralization", "backup_region": "eu-west-1"}
    data = logged({**backup, "backup_key_arn": _backup_key("eu-west-1")}, organization_id=ORG)
    data["application"] = {"home_region": "eu-west-1"}
    assert "logging.backup_region: is the home region (eu-west-1)" in refusal(project, data)


def test_an_unknown_region_is_no_region_of_the_rule() -> None:
    """cfn-lint falls back to us-east-1's types for a region it does not know; the check
    does not."""
    assert centralization.unavailable(["xx-nowhere-1"]) == ["xx-nowhere-1"]


def test_the_firehose_path_settings_are_refused_without_it(project: Path) -> None:
    data = logged({"mode": "centralization", "subscription": "account"}, organization_id=ORG)
    assert "logging.subscription: applies to the Firehose path" in refusal(project, data)


@pytest.mark.parametrize("key", ["backup_region", "backup_key_arn"])
def test_the_rule_settings_are_refused_without_the_rule(project: Path, key: str) -> None:
    values = {
        "backup_region": "eu-central-1",
        "backup_key_arn": "arn:aws:kms:eu-central-1:999999999999:key/"
        "00000000-0000-0000-0000-000000000000",
    }
    data = logged({key: values[key]})
    assert f"logging.{key}: is a setting of the centralization rule" in refusal(project, data)


def test_the_backup_key_is_the_central_accounts_in_the_backup_region(project: Path) -> None:
    key = "arn:aws:kms:eu-central-1:111111111111:key/00000000-0000-0000-0000-000000000000"
    targets = {
        "organization_id": ORG,
        "accounts": ["222222222222"],
        "central_account": "999999999999",
    }
    data = logged(
        {"mode": "both", "backup_region": "eu-central-1", "backup_key_arn": key}, **targets
    )
    assert "belongs to account 111111111111" in refusal(project, data)
    data["logging"]["backup_region"] = "eu-north-1"
    assert "is a key of eu-central-1" in refusal(project, data)
    del data["logging"]["backup_region"]
    assert "backup_key_arn: needs backup_region" in refusal(project, data)


@pytest.mark.parametrize(
    "targets, expected",
    [
        ({}, "AccountId = '${AWS::AccountId}'"),
        (
            {"accounts": ["111111111111", "222222222222"], "central_account": "999999999999"},
            "AccountId = '111111111111' OR AccountId = '222222222222'",
        ),
        (
            {
                "permission_model": "SERVICE_MANAGED",
                "organizational_units": ["ou-ab12-11111111", "ou-ab12-22222222"],
                "organization_id": ORG,
                "central_account": "999999999999",
            },
            "OrganizationUnitId = 'ou-ab12-11111111' OR OrganizationUnitId = 'ou-ab12-22222222'",
        ),
    ],
    ids=["the-central-account", "accounts", "organizational-units"],
)
def test_the_scope_names_the_targets_with_equals_and_or(
    targets: dict[str, Any], expected: str
) -> None:
    assert centralization.scope(Targets.model_validate(targets)) == expected


def test_a_scope_over_the_rules_limit_is_refused(project: Path) -> None:
    """66 accounts fit the 2,000 characters of Scope; 67 do not."""
    accounts = [f"{100000000000 + i}" for i in range(67)]
    data = logged({"mode": "both"}, organization_id=ORG, accounts=accounts)
    data["targets"]["central_account"] = "999999999999"
    assert "Scope names each of the accounts and would have 2,006 characters" in (
        refusal(project, data)
    )
    data["targets"]["accounts"] = accounts[:66]
    assert load(project, data).logging.centralized


def test_the_selection_picks_the_applications_groups_in_oam_syntax() -> None:
    """Single quotes, a LIKE prefix ending in %, one OR of the five operands allowed."""
    text = centralization.selection("/aws/lambda/shop-", "/aws/http-api/shop")
    assert text == "LogGroupName LIKE '/aws/lambda/shop-%' OR LogGroupName = '/aws/http-api/shop'"
    assert text.count(" OR ") + text.count(" AND ") <= 5


def _backup_key(region: str, account: str = "123456789012") -> str:
    return f"arn:aws:kms:{region}:{account}:key/00000000-0000-0000-0000-000000000000"


def test_no_backup_copies_where_an_account_policy_would_send_them_again(project: Path) -> None:
    """The central account runs the application in us-east-1 with an account-level
    policy: backup copies there would travel the Firehose path a second time."""
    data = logged(
        {
            "mode": "both",
            "subscription": "account",
            "backup_region": "us-east-1",
            "backup_key_arn": _backup_key("us-east-1"),
        },
        organization_id=ORG,
    )
    assert "logging.backup_region: is a target region where the central account may run" in (
        refusal(project, data)
    )
    data["logging"]["subscription"] = "log-group"
    assert load(project, data).logging.backup_region == "us-east-1"
    data["logging"].update(
        subscription="account", backup_region="eu-north-1", backup_key_arn=_backup_key("eu-north-1")
    )
    assert load(project, data).logging.backup_region == "eu-north-1"


def test_the_central_account_may_be_in_a_target_ou(project: Path) -> None:
    """With OU targets the config cannot know whether the central account is in one of
    them, so a backup region among the targets is refused with account-level policies."""
    data = logged(
        {
            "mode": "both",
            "subscription": "account",
            "backup_region": "us-east-1",
            "backup_key_arn": _backup_key("us-east-1", "999999999999"),
        },
        organization_id=ORG,
        permission_model="SERVICE_MANAGED",
        organizational_units=["ou-ab12-11111111"],
        central_account="999999999999",
    )
    assert "logging.backup_region: is a target region where the central account may run" in (
        refusal(project, data)
    )


def test_a_backup_region_needs_its_key(project: Path) -> None:
    """The rule encrypts its copies with customer keys: the backup copies need one too."""
    data = logged({"mode": "centralization", "backup_region": "eu-north-1"}, organization_id=ORG)
    assert "logging.backup_key_arn: is required with backup_region" in refusal(project, data)
    data["logging"]["backup_key_arn"] = _backup_key("eu-north-1")
    assert load(project, data).logging.backup_key_arn == _backup_key("eu-north-1")


def test_a_multi_region_key_is_a_key(project: Path) -> None:
    key = "arn:aws:kms:eu-north-1:123456789012:key/mrk-" + "0123456789abcdef" * 2
    data = logged(
        {"mode": "centralization", "backup_region": "eu-north-1", "backup_key_arn": key},
        organization_id=ORG,
    )
    assert load(project, data).logging.backup_key_arn == key
    data["logging"]["backup_key_arn"] = key.replace("mrk-", "mrk-0")
    assert "logging.backup_key_arn" in refusal(project, data)
