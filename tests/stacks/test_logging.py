"""Central logging, the bootstrap and the StackSet inputs: the paths a log line and an
event take from every region to the home region, and the scope of every role on them."""

from __future__ import annotations

import json

import pytest

from generator import config as config_module
from generator.build import build
from generator.checks import bucket_hardening, iam_audit, key_rotation, trust_policies
from generator.checks.lint import lint
from generator.stacks import BY_FILE
from tests.conftest import resources_of_type

TEMPLATES = ["app.json", "bootstrap.json", "logging.json"]


@pytest.fixture(scope="module")
def templates(reference_build):
    return {name: json.loads(reference_build.files[name]) for name in TEMPLATES}


def sub_text(value):
    """The pattern of an Fn::Sub, with or without variables."""
    sub = value["Fn::Sub"]
    return sub[0] if isinstance(sub, list) else sub


def resolve_region(pattern: str, region: str, home: str) -> str:
    return pattern.replace("${AWS::Region}", region).replace("${HomeRegion}", home)


def test_log_chain_reaches_the_archive_from_every_region(templates, reference_raw):
    app, boot, central = (
        templates["app.json"],
        templates["bootstrap.json"],
        templates["logging.json"],
    )
    home = reference_raw["application"]["home_region"]
    groups = resources_of_type(app, "AWS::Logs::LogGroup")
    filters = resources_of_type(app, "AWS::Logs::SubscriptionFilter")
    (destination,) = resources_of_type(boot, "AWS::Logs::Destination").values()
    streams = {
        s["Properties"]["DeliveryStreamName"]: s["Properties"]
        for s in resources_of_type(central, "AWS::KinesisFirehose::DeliveryStream").values()
    }
    # Every log group of the application has exactly one filter to the regional destination.
    subscribed = {f["Properties"]["LogGroupName"]["Ref"]: f["Properties"] for f in filters.values()}
    assert set(subscribed) == set(groups) and len(groups) == 3
    dest_name = destination["Properties"]["DestinationName"]
    for props in subscribed.values():
        pattern = sub_text(props["DestinationArn"])
        assert pattern.endswith(f":logs:${{AWS::Region}}:${{Account}}:destination:{dest_name}")
    for region in reference_raw["targets"]["regions"]:
        # ... the destination (same region) targets its region's stream in the home region ...
        target = resolve_region(sub_text(destination["Properties"]["TargetArn"]), region, home)
        assert target.startswith(f"arn:${{AWS::Partition}}:firehose:{home}:")
        stream_name = target.rsplit("deliverystream/", 1)[1]
        # ... which exists in the logging stack and writes to the archive under the region.
        stream = streams[stream_name]["ExtendedS3DestinationConfiguration"]
        assert stream["BucketARN"] == {"Fn::GetAtt": ["CentralLogBucket", "Arn"]}
        assert stream["Prefix"].startswith(f"logs/{region}/!{{timestamp:yyyy}}/")
        assert stream["ErrorOutputPrefix"].startswith(f"errors/{region}/")
        processors = [p["Type"] for p in stream["ProcessingConfiguration"]["Processors"]]
        assert processors == ["Decompression", "AppendDelimiterToRecord"]
    assert len(streams) == len(reference_raw["targets"]["regions"])


def test_every_bucket_key_and_role_passes_the_shared_checks(templates):
    counted = {"buckets": 0, "keys": 0, "roles": 0}
    for template in templates.values():
        assert bucket_hardening.check(template) == []
        assert key_rotation.check(template) == []
        assert trust_policies.check(template) == []
        counted["buckets"] += len(resources_of_type(template, "AWS::S3::Bucket"))
        counted["keys"] += len(resources_of_type(template, "AWS::KMS::Key"))
        counted["roles"] += len(resources_of_type(template, "AWS::IAM::Role"))
    # Roles: app 4, bootstrap 2 (log destination, drift forwarder), logging 4 (Firehose,
    # stack set events, drift checks, wave gate).
    assert counted == {"buckets": 4, "keys": 3, "roles": 10}


def only_statements(role):
    (policy,) = role["Properties"]["Policies"]
    return policy["PolicyDocument"]["Statement"]


