"""The data blocks of the regional application: tables (and what grants use them)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from generator import config as config_module
from generator.build import Build, build
from tests.conftest import REFERENCE, resources_of_type, write_project

DATA: dict[str, Any] = {
    "tables": {
        "orders": {
            "partition_key": "pk",
            "sort_key": "sk",
            "ttl_attribute": "expires_at",
            "stream": "NEW_AND_OLD_IMAGES",
        },
        "ledger": {
            "partition_key": "id",
            "partition_key_type": "N",
            "billing": "provisioned",
            "read_capacity": 5,
            "write_capacity": 2,
            "deletion_protection": False,
        },
    },
}


@pytest.fixture(scope="session")
def data_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The reference application with every data block, built, checked and linted."""
    raw = copy.deepcopy(REFERENCE)
    raw.update(copy.deepcopy(DATA))
    return build(config_module.load(write_project(tmp_path_factory.mktemp("data"), raw)))


@pytest.fixture(scope="session")
def data_app(data_build: Build) -> dict[str, Any]:
    return json.loads(data_build.files["app.json"])


def test_a_table_is_regional_encrypted_recoverable_protected_and_kept(data_app) -> None:
    tables = resources_of_type(data_app, "AWS::DynamoDB::Table")
    assert set(tables) == {"OrdersTable", "LedgerTable"}
    assert not resources_of_type(data_app, "AWS::DynamoDB::GlobalTable")
    orders = tables["OrdersTable"]
    assert orders["DeletionPolicy"] == orders["UpdateReplacePolicy"] == "Retain"
    p = orders["Properties"]
    assert p["TableName"] == "shop-orders"
    assert p["BillingMode"] == "PAY_PER_REQUEST" and "ProvisionedThroughput" not in p
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert p["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Fn::GetAtt": ["DataKey", "Arn"]},
    }
    assert p["DeletionProtectionEnabled"] is True
    assert p["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert p["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert p["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_provisioned_capacity_and_options_follow_the_config(data_app) -> None:
    p = data_app["Resources"]["LedgerTable"]["Properties"]
    assert p["BillingMode"] == "PROVISIONED"
    assert p["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}
    assert p["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "N"}]
    assert p["DeletionProtectionEnabled"] is False
    assert "StreamSpecification" not in p and "TimeToLiveSpecification" not in p


def test_the_data_key_rotates_and_serves_dynamodb_only_through_the_service(data_app) -> None:
    key = data_app["Resources"]["DataKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    by_sid = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    through = by_sid["AccountUsesKeyThroughDynamodb"]
    assert through["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"
    }
    assert "kms:CreateGrant" in through["Action"]


def test_no_application_without_data_blocks_pays_for_a_data_key(app_template) -> None:
    assert "DataKey" not in app_template["Resources"]
