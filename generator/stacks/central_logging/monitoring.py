"""How the logging stack watches itself: what it fails to deliver, it keeps and says.

- Dead letters. EventBridge drops an event it cannot deliver after its retries (and at
  once on a permission error), and Scheduler drops an invocation whose retries ran out;
  both send it to a dead-letter queue instead when one is set. One queue serves every rule
  target of this stack and the drift schedules, encrypted with the stack's key.
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
  https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
- Alarms into the alert topic on what the stack would otherwise lose in silence: a rule's
  failed invocations, a Firehose stream that stops delivering or cannot use its key, the
  centralization rule's copy errors, the drift schedules' target errors and drops, and
  anything waiting in the dead-letter queue.
  Every one of these metrics is sent only when something happens, so missing data is
  `notBreaching`.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
"""

from __future__ import annotations

from dataclasses import dataclass

from awacs import kms as kms_actions
from awacs import sqs as sqs_actions
from awacs.aws import Allow, ArnEquals, Condition, Principal, Statement
from troposphere import AWSHelperFn, GetAtt, Ref, Template, events, sns, sqs
from troposphere import cloudwatch as cw

from generator.blocks import policies
from generator.blocks.keys import Key
from generator.blocks.roles import Role

# SQS keeps a message at most 14 days: the longest time to look at what was not delivered.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
RETENTION_SECONDS = 14 * 24 * 3600
# Firehose's buffer is at most 15 minutes; a stream whose oldest record is older than that
# is not delivering. The page recommends exactly this alarm, and one on delivery success.
# https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html
FRESHNESS_LIMIT_SECONDS = 900
FIREHOSE_KMS_ERRORS = (
    "KMSKeyAccessDenied",
    "KMSKeyDisabled",
    "KMSKeyInvalidState",
    "KMSKeyNotFound",
)
FIVE_MINUTES = 300


def alarm_prefix(app: str) -> str:
    """Every alarm that notifies the alert topic is named with this prefix, so the topic
    policy can admit exactly these alarms (aws:SourceArn)."""
    return f"{app}-central-"


class DeadLetters:
    """The encrypted queue that keeps what this stack's rules and schedules fail to deliver."""

    def __init__(self, template: Template, app: str, key: Key) -> None:
        # The rules EventBridge may send from (aws:SourceArn); each `catch` adds its rule.
        self.sources: list[AWSHelperFn] = []
        # Its messages are for investigating a failure, not a record: the queue goes with
        # its stack (a retained queue's fixed name would block the stack's re-creation).
        self.queue = template.add_resource(
            sqs.Queue(
                "DeadLetterQueue",
                QueueName=f"{app}-central-undelivered",
                KmsMasterKeyId=key.arn,
                MessageRetentionPeriod=RETENTION_SECONDS,
                DeletionPolicy="Delete",
                UpdateReplacePolicy="Delete",
            )
        )
        # EventBridge needs the queue's policy to send, even in the same account, and the
        # page confines it to the rule with aws:SourceArn. Its use of the key is the key
        # policy's EventBridge statement (see CentralLogging.key).
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html#eb-dlq-perms
        template.add_resource(
            sqs.QueuePolicy(
                "DeadLetterQueuePolicy",
                Queues=[Ref(self.queue)],
                PolicyDocument=policies.document(
                    Statement(
                        Sid="EventBridgeSendsUndelivered",
                        Effect=Allow,
                        Principal=Principal("Service", "events.amazonaws.com"),
                        Action=[sqs_actions.SendMessage],
                        Resource=[self.arn],
                        Condition=Condition(ArnEquals({"aws:SourceArn": self.sources})),
                    )
                ),
            )
        )

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.queue, "Arn")

    @property
    def name(self) -> GetAtt:
        return GetAtt(self.queue, "QueueName")

    def catch(self, rule: events.Rule) -> None:
        """Send what every target of `rule` could not take to this queue."""
        for target in rule.Targets:
            target.DeadLetterConfig = events.DeadLetterConfig(Arn=self.arn)
        self.sources.append(GetAtt(rule, "Arn"))

    def grant_send(self, role: Role, key: Key) -> None:
        """Scheduler sends dead letters with the schedule's own role, which needs
        sqs:SendMessage, and (the queue being encrypted) the producer's key permissions.
        https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
        """
        role.allow("SendUndelivered", [sqs_actions.SendMessage], [self.arn])
        key.grant(
            role,
            "SendUndeliveredCrypto",
            [kms_actions.GenerateDataKey, kms_actions.Decrypt],
            service="sqs",
        )