def test_destination_role_puts_only_on_its_regions_stream(templates):
    role = templates["bootstrap.json"]["Resources"]["LogDestinationRole"]
    (statement,) = only_statements(role)
    assert statement["Action"] == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    (resource,) = statement["Resource"]
    assert sub_text(resource).endswith(":deliverystream/shop-logs-${AWS::Region}")
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "logs.amazonaws.com"}
    assert "aws:SourceArn" in trust["Condition"]["StringLike"]


def test_event_forwarder_puts_only_on_the_central_bus(templates):
    role = templates["app.json"]["Resources"]["EventForwarderRole"]
    (statement,) = only_statements(role)
    assert statement["Action"] == ["events:PutEvents"]
    (resource,) = statement["Resource"]
    assert sub_text(resource) == (
        "arn:${AWS::Partition}:events:${Region}:${Account}:event-bus/shop-central"
    )
    rules = resources_of_type(templates["app.json"], "AWS::Events::Rule")
    sources = {r["Properties"]["EventPattern"]["source"][0] for r in rules.values()}
    assert sources == {"aws.codedeploy", "aws.cloudwatch", "aws.cloudformation"}
    # One rule per kind: the stack's drift rides with its status changes (resources count).
    assert len(rules) == 3
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"] == resource
        assert target["RoleArn"] == {"Fn::GetAtt": ["EventForwarderRole", "Arn"]}


def test_firehose_role_writes_only_the_archive_and_its_error_stream(templates):
    role = templates["logging.json"]["Resources"]["FirehoseDeliveryRole"]
    granted = {s["Sid"]: s for s in only_statements(role)}
    assert granted["WriteArchiveBucket"]["Resource"] == [
        {"Fn::GetAtt": ["CentralLogBucket", "Arn"]}
    ]
    assert granted["WriteArchiveObjects"]["Resource"] == [{"Fn::Sub": "${CentralLogBucket.Arn}/*"}]
    crypto = granted["WriteArchiveCrypto"]
    assert crypto["Resource"] == [{"Fn::GetAtt": ["LogsKey", "Arn"]}]
    assert crypto["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"] == {
        "Fn::GetAtt": ["CentralLogBucket", "Arn"]
    }
    assert [sub_text(r) for r in granted["LogDeliveryErrors"]["Resource"]] == [
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
        "/aws/kinesisfirehose/shop-central-logs:log-stream:S3Delivery"
    ]
    assert set(granted) == {
        "WriteArchiveBucket",
        "WriteArchiveObjects",
        "WriteArchiveCrypto",
        "LogDeliveryErrors",
    }
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}}


def test_alerts_and_dashboard(templates, reference_raw):
    central = templates["logging.json"]["Resources"]
    pattern = central["AlertOnFailures"]["Properties"]["EventPattern"]["$or"]
    assert {p["source"][0] for p in pattern} == {
        "aws.codedeploy",
        "aws.cloudwatch",
        "aws.cloudformation",
        "aws.codepipeline",
    }
    assert central["AlertTopic"]["Properties"]["KmsMasterKeyId"] == {
        "Fn::GetAtt": ["LogsKey", "Arn"]
    }
    body = json.loads(sub_text(central["Dashboard"]["Properties"]["DashboardBody"]))
    metric_widgets = [w for w in body["widgets"] if w["type"] == "metric"]
    regions = reference_raw["targets"]["regions"]
    assert {w["properties"]["region"] for w in metric_widgets} == set(regions)
    for widget in metric_widgets:
        assert widget["properties"]["title"].startswith(widget["properties"]["region"])
    (text,) = [w for w in body["widgets"] if w["type"] == "text"]
    assert "logs/<region>/" in text["properties"]["markdown"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_cfn_lint_clean_in_every_target_region(name, reference_build, reference_path):
    regions = BY_FILE[name].lint_regions(config_module.load(reference_path))
    assert len(regions) == (3 if name in ("app.json", "bootstrap.json") else 1)
    assert lint(name, reference_build.files[name], regions) == []


def test_stackset_inputs_follow_the_waves(reference_build, reference_raw):
    files = {
        k: json.loads(v) for k, v in reference_build.files.items() if k.startswith("stacksets/")
    }
    waves = reference_raw["targets"]["waves"]
    for number, wave in enumerate(waves, start=1):
        instances = files[f"stacksets/app.wave-{number}.instances.json"]
        assert instances["Regions"] == wave
        assert instances["OperationPreferences"]["RegionOrder"] == wave
        assert instances["OperationPreferences"]["FailureTolerancePercentage"] == 0
    boot = files["stacksets/bootstrap.instances.json"]
    assert boot["Regions"] == reference_raw["targets"]["regions"]
    params = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in files["stacksets/app.stack-set.json"]["Parameters"]
    }
    assert params == {"HomeRegion": "eu-west-1", "CentralAccountId": "", "LogLevel": "INFO"}


