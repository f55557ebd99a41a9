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

# What the role grants (actions, resources and conditions) at each VERSION. When it
# changes, raise generator.blocks.version_check.VERSION and record the new digest here.
RECORDED = {
    # 4: roles under the application's path; a version check per template
    4: "3f1df77ae2cdb57523d4e895ca4cf6f799e90f32b2471ae687d1ae511b6add65",
    # 5: account-level subscription filter policies (logging.subscription = "account")
    5: "be77e759db24c00711c46394fa87b2cad28eebaf602dc938c66140cd6239a5ad",
    # 6: custom domains (ACM certificates, API Gateway domain names and mappings, Route 53
    # records and health checks, API Gateway's service-linked role); data blocks (DynamoDB
    # tables, SQS queues and their event source mappings, schedules)
    6: "6dc447cce4a7a1c3f956c2d939a965364d0c6cc2e6369cacc846e295779d34d0",
    # 7: global tables (the data stacks, their keys through DynamoDB in any region,
    # DynamoDB's replication service-linked role)
    7: "554fa7afc412b22b154800d6356b1fc41a19b1ed4fcb1492cd5ad7b4be768f8b",
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
        f"/shop/requires/AWSCloudFormationStackSetExecutionRole/{version_check.VERSION}/"
        + name.removesuffix(".json")
    )
    for logical_id, resource in template["Resources"].items():
        if logical_id != version_check.CHECK_TITLE:
            assert version_check.CHECK_TITLE in resource.get("DependsOn", []), logical_id


def test_the_role_creates_only_checks_of_its_version_or_older(role_template):
    create = statements(role_template)["CreateVersionCheckUpToOwnVersion"]
    assert create["Action"] == ["ssm:PutParameter", "ssm:AddTagsToResource"]
    names = [r["Fn::Sub"].split("/")[-2:] for r in create["Resource"]]
    assert names == [[str(v), "*"] for v in range(1, version_check.VERSION + 1)]
    # Nothing else may create parameters there: the derived grants leave the check's type out.
    for sid, statement in statements(role_template).items():
        if sid != "CreateVersionCheckUpToOwnVersion":
            assert "ssm:PutParameter" not in statement["Action"], sid


def test_a_permission_change_raises_the_version(role_template):
    """A narrower resource is as much a change as a new action: an older role denies
    what the newer templates do (a role under the path, a check with its template)."""
    grants = sorted(
        json.dumps({k: v for k, v in s.items() if k != "Sid"}, sort_keys=True)
        for s in statements(role_template).values()
    )
    digest = hashlib.sha256(json.dumps(grants).encode()).hexdigest()
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


def test_templates_sharing_an_account_and_region_share_no_name(reference_build):
    """The default config puts the bootstrap and the app in one account and region: a
    name both templates set (an SSM parameter, an alarm, a log group) would fail the
    second stack with "already exists"."""
    from generator.permissions.resolve import NAME_PROPERTIES

    def named(file: str) -> set[tuple[str, str]]:
        template = json.loads(reference_build.files[file])
        return {
            (r["Type"], json.dumps(r["Properties"][NAME_PROPERTIES[r["Type"]]], sort_keys=True))
            for r in template["Resources"].values()
            if NAME_PROPERTIES.get(r["Type"]) in r.get("Properties", {})
        }

    assert named("app.json") & named("bootstrap.json") == set()
    assert any(kind == "AWS::SSM::Parameter" for kind, _ in named("app.json"))


def test_every_release_writes_the_version_check_again(write_config):
    """Its value is the digest of the rest of the template, so a role replaced by an
    older one since the last release is caught by the next update, not only the first."""

    def check(edit=None):
        built = generate(config_module.load(write_config(edit)))
        resource = json.loads(built.files["app.json"])["Resources"][version_check.CHECK_TITLE]
        return resource["Properties"]

    before = check()
    after = check(lambda raw: raw["functions"]["api"].update(memory=512))
    assert (
        before["Name"]
        == after["Name"]
        == (f"/shop/requires/AWSCloudFormationStackSetExecutionRole/{version_check.VERSION}/app")
    )
    assert before["Value"] != after["Value"]
    assert check()["Value"] == before["Value"]  # deterministic


def test_service_managed_stack_sets_have_no_role_to_check(write_config):
    """They deploy with the `stacksets-exec-*` role StackSets creates, not this one."""

    def edit(raw):
        raw["targets"].update(
            permission_model="SERVICE_MANAGED",
            organizational_units=["ou-ab12-11111111"],
            organization_id="o-a1b2c3d4e5",
            central_account="999999999999",
        )

    built = generate(config_module.load(write_config(edit)))
    assert version_check.CHECK_TITLE not in json.loads(built.files["app.json"])["Resources"]
    assert version_check.CHECK_TITLE in json.loads(built.files["bootstrap.json"])["Resources"]


def test_creates_api_gateways_service_linked_role_and_no_other(role_template):
    """A regional custom domain makes API Gateway create AWSServiceRoleForAPIGateway on
    the deployer's behalf; the role may create that one, for that one service."""
    slr = statements(role_template)["CreateAWSServiceRoleForAPIGateway"]
    assert slr["Action"] == ["iam:CreateServiceLinkedRole"]
    assert slr["Resource"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/"
            "ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway"
        }
    ]
    assert slr["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "ops.apigateway.amazonaws.com"}
    }
    others = [s for sid, s in statements(role_template).items() if s is not slr]
    assert not any("iam:CreateServiceLinkedRole" in s["Action"] for s in others)


def test_the_role_covers_custom_domains_the_config_does_not_use(role_template):
    """The reference config has no domain; its role can still create and delete one."""
    actions = granted(role_template)
    assert {
        "acm:RequestCertificate",
        "acm:DeleteCertificate",
        "route53:ChangeResourceRecordSets",
        "route53:CreateHealthCheck",
        "route53:DeleteHealthCheck",
        "apigateway:AddCertificateToDomain",
    } <= actions
    # The schema's private-CA calls are left out: the certificates are public.
    assert not {a for a in actions if a.startswith("acm-pca:")}
