"""The home region's logging and monitoring stack (one stack, central account).

Logs, by `logging.mode`: the Firehose path's archive bucket and a stream per target region
(firehose.py), the organization's centralization rule (centralization.py), or both.
Events: every region's deployment, alarm, stack and drift events arrive on one event bus;
all are kept in a log group, and failures, rollbacks, drift and alarms go to an SNS topic.
Itself: what its rules and schedules fail to deliver waits in a dead-letter queue, and
alarms on its own failures (rules, streams, schedules, that queue) go to the same topic.
Dashboard: one, with each widget naming its region.
"""

from __future__ import annotations

from functools import cached_property

from awacs import events as events_actions
from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import sns as sns_actions
from awacs.aws import ArnEquals, ArnLike, Condition, Principal, Statement, StringEquals
from troposphere import (
    GetAtt,
    Ref,
    Sub,
    Template,
    awslambda,
    events,
    logs,
    scheduler,
    sns,
)
from troposphere import cloudwatch as cw
from troposphere import observabilityadmin as oa

from generator import vocabulary as names
from generator.blocks import keys, policies, principals, topics
from generator.blocks.keys import Key
from generator.blocks.log_groups import LogGroup
from generator.blocks.substitutions import sub
from generator.output.render import compact
from generator.stacks import stack_sets
from generator.stacks.base import Stack
from generator.stacks.central_logging import centralization, dashboard, gate, monitoring, rollout
from generator.stacks.central_logging.firehose import FirehosePath
from generator.stacks.central_logging.monitoring import Alarms, DeadLetters

# Stack statuses worth a page: failures and rollbacks.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-describing-stacks.html
ALERT_STACK_STATUSES = [
    "CREATE_FAILED",
    "DELETE_FAILED",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_FAILED",
    "UPDATE_FAILED",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_FAILED",
]


