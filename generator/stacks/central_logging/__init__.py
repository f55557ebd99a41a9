"""The home region's logging and monitoring stack (one stack, central account).

Logs: each target region's CloudWatch Logs destination feeds its own Firehose stream
here (records carry no region, so the stream is the partition), which decompresses the
subscription payload, extracts the log messages and writes JSON lines to one encrypted
bucket under `logs/<region>/<yyyy>/<MM>/<dd>/`.
Events: every region's deployment, alarm and stack events arrive on one event bus; all
are kept in a log group, and failures, rollbacks and alarms go to an SNS topic.
Dashboard: one, with each widget naming its region.
"""

from __future__ import annotations

import json

from awacs import events as events_actions
from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import s3 as s3_actions
from awacs import sns as sns_actions
from awacs.aws import (
    ArnEquals,
    Bool,
    Condition,
    Principal,
    Statement,
    StringEquals,
)
from troposphere import GetAtt, Output, Ref, Sub, Template, events, firehose, logs, sns
from troposphere import cloudwatch as cw

from generator import vocabulary as naming
from generator.blocks import buckets, principals
from generator.blocks import policies as iam
from generator.blocks.compat import FirehoseProcessor
from generator.config import Config
from generator.stacks.app.telemetry import ALARM_STATE, CODEDEPLOY_STATE, STACK_STATUS
from generator.stacks.central_logging import dashboard

FIREHOSE_ERROR_STREAM = "S3Delivery"
# Sources the regional stacks and the pipeline forward to the central bus.
FORWARDED_SOURCES = ("aws.codedeploy", "aws.cloudwatch", "aws.cloudformation", "aws.codepipeline")
# https://docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html
PIPELINE_STATE = "CodePipeline Pipeline Execution State Change"
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


def build(config: Config) -> Template:
    return CentralLogging(config).template


