"""The home region's logging and monitoring stack (one stack, central account).

Logs: each target region's CloudWatch Logs destination feeds its own Firehose stream
here (records carry no region, so the stream is the partition), which decompresses the
subscription payloads and writes them as JSON lines, each a batch of log events with the
account, log group and log stream they came from, to one encrypted bucket under
`logs/<region>/<yyyy>/<MM>/<dd>/`.
Events: every region's deployment, alarm and stack events arrive on one event bus; all
are kept in a log group, and failures, rollbacks and alarms go to an SNS topic.
Dashboard: one, with each widget naming its region.
"""

from __future__ import annotations

from functools import cached_property

from awacs import events as events_actions
from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import sns as sns_actions
from awacs.aws import ArnEquals, Bool, Condition, Principal, Statement, StringEquals
from troposphere import GetAtt, Output, Ref, Sub, events, firehose, logs, sns
from troposphere import cloudwatch as cw

from generator import vocabulary as names
from generator.blocks import buckets, policies, principals, roles
from generator.blocks.buckets import AccessLogBucket, Bucket
from generator.blocks.compat import FirehoseProcessor
from generator.blocks.keys import Key
from generator.blocks.log_groups import LogGroup
from generator.blocks.roles import Role
from generator.output.render import compact
from generator.stacks.base import Stack
from generator.stacks.central_logging import dashboard, rollout

