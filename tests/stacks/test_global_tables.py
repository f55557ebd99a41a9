"""Global tables: each region's key (data-keys.json), the tables in the home region
(data.json), the app stacks' use of their region's replica, the pipeline's order, and the
deployer's permissions."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from generator import config as config_module
from generator.build import Build, build
from generator.permissions import deployer
from generator.stacks import specs
from tests.conftest import REFERENCE, resources_of_type, write_project
from tests.stacks.test_execution_role import granted, statements

REGIONS = REFERENCE["targets"]["regions"]


def _with_global_tables(raw: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    raw["tables"] = {
        "ledger": {
            "partition_key": "account",
            "sort_key": "entry",
            "sort_key_type": "N",
            "replication": "global",
            "stream": "NEW_AND_OLD_IMAGES",
            "ttl_attribute": "expires_at",
        },
        "sessions": {"partition_key": "id"},
    }
    raw["functions"]["api"]["uses"] = [
        {"table": "ledger", "access": "read"},
        {"table": "sessions", "access": "read-write"},
    ]
    raw["functions"]["writer"] = {
        "source": "functions/writer",
        "uses": [{"table": "ledger", "access": "write"}],
    }
    return raw


@pytest.fixture(scope="session")
def global_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The reference application with a global and a regional table, built, checked and
    linted (data.json in the home region, data-keys.json in every target region)."""
    path = write_project(tmp_path_factory.mktemp("global"), _with_global_tables(REFERENCE))
    return build(config_module.load(path))


@pytest.fixture(scope="session")
def templates(global_build: Build) -> dict[str, dict[str, Any]]:
    return {name: json.loads(text) for name, text in global_build.files.items()}


def test_only_a_config_with_a_global_table_has_the_data_templates(
    global_build: Build, reference_build: Build, reference_path
) -> None:
    assert {"data-keys.json", "data.json"} <= set(global_build.files)
    assert not {"data-keys.json", "data.json"} & set(reference_build.files)
    assert [s.file for s in specs(config_module.load(reference_path))] == [
        "app.json",
        "bootstrap.json",
        "logging.json",
        "stackset-execution-role.json",
        "pipeline.json",
    ]


