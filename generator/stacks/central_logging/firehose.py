"""The Firehose path's home end (`logging.mode` "firehose" or "both").

Each target region's CloudWatch Logs destination (bootstrap.json) feeds its own Firehose
stream here (records carry no region, so the stream is the partition), which decompresses
the subscription payloads and writes them as JSON lines, each a batch of log events with
the account, log group and log stream they came from, to one encrypted bucket under
`logs/<region>/<yyyy>/<MM>/<dd>/`. The streams log their delivery errors to a log group
that no subscription may read (vocabulary.firehose_error_log_group).
"""

from __future__ import annotations

from functools import cached_property

from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs.aws import Bool, StringEquals
from troposphere import Ref, Sub, Template, firehose, logs

from generator import vocabulary as names
from generator.blocks import buckets, keys, policies, roles
from generator.blocks.buckets import AccessLogBucket, Bucket
from generator.blocks.compat import FirehoseProcessor
from generator.blocks.keys import Key
from generator.blocks.log_groups import LogGroup
from generator.blocks.roles import Role
from generator.config import Config

FIREHOSE_ERROR_STREAM = "S3Delivery"
# Objects under 128 KB transition to Glacier Flexible Retrieval too (not to Standard-IA):
# a quiet region's Firehose objects are often smaller, and by default would stay in
# S3 Standard until they expire.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-lifecycleconfiguration.html
SMALL_OBJECTS_TO_GLACIER = "varies_by_storage_class"


class FirehosePath:
    """The archive bucket, its access logs, a stream per target region, their role and
    error log; built in the order they need each other."""

    def __init__(self, template: Template, config: Config, key: Key) -> None:
        self.template = template
        self.config = config
        self.key = key
        self.app = config.application.name
        # Readers of the archive (IAM decides who) decrypt through S3; `archive` confines
        # the account's use through S3 to that bucket.
        key.delegate("s3", [kms_actions.Decrypt, kms_actions.DescribeKey])
        # Firehose server-side encryption with a customer key works through a grant that
        # the deploying principal creates for the service, through Firehose only.
        # https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html
        # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
        key.allow_account(
            "AccountGrantsToAwsServices",
            [kms_actions.CreateGrant],
            Bool("kms:GrantIsForAWSResource", "true"),
            StringEquals({"kms:ViaService": Sub(keys.via("firehose"))}),
        )

    def build(self) -> list[firehose.DeliveryStream]:
        return self.streams

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
        bucket.resource.LifecycleConfiguration.TransitionDefaultMinimumObjectSize = (
            SMALL_OBJECTS_TO_GLACIER
        )
        # With an S3 Bucket Key, S3 uses the key with the bucket's ARN as encryption
        # context: the account may use the key through S3 for this bucket only. The ARN is
        # built from the name, since the bucket refers to the key.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context
        self.key.confine("s3", {"kms:EncryptionContext:aws:s3:arn": bucket.arn_by_name})
        return bucket

    @cached_property
    def role(self) -> Role:
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
                    f"log-group:{self.errors.name}:log-stream:{FIREHOSE_ERROR_STREAM}",
                )
            ],
        )
        return role

    @cached_property
    def errors(self) -> LogGroup:
        group = LogGroup(
            self.template,
            "FirehoseErrorLogGroup",
            name=names.firehose_error_log_group(self.app),
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
    def streams(self) -> list[firehose.DeliveryStream]:
        return [self._stream(region) for region in self.config.targets.regions]

    def _stream(self, region: str) -> firehose.DeliveryStream:
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
                    RoleARN=self.role.arn,
                    Prefix=f"logs/{region}/{date}/",
                    ErrorOutputPrefix=f"errors/{region}/!{{firehose:error-output-type}}/{date}/",
                    BufferingHints=firehose.BufferingHints(
                        IntervalInSeconds=self.config.logging.buffer_seconds, SizeInMBs=5
                    ),
                    CompressionFormat="GZIP",
                    EncryptionConfiguration=firehose.EncryptionConfiguration(
                        KMSEncryptionConfig=firehose.KMSEncryptionConfig(AWSKMSKeyARN=self.key.arn)
                    ),
                    ProcessingConfiguration=_processing(),
                    CloudWatchLoggingOptions=firehose.CloudWatchLoggingOptions(
                        Enabled=True,
                        LogGroupName=self.errors.ref,
                        LogStreamName=FIREHOSE_ERROR_STREAM,
                    ),
                ),
            )
        )


def _processing() -> firehose.ProcessingConfiguration:
    """Subscription payloads are gzipped JSON envelopes of log events. Firehose decompresses
    each and writes it whole, one per line: the envelope keeps `owner` (the account),
    `logGroup` and `logStream`, which message extraction would drop.
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