class CentralLogging(Stack):
    """Log archive, a Firehose stream per target region, event bus, alerts, dashboard."""

    contents = (
        "key",
        "firehose",
        "centralization",
        "bus",
        "dead_letters",
        "event_log",
        "wave_health",
        "stack_set_events",
        "drift_checks",
        "alerts",
        "self_monitoring",
        "gate",
        "dashboard",
    )

    def build(self) -> Template:
        """Every part; then the key's CloudWatch Logs statement names each log group that
        the key encrypts, whichever part made it."""
        template = super().build()
        groups = [
            str(r.LogGroupName)
            for r in template.resources.values()
            if isinstance(r, logs.LogGroup) and r.KmsKeyId == self.key.arn
        ]
        for name in sorted(groups):
            self.key.encrypts_log_group(name)
        return template

    def describe(self) -> str:
        paths = {
            "firehose": "log archive, Firehose per target region",
            "centralization": "the organization's log centralization rule",
            "both": "log archive, Firehose per target region, the organization's log "
            "centralization rule",
        }
        return (
            f"{self.app}: central logging and monitoring in the home region "
            f"({self.config.application.home_region}): {paths[self.config.logging.mode]}, "
            "event bus, dashboard."
        )

    @cached_property
    def key(self) -> Key:
        """One key for the archive, the centralized copies, the event log, delivery errors,
        the alert topic and the dead-letter queue. Each use is confined by the conditions
        its service documents and sends: the bucket's ARN, the log groups' ARNs, Firehose
        for grants. EventBridge and CloudWatch get the event-source statement, which takes
        none; the topic and queue policies confine them to this stack's rules and alarms."""
        key = Key(
            self.template,
            "LogsKey",
            description=f"{self.app}: central log archive, event log and alert topic",
            alias=f"{self.app}-central-logs",
        )
        # This stack's log groups only (see `build`), with the action families the page's
        # policy names.
        key.allow_logs("CloudWatchLogsEncryptsCentralGroups", keys.LOGS_DOCUMENTED, own_groups=True)
        # Publishing to the encrypted alert topic (the pipeline's approval requests).
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
        key.delegate("sns", [kms_actions.GenerateDataKey, kms_actions.Decrypt])
        self._allow_event_sources(key)
        return key

    def _allow_event_sources(self, key: Key) -> None:
        """EventBridge (rules to the topic, and to the dead-letter queue) and CloudWatch
        (alarm actions) use the key to write to the encrypted topic and queue: the key
        statement the SNS and SQS pages give for AWS event sources, with no condition.
        The SNS page says that aws:SourceAccount and aws:SourceArn in a KMS policy are not
        supported for EventBridge-to-encrypted-topic delivery; the topic and queue policies
        confine the senders instead.
        https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
        https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns
        """
        for sid, service in (
            ("EventBridgeWritesEncryptedTopicAndQueue", "events.amazonaws.com"),
            ("CloudWatchAlarmsPublishToEncryptedTopic", "cloudwatch.amazonaws.com"),
        ):
            key.allow_service(sid, service, [kms_actions.GenerateDataKey, kms_actions.Decrypt])

    @cached_property
    def firehose(self) -> FirehosePath | None:
        """The archive and the regions' streams, when the logs take the Firehose path."""
        if not self.config.logging.firehose:
            return None
        path = FirehosePath(self.template, self.config, self.key)
        path.build()
        self.output(
            "LogBucketName",
            path.archive.ref,
            "Central log archive: logs/<region>/<yyyy>/<MM>/<dd>/.",
        )
        return path

    @cached_property
    def centralization(self) -> oa.OrganizationCentralizationRule | None:
        """The organization's rule, when the logs are centralized."""
        if not self.config.logging.centralized:
            return None
        return centralization.rule(self.template, self.config, self.key)

    @cached_property
    def bus(self) -> events.EventBus:
        """The bus every region forwards to; only the target accounts may put events."""
        targets = self.config.targets
        readers = principals.readers(targets, principals.target_accounts(targets))
        statement = Statement(
            Sid="TargetAccountsPutEvents",
            Effect="Allow",
            Principal=readers.principal,
            Action=[events_actions.PutEvents],
            Resource=[policies.arn("events", f"event-bus/{names.event_bus(self.app)}")],
        )
        if readers.conditions:
            statement.Condition = Condition([StringEquals(readers.org_equals), *readers.conditions])
        bus = self.template.add_resource(
            events.EventBus(
                "CentralEventBus",
                Name=names.event_bus(self.app),
                Description=f"{self.app}: deployment, alarm and stack events of every region",
                Policy=policies.as_dict(policies.document(statement)),
            )
        )
        self.output("EventBusArn", GetAtt(bus, "Arn"), "Every region's events arrive here.")
        return bus

    @cached_property
    def dead_letters(self) -> DeadLetters:
        """What this stack's rules and drift schedules could not deliver."""
        return DeadLetters(self.template, self.app, self.key)

    @cached_property
    def _guarded_rules(self) -> list[tuple[events.Rule, str | None]]:
        """Every rule of this stack, with its custom bus (None: the default bus)."""
        return []

    def _guard(self, rule: events.Rule, *, on_bus: bool = True) -> events.Rule:
        """What `rule` cannot deliver goes to the dead-letter queue, and its failures to an
        alarm (see `self_monitoring`)."""
        self.dead_letters.catch(rule)
        self._guarded_rules.append((rule, names.event_bus(self.app) if on_bus else None))
        return rule

    @cached_property
    def event_log(self) -> LogGroup:
        """Every forwarded event: the audit trail of releases, kept when the stack goes."""
        group = LogGroup(
            self.template,
            "CentralEventLogGroup",
            name=names.central_event_log_group(self.app),
            retention_days=self.config.logging.event_retention_days,
            key=self.key,
            fate="Retain",
        )
        rule = self._guard(
            self.template.add_resource(
                events.Rule(
                    "ArchiveAllEvents",
                    Name=f"{self.app}-central-archive",
                    Description=f"{self.app}: keep every forwarded event",
                    EventBusName=Ref(self.bus),
                    EventPattern={"source": list(names.FORWARDED_SOURCES)},
                    State="ENABLED",
                    Targets=[events.Target(Id="EventLog", Arn=group.arn)],
                )
            )
        )
        self.template.add_resource(
            logs.ResourcePolicy(
                "CentralEventLogPolicy",
                PolicyName=f"{self.app}-central-event-log",
                PolicyDocument=Sub(
                    compact(_event_log_policy()),
                    EventLogArn=group.arn,
                    ArchiveRuleArn=GetAtt(rule, "Arn"),
                ),
            )
        )
        return group

    @cached_property
    def wave_health(self) -> list[cw.Alarm]:
        """Per wave, an alarm that a region of it went to ALARM: what its bake watches."""
        return rollout.wave_health(self.template, self.config, self.event_log)

    @cached_property
    def stack_set_events(self) -> events.Rule:
        rule = rollout.forward_stack_set_events(
            self.template, self.app, stack_sets(self.config), self.bus
        )
        return self._guard(rule, on_bus=False)

    @cached_property
    def drift_checks(self) -> scheduler.ScheduleGroup:
        return rollout.drift_checks(self.template, self.app, self.dead_letters, self.key)

    @cached_property
    def alerts(self) -> sns.Topic:
        """Deployment failures, stack rollbacks, drift, alarms and pipeline failures, on a
        topic; and this stack's own alarms."""
        topic = topics.encrypted_topic(
            self.template,
            "Alert",
            names.alert_topic(self.app),
            f"{self.app} alerts",
            self.key,
            self.config.logging.alert_email,
        )
        failed_instances = rollout.failed_instances_rule(self.template, self.app, self.bus, topic)
        rule = self.template.add_resource(
            events.Rule(
                "AlertOnFailures",
                Name=f"{self.app}-central-alerts",
                Description=f"{self.app}: failed deployments, rollbacks, drift, alarms, "
                "pipeline failures",
                EventBusName=Ref(self.bus),
                EventPattern={"$or": ALERT_PATTERNS},
                State="ENABLED",
                Targets=[events.Target(Id="AlertTopic", Arn=Ref(topic))],
            )
        )
        for each in (rule, failed_instances):
            self._guard(each)
        self.template.add_resource(
            sns.TopicPolicy(
                "AlertTopicPolicy",
                Topics=[Ref(topic)],
                PolicyDocument=policies.document(
                    _rules_publish(topic, [rule, failed_instances]),
                    _alarms_publish(topic, self.app),
                ),
            )
        )
        self.output("AlertTopicArn", Ref(topic), "Where alerts are published.")
        return topic

    @cached_property
    def self_monitoring(self) -> Alarms:
        """Alarms on what this stack would otherwise lose in silence, into the alert topic."""
        alarms = Alarms(self.template, self.app, self.alerts)
        for part in ("event_log", "stack_set_events", "alerts"):
            getattr(self, part)  # each makes rules: read them all before alarming on them
        for rule, bus in self._guarded_rules:
            alarms.rule_failures(rule, bus)
        if self.firehose is not None:
            for region, stream in zip(
                self.config.targets.regions, self.firehose.streams, strict=True
            ):
                alarms.stream_failures(
                    f"{stream.title}Delivery", names.delivery_stream(self.app, region), region
                )
        if self.config.logging.centralized:
            alarms.centralization_errors()
        alarms.schedule_failures(self.drift_checks.Name)
        alarms.dead_letters(self.dead_letters)
        return alarms

    @cached_property
    def gate(self) -> awslambda.Function:
        """The function the pipeline's bakes and ready actions invoke."""
        return gate.gate(self.template, self.config, self.key)

    @cached_property
    def dashboard(self) -> cw.Dashboard:
        board = self.template.add_resource(
            cw.Dashboard(
                "Dashboard",
                DashboardName=names.dashboard(self.app),
                DashboardBody=dashboard.body(self.config, names.central_log_bucket(self.app)),
            )
        )
        self.output(
            "DashboardUrl",
            sub(
                "https://${AWS::Region}.console.${AWS::URLSuffix}/cloudwatch/home"
                "?region=${AWS::Region}#dashboards:name=${Name}",
                Name=Ref(board),
            ),
            "Every region's functions, API, rollout and logs on one page.",
        )
        return board


