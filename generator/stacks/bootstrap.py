"""The regional bootstrap: what the central account needs in every target region.

Deployed once per target region by a StackSet into the central (pipeline) account:
- the artifact bucket `<prefix>-<account>-<region>` that Lambda reads code from (Lambda
  reads code only from a bucket in the function's own region), with its own key, readable
  by the target accounts and nothing else;
- the CloudWatch Logs destination that the target accounts' log groups subscribe to;
  its target is this region's Firehose stream in the home region.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html
"""

from __future__ import annotations

from awacs import firehose as firehose_actions
from awacs import kms as kms_actions
from awacs import s3 as s3_actions
from awacs.aws import ArnLike, Condition, Statement, StringEquals, StringLike
from troposphere import GetAtt, Join, Output, Parameter, Ref, Select, Sub, Template, logs

from generator import vocabulary as naming
from generator.blocks import buckets, parameters, principals
from generator.blocks import policies as iam
from generator.config import Config

SOURCE_ACCOUNTS = "SourceAccountIds"


def build(config: Config) -> Template:
    return Bootstrap(config).template


class Bootstrap:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.app = config.application.name
        self.template = Template(
            Description=f"{self.app}: regional bootstrap in the central account (artifact "
            "bucket, log destination). Deployed by a StackSet to every target region."
        )
        self.home_region = parameters.add_home_region(self.template)
        self.account_count = len(config.targets.accounts)
        if self.account_count:
            self.template.add_parameter(
                Parameter(
                    SOURCE_ACCOUNTS,
                    Type="CommaDelimitedList",
                    Description=f"The {self.account_count} target accounts that deploy the "
                    "application from this bucket and send their logs here, in config order.",
                )
            )
        self.key = self._artifact_key()
        self.access_logs = buckets.access_log_bucket(
            self.template, self.key, config.logging.access_log_expire_days
        )
        self.bucket = self._artifact_bucket()
        self._log_destination()

    def accounts(self) -> list:
        """The source accounts: each from the parameter, or this account when none is set.

        One `Fn::Select` per configured account keeps account ids out of the template
        while letting each be used inside an ARN.
        """
        if not self.account_count:
            return [Ref("AWS::AccountId")]
        return [Select(i, Ref(SOURCE_ACCOUNTS)) for i in range(self.account_count)]

    def readers(self) -> principals.Readers:
        return principals.readers(self.config.targets, self.accounts())

    def per_account(self, pattern: str) -> list[Sub]:
        """`pattern` (with `${Account}`) for each source account and this one: CloudWatch
        Logs tests a new destination on this (the recipient) account's behalf.
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateFirehoseStreamDestination-Account.html
        """
        accounts = self.accounts()
        if Ref("AWS::AccountId") not in accounts:
            accounts = [*accounts, Ref("AWS::AccountId")]
        return [Sub(pattern, Account=account) for account in accounts]

    def _artifact_key(self):
        via_s3 = {"kms:ViaService": Sub("s3.${AWS::Region}.amazonaws.com")}
        readers = self.readers()
        grants = [
            # The target accounts' deployments read code through S3: decrypt only.
            buckets.key_statement(
                "TargetAccountsDecryptCodeThroughS3",
                readers.principal,
                [kms_actions.Decrypt, kms_actions.DescribeKey],
                StringEquals({**via_s3, **readers.org_equals}),
                *readers.conditions,
            ),
            # This account's publisher (IAM decides who) writes code through S3.
            buckets.account_through_s3(
                "AccountWritesCodeThroughS3",
                [
                    kms_actions.Encrypt,
                    kms_actions.GenerateDataKey,
                    kms_actions.Decrypt,
                    kms_actions.DescribeKey,
                ],
            ),
            buckets.access_log_grant(),
        ]
        return buckets.customer_key(
            self.template,
            "ArtifactKey",
            description=f"{self.app}: encrypts this region's Lambda code artifacts",
            alias=f"{self.app}-artifacts",
            grants=grants,
        )

    def _artifact_bucket(self):
        readers = self.readers()
        read = Statement(
            Sid="TargetAccountsReadCode",
            Effect="Allow",
            Principal=readers.principal,
            Action=[s3_actions.GetObject, s3_actions.GetObjectVersion],
            Resource=[Join("", [GetAtt("ArtifactBucket", "Arn"), "/*"])],
        )
        if readers.conditions:
            read.Condition = Condition([StringEquals(readers.org_equals), *readers.conditions])
        bucket = buckets.hardened_bucket(
            self.template,
            "ArtifactBucket",
            name=naming.artifact_bucket(self.config.application.bucket_prefix),
            key=self.key,
            # Current code stays: a rollback may need any released version.
            lifecycle=[buckets.keep_current("ExpireReplacedObjects")],
            access_logs=buckets.AccessLogs(self.access_logs, "artifact-bucket/"),
            policy=[read],
        )
        self.template.add_output(
            Output(
                "ArtifactBucketName",
                Value=Ref(bucket),
                Description="Bucket the function zips are published to in this region.",
            )
        )
        return bucket

    def _log_destination(self) -> None:
        """The region's destination, whose target is its stream in the home region."""
        stream = Sub(
            "arn:${AWS::Partition}:firehose:${HomeRegion}:${AWS::AccountId}:deliverystream/"
            + naming.delivery_stream(self.app, "${AWS::Region}")
        )
        # CloudWatch Logs assumes this role in this region on behalf of the source accounts.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateFirehoseStreamDestination.html
        organization = self.config.targets.organization_id
        if self.config.targets.organizational_units:
            trust = iam.service_trust(
                "logs.amazonaws.com",
                StringEquals({"aws:SourceOrgID": organization}),
                ArnLike({"aws:SourceArn": Sub("arn:${AWS::Partition}:logs:${AWS::Region}:*:*")}),
            )
        else:
            trust = iam.service_trust(
                "logs.amazonaws.com",
                StringLike(
                    {
                        "aws:SourceArn": self.per_account(
                            "arn:${AWS::Partition}:logs:${AWS::Region}:${Account}:*"
                        )
                    }
                ),
            )
        role = self.template.add_resource(
            iam.role(
                "LogDestinationRole",
                trust,
                [
                    iam.allow(
                        "PutToOwnRegionStream",
                        [firehose_actions.PutRecord, firehose_actions.PutRecordBatch],
                        [stream],
                    )
                ],
                description="CloudWatch Logs puts this region's logs on its central stream.",
            )
        )
        name = naming.logs_destination(self.app)
        destination_arn = iam.arn("logs", f"destination:{name}")
        # The destination policy is a JSON string; the account list is joined into it.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html
        if self.config.targets.organizational_units:
            who = '"*"},"Condition":{"StringEquals":{"aws:PrincipalOrgID":"' + organization + '"}}'
            principal = [who]
        else:
            principal = ['["', Join('","', self.accounts()), '"]}']
        policy = Join(
            "",
            [
                '{"Version":"2012-10-17","Statement":[{"Sid":"SourceAccountsSubscribe",'
                '"Effect":"Allow","Principal":{"AWS":',
                *principal,
                ',"Action":"logs:PutSubscriptionFilter","Resource":"',
                destination_arn,
                '"}]}',
            ],
        )
        destination = self.template.add_resource(
            logs.Destination(
                "LogDestination",
                DestinationName=name,
                RoleArn=GetAtt(role, "Arn"),
                TargetArn=stream,
                DestinationPolicy=policy,
            )
        )
        self.template.add_output(
            Output(
                "LogDestinationArn",
                Value=GetAtt(destination, "Arn"),
                Description="Subscription target for this region's application log groups.",
            )
        )