def test_multi_account_config(write_config):
    def edit(raw):
        raw["targets"]["accounts"] = ["111111111111", "222222222222"]
        raw["targets"]["central_account"] = "999999999999"
        raw["targets"]["log_level_overrides"] = {"us-east-1": "DEBUG"}

    result = build(config_module.load(write_config(edit)))
    boot = json.loads(result.files["bootstrap.json"])
    assert boot["Parameters"]["SourceAccountIds"]["Type"] == "CommaDelimitedList"
    assert "111111111111" not in result.files["bootstrap.json"]
    trust = boot["Resources"]["LogDestinationRole"]["Properties"]["AssumeRolePolicyDocument"]
    arns = trust["Statement"][0]["Condition"]["StringLike"]["aws:SourceArn"]
    # Each source account, and this (recipient) account, for the destination's test put.
    assert [a["Fn::Sub"][1]["Account"] for a in arns] == [
        {"Fn::Select": [0, {"Ref": "SourceAccountIds"}]},
        {"Fn::Select": [1, {"Ref": "SourceAccountIds"}]},
        {"Ref": "AWS::AccountId"},
    ]
    files = {k: json.loads(v) for k, v in result.files.items()}
    assert files["stacksets/bootstrap.instances.json"]["Accounts"] == ["999999999999"]
    assert files["stacksets/app.wave-1.instances.json"]["Accounts"] == [
        "111111111111",
        "222222222222",
    ]
    override = files["stacksets/app.overrides.us-east-1.json"]
    assert override["ParameterOverrides"] == [
        {"ParameterKey": "LogLevel", "ParameterValue": "DEBUG"}
    ]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in files["params/app.us-east-1.json"]}[
        "LogLevel"
    ] == "DEBUG"
    bus = json.loads(result.files["logging.json"])["Resources"]["CentralEventBus"]
    assert bus["Properties"]["Policy"]["Statement"][0]["Principal"] == {
        "AWS": ["111111111111", "222222222222"]
    }


def test_accounts_without_central_account_are_rejected(write_config):
    with pytest.raises(config_module.ConfigError, match="central_account is required"):
        config_module.load(
            write_config(lambda raw: raw["targets"].update(accounts=["111111111111"]))
        )


def test_organization_targets_are_admitted_by_org_conditions(write_config):
    def edit(raw):
        raw["targets"].update(
            permission_model="SERVICE_MANAGED",
            organizational_units=["ou-abcd-12345678"],
            organization_id="o-a1b2c3d4e5",
            central_account="999999999999",
        )

    result = build(config_module.load(write_config(edit)))
    boot = json.loads(result.files["bootstrap.json"])
    policy = boot["Resources"]["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]
    (read,) = [s for s in policy["Statement"] if s["Sid"] == "TargetAccountsReadCode"]
    assert read["Principal"] == {"AWS": "*"}
    assert read["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/*/ou-abcd-12345678/*"]},
    }
    text, variables = boot["Resources"]["LogDestination"]["Properties"]["DestinationPolicy"][
        "Fn::Sub"
    ]
    assert set(variables) == {"Destination"}
    destination = json.loads(text.replace("${Destination}", "ARN"))["Statement"][0]
    assert destination["Principal"] == {"AWS": "*"}
    assert destination["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    # The documented trust only: aws:SourceArn. No page says CloudWatch Logs sends
    # aws:SourceOrgID; the organization is the destination policy's aws:PrincipalOrgID.
    trust = boot["Resources"]["LogDestinationRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"] == {
        "ArnLike": {"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:*:*"}}
    }
    bus = json.loads(result.files["logging.json"])["Resources"]["CentralEventBus"]
    assert bus["Properties"]["Policy"]["Statement"][0]["Condition"]["StringEquals"] == {
        "aws:PrincipalOrgID": "o-a1b2c3d4e5"
    }
    for name in ("bootstrap.json", "logging.json"):
        template = json.loads(result.files[name])
        assert iam_audit.check(template) == [] and trust_policies.check(template) == []