@dataclass(frozen=True)
class Alarms:
    """Alarms of one stack that all notify `topic`."""

    template: Template
    app: str
    topic: sns.Topic

    def _add(self, title: str, name: str, description: str, **metric: object) -> cw.Alarm:
        return self.template.add_resource(
            cw.Alarm(
                title,
                AlarmName=f"{alarm_prefix(self.app)}{name}",
                AlarmDescription=f"{self.app}: {description}",
                AlarmActions=[Ref(self.topic)],
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                Threshold=1,
                TreatMissingData="notBreaching",
                **metric,
            )
        )

    def rule_failures(self, rule: events.Rule, bus: str | None = None) -> cw.Alarm:
        """A rule's invocations that failed for good. A rule of a custom bus reports with
        the EventBusName and RuleName dimensions, one of the default bus with RuleName only.
        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
        """
        dimensions = [cw.MetricDimension(Name="RuleName", Value=rule.Name)]
        if bus is not None:
            dimensions.insert(0, cw.MetricDimension(Name="EventBusName", Value=bus))
        return self._add(
            f"{rule.title}FailuresAlarm",
            f"{str(rule.Name).removeprefix(alarm_prefix(self.app))}-failed",
            f"rule {rule.Name} failed to deliver events; they are in the dead-letter queue.",
            Namespace="AWS/Events",
            MetricName="FailedInvocations",
            Dimensions=dimensions,
            Statistic="Sum",
            Period=FIVE_MINUTES,
            EvaluationPeriods=1,
        )

    def stream_failures(self, title: str, stream: str, region: str) -> cw.Alarm:
        """A stream that is not delivering: S3 puts failing, records older than the
        longest buffer, any of the four errors of its customer key (after which Firehose
        keeps retrying for up to 24 hours, then discards the data), or records throttled
        on the way in (CloudWatch Logs retries them for 24 hours, then drops them): "Another
        metric for which we recommend an alarm is ThrottledRecords".
        https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html
        https://docs.aws.amazon.com/firehose/latest/dev/firehose-cloudwatch-metrics-best-practices.html
        https://docs.aws.amazon.com/firehose/latest/dev/encryption.html
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters-AccountLevel.html
        """

        def metric(query_id: str, name: str, stat: str) -> cw.MetricDataQuery:
            return _query(query_id, "AWS/Firehose", name, stat, "DeliveryStreamName", stream)

        kms_ids = [f"kms{i}" for i in range(len(FIREHOSE_KMS_ERRORS))]
        failing = " + ".join(
            [
                *(f"FILL({i}, 0)" for i in kms_ids),
                f"IF(FILL(freshness, 0) > {FRESHNESS_LIMIT_SECONDS}, 1, 0)",
                "IF(FILL(success, 1) < 1, 1, 0)",
                "IF(FILL(throttled, 0) > 0, 1, 0)",
            ]
        )
        return self._add(
            f"{title}Alarm",
            f"logs-{region}-delivery",
            f"the Firehose stream of {region}'s logs ({stream}) is not delivering to the "
            "archive, cannot use its key, or throttles what arrives. Its error log is "
            f"/aws/kinesisfirehose/{self.app}-central-logs.",
            Metrics=[
                metric("freshness", "DeliveryToS3.DataFreshness", "Maximum"),
                metric("success", "DeliveryToS3.Success", "Average"),
                metric("throttled", "ThrottledRecords", "Sum"),
                *(
                    metric(i, name, "Sum")
                    for i, name in zip(kms_ids, FIREHOSE_KMS_ERRORS, strict=True)
                ),
                cw.MetricDataQuery(
                    Id="failing", Label="delivery problems", ReturnData=True, Expression=failing
                ),
            ],
            # Three five-minute periods in a row: Firehose retries, and "small drops in the
            # average for DeliveryToS3.Success ... don't indicate data loss".
            EvaluationPeriods=3,
            DatapointsToAlarm=3,
        )

    def schedule_failures(self, group: str) -> cw.Alarm:
        """Target errors (CloudFormation refused DetectStackSetDrift, say because another
        operation was running) and invocations dropped after the retries, of every
        schedule in the group: Scheduler's metrics have the ScheduleGroup dimension only.
        https://docs.aws.amazon.com/scheduler/latest/UserGuide/monitoring-cloudwatch.html
        """
        names = {"errors": "TargetErrorCount", "dropped": "InvocationDroppedCount"}
        return self._add(
            "DriftScheduleFailuresAlarm",
            "drift-schedule-failed",
            f"a drift detection schedule of group {group} failed to start its operation.",
            Metrics=[
                *(
                    _query(i, "AWS/Scheduler", name, "Sum", "ScheduleGroup", group)
                    for i, name in names.items()
                ),
                cw.MetricDataQuery(
                    Id="failed",
                    Label="errors and drops",
                    ReturnData=True,
                    Expression=" + ".join(f"FILL({i}, 0)" for i in names),
                ),
            ],
            EvaluationPeriods=1,
        )

    def centralization_errors(self) -> cw.Alarm:
        """Records the organization's centralization rule could not copy into this region.
        The metric's dimensions are not documented, so a Metrics Insights query sums it
        over whatever dimensions it has ("You can create an alarm on any Metrics Insights
        query"); AWS's guidance: CentralizationError "should be zero — set up alarms for
        any errors".
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatchLogs_Centralization.html
        """
        return self._add(
            "CentralizationErrorsAlarm",
            "centralization-errors",
            "the organization's log centralization rule could not copy log events into the "
            "central account (see the dashboard's centralized logs widget, and the rule's "
            "health in the CloudWatch console's centralization settings).",
            Metrics=[
                cw.MetricDataQuery(
                    Id="errors",
                    Label="centralization errors",
                    ReturnData=True,
                    Expression='SELECT SUM(CentralizationError) FROM "AWS/Logs"',
                    Period=FIVE_MINUTES,
                )
            ],
            EvaluationPeriods=1,
        )

    def dead_letters(self, queue: DeadLetters) -> cw.Alarm:
        """Anything in the dead-letter queue is an event or a drift check that was lost.
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
        """
        return self._add(
            "DeadLetterQueueAlarm",
            "undelivered",
            "events or drift checks could not be delivered; they wait in the dead-letter "
            "queue (kept 14 days).",
            Namespace="AWS/SQS",
            MetricName="ApproximateNumberOfMessagesVisible",
            Dimensions=[cw.MetricDimension(Name="QueueName", Value=queue.name)],
            Statistic="Maximum",
            Period=FIVE_MINUTES,
            EvaluationPeriods=1,
        )


def _query(
    query_id: str, namespace: str, name: str, stat: str, dimension: str, value: object
) -> cw.MetricDataQuery:
    return cw.MetricDataQuery(
        Id=query_id,
        ReturnData=False,
        MetricStat=cw.MetricStat(
            Metric=cw.Metric(
                Namespace=namespace,
                MetricName=name,
                Dimensions=[cw.MetricDimension(Name=dimension, Value=value)],
            ),
            Period=FIVE_MINUTES,
            Stat=stat,
        ),
    )