def _event_log_policy() -> policies.Document:
    """EventBridge writes to a log group under that group's resource policy. The rule's
    ARN guards PutLogEvents only: CreateLogStream is allowed without it, as AWS's own sample
    was fixed to do (aws-samples/serverless-patterns#618: "The conditional ARN for the Rule
    only applies to logs:PutLogEvents"), since a condition on a key the request does not
    carry is false. The policy is a JSON string, so the ARNs go in as Fn::Sub variables.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    """
    writers = Principal("Service", ["events.amazonaws.com", "delivery.logs.amazonaws.com"])
    return policies.document(
        Statement(
            Sid="EventBridgeCreatesEventLogStreams",
            Effect="Allow",
            Principal=writers,
            Action=[logs_actions.CreateLogStream],
            Resource=["${EventLogArn}"],
        ),
        Statement(
            Sid="EventBridgeWritesEventLog",
            Effect="Allow",
            Principal=writers,
            Action=[logs_actions.PutLogEvents],
            Resource=["${EventLogArn}"],
            Condition=Condition(ArnEquals({"aws:SourceArn": "${ArchiveRuleArn}"})),
        ),
    )


def _rules_publish(topic: sns.Topic, rules: list[events.Rule]) -> Statement:
    """EventBridge publishes for these rules only.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
    """
    return Statement(
        Sid="AlertRulePublishes",
        Effect="Allow",
        Principal=Principal("Service", "events.amazonaws.com"),
        Action=[sns_actions.Publish],
        Resource=[Ref(topic)],
        Condition=Condition(ArnEquals({"aws:SourceArn": [GetAtt(r, "Arn") for r in rules]})),
    )