def test_organizational_units_need_the_organization_id(write_config):
    def edit(raw):
        raw["targets"].update(
            permission_model="SERVICE_MANAGED",
            central_account="999999999999",
            organizational_units=["ou-abcd-12345678"],
        )

    with pytest.raises(
        config_module.ConfigError, match="organizational_units need organization_id"
    ):
        config_module.load(write_config(edit))


# --- the event log, the key, the alerts and drift (review-logging.md) -------------------


def event_log_policy(central):
    """The event log's resource policy, with its Fn::Sub variables as placeholders."""
    text, variables = central["CentralEventLogPolicy"]["Properties"]["PolicyDocument"]["Fn::Sub"]
    assert variables["ArchiveRuleArn"] == {"Fn::GetAtt": ["ArchiveAllEvents", "Arn"]}
    return {s["Sid"]: s for s in json.loads(text)["Statement"]}


def test_eventbridge_creates_event_log_streams_without_a_source_condition(templates):
    """A condition on a key the request lacks is false, so CreateLogStream carries none;
    the rule's ARN guards PutLogEvents only (serverless-patterns#618)."""
    statements = event_log_policy(templates["logging.json"]["Resources"])
    writers = {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]}
    create = statements["EventBridgeCreatesEventLogStreams"]
    assert (create["Action"], create["Principal"], create["Resource"]) == (
        ["logs:CreateLogStream"],
        writers,
        ["${EventLogArn}"],
    )
    assert "Condition" not in create
    put = statements["EventBridgeWritesEventLog"]
    assert (put["Action"], put["Principal"]) == (["logs:PutLogEvents"], writers)
    assert put["Condition"] == {"ArnEquals": {"aws:SourceArn": "${ArchiveRuleArn}"}}
    assert set(statements) == {"EventBridgeCreatesEventLogStreams", "EventBridgeWritesEventLog"}