def test_the_global_table_has_a_recoverable_protected_replica_in_every_region(templates) -> None:
    (title, table), *others = resources_of_type(
        templates["data.json"], "AWS::DynamoDB::GlobalTable"
    ).items()
    assert not others and title == "LedgerGlobalTable"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    properties = table["Properties"]
    assert properties["TableName"] == "shop-ledger"
    # The type's default billing mode is PROVISIONED.
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert properties["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }
    assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert properties["KeySchema"] == [
        {"AttributeName": "account", "KeyType": "HASH"},
        {"AttributeName": "entry", "KeyType": "RANGE"},
    ]
    replicas = {r["Region"]: r for r in properties["Replicas"]}
    assert sorted(replicas) == sorted(REGIONS)  # the home region (the stack's) among them
    for region, replica in replicas.items():
        assert replica["DeletionProtectionEnabled"] is True
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        # A key "must be created in the same region as the replica": its region's alias.
        assert replica["SSESpecification"]["KMSMasterKeyId"] == {
            "Fn::Sub": f"arn:${{AWS::Partition}}:kms:{region}:${{AWS::AccountId}}:"
            "alias/shop-global-data"
        }
        assert {"Key": "application", "Value": "shop"} in replica["Tags"]


def test_the_regional_table_stays_in_the_app_stack(templates) -> None:
    assert list(resources_of_type(templates["app.json"], "AWS::DynamoDB::Table")) == [
        "SessionsTable"
    ]
    assert not resources_of_type(templates["app.json"], "AWS::DynamoDB::GlobalTable")
    assert not resources_of_type(templates["data.json"], "AWS::DynamoDB::Table")


def test_each_regions_key_rotates_and_serves_only_dynamodb_of_this_account(templates) -> None:
    keys = templates["data-keys.json"]
    (key,) = resources_of_type(keys, "AWS::KMS::Key").values()
    (alias,) = resources_of_type(keys, "AWS::KMS::Alias").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    assert alias["Properties"]["AliasName"] == "alias/shop-global-data"
    # Replicas keep their key: a stack created again must not move the alias to a new one.
    assert (alias["DeletionPolicy"], alias["UpdateReplacePolicy"]) == ("Retain", "Retain")
    policy = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    use = policy["AccountUsesKeyThroughDynamoDBInAnyRegion"]
    # DynamoDB calls KMS across regions for a global table: "dynamodb.*.amazonaws.com".
    assert use["Condition"] == {
        "StringEquals": {"kms:CallerAccount": {"Ref": "AWS::AccountId"}},
        "StringLike": {"kms:ViaService": "dynamodb.*.amazonaws.com"},
    }
    assert {"kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"} <= set(
        use["Action"]
    )
    assert set(policy) == {"AccountAdministersKey", "AccountUsesKeyThroughDynamoDBInAnyRegion"}


def _role_statements(template: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    policy = template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]
    return {s["Sid"]: s for s in policy["Statement"]}


def test_a_function_uses_exactly_its_regions_replica_and_key(templates) -> None:
    app = templates["app.json"]
    api, writer = _role_statements(app, "ApiRole"), _role_statements(app, "WriterRole")
    replica = {
        "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:"
        "table/shop-ledger"
    }
    assert api["UsesLedgerTable"]["Resource"] == [replica]
    assert "dynamodb:PutItem" not in api["UsesLedgerTable"]["Action"]
    assert "dynamodb:PutItem" in writer["UsesLedgerTable"]["Action"]
    key = api["UsesLedgerTableKey"]
    assert key["Action"] == ["kms:Decrypt"]
    assert key["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"}
    ]
    assert key["Condition"] == {
        "StringEquals": {
            "kms:ViaService": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"},
            "kms:EncryptionContext:aws:dynamodb:tableName": "shop-ledger",
        },
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/shop-global-data"},
    }
    assert sorted(writer["UsesLedgerTableKey"]["Action"]) == [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    ]
    variables = app["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["TABLE_LEDGER"] == "shop-ledger"
    assert variables["TABLE_SESSIONS"] == {"Ref": "SessionsTable"}


def test_the_pipeline_deploys_keys_then_tables_before_any_code(templates) -> None:
    pipeline = templates["pipeline.json"]["Resources"]["Pipeline"]["Properties"]
    stages = [s["Name"] for s in pipeline["Stages"]]
    foundation = next(s for s in pipeline["Stages"] if s["Name"] == "Foundation")
    assert stages.index("Foundation") < stages.index("Publish") < stages.index("Rollout")
    actions = sorted(foundation["Actions"], key=lambda a: a["RunOrder"])
    assert [(a["Name"], a["RunOrder"]) for a in actions] == [
        ("Logging", 1),
        ("ReadyBootstrap", 2),
        ("BootstrapStackSet", 3),
        ("ReadyDataKeys", 4),
        ("DataKeysStackSet", 5),
        ("ReadyData", 6),
        ("DataStackSet", 7),
    ]
    keys, data = actions[4]["Configuration"], actions[6]["Configuration"]
    assert (keys["StackSetName"], data["StackSetName"]) == ("shop-data-keys", "shop-data")
    assert keys["Regions"].split(",") == REGIONS
    assert data["Regions"] == "eu-west-1"  # the home region alone: one stack owns the table
    assert keys["TemplatePath"].endswith("/data-keys.json")
    assert "Parameters" not in keys and "Parameters" not in data
    for configuration in (keys, data):
        assert configuration["PermissionModel"] == "SELF_MANAGED"
        assert configuration["ExecutionRoleName"] == "AWSCloudFormationStackSetExecutionRole"


def test_the_pipeline_and_the_gate_may_run_and_watch_the_data_stack_sets(templates) -> None:
    text = json.dumps(templates["pipeline.json"]) + json.dumps(templates["logging.json"])
    for name in ("shop-data-keys", "shop-data"):
        assert f"stackset/{name}:*" in text
    rule = templates["logging.json"]["Resources"]["ForwardStackSetEvents"]["Properties"]
    prefixes = json.dumps(rule["EventPattern"]["detail"]["stack-set-arn"])
    assert "shop-data-keys" in prefixes and "shop-data:" in prefixes


def test_the_daily_drift_check_leaves_the_data_stack_sets_out(templates) -> None:
    """Each replica names its key by alias, which drift detection compares with the key
    id DynamoDB reports: the data stack sets would always read as drifted."""
    schedules = resources_of_type(templates["logging.json"], "AWS::Scheduler::Schedule")
    text = json.dumps(schedules)
    assert "shop-app" in text and "shop-bootstrap" in text
    assert "shop-data" not in text


def test_the_execution_role_may_create_replicas_in_any_region_and_the_replication_role(
    templates,
) -> None:
    role = templates["stackset-execution-role.json"]
    actions = granted(role)
    assert {
        "dynamodb:CreateTableReplica",
        "dynamodb:DeleteTableReplica",
        "dynamodb:UpdateTable",
    } <= actions
    found = statements(role)
    slr = found["CreateAWSServiceRoleForDynamoDBReplication"]
    assert slr["Action"] == ["iam:CreateServiceLinkedRole"]
    assert slr["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "replication.dynamodb.amazonaws.com"}
    }
    keys = found["UseGlobalDataKeysThroughDynamoDB"]
    assert keys["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"}]
    assert keys["Condition"]["ForAnyValue:StringEquals"] == {
        "kms:ResourceAliases": "alias/shop-global-data"
    }
    tables = [
        s
        for s in found.values()
        if any(str(a).startswith("dynamodb:CreateTableReplica") for a in s["Action"])
    ]
    assert tables and all(
        r == {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:*"}
        for s in tables
        for r in s["Resource"]
    )


def test_the_schemas_wildcards_are_granted_as_the_actions_they_match(templates) -> None:
    """GlobalTable's handlers list `dynamodb:Describe*`; adding a replica calls
    DescribeLimits ("Required for replica table creation")."""
    actions = granted(templates["stackset-execution-role.json"])
    assert {
        "dynamodb:DescribeLimits",
        "dynamodb:DescribeTableReplicaAutoScaling",
        "application-autoscaling:DescribeScalableTargets",
    } <= actions
    _, unknown = deployer.required_actions([templates["data.json"]])
    assert not [a for a in unknown if "*" in a]


def test_every_data_stack_checks_the_execution_roles_version(templates) -> None:
    for name, file in (("data-keys", "data-keys.json"), ("data", "data.json")):
        check = templates[file]["Resources"]["ExecutionRoleVersionCheck"]["Properties"]
        assert check["Name"].endswith(f"/{name}")


def test_the_cli_inputs_deploy_the_keys_everywhere_and_the_tables_at_home(global_build) -> None:
    files = global_build.files
    keys = json.loads(files["stacksets/data-keys.instances.json"])
    data = json.loads(files["stacksets/data.instances.json"])
    assert keys["Regions"] == REGIONS
    assert data["Regions"] == ["eu-west-1"]
    assert json.loads(files["stacksets/data.stack-set.json"])["StackSetName"] == "shop-data"
