"""The regional application template: rollback wiring, versions, IAM, portability."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from policy_sentry.querying.actions import get_actions_that_support_wildcard_arns_only

from generator import config as config_module
from generator.build import build
from generator.config.regions import commercial_regions
from generator.stacks.app import function as function_parts
from tests.conftest import resources_of_type
from tests.support.policies import as_list, statements

ROLLBACK_EVENTS = {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"}


def ref(value):
    return value["Ref"] if isinstance(value, dict) and "Ref" in value else None


def getatt(value):
    return value.get("Fn::GetAtt") if isinstance(value, dict) else None


def test_no_transform_and_python311(app_template):
    assert "Transform" not in app_template
    functions = resources_of_type(app_template, "AWS::Lambda::Function")
    assert functions and all(f["Properties"]["Runtime"] == "python3.11" for f in functions.values())


def test_each_alias_is_wired_to_its_group_alarms_and_hook(app_template, reference_build):
    resources = app_template["Resources"]
    aliases = resources_of_type(app_template, "AWS::Lambda::Alias")
    assert len(aliases) == 1
    for alias in aliases.values():
        assert alias["Properties"]["Name"] == "live"
        function_id = ref(alias["Properties"]["FunctionName"])
        version_id, attribute = getatt(alias["Properties"]["FunctionVersion"])
        assert attribute == "Version"
        version = resources[version_id]
        assert version["Type"] == "AWS::Lambda::Version"
        assert ref(version["Properties"]["FunctionName"]) == function_id

        policy = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        application = resources[ref(policy["ApplicationName"])]
        assert application["Properties"]["ComputePlatform"] == "Lambda"
        group = resources[ref(policy["DeploymentGroupName"])]["Properties"]
        assert ref(group["ApplicationName"]) == ref(policy["ApplicationName"])
        assert group["DeploymentStyle"] == {
            "DeploymentType": "BLUE_GREEN",
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        }
        assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
        assert group["AutoRollbackConfiguration"]["Enabled"] is True
        assert set(group["AutoRollbackConfiguration"]["Events"]) == ROLLBACK_EVENTS

        alarm_ids = {ref(a["Name"]) for a in group["AlarmConfiguration"]["Alarms"]}
        assert group["AlarmConfiguration"]["Enabled"] is True
        watching = {
            k
            for k, a in resources_of_type(app_template, "AWS::CloudWatch::Alarm").items()
            if any(ref(d["Value"]) == function_id for d in a["Properties"].get("Dimensions", []))
        }
        # The deployment group judges the new version by its own errors and duration;
        # throttles (before a version is chosen) are the region's health, not the release's.
        metrics = {resources[a]["Properties"]["MetricName"]: a for a in watching}
        assert set(metrics) == {"Errors", "Throttles", "Duration"}
        assert alarm_ids == {metrics["Errors"], metrics["Duration"]}
        for alarm_id in alarm_ids:
            dims = {d["Name"]: d["Value"] for d in resources[alarm_id]["Properties"]["Dimensions"]}
            assert getatt(dims["ExecutedVersion"]) == [version_id, "Version"]
        (health,) = resources_of_type(app_template, "AWS::CloudWatch::CompositeAlarm").values()
        throttles = resources[metrics["Throttles"]]["Properties"]["AlarmName"]
        assert f'ALARM("{throttles}")' in health["Properties"]["AlarmRule"]

        hook = resources[ref(policy["BeforeAllowTrafficHook"])]
        assert hook["Type"] == "AWS::Lambda::Function"
        env = hook["Properties"]["Environment"]["Variables"]
        assert ref(env["TARGET_FUNCTION_ARN"]) == version_id
        assert env["HEALTH_PATH"] == "/health"
        hook_key = hook["Properties"]["Code"]["S3Key"]
        hook_asset = next(a for a in reference_build.assets if a.function == "pretraffic-hook")
        assert hook_key == hook_asset.key


def test_version_pins_code_and_is_retained(app_template, reference_build):
    versions = resources_of_type(app_template, "AWS::Lambda::Version")
    asset = next(a for a in reference_build.assets if a.function == "api")
    ((version_id, version),) = versions.items()
    assert version["DeletionPolicy"] == "Retain"
    assert version["Properties"]["CodeSha256"] == asset.code_sha256
    assert re.fullmatch(r"ApiVersion[0-9a-f]{10}", version_id)
    function = app_template["Resources"]["ApiFunction"]["Properties"]
    assert function["Code"]["S3Key"] == f"api/{asset.sha256_hex}.zip"
    assert function["Code"]["S3Bucket"] == {
        "Fn::Sub": [
            "shop-artifacts-${Account}-${AWS::Region}",
            {
                "Account": {
                    "Fn::If": [
                        "CentralAccountIsThisAccount",
                        {"Ref": "AWS::AccountId"},
                        {"Ref": "CentralAccountId"},
                    ]
                }
            },
        ]
    }


def _version_id(path: Path) -> str:
    template = json.loads(build(config_module.load(path), run_lint=False).files["app.json"])
    (version_id,) = resources_of_type(template, "AWS::Lambda::Version")
    return version_id


VERSIONED_CHANGES = {
    "memory": lambda raw, root: raw["functions"]["api"].update(memory=512),
    "timeout": lambda raw, root: raw["functions"]["api"].update(timeout=20),
    "environment": lambda raw, root: raw["functions"]["api"].update(environment={"FLAG": "on"}),
    "architecture": lambda raw, root: raw["functions"]["api"].update(architecture="x86_64"),
    "handler": lambda raw, root: raw["functions"]["api"].update(handler="app.other"),
    "code": lambda raw, root: (root / "functions" / "api" / "app.py").write_text(
        (root / "functions" / "api" / "app.py").read_text() + "\n# changed\n"
    ),
}
UNVERSIONED_CHANGES = {
    "reserved concurrency": lambda raw, root: raw["functions"]["api"].update(
        reserved_concurrency=5
    ),
    "alarm threshold": lambda raw, root: raw["alarms"].update(errors=3),
    "routes": lambda raw, root: raw["functions"]["api"].update(
        routes=["GET /health", "GET /hello"]
    ),
    "log retention": lambda raw, root: raw["application"].update(log_retention_days=90),
    "strategy": lambda raw, root: raw["deployment"].update(
        strategy="CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
    ),
}


@pytest.mark.parametrize("change", sorted(VERSIONED_CHANGES))
def test_version_id_changes_with_code_and_versioned_config(change, write_config, tmp_path):
    baseline = _version_id(write_config())
    path = write_config(lambda raw: VERSIONED_CHANGES[change](raw, tmp_path))
    assert _version_id(path) != baseline


@pytest.mark.parametrize("change", sorted(UNVERSIONED_CHANGES))
def test_version_id_stays_without_versioned_change(change, write_config, tmp_path):
    baseline = _version_id(write_config())
    path = write_config(lambda raw: UNVERSIONED_CHANGES[change](raw, tmp_path))
    assert _version_id(path) == baseline


def test_version_id_changes_with_runtime_and_layers(write_config, monkeypatch):
    path = write_config()
    baseline = _version_id(path)
    monkeypatch.setattr(function_parts, "RUNTIME", "python3.12")
    assert _version_id(path) != baseline
    monkeypatch.undo()
    monkeypatch.setattr("generator.blocks.layers.POWERTOOLS_VERSION", "3.38.0")
    assert _version_id(path) != baseline


def test_resource_star_only_for_wildcard_only_actions(app_template):
    checked = 0
    for resource, where, statement in statements(app_template):
        if where == "KeyPolicy":
            continue  # in a key policy, Resource "*" means the key itself
        if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
            continue
        for action in as_list(statement["Action"]):
            service = action.split(":")[0]
            assert action in get_actions_that_support_wildcard_arns_only(service), (
                f"{resource} {where} {statement.get('Sid')}: {action} on '*'"
            )
            checked += 1
        assert statement["Sid"].endswith("WildcardOnly")
    assert checked > 0  # the X-Ray statements are the expected wildcard-only grants


def test_hook_invokes_only_its_function_versions(app_template):
    policy = app_template["Resources"]["ApiHookRole"]["Properties"]["Policies"][0]
    invoke = next(
        s for s in policy["PolicyDocument"]["Statement"] if s["Action"] == ["lambda:InvokeFunction"]
    )
    assert invoke["Resource"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:"
            "${AWS::AccountId}:function:shop-api:*"
        }
    ]


@pytest.mark.parametrize("name", ["app.json", "bootstrap.json"])
def test_regional_templates_have_no_region_or_account_literals(name, reference_build):
    regions = "|".join(map(re.escape, commercial_regions()))
    body = reference_build.files[name]
    assert not re.search(rf"\b({regions})\b", body)
    assert not re.search(r"\b\d{12}\b", body)


def test_every_alias_has_an_api_permission_scoped_to_the_api(app_template):
    (permission,) = resources_of_type(app_template, "AWS::Lambda::Permission").values()
    assert ref(permission["Properties"]["FunctionName"]) == "ApiAliasLive"
    assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    text, variables = permission["Properties"]["SourceArn"]["Fn::Sub"]
    assert text == "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiId}/*"
    assert variables == {"ApiId": {"Ref": "HttpApi"}}


def test_a_parameter_change_publishes_a_new_version(app_template):
    """Description is create-only on a Version: the parameter values in it make a
    changed log level (a region override) replace the version, and so deploy it."""
    (version,) = resources_of_type(app_template, "AWS::Lambda::Version").values()
    description = version["Properties"]["Description"]["Fn::Sub"]
    assert description.endswith(" CentralAccountId=${CentralAccountId} LogLevel=${LogLevel}")
    assert version["UpdateReplacePolicy"] == "Retain"


def test_config_grants_reach_only_their_function(write_config):
    from generator.checks import iam_audit

    table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"
    path = write_config(
        lambda raw: raw["functions"]["api"].update(
            permissions=[
                {"actions": ["dynamodb:GetItem", "dynamodb:putitem"], "resources": [table]},
                {"actions": ["cloudwatch:PutMetricData"], "resources": ["*"]},
            ]
        )
    )
    template = json.loads(build(config_module.load(path)).files["app.json"])
    statements = template["Resources"]["ApiRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    granted = {s["Sid"]: s for s in statements}
    assert granted["ConfigGrant1"]["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert granted["ConfigGrant1"]["Resource"] == [{"Fn::Sub": table}]
    assert granted["ConfigGrant2WildcardOnly"]["Resource"] == ["*"]
    hook = template["Resources"]["ApiHookRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert "dynamodb:GetItem" not in json.dumps(hook)
    assert iam_audit.check(template) == []


def test_hook_checks_each_function_the_way_it_is_called(write_config):
    """A routed function gets an HTTP request to its health path; a routeless one the
    check event (an HTTP request would answer 404 and roll every release back)."""

    def edit(raw):
        raw["functions"]["worker"] = {"source": "functions/worker"}

    template = json.loads(
        build(config_module.load(write_config(edit)), run_lint=False).files["app.json"]
    )
    api = template["Resources"]["ApiHook"]["Properties"]["Environment"]["Variables"]
    worker = template["Resources"]["WorkerHook"]["Properties"]["Environment"]["Variables"]
    assert (api["CHECK_KIND"], api["HEALTH_PATH"]) == ("http", "/health")
    assert worker["CHECK_KIND"] == "invoke" and "HEALTH_PATH" not in worker
    assert worker["TARGET_FUNCTION_ARN"] == {
        "Ref": next(k for k in template["Resources"] if k.startswith("WorkerVersion"))
    }


def test_account_targets_subscribe_without_a_role(app_template):
    assert not resources_of_type(app_template, "AWS::IAM::Role").get("LogSubscriptionRole")
    for subscription in resources_of_type(app_template, "AWS::Logs::SubscriptionFilter").values():
        assert "RoleArn" not in subscription["Properties"]


def test_organization_targets_subscribe_with_a_sender_role(write_config):
    """A destination that admits an organization needs a role of the sender's account on
    every subscription filter, allowed to put events to the subscribed groups only."""

    def edit(raw):
        raw["targets"].update(
            permission_model="SERVICE_MANAGED",
            organizational_units=["ou-abcd-12345678"],
            organization_id="o-a1b2c3d4e5",
            central_account="999999999999",
        )

    template = json.loads(build(config_module.load(write_config(edit))).files["app.json"])
    subscriptions = resources_of_type(template, "AWS::Logs::SubscriptionFilter")
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    assert len(subscriptions) == len(groups) == 3
    for subscription in subscriptions.values():
        assert subscription["Properties"]["RoleArn"] == {
            "Fn::GetAtt": ["LogSubscriptionRole", "Arn"]
        }
    role = template["Resources"]["LogSubscriptionRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "logs.amazonaws.com"}
    assert "aws:SourceArn" in trust["Condition"]["ArnLike"]
    (put,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert put["Action"] == ["logs:PutLogEvents"]
    assert sorted(r["Fn::GetAtt"][0] for r in put["Resource"]) == sorted(groups)