def test_drift_schedules_run_every_instance_at_once_and_keep_what_fails(templates):
    central = templates["logging.json"]["Resources"]
    schedules = resources_of_type(templates["logging.json"], "AWS::Scheduler::Schedule")
    stack_sets = []
    for schedule in schedules.values():
        target = schedule["Properties"]["Target"]
        request = json.loads(target["Input"])
        assert set(request) == {"StackSetName", "OperationPreferences"}
        assert request["OperationPreferences"] == {
            "RegionConcurrencyType": "PARALLEL",
            "MaxConcurrentPercentage": 100,
            "FailureTolerancePercentage": 100,
        }
        stack_sets.append(request["StackSetName"])
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
        assert target["RetryPolicy"] == {
            "MaximumEventAgeInSeconds": 3600,
            "MaximumRetryAttempts": 3,
        }
        assert schedule["Properties"]["GroupName"] == {"Ref": "DriftScheduleGroup"}
    assert sorted(stack_sets) == ["shop-app", "shop-bootstrap"]
    assert central["DriftScheduleGroup"]["Properties"]["Name"] == "shop-drift"
    # Scheduler sends dead letters with the schedule's role: SendMessage on the queue, and
    # the producer's key permissions through SQS.
    granted = {s["Sid"]: s for s in only_statements(central["DriftCheckRole"])}
    assert granted["SendUndelivered"]["Action"] == ["sqs:SendMessage"]
    assert granted["SendUndelivered"]["Resource"] == [{"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}]
    crypto = granted["SendUndeliveredCrypto"]
    assert crypto["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert crypto["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"}}
    }


DRIFTED = {
    "source": ["aws.cloudformation"],
    "detail-type": ["CloudFormation Drift Detection Status Change"],
    "detail": {
        "stack-id": [{"Ref": "AWS::StackId"}],
        "status-details": {"stack-drift-status": ["DRIFTED"]},
    },
}


def test_drift_of_every_instance_reaches_the_alert_topic(templates):
    """The field names of the Drift Detection Status Change event; each regional stack
    forwards its own DRIFTED result, and the central alert rule matches it."""
    app_rules = resources_of_type(templates["app.json"], "AWS::Events::Rule")
    (stack_rule,) = [
        r["Properties"]["EventPattern"]
        for r in app_rules.values()
        if r["Properties"]["EventPattern"]["source"] == ["aws.cloudformation"]
    ]
    drift = {"source": DRIFTED["source"], **stack_rule["$or"][1]}
    assert drift == DRIFTED
    assert stack_rule["$or"][0]["detail-type"] == ["CloudFormation Stack Status Change"]
    # The bootstrap stack forwards its own drift to the central bus of its account.
    boot = templates["bootstrap.json"]["Resources"]["ForwardDriftEvents"]["Properties"]
    assert boot["EventPattern"] == DRIFTED
    (target,) = boot["Targets"]
    assert sub_text(target["Arn"]) == (
        "arn:${AWS::Partition}:events:${HomeRegion}:${AWS::AccountId}:event-bus/shop-central"
    )
    (forward,) = only_statements(templates["bootstrap.json"]["Resources"]["DriftForwarderRole"])
    assert (forward["Action"], forward["Resource"]) == (["events:PutEvents"], [target["Arn"]])
    alerts = templates["logging.json"]["Resources"]["AlertOnFailures"]["Properties"]
    assert {
        "source": ["aws.cloudformation"],
        "detail-type": ["CloudFormation Drift Detection Status Change"],
        "detail": {"status-details": {"stack-drift-status": ["DRIFTED"]}},
    } in alerts["EventPattern"]["$or"]


def test_the_failed_instance_alert_is_a_json_object_whatever_the_reason(templates):
    """Bare placeholders: EventBridge fills each in as a JSON string, so a reason full of
    quotes still gives a valid message."""
    transformer = templates["logging.json"]["Resources"]["AlertOnFailedStackInstances"][
        "Properties"
    ]["Targets"][0]["InputTransformer"]
    template = transformer["InputTemplate"]
    values = {
        "stack": "arn:aws:cloudformation:us-east-1:111122223333:stack/StackSet-shop-app-1/id",
        "set": "arn:aws:cloudformation:eu-west-1:111122223333:stackset/shop-app:id",
        "action": "UPDATE",
        "reason": 'Resource handler returned message: "Rate exceeded" (Service: Lambda)',
    }
    assert set(transformer["InputPathsMap"]) == set(values)
    for name, value in values.items():
        assert f"<{name}>" in template and f'"<{name}>"' not in template
        template = template.replace(f"<{name}>", json.dumps(value))
    message = json.loads(template)
    assert message["reason"] == values["reason"]
    assert message["alert"] == "stack instance failed"


def key_statements(template):
    key = template["Resources"]["LogsKey"]["Properties"]["KeyPolicy"]
    return {s["Sid"]: s for s in key["Statement"]}


def test_firehose_alone_may_have_grants_made_on_the_key(templates):
    grants = key_statements(templates["logging.json"])["AccountGrantsToAwsServices"]
    assert grants["Action"] == ["kms:CreateGrant"]
    assert grants["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"},
        "StringEquals": {"kms:ViaService": {"Fn::Sub": "firehose.${AWS::Region}.amazonaws.com"}},
    }


def test_the_key_serves_this_stacks_bucket_and_log_groups_only(templates):
    statements = key_statements(templates["logging.json"])
    through_s3 = statements["AccountUsesKeyThroughS3"]["Condition"]["StringEquals"]
    bucket = templates["logging.json"]["Resources"]["CentralLogBucket"]["Properties"]
    # The bucket's ARN from its name: the bucket refers to the key, not the other way.
    assert through_s3["kms:EncryptionContext:aws:s3:arn"] == {
        "Fn::Sub": ["arn:${AWS::Partition}:s3:::${Name}", {"Name": bucket["BucketName"]}]
    }
    # CloudWatch Logs may use the key for the log groups it encrypts, and no others.
    logs = statements["CloudWatchLogsEncryptsCentralGroups"]
    scoped = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    groups = resources_of_type(templates["logging.json"], "AWS::Logs::LogGroup").values()
    prefix = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    assert [sub_text(a) for a in scoped] == sorted(
        f"{prefix}{g['Properties']['LogGroupName']}"
        for g in groups
        if g["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}
    )
    assert {
        f"{prefix}/aws/events/shop-central",
        f"{prefix}/aws/kinesisfirehose/shop-central-logs",
    } <= {sub_text(a) for a in scoped}


def test_cloudwatch_logs_gets_the_documented_key_actions(templates):
    """As the CloudWatch Logs page writes the statement, the action families included; the
    IAM audit admits them for this Sid only, with the page."""
    logs = key_statements(templates["logging.json"])["CloudWatchLogsEncryptsCentralGroups"]
    assert logs["Action"] == [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
    ]
    assert logs["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
    assert iam_audit.DOCUMENTED_WILDCARDS["CloudWatchLogsEncryptsCentralGroups"].endswith(
        "/logs/encrypt-log-data-kms.html"
    )
    assert iam_audit.check(templates["logging.json"]) == []


def test_event_sources_use_the_key_without_source_conditions(templates):
    """The SNS page: aws:SourceAccount and aws:SourceArn in a KMS policy are not supported
    for EventBridge-to-encrypted topics. The topic and queue policies confine the senders."""
    statements = key_statements(templates["logging.json"])
    for sid, service in (
        ("EventBridgeWritesEncryptedTopicAndQueue", "events.amazonaws.com"),
        ("CloudWatchAlarmsPublishToEncryptedTopic", "cloudwatch.amazonaws.com"),
    ):
        statement = statements[sid]
        assert statement["Principal"] == {"Service": service}
        assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert "Condition" not in statement
    topic = templates["logging.json"]["Resources"]["AlertTopicPolicy"]["Properties"]
    by_sid = {s["Sid"]: s for s in topic["PolicyDocument"]["Statement"]}
    assert set(by_sid["AlertRulePublishes"]["Condition"]) == {"ArnEquals"}
    assert sub_text(by_sid["StackAlarmsPublish"]["Condition"]["ArnLike"]["aws:SourceArn"]) == (
        "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:shop-central-*"
    )


def test_stack_set_events_of_these_two_stack_sets_only(templates):
    """`stackset/<name>:<id>`: the colon ends the name, so `shop-legacy` is not matched."""
    rule = templates["logging.json"]["Resources"]["ForwardStackSetEvents"]["Properties"]
    prefixes = [sub_text(p["prefix"]) for p in rule["EventPattern"]["detail"]["stack-set-arn"]]
    base = "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stackset/"
    assert prefixes == [f"{base}shop-app:", f"{base}shop-bootstrap:"]


def test_a_canceled_rollout_stage_is_reported(templates):
    pattern = templates["logging.json"]["Resources"]["AlertOnFailures"]["Properties"]
    (stage,) = [
        p
        for p in pattern["EventPattern"]["$or"]
        if p["detail-type"] == ["CodePipeline Stage Execution State Change"]
    ]
    assert stage["detail"]["state"] == ["SUCCEEDED", "FAILED", "STOPPED", "CANCELED"]


def test_small_archive_objects_still_reach_glacier(templates):
    lifecycle = templates["logging.json"]["Resources"]["CentralLogBucket"]["Properties"][
        "LifecycleConfiguration"
    ]
    assert lifecycle["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    (rule,) = lifecycle["Rules"]
    assert [(t["StorageClass"], t["TransitionInDays"]) for t in rule["Transitions"]] == [
        ("STANDARD_IA", 30),
        ("GLACIER", 90),
    ]
    assert rule["ExpirationInDays"] == 365