FIREHOSE_ERROR_STREAM = "S3Delivery"
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
        "access_logs",
        "archive",
        "firehose_role",
        "delivery_errors",
        "delivery_streams",
        "bus",
        "event_log",
        "wave_health",
        "stack_set_events",
        "drift_checks",
        "alerts",
        "dashboard",
    )

    def describe(self) -> str:
        return (
            f"{self.app}: central logging and monitoring in the home region "
            f"({self.config.application.home_region}): log archive, Firehose per target "
            "region, event bus, dashboard."
        )

    @cached_property
    def key(self) -> Key:
        """One key for the archive, the event log, delivery errors and the alert topic."""
        key = Key(
            self.template,
            "LogsKey",
            description=f"{self.app}: central log archive, event log and alert topic",
            alias=f"{self.app}-central-logs",
        )
        key.allow_logs("CloudWatchLogsEncryptsCentralGroups")
        # Readers of the archive (IAM decides who) decrypt through S3.
        key.delegate("s3", [kms_actions.Decrypt, kms_actions.DescribeKey])
        # Publishing to the encrypted alert topic (the pipeline's approval requests).
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
        key.delegate("sns", [kms_actions.GenerateDataKey, kms_actions.Decrypt])
        # Firehose server-side encryption with a customer key works through a grant that
        # the deploying principal creates for the service.
        # https://docs.aws.amazon.com/firehose/latest/dev/encryption.html
        key.allow_account(
            "AccountGrantsToAwsServices",
            [kms_actions.CreateGrant, kms_actions.DescribeKey],
            Bool("kms:GrantIsForAWSResource", "true"),
        )
        key.allow_service(
            "EventBridgePublishesToEncryptedTopic",
            "events.amazonaws.com",
            [kms_actions.GenerateDataKey, kms_actions.Decrypt],
            policies.source_account(),
        )
        return key

    @cached_property
    def access_logs(self) -> AccessLogBucket:
        return AccessLogBucket(
            self.template, expire_days=self.config.logging.access_log_expire_days
        )

    @cached_property
    def archive(self) -> Bucket:
        logging = self.config.logging
        bucket = Bucket(
            self.template,
            "CentralLogBucket",
            name=Sub(names.central_log_bucket(self.app)),
            key=self.key,
            access_logs=self.access_logs,
            log_prefix="central-log-bucket/",
            lifecycle=[
                buckets.tiered(
                    "ArchiveTiers",
                    ia_days=logging.transition_to_ia_days,
                    glacier_days=logging.transition_to_glacier_days,
                    expire_days=logging.expire_days,
                )
            ],
        )
        self.template.add_output(
            Output(
                "LogBucketName",
                Value=bucket.ref,
                Description="Central log archive: logs/<region>/<yyyy>/<MM>/<dd>/.",
            )
        )
        return bucket

    @cached_property
    def firehose_role(self) -> Role:
        """Firehose writes to the archive and its own error log stream only.
        https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
        """
        role = roles.for_service(
            self.template,
            "FirehoseDeliveryRole",
            "firehose.amazonaws.com",
            # Firehose documents sts:ExternalId (the account id) as its confused-deputy guard.
            conditions=[StringEquals({"sts:ExternalId": Ref("AWS::AccountId")})],
            description="Firehose delivers central logs to the archive bucket.",
        )
        self.archive.grant_delivery(role, "WriteArchive")
        role.allow(
            "LogDeliveryErrors",
            [logs_actions.PutLogEvents],
            [
                policies.arn(
                    "logs",
                    f"log-group:{self.delivery_errors.name}:log-stream:{FIREHOSE_ERROR_STREAM}",
                )
            ],
        )
        return role

    @cached_property
    def delivery_errors(self) -> LogGroup:
        group = LogGroup(
            self.template,
            "FirehoseErrorLogGroup",
            name=f"/aws/kinesisfirehose/{self.app}-central-logs",
            retention_days=self.config.application.log_retention_days,
            key=self.key,
            fate="Delete",
        )
        self.template.add_resource(
            logs.LogStream(
                "FirehoseErrorLogStream",
                LogGroupName=group.ref,
                LogStreamName=FIREHOSE_ERROR_STREAM,
            )
        )
        return group

    @cached_property
    def delivery_streams(self) -> list[firehose.DeliveryStream]:
        return [self._delivery_stream(region) for region in self.config.targets.regions]

    def _delivery_stream(self, region: str) -> firehose.DeliveryStream:
        """One stream per source region, so the region is the object prefix."""
        date = "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}"
        return self.template.add_resource(
            firehose.DeliveryStream(
                names.logical_id("LogStream", region),
                DeliveryStreamName=names.delivery_stream(self.app, region),
                DeliveryStreamType="DirectPut",
                DeliveryStreamEncryptionConfigurationInput=(
                    firehose.DeliveryStreamEncryptionConfigurationInput(
                        KeyType="CUSTOMER_MANAGED_CMK", KeyARN=self.key.arn
                    )
                ),
                ExtendedS3DestinationConfiguration=firehose.ExtendedS3DestinationConfiguration(
                    BucketARN=self.archive.arn,
                    RoleARN=self.firehose_role.arn,
                    Prefix=f"logs/{region}/{date}/",
                    ErrorOutputPrefix=f"errors/{region}/!{{firehose:error-output-type}}/{date}/",
                    BufferingHints=firehose.BufferingHints(
                        IntervalInSeconds=self.config.logging.buffer_seconds, SizeInMBs=5
                    ),
                    CompressionFormat="GZIP",
                    EncryptionConfiguration=firehose.EncryptionConfiguration(
                        KMSEncryptionConfig=firehose.KMSEncryptionConfig(AWSKMSKeyARN=self.key.arn)
                    ),
                    ProcessingConfiguration=self._processing(),
                    CloudWatchLoggingOptions=firehose.CloudWatchLoggingOptions(
                        Enabled=True,
                        LogGroupName=self.delivery_errors.ref,
                        LogStreamName=FIREHOSE_ERROR_STREAM,
                    ),
                ),
            )
        )

    def _processing(self) -> firehose.ProcessingConfiguration:
        """Subscription payloads are gzipped JSON envelopes of log events. Firehose
        decompresses each and writes it whole, one per line: the envelope keeps `owner`
        (the account), `logGroup` and `logStream`, which message extraction would drop.
        https://docs.aws.amazon.com/firehose/latest/dev/Message_extraction.html
        """
        return firehose.ProcessingConfiguration(
            Enabled=True,
            Processors=[
                FirehoseProcessor(
                    Type="Decompression",
                    Parameters=[
                        firehose.ProcessorParameter(
                            ParameterName="CompressionFormat", ParameterValue="GZIP"
                        )
                    ],
                ),
                FirehoseProcessor(Type="AppendDelimiterToRecord"),
            ],
        )

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
        return self.template.add_resource(
            events.EventBus(
                "CentralEventBus",
                Name=names.event_bus(self.app),
                Description=f"{self.app}: deployment, alarm and stack events of every region",
                Policy=policies.as_dict(policies.document(statement)),
            )
        )

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
        rule = self.template.add_resource(
            events.Rule(
                "ArchiveAllEvents",
                Description=f"{self.app}: keep every forwarded event",
                EventBusName=Ref(self.bus),
                EventPattern={"source": list(names.FORWARDED_SOURCES)},
                State="ENABLED",
                Targets=[events.Target(Id="EventLog", Arn=group.arn)],
            )
        )
        # EventBridge writes to a log group under that group's resource policy.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions
        # The policy is a JSON string, so the ARNs go in through Fn::Sub variables.
        policy = policies.document(
            Statement(
                Sid="EventBridgeWritesEventLog",
                Effect="Allow",
                Principal=Principal(
                    "Service", ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
                ),
                Action=[logs_actions.CreateLogStream, logs_actions.PutLogEvents],
                Resource=["${EventLogArn}"],
                Condition=Condition(ArnEquals({"aws:SourceArn": "${ArchiveRuleArn}"})),
            )
        )
        self.template.add_resource(
            logs.ResourcePolicy(
                "CentralEventLogPolicy",
                PolicyName=f"{self.app}-central-event-log",
                PolicyDocument=Sub(
                    compact(policy), EventLogArn=group.arn, ArchiveRuleArn=GetAtt(rule, "Arn")
                ),
            )
        )
        return group

    @cached_property
    def wave_health(self) -> list[cw.Alarm]:
        """Per wave, an alarm that a region of it went to ALARM: what its bake watches."""
        return rollout.wave_health(self.template, self.config, self.event_log)

    @cached_property
    def stack_set_events(self) -> None:
        rollout.forward_stack_set_events(self.template, self.app, self.bus)

    @cached_property
    def drift_checks(self) -> None:
        rollout.drift_checks(self.template, self.app)

    @cached_property
    def alerts(self) -> sns.Topic:
        """Deployment failures, stack rollbacks, alarms and pipeline failures, on a topic."""
        topic = self.template.add_resource(
            sns.Topic(
                "AlertTopic",
                TopicName=names.alert_topic(self.app),
                DisplayName=f"{self.app} alerts",
                KmsMasterKeyId=self.key.arn,
            )
        )
        if self.config.logging.alert_email:
            self.template.add_resource(
                sns.SubscriptionResource(
                    "AlertEmailSubscription",
                    TopicArn=Ref(topic),
                    Protocol="email",
                    Endpoint=self.config.logging.alert_email,
                )
            )
        failed_instances = rollout.failed_instances_rule(self.template, self.app, self.bus, topic)
        rule = self.template.add_resource(
            events.Rule(
                "AlertOnFailures",
                Description=f"{self.app}: failed deployments, rollbacks, alarms, pipeline failures",
                EventBusName=Ref(self.bus),
                EventPattern={"$or": ALERT_PATTERNS},
                State="ENABLED",
                Targets=[events.Target(Id="AlertTopic", Arn=Ref(topic))],
            )
        )
        self.template.add_resource(
            sns.TopicPolicy(
                "AlertTopicPolicy",
                Topics=[Ref(topic)],
                PolicyDocument=policies.document(
                    Statement(
                        Sid="AlertRulePublishes",
                        Effect="Allow",
                        Principal=Principal("Service", "events.amazonaws.com"),
                        Action=[sns_actions.Publish],
                        Resource=[Ref(topic)],
                        Condition=Condition(
                            ArnEquals(
                                {
                                    "aws:SourceArn": [
                                        GetAtt(rule, "Arn"),
                                        GetAtt(failed_instances, "Arn"),
                                    ]
                                }
                            )
                        ),
                    )
                ),
            )
        )
        self.template.add_output(
            Output("AlertTopicArn", Value=Ref(topic), Description="Where alerts are published.")
        )
        return topic

    @cached_property
    def dashboard(self) -> cw.Dashboard:
        return self.template.add_resource(
            cw.Dashboard(
                "Dashboard",
                DashboardName=names.dashboard(self.app),
                DashboardBody=dashboard.body(self.config, names.central_log_bucket(self.app)),
            )
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
    {
        "source": ["aws.codepipeline"],
        "detail-type": [names.STAGE_STATE],
        "detail": {"stage": [names.ROLLOUT_STAGE], "state": ["SUCCEEDED", "FAILED", "STOPPED"]},
    },
]
