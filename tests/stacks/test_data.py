"""The data blocks of the regional application: tables, queues and their triggers,
schedules."""

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
    "queues": {
        "jobs": {
            "consumer": "worker",
            "batch_size": 50,
            "batching_window_seconds": 5,
            "maximum_concurrency": 4,
            "max_receive_count": 3,
        },
        "outbox": {},
    },
    "schedules": {
        "nightly": {
            "function": "worker",
            "expression": "cron(0 3 * * ? *)",
            "timezone": "Europe/Paris",
            "flexible_window_minutes": 15,
            "maximum_retry_attempts": 5,
            "maximum_event_age_seconds": 600,
        },
        "tick": {"function": "api", "expression": "rate(5 minutes)"},
    },
}
WORKER = {
    "source": "functions/worker",
    "timeout": 30,
    "uses": [
        {"table": "orders", "access": "read-write"},
        {"queue": "outbox", "access": "send"},
    ],
}
API_USES = [{"table": "orders", "access": "read"}, {"queue": "jobs", "access": "consume"}]


@pytest.fixture(scope="session")
def data_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The reference application with every data block, built, checked and linted."""
    raw = copy.deepcopy(REFERENCE)
    raw.update(copy.deepcopy(DATA))
    raw["functions"]["worker"] = dict(WORKER)
    raw["functions"]["api"]["uses"] = list(API_USES)
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


def _statements(template: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    policy = template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]
    return {s["Sid"]: s for s in policy["Statement"]}


def test_a_queue_is_encrypted_and_redrives_to_a_dead_letter_queue_of_its_own(data_app) -> None:
    resources = data_app["Resources"]
    jobs, dead = resources["JobsQueue"]["Properties"], resources["JobsQueueDeadLetters"]
    assert jobs["QueueName"] == "shop-jobs"
    assert (
        jobs["KmsMasterKeyId"]
        == dead["Properties"]["KmsMasterKeyId"]
        == {"Fn::GetAtt": ["DataKey", "Arn"]}
    )
    assert jobs["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["JobsQueueDeadLetters", "Arn"]},
        "maxReceiveCount": 3,
    }
    assert dead["Properties"]["RedriveAllowPolicy"] == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [
            {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:shop-jobs"}
        ],
    }
    # Six times the consumer's timeout, plus the batching window (Lambda's advice).
    assert jobs["VisibilityTimeout"] == 6 * 30 + 5
    assert resources["OutboxQueue"]["Properties"]["VisibilityTimeout"] == 30


def test_dead_letters_count_in_the_regions_health(data_app) -> None:
    resources = data_app["Resources"]
    alarm = resources["JobsDeadLettersAlarm"]["Properties"]
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["JobsQueueDeadLetters", "QueueName"]}}
    ]
    health = resources["HealthAlarm"]
    for name in ("shop-queue-jobs-dead-letters", "shop-queue-outbox-dead-letters"):
        assert f'ALARM("{name}")' in health["Properties"]["AlarmRule"]
    assert "JobsDeadLettersAlarm" in health["DependsOn"]


def test_a_consumed_queue_invokes_the_live_alias_in_partial_batches(data_app) -> None:
    (mapping,) = resources_of_type(data_app, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"] == {
        **mapping["Properties"],
        "EventSourceArn": {"Fn::GetAtt": ["JobsQueue", "Arn"]},
        "FunctionName": {"Ref": "WorkerAliasLive"},
        "BatchSize": 50,
        "MaximumBatchingWindowInSeconds": 5,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": 4},
    }


def test_the_consumer_role_polls_exactly_its_queue_as_lambda_documents(data_app) -> None:
    statements = _statements(data_app, "WorkerRole")
    poll = statements["TriggerJobsQueue"]
    assert sorted(poll["Action"]) == [
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    ]
    assert poll["Resource"] == [{"Fn::GetAtt": ["JobsQueue", "Arn"]}]
    key = statements["TriggerJobsQueueKey"]
    assert key["Action"] == ["kms:Decrypt"]
    assert key["Condition"]["StringEquals"] == {
        "kms:ViaService": {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"},
        "kms:EncryptionContext:aws:sqs:arn": {"Fn::GetAtt": ["JobsQueue", "Arn"]},
    }
    assert not any("Jobs" in sid for sid in statements if not sid.startswith("TriggerJobs"))


def test_a_schedule_invokes_the_live_alias_with_retries_and_dead_letters(data_app) -> None:
    resources = data_app["Resources"]
    nightly = resources["NightlySchedule"]["Properties"]
    assert nightly["GroupName"] == {"Ref": "ScheduleGroup"}
    assert resources["ScheduleGroup"]["Properties"]["Name"] == "shop-schedules"
    assert nightly["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert nightly["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert nightly["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    target = nightly["Target"]
    assert target["Arn"] == {"Ref": "WorkerAliasLive"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["NightlyScheduleRole", "Arn"]}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 600, "MaximumRetryAttempts": 5}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["SchedulesDeadLetters", "Arn"]}}
    assert json.loads(target["Input"])["schedule"] == "nightly"
    tick = resources["TickSchedule"]["Properties"]
    assert tick["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert tick["Target"]["Arn"] == {"Ref": "ApiAliasLive"}
    assert (
        'ALARM("shop-schedules-dead-letters")'
        in resources["HealthAlarm"]["Properties"]["AlarmRule"]
    )


def test_a_schedule_role_invokes_only_its_alias_and_trusts_only_the_group(data_app) -> None:
    role = data_app["Resources"]["NightlyScheduleRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Fn::Sub": "${AWS::AccountId}"}},
        "ArnEquals": {
            "aws:SourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}"
                ":schedule-group/shop-schedules"
            }
        },
    }
    statements = _statements(data_app, "NightlyScheduleRole")
    assert statements["InvokeLiveAlias"]["Action"] == ["lambda:InvokeFunction"]
    assert statements["InvokeLiveAlias"]["Resource"] == [{"Ref": "WorkerAliasLive"}]
    assert statements["SendDeadLetters"]["Resource"] == [
        {"Fn::GetAtt": ["SchedulesDeadLetters", "Arn"]}
    ]
    assert set(statements) == {"InvokeLiveAlias", "SendDeadLetters", "SendDeadLettersKey"}


def test_a_scheduled_functions_own_failures_reach_the_dead_letter_queue(data_app) -> None:
    """Scheduler invokes asynchronously: a job that raises is retried by Lambda, then sent
    to the live alias's on-failure destination, with the function's role."""
    resources = data_app["Resources"]
    configs = resources_of_type(data_app, "AWS::Lambda::EventInvokeConfig")
    by_function = {c["Properties"]["FunctionName"]["Ref"]: c for c in configs.values()}
    assert set(by_function) == {"WorkerFunction", "ApiFunction"}  # each scheduled function
    for title, config in by_function.items():
        properties = config["Properties"]
        alias = title.removesuffix("Function") + "AliasLive"
        assert properties["Qualifier"] == resources[alias]["Properties"]["Name"] == "live"
        assert alias in config["DependsOn"]
        assert properties["MaximumRetryAttempts"] == 2
        destination = properties["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination == {"Fn::GetAtt": ["SchedulesDeadLetters", "Arn"]}
        role = title.removesuffix("Function") + "Role"
        sent = _statements(data_app, role)["SendFailedInvocations"]
        assert sent["Action"] == ["sqs:SendMessage"] and sent["Resource"] == [destination]


def test_uses_grant_exactly_each_access_level_on_exactly_that_resource(data_app) -> None:
    api = _statements(data_app, "ApiRole")
    read = api["UsesOrdersTable"]
    assert read["Resource"] == [{"Fn::GetAtt": ["OrdersTable", "Arn"]}]
    assert sorted(read["Action"]) == [
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
    ]
    assert api["UsesOrdersTableKey"]["Action"] == ["kms:Decrypt"]
    assert api["UsesOrdersTableKey"]["Condition"]["StringEquals"] == {
        "kms:ViaService": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"},
        "kms:EncryptionContext:aws:dynamodb:tableName": "shop-orders",
    }
    consume = api["UsesJobsQueue"]
    assert consume["Resource"] == [{"Fn::GetAtt": ["JobsQueue", "Arn"]}]
    assert sorted(consume["Action"]) == [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    ]
    worker = _statements(data_app, "WorkerRole")
    write = set(worker["UsesOrdersTable"]["Action"])
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= write
    assert "dynamodb:GetItem" in write
    assert sorted(worker["UsesOrdersTableKey"]["Action"]) == [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    ]
    assert worker["UsesOutboxQueue"]["Action"] == ["sqs:SendMessage"]
    assert worker["UsesOutboxQueue"]["Resource"] == [{"Fn::GetAtt": ["OutboxQueue", "Arn"]}]
    assert sorted(worker["UsesOutboxQueueKey"]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert not any("Ledger" in sid for sid in [*api, *worker])


def test_the_environment_carries_the_names_of_what_a_function_uses(data_app) -> None:
    resources = data_app["Resources"]
    api = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert api["TABLE_ORDERS"] == {"Ref": "OrdersTable"}
    assert api["QUEUE_JOBS"] == {"Fn::GetAtt": ["JobsQueue", "QueueName"]}
    assert api["QUEUE_JOBS_URL"] == {"Ref": "JobsQueue"}
    worker = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert worker["TABLE_ORDERS"] == {"Ref": "OrdersTable"}
    assert "TABLE_LEDGER" not in worker and "QUEUE_JOBS" not in worker


def test_each_hook_checks_its_function_the_ways_it_is_called(data_app) -> None:
    resources = data_app["Resources"]
    worker = resources["WorkerHook"]["Properties"]["Environment"]["Variables"]
    assert worker["CHECK_KIND"] == "sqs,schedule"
    # Names and the ARN prefix they complete (a function's variables take at most 4 KB).
    assert worker["CHECK_QUEUES"] == "shop-jobs"
    assert worker["CHECK_QUEUE_ARN_PREFIX"] == {
        "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
    }
    queue = resources["JobsQueue"]["Properties"]["QueueName"]
    assert queue == worker["CHECK_QUEUES"]  # the prefix and the name: the queue's ARN
    assert worker["CHECK_SCHEDULES"] == "nightly"
    assert worker["CHECK_SCHEDULE_ARN_PREFIX"] == {
        "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}"
        ":schedule/shop-schedules/shop-"
    }
    assert resources["NightlySchedule"]["Properties"]["Name"] == "shop-nightly"
    assert "HEALTH_PATH" not in worker
    api = resources["ApiHook"]["Properties"]["Environment"]["Variables"]
    assert api["CHECK_KIND"] == "http,schedule"
    assert api["HEALTH_PATH"] == "/health"
    assert "CHECK_QUEUES" not in api
    # The schedule a hook's event imitates is the one the template defines.
    nightly = resources["NightlySchedule"]["Properties"]
    assert nightly["Name"] == "shop-nightly"
    assert resources["ScheduleGroup"]["Properties"]["Name"] == "shop-schedules"


def test_each_hook_has_time_for_every_check_and_its_report(data_app, app_template) -> None:
    """Two checks (a queue and a schedule; routes and a schedule): 18 s + 2 x 27 s, with a
    quarter to spare; one check keeps the minute."""
    resources = data_app["Resources"]
    assert resources["WorkerHook"]["Properties"]["Timeout"] == 90
    assert resources["ApiHook"]["Properties"]["Timeout"] == 90
    assert app_template["Resources"]["ApiHook"]["Properties"]["Timeout"] == 60