class CentralLogging:
    """The home-region stack's parts, each a method that names what it builds."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.app = config.application.name
        self.home = config.application.home_region
        self.template = Template(
            Description=f"{self.app}: central logging and monitoring in the home region "
            f"({self.home}): log archive, Firehose per target region, event bus, dashboard."
        )
        self.bucket_name = naming.central_log_bucket(self.app)
        self.firehose_role = self._firehose_role()
        self.key = self._key()
        self.access_logs = buckets.access_log_bucket(
            self.template, self.key, config.logging.access_log_expire_days
        )
        self.bucket = self._log_bucket()
        self.delivery_errors = self._delivery_error_logs()
        for region in config.targets.regions:
            self._delivery_stream(region)
        self.bus = self._event_bus()
        self._event_archive()
        self._alerts()
        self._dashboard()

    # --- accounts and names -------------------------------------------------------

    def _firehose_error_log_group(self) -> str:
        return f"/aws/kinesisfirehose/{self.app}-central-logs"

    # --- encryption ---------------------------------------------------------------

    def _key(self):
        """One key for the archive, its access logs, the event log and the alert topic."""
        grants = [
            buckets.key_statement(
                "FirehoseWritesArchive",
                Principal("AWS", GetAtt(self.firehose_role, "Arn")),
                [kms_actions.GenerateDataKey, kms_actions.Decrypt],
                StringEquals({"kms:ViaService": f"s3.{self.home}.amazonaws.com"}),
            ),
            buckets.account_through_s3(
                "AccountReadsArchiveThroughS3", [kms_actions.Decrypt, kms_actions.DescribeKey]
            ),
            # Publishing to the encrypted alert topic (the pipeline's approval requests).
            # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
            buckets.account_through(
                "sns", "AccountPublishesAlerts", [kms_actions.GenerateDataKey, kms_actions.Decrypt]
            ),
            # Firehose server-side encryption with a customer key works through a grant that
            # the deploying principal creates for the service.
            # https://docs.aws.amazon.com/firehose/latest/dev/encryption.html
            buckets.key_statement(
                "AccountGrantsToAwsServices",
                Principal("AWS", buckets.account_root()),
                [kms_actions.CreateGrant, kms_actions.DescribeKey],
                Bool("kms:GrantIsForAWSResource", "true"),
            ),
            buckets.access_log_grant(),
            buckets.logs_grant("CloudWatchLogsEncryptsCentralGroups"),
            buckets.key_statement(
                "EventBridgePublishesToEncryptedTopic",
                Principal("Service", "events.amazonaws.com"),
                [kms_actions.GenerateDataKey, kms_actions.Decrypt],
                iam.source_account(),
            ),
        ]
        return buckets.customer_key(
            self.template,
            "LogsKey",
            description=f"{self.app}: central log archive, event log and alert topic",
            alias=f"{self.app}-central-logs",
            grants=grants,
        )

    # --- the archive --------------------------------------------------------------

    def _log_bucket(self):
        logging = self.config.logging
        return buckets.hardened_bucket(
            self.template,
            "CentralLogBucket",
            name=Sub(self.bucket_name),
            key=self.key,
            access_logs=buckets.AccessLogs(self.access_logs, "central-log-bucket/"),
            lifecycle=[
                buckets.tiered(
                    "ArchiveTiers",
                    ia_days=logging.transition_to_ia_days,
                    glacier_days=logging.transition_to_glacier_days,
                    expire_days=logging.expire_days,
                )
            ],
        )

    def _firehose_role(self):
        """Firehose writes to the archive bucket and its own error log stream only.

        The bucket and log group ARNs are built from their names: the key policy names
        this role, and the bucket uses the key, so a GetAtt here would be a cycle.
        https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
        """
        bucket_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{self.bucket_name}")
        objects = Sub(f"arn:${{AWS::Partition}}:s3:::{self.bucket_name}/*")
        statements = [
            iam.allow(
                "ListArchiveBucket",
                [
                    s3_actions.GetBucketLocation,
                    s3_actions.ListBucket,
                    s3_actions.ListBucketMultipartUploads,
                ],
                [bucket_arn],
            ),
            iam.allow(
                "WriteArchiveObjects",
                [s3_actions.AbortMultipartUpload, s3_actions.GetObject, s3_actions.PutObject],
                [objects],
            ),
            iam.allow(
                "LogDeliveryErrors",
                [logs_actions.PutLogEvents],
                [
                    iam.arn(
                        "logs",
                        f"log-group:{self._firehose_error_log_group()}:log-stream:"
                        f"{FIREHOSE_ERROR_STREAM}",
                    )
                ],
            ),
        ]
        # Firehose documents sts:ExternalId (the account id) as its confused-deputy guard.
        trust = iam.service_trust(
            "firehose.amazonaws.com",
            StringEquals({"sts:ExternalId": Ref("AWS::AccountId")}),
        )
        return self.template.add_resource(
            iam.role(
                "FirehoseDeliveryRole",
                trust,
                statements,
                description="Firehose delivers central logs to the archive bucket.",
            )
        )

    def _delivery_error_logs(self) -> logs.LogGroup:
        group = self.template.add_resource(
            logs.LogGroup(
                "FirehoseErrorLogGroup",
                LogGroupName=self._firehose_error_log_group(),
                RetentionInDays=self.config.application.log_retention_days,
                KmsKeyId=GetAtt(self.key, "Arn"),
            )
        )
        self.template.add_resource(
            logs.LogStream(
                "FirehoseErrorLogStream",
                LogGroupName=Ref(group),
                LogStreamName=FIREHOSE_ERROR_STREAM,
            )
        )
        return group

    def _delivery_stream(self, region: str) -> firehose.DeliveryStream:
        """One stream per source region, so the region is the object prefix."""
        date = "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}"
        return self.template.add_resource(
            firehose.DeliveryStream(
                naming.logical_id("LogStream", region),
                DeliveryStreamName=naming.delivery_stream(self.app, region),
                DeliveryStreamType="DirectPut",
                DeliveryStreamEncryptionConfigurationInput=(
                    firehose.DeliveryStreamEncryptionConfigurationInput(
                        KeyType="CUSTOMER_MANAGED_CMK", KeyARN=GetAtt(self.key, "Arn")
                    )
                ),
                ExtendedS3DestinationConfiguration=firehose.ExtendedS3DestinationConfiguration(
                    BucketARN=GetAtt(self.bucket, "Arn"),
                    RoleARN=GetAtt(self.firehose_role, "Arn"),
                    Prefix=f"logs/{region}/{date}/",
                    ErrorOutputPrefix=f"errors/{region}/!{{firehose:error-output-type}}/{date}/",
                    BufferingHints=firehose.BufferingHints(
                        IntervalInSeconds=self.config.logging.buffer_seconds, SizeInMBs=5
                    ),
                    CompressionFormat="GZIP",
                    EncryptionConfiguration=firehose.EncryptionConfiguration(
                        KMSEncryptionConfig=firehose.KMSEncryptionConfig(
                            AWSKMSKeyARN=GetAtt(self.key, "Arn")
                        )
                    ),
                    # Subscription payloads are gzipped JSON envelopes of many log events;
                    # these processors unpack them into one log message per line.
                    # https://docs.aws.amazon.com/firehose/latest/dev/Message_extraction.html
                    ProcessingConfiguration=firehose.ProcessingConfiguration(
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
                            FirehoseProcessor(
                                Type="CloudWatchLogProcessing",
                                Parameters=[
                                    firehose.ProcessorParameter(
                                        ParameterName="DataMessageExtraction",
                                        ParameterValue="true",
                                    )
                                ],
                            ),
                            FirehoseProcessor(Type="AppendDelimiterToRecord"),
                        ],
                    ),
                    CloudWatchLoggingOptions=firehose.CloudWatchLoggingOptions(
                        Enabled=True,
                        LogGroupName=Ref(self.delivery_errors),
                        LogStreamName=FIREHOSE_ERROR_STREAM,
                    ),
                ),
            )
        )

    # --- events -------------------------------------------------------------------

    def _event_bus(self) -> events.EventBus:
        """The bus every region forwards to; only the target accounts may put events."""
        bus_arn = iam.arn("events", f"event-bus/{naming.event_bus(self.app)}")
        targets = self.config.targets
        readers = principals.readers(targets, principals.target_accounts(targets))
        statement = Statement(
            Sid="TargetAccountsPutEvents",
            Effect="Allow",
            Principal=readers.principal,
            Action=[events_actions.PutEvents],
            Resource=[bus_arn],
        )
        if readers.conditions:
            statement.Condition = Condition([StringEquals(readers.org_equals), *readers.conditions])
        policy = iam.document(statement)
        return self.template.add_resource(
            events.EventBus(
                "CentralEventBus",
                Name=naming.event_bus(self.app),
                Description=f"{self.app}: deployment, alarm and stack events of every region",
                Policy=iam.as_dict(policy),
            )
        )

    def _event_archive(self) -> None:
        """Every forwarded event, kept in an encrypted log group."""
        group = self.template.add_resource(
            logs.LogGroup(
                "CentralEventLogGroup",
                LogGroupName=naming.central_event_log_group(self.app),
                RetentionInDays=self.config.logging.event_retention_days,
                KmsKeyId=GetAtt(self.key, "Arn"),
            )
        )
        rule = self.template.add_resource(
            events.Rule(
                "ArchiveAllEvents",
                Description=f"{self.app}: keep every forwarded event",
                EventBusName=Ref(self.bus),
                EventPattern={"source": list(FORWARDED_SOURCES)},
                State="ENABLED",
                Targets=[events.Target(Id="EventLog", Arn=GetAtt(group, "Arn"))],
            )
        )
        # EventBridge writes to a log group under that group's resource policy.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions
        # The policy is a JSON string, so the ARNs go in through Fn::Sub variables.
        policy = iam.document(
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
                    json.dumps(iam.as_dict(policy), sort_keys=True),
                    EventLogArn=GetAtt(group, "Arn"),
                    ArchiveRuleArn=GetAtt(rule, "Arn"),
                ),
            )
        )

    def _alerts(self) -> None:
        """Deployment failures, stack rollbacks and alarms to an encrypted SNS topic."""
        topic = self.template.add_resource(
            sns.Topic(
                "AlertTopic",
                TopicName=naming.alert_topic(self.app),
                DisplayName=f"{self.app} alerts",
                KmsMasterKeyId=GetAtt(self.key, "Arn"),
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
        rule = self.template.add_resource(
            events.Rule(
                "AlertOnFailures",
                Description=f"{self.app}: failed deployments, rollbacks, alarms, pipeline failures",
                EventBusName=Ref(self.bus),
                EventPattern={
                    "$or": [
                        {
                            "source": ["aws.codedeploy"],
                            "detail-type": [CODEDEPLOY_STATE],
                            "detail": {"state": ["FAILURE", "STOP"]},
                        },
                        {
                            "source": ["aws.cloudwatch"],
                            "detail-type": [ALARM_STATE],
                            "detail": {"state": {"value": ["ALARM"]}},
                        },
                        {
                            "source": ["aws.cloudformation"],
                            "detail-type": [STACK_STATUS],
                            "detail": {"status-details": {"status": ALERT_STACK_STATUSES}},
                        },
                        {
                            "source": ["aws.codepipeline"],
                            "detail-type": [PIPELINE_STATE],
                            "detail": {"state": ["FAILED"]},
                        },
                    ]
                },
                State="ENABLED",
                Targets=[events.Target(Id="AlertTopic", Arn=Ref(topic))],
            )
        )
        self.template.add_resource(
            sns.TopicPolicy(
                "AlertTopicPolicy",
                Topics=[Ref(topic)],
                PolicyDocument=iam.document(
                    Statement(
                        Sid="AlertRulePublishes",
                        Effect="Allow",
                        Principal=Principal("Service", "events.amazonaws.com"),
                        Action=[sns_actions.Publish],
                        Resource=[Ref(topic)],
                        Condition=Condition(ArnEquals({"aws:SourceArn": GetAtt(rule, "Arn")})),
                    )
                ),
            )
        )
        self.template.add_output(
            Output("AlertTopicArn", Value=Ref(topic), Description="Where alerts are published.")
        )

    # --- dashboard ----------------------------------------------------------------

    def _dashboard(self) -> None:
        self.template.add_resource(
            cw.Dashboard(
                "Dashboard",
                DashboardName=f"{self.app}-all-regions",
                DashboardBody=dashboard.body(self.config, self.bucket_name),
            )
        )
        self.template.add_output(
            Output(
                "LogBucketName",
                Value=Ref(self.bucket),
                Description="Central log archive: logs/<region>/<yyyy>/<MM>/<dd>/.",
            )
        )
