"""The StackSet execution role: what StackSets needs, what the regional templates can
hold, and the version check that stops a stale role at the first resource."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from generator import config as config_module
from generator.blocks import version_check
from generator.build import generate
from generator.checks import iam_audit
from generator.permissions import iam_data
from tests.conftest import resources_of_type

# The action set of the role at each VERSION. When the permissions change, raise
# generator.blocks.version_check.VERSION and record the new set's digest here.
RECORDED = {
    2: "d0ca8b717cd7b57e0a70ff6651a28ad4cfc2455027637bff1d06d01a7b0f0484",
    3: "9089d54bef904c050f73568d5277845345354b515536a35d2b74cfd4cfbf6591",  # composite alarms
}


@pytest.fixture(scope="module")
def role_template(reference_build) -> dict[str, Any]:
    return json.loads(reference_build.files["stackset-execution-role.json"])


def statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        s["Sid"]: s
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    }


def granted(template: dict[str, Any]) -> set[str]:
    return {a for s in statements(template).values() for a in s["Action"]}


def test_trusts_only_the_administration_role(role_template):
    role = role_template["Resources"]["ExecutionRole"]["Properties"]
    assert role["RoleName"] == "AWSCloudFormationStackSetExecutionRole"
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"]["StringEquals"]["aws:PrincipalArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AdministratorAccountId}:role/"
        "AWSCloudFormationStackSetAdministrationRole"
    }
    assert iam_audit.check(role_template) == []


def test_runs_cloudformation_on_the_instance_stacks_only(role_template):
    """StackSets creates, updates, deletes and describes each instance's stack with this
    role; the writes reach only this application's instance stacks."""
    run = statements(role_template)["RunInstanceStacks"]
    assert run["Resource"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:"
            "stack/StackSet-shop-*/*"
        }
    ]
    for action in (
        "cloudformation:CreateStack",
        "cloudformation:UpdateStack",
        "cloudformation:DeleteStack",
        "cloudformation:DescribeStacks",
        "cloudformation:DescribeStackEvents",
        "cloudformation:GetTemplate",
    ):
        assert action in run["Action"]
    assert set(run["Action"]) == set(iam_data.actions_on("cloudformation", "stack"))
    reads = statements(role_template)["ReadCloudFormationWildcardOnly"]
    assert "cloudformation:ValidateTemplate" in reads["Action"]
    assert all(iam_data.access_level(a) in ("Read", "List") for a in reads["Action"])


def test_s3_for_stacksets_as_documented_but_never_this_accounts_buckets(role_template):
    s3 = statements(role_template)["StackSetsNotifyInstanceStateDocumentedWildcard"]
    assert (s3["Action"], s3["Resource"]) == (["s3:*"], ["*"])
    assert s3["Condition"] == {
        "StringNotEquals": {"aws:ResourceAccount": {"Fn::Sub": "${AWS::AccountId}"}}
    }
    assert "StackSetsNotifyInstanceStateDocumentedWildcard" in iam_audit.DOCUMENTED_WILDCARDS
    others = {sid: s for sid, s in statements(role_template).items() if s is not s3}
    assert not any(a.endswith("*") for s in others.values() for a in s["Action"])


@pytest.mark.parametrize("name", ["app.json", "bootstrap.json"])
def test_regional_templates_check_the_role_version_first(name, reference_build):
    template = reference_build.data[name]
    check = template["Resources"][version_check.CHECK_TITLE]
    assert check["Type"] == "AWS::SSM::Parameter"
    assert check["Properties"]["Name"] == (
        f"/shop/requires/AWSCloudFormationStackSetExecutionRole/{version_check.VERSION}"
    )
    for logical_id, resource in template["Resources"].items():
        if logical_id != version_check.CHECK_TITLE:
            assert version_check.CHECK_TITLE in resource.get("DependsOn", []), logical_id


def test_the_role_creates_only_checks_of_its_version_or_older(role_template):
    create = statements(role_template)["CreateVersionCheckUpToOwnVersion"]
    assert create["Action"] == ["ssm:PutParameter", "ssm:AddTagsToResource"]
    names = [r["Fn::Sub"].rsplit("/", 1)[1] for r in create["Resource"]]
    assert names == [str(v) for v in range(1, version_check.VERSION + 1)]
    # Nothing else may create parameters there: the derived grants leave the check's type out.
    for sid, statement in statements(role_template).items():
        if sid != "CreateVersionCheckUpToOwnVersion":
            assert "ssm:PutParameter" not in statement["Action"], sid


def test_a_permission_change_raises_the_version(role_template):
    digest = hashlib.sha256(json.dumps(sorted(granted(role_template))).encode()).hexdigest()
    assert RECORDED.get(version_check.VERSION) == digest, (
        "the execution role's actions changed: raise version_check.VERSION and record "
        f"the new digest {digest!r} in RECORDED"
    )


def test_the_role_covers_features_the_config_does_not_use(write_config):
    """Removing a feature must still be able to delete its resources: the role covers
    every type a regional template can hold, whatever the config."""

    def routeless(raw):
        raw["functions"]["api"]["routes"] = []
        raw["functions"]["api"]["health_path"] = "/health"

    without = generate(config_module.load(write_config(routeless)))
    assert not resources_of_type(without.data["app.json"], "AWS::ApiGatewayV2::Route")
    actions = granted(without.data["stackset-execution-role.json"])
    assert {"apigateway:DELETE", "iam:DeleteRole", "lambda:DeleteFunction"} <= actions