def _alarms_publish(topic: sns.Topic, app: str) -> Statement:
    """CloudWatch publishes alarm actions under the topic's policy, which (being ours,
    not the default) must admit it; aws:SourceArn confines it to this stack's alarms, by
    name (an alarm is named, so its ARN is known before it exists).
    https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
    https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
    """
    return Statement(
        Sid="StackAlarmsPublish",
        Effect="Allow",
        Principal=Principal("Service", "cloudwatch.amazonaws.com"),
        Action=[sns_actions.Publish],
        Resource=[Ref(topic)],
        Condition=Condition(
            ArnLike(
                {
                    "aws:SourceArn": policies.arn(
                        "cloudwatch", f"alarm:{monitoring.alarm_prefix(app)}*"
                    )
                }
            )
        ),
    )


ALERT_PATTERNS = [
    {
        "source": ["aws.codedeploy"],
        "detail-type": [names.CODEDEPLOY_STATE],
        "detail": {"state": ["FAILURE", "STOP"]},
    },
    {
        "source": ["aws.cloudwatch"],
        "detail-type": [names.ALARM_STATE],
        "detail": {"state": {"value": ["ALARM"]}},
    },
    {
        "source": ["aws.cloudformation"],
        "detail-type": [names.STACK_STATUS],
        "detail": {"status-details": {"status": ALERT_STACK_STATUSES}},
    },
    {
        "source": ["aws.codepipeline"],
        "detail-type": [names.PIPELINE_STATE],
        "detail": {"state": ["FAILED"]},
    },
    # A rollback starting, and how the rollout stage of each execution ends.
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html
    {
        "source": ["aws.codepipeline"],
        "detail-type": [names.PIPELINE_STATE],
        "detail": {"execution-trigger": {"trigger-type": ["AutomatedRollback", "ManualRollback"]}},
    },
    # How the rollout stage ends. CANCELED: "A status of cancelled means that the
    # pipeline's definition was updated before the stage execution could be completed."
    # https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_StageExecution.html
    {
        "source": ["aws.codepipeline"],
        "detail-type": [names.STAGE_STATE],
        "detail": {
            "stage": [names.ROLLOUT_STAGE],
            "state": ["SUCCEEDED", "FAILED", "STOPPED", "CANCELED"],
        },
    },
    # A stack of the fleet that drifted, forwarded by its region.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-drift-detection-change.html
    {
        "source": ["aws.cloudformation"],
        "detail-type": [names.DRIFT_STATUS],
        "detail": {"status-details": {"stack-drift-status": ["DRIFTED"]}},
    },
]
