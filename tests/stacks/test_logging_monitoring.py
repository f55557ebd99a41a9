"""The logging stack watching itself (central_logging/monitoring.py): what its rules and
schedules cannot deliver waits in one encrypted queue, and its own failures reach the
alert topic through alarms that CloudWatch may publish and that stay quiet without data."""

from __future__ import annotations

import json

import pytest

from generator import config as config_module
from generator.build import build
from tests.conftest import resources_of_type

QUEUE_ARN = {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}


@pytest.fixture(scope="module")
def central(reference_build):
    return json.loads(reference_build.files["logging.json"])


def alarms(template):
    return resources_of_type(template, "AWS::CloudWatch::Alarm")


def test_one_encrypted_queue_takes_what_every_rule_cannot_deliver(central):
    queue = central["Resources"]["DeadLetterQueue"]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    rules = resources_of_type(central, "AWS::Events::Rule")
    assert set(rules) == {
        "ArchiveAllEvents",
        "AlertOnFailures",
        "AlertOnFailedStackInstances",
        "ForwardStackSetEvents",
    }
    for rule in rules.values():
        for target in rule["Properties"]["Targets"]:
            assert target["DeadLetterConfig"] == {"Arn": QUEUE_ARN}
    # The queue policy admits EventBridge for exactly these rules (aws:SourceArn).
    (statement,) = central["Resources"]["DeadLetterQueuePolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert (statement["Action"], statement["Resource"]) == (["sqs:SendMessage"], [QUEUE_ARN])
    sources = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(s["Fn::GetAtt"][0] for s in sources) == sorted(rules)


def test_every_alarm_of_the_stack_notifies_the_topic_and_is_quiet_without_data(central):
    own = {
        k: a["Properties"] for k, a in alarms(central).items() if "AlarmActions" in a["Properties"]
    }
    for properties in own.values():
        assert properties["AlarmActions"] == [{"Ref": "AlertTopic"}]
        assert properties["TreatMissingData"] == "notBreaching"
        # The topic policy admits CloudWatch for alarms named with this prefix only.
        assert properties["AlarmName"].startswith("shop-central-")
    regions = 3
    rules = 4
    assert len(own) == rules + regions + 2  # and the drift schedules, and the queue


def test_each_rules_failed_invocations_with_its_bus(central):
    """A custom bus's rule reports with EventBusName and RuleName, one of the default bus
    with RuleName only; the names are the rules' own."""
    rules = resources_of_type(central, "AWS::Events::Rule")
    for logical_id, rule in rules.items():
        alarm = central["Resources"][f"{logical_id}FailuresAlarm"]["Properties"]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Events", "FailedInvocations")
        name = rule["Properties"]["Name"]
        expected = [{"Name": "RuleName", "Value": name}]
        if "EventBusName" in rule["Properties"]:
            expected.insert(0, {"Name": "EventBusName", "Value": "shop-central"})
        assert alarm["Dimensions"] == expected
        assert alarm["AlarmName"] == f"{name}-failed"


def test_each_log_stream_alarms_on_delivery_and_key_errors(central, reference_raw):
    for region in reference_raw["targets"]["regions"]:
        stream = f"shop-logs-{region}"
        alarm = next(
            a["Properties"]
            for a in alarms(central).values()
            if a["Properties"]["AlarmName"] == f"shop-central-logs-{region}-delivery"
        )
        metrics = {
            m["MetricStat"]["Metric"]["MetricName"]: m
            for m in alarm["Metrics"]
            if "MetricStat" in m
        }
        assert set(metrics) == {
            "DeliveryToS3.DataFreshness",
            "DeliveryToS3.Success",
            "KMSKeyAccessDenied",
            "KMSKeyDisabled",
            "KMSKeyInvalidState",
            "KMSKeyNotFound",
            "ThrottledRecords",
        }
        for metric in metrics.values():
            assert metric["MetricStat"]["Metric"]["Namespace"] == "AWS/Firehose"
            assert metric["MetricStat"]["Metric"]["Dimensions"] == [
                {"Name": "DeliveryStreamName", "Value": stream}
            ]
        (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
        assert expression["ReturnData"] is True
        for metric in metrics.values():
            assert metric["Id"] in expression["Expression"]
        assert "IF(FILL(freshness, 0) > 900, 1, 0)" in expression["Expression"]
        assert "IF(FILL(success, 1) < 1, 1, 0)" in expression["Expression"]
        assert len(alarm["Metrics"]) <= 10  # a metric math alarm's limit


def test_drift_schedules_and_queue_depth(central):
    resources = central["Resources"]
    schedule = resources["DriftScheduleFailuresAlarm"]["Properties"]
    watched = {
        m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]["Metric"]
        for m in schedule["Metrics"]
        if "MetricStat" in m
    }
    assert set(watched) == {"TargetErrorCount", "InvocationDroppedCount"}
    for metric in watched.values():
        assert metric["Namespace"] == "AWS/Scheduler"
        assert metric["Dimensions"] == [{"Name": "ScheduleGroup", "Value": "shop-drift"}]
    depth = resources["DeadLetterQueueAlarm"]["Properties"]
    assert (depth["Namespace"], depth["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert depth["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}
    ]


def test_the_widest_example_stays_within_the_template_limits(write_config):
    """Seventeen regions: a stream alarm each, and still far from 500 resources."""
    regions = [
        "eu-west-1", "us-east-1", "us-east-2", "us-west-2", "eu-central-1", "eu-west-2",
        "eu-west-3", "eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
        "ap-northeast-2", "ap-south-1", "ca-central-1", "sa-east-1", "us-west-1",
        "ap-northeast-3",
    ]  # fmt: skip

    def edit(raw):
        raw["targets"].update(regions=regions, waves=[regions[:1], regions[1:]])

    template = json.loads(build(config_module.load(write_config(edit))).files["logging.json"])
    assert len(template["Resources"]) < 150
    assert len(alarms(template)) == 2 + 4 + len(regions) + 2  # waves, rules, streams, rest
