"""The regional bootstrap: what the central account needs in every target region.

Deployed once per target region by a StackSet into the central (pipeline) account:
- the artifact bucket `<prefix>-<account>-<region>` that Lambda reads code from (Lambda
  reads code only from a bucket in the function's own region), with its own key, readable
  by the target accounts and nothing else;
- the CloudWatch Logs destination that the target accounts' log groups subscribe to;
  its target is this region's Firehose stream in the home region (none when the logs
  reach the home region by centralization alone);
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html
- a rule that forwards this stack's own drift, found by the daily drift detection of the
  bootstrap stack set, to the central bus in the home region (same account).
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-drift-detection-change.html
"""

from __future__ import annotations

import json
from functools import cached_property

from awacs import events as events_actions
from awacs import firehose as firehose_actions
from awacs import kms as kms_actions
from awacs.aws import ArnLike, ConditionElement, StringLike
from troposphere import (
    AWSHelperFn,
    GetAtt,
    Join,
    Parameter,
    Ref,
    Select,
    Sub,
    events,
    logs,
    ssm,
)

from generator import vocabulary as names
from generator.blocks import buckets, parameters, policies, principals, roles, version_check
from generator.blocks.buckets import AccessLogBucket, Bucket
from generator.blocks.keys import Key
from generator.blocks.roles import Role
from generator.stacks.base import Stack


class Bootstrap(Stack):
    """Artifact bucket and log destination of one region, in the central account."""

    contents = (
        "home_region",
        "source_accounts",
        "artifact_key",
        "access_logs",
        "artifact_bucket",
        "log_destination",
        "drift_forwarding",
        "execution_role_check",
    )

    closing = ("execution_role_check",)

    def describe(self) -> str:
        return (
            f"{self.app}: regional bootstrap in the central account (artifact bucket, log "
            "destination). Deployed by a StackSet to every target region."
        )

    @cached_property
    def home_region(self) -> Parameter:
        return parameters.home_region(self.template)

    @cached_property
    def source_accounts(self) -> list[AWSHelperFn]:
        """The source accounts: each from the parameter, or this account when none is set.

        One `Fn::Select` per configured account keeps account ids out of the template
        while letting each be used inside an ARN.
        """
        count = len(self.config.targets.accounts)
        if not count:
            return [Ref("AWS::AccountId")]
        self.template.add_parameter(
            Parameter(
                names.SOURCE_ACCOUNTS,
                Type="CommaDelimitedList",
                Description=f"The {count} target accounts that deploy the application from "
                "this bucket and send their logs here, in config order.",
            )
        )
        return [Select(i, Ref(names.SOURCE_ACCOUNTS)) for i in range(count)]

    @property
    def readers(self) -> principals.Readers:
        return principals.readers(self.config.targets, self.source_accounts)

    @cached_property
    def artifact_key(self) -> Key:
        key = Key(
            self.template,
            "ArtifactKey",
            description=f"{self.app}: encrypts this region's Lambda code artifacts",
            alias=f"{self.app}-artifacts",
        )
        # The publisher (a CodeBuild role of the pipeline stack) writes code through S3.
        key.delegate(
            "s3",
            [
                kms_actions.Encrypt,
                kms_actions.GenerateDataKey,
                kms_actions.Decrypt,
                kms_actions.DescribeKey,
            ],
        )
        return key

    @cached_property
    def access_logs(self) -> AccessLogBucket:
        return AccessLogBucket(
            self.template, expire_days=self.config.logging.access_log_expire_days
        )

    @cached_property
    def artifact_bucket(self) -> Bucket:
        """Current code stays: a rollback may need any released version."""
        bucket = Bucket(
            self.template,
            "ArtifactBucket",
            name=names.artifact_bucket(self.config.application.bucket_prefix),
            key=self.artifact_key,
            lifecycle=[buckets.keep_current("ExpireReplacedObjects")],
            access_logs=self.access_logs,
            log_prefix="artifact-bucket/",
        )
        # The target accounts' deployments read code (Lambda fetches it with the
        # deploying principal's credentials).
        bucket.grant_readers(self.readers, "TargetAccountsReadCode")
        self.output(
            "ArtifactBucketName",
            bucket.ref,
            "Bucket the function zips are published to in this region.",
        )
        return bucket

    def _per_account(self, pattern: str) -> list[Sub]:
        """`pattern` (with `${Account}`) for each source account and this one: CloudWatch
        Logs tests a new destination on this (the recipient) account's behalf.
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateFirehoseStreamDestination-Account.html
        """
        accounts = list(self.source_accounts)
        if Ref("AWS::AccountId") not in accounts:
            accounts.append(Ref("AWS::AccountId"))
        return [Sub(pattern, Account=account) for account in accounts]

    def _destination_role(self, stream: Sub) -> Role:
        """CloudWatch Logs assumes this role in this region for the source accounts.

        The trust is the documented one: aws:SourceArn, the accounts' CloudWatch Logs in
        this region. With OU targets the accounts are not known, so any account's; the
        organization is enforced where the page puts it, by the destination policy's
        aws:PrincipalOrgID on PutSubscriptionFilter. No CloudWatch Logs page says that it
        sends aws:SourceOrgID, and a condition on a key the request lacks is false.
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateFirehoseStreamDestination.html
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
        """
        condition: ConditionElement
        if self.config.targets.organizational_units:
            any_account = Sub("arn:${AWS::Partition}:logs:${AWS::Region}:*:*")
            condition = ArnLike({"aws:SourceArn": any_account})
        else:
            pattern = "arn:${AWS::Partition}:logs:${AWS::Region}:${Account}:*"
            condition = StringLike({"aws:SourceArn": self._per_account(pattern)})
        return roles.for_service(
            self.template,
            "LogDestinationRole",
            "logs.amazonaws.com",
            conditions=[condition],
            description="CloudWatch Logs puts this region's logs on its central stream.",
            statements=[
                policies.allow(
                    "PutToOwnRegionStream",
                    [firehose_actions.PutRecord, firehose_actions.PutRecordBatch],
                    [stream],
                )
            ],
        )

    def _destination_policy(self, destination_arn: Sub) -> Join | Sub:
        """The destination policy is a JSON string: the organization's, or one that
        names each source account (joined in, since the accounts are a parameter).
        Account-level subscription policies need PutAccountPolicy there too: "This policy
        must specify the logs:PutSubscriptionFilter and logs:PutAccountPolicy actions".
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateFirehoseStreamDestination-Account.html
        """
        statement = (
            '{"Version":"2012-10-17","Statement":[{"Sid":"SourceAccountsSubscribe",'
            '"Effect":"Allow","Principal":{"AWS":'
        )
        actions = ["logs:PutSubscriptionFilter"]
        if self.config.logging.subscription == "account":
            actions.append("logs:PutAccountPolicy")
        action = json.dumps(actions if len(actions) > 1 else actions[0], separators=(",", ":"))
        tail = f',"Action":{action},"Resource":"${{Destination}}"}}]}}'
        if self.config.targets.organizational_units:
            organization = self.config.targets.organization_id
            who = f'"*"}},"Condition":{{"StringEquals":{{"aws:PrincipalOrgID":"{organization}"}}}}'
            return Sub(statement + who + tail, Destination=destination_arn)
        return Join(
            "",
            [
                statement,
                '["',
                Join('","', self.source_accounts),
                '"]}',
                Sub(tail, Destination=destination_arn),
            ],
        )

    @cached_property
    def log_destination(self) -> logs.Destination | None:
        """The region's destination, whose target is its stream in the home region; none
        when the logs reach the home region by centralization alone."""
        if not self.config.logging.firehose:
            return None
        stream = Sub(
            f"arn:${{AWS::Partition}}:firehose:${{{self.home_region.title}}}:${{AWS::AccountId}}:"
            f"deliverystream/{names.delivery_stream(self.app, '${AWS::Region}')}"
        )
        name = names.logs_destination(self.app)
        destination = self.template.add_resource(
            logs.Destination(
                "LogDestination",
                DestinationName=name,
                RoleArn=self._destination_role(stream).arn,
                TargetArn=stream,
                DestinationPolicy=self._destination_policy(
                    policies.arn("logs", f"destination:{name}")
                ),
            )
        )
        self.output(
            "LogDestinationArn",
            GetAtt(destination, "Arn"),
            "Subscription target for this region's application log groups.",
        )
        return destination

    @cached_property
    def drift_forwarding(self) -> events.Rule:
        """This stack drifted: to the central bus, whose alert rule sends it on. The bus is
        this account's, in the home region, so the role's IAM policy is all it needs.
        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
        """
        bus = Sub(
            f"arn:${{AWS::Partition}}:events:${{{self.home_region.title}}}:${{AWS::AccountId}}:"
            f"event-bus/{names.event_bus(self.app)}"
        )
        role = roles.for_service(
            self.template,
            "DriftForwarderRole",
            "events.amazonaws.com",
            description="EventBridge forwards this stack's drift to the central bus only.",
            statements=[policies.allow("PutEventsOnCentralBus", [events_actions.PutEvents], [bus])],
        )
        return self.template.add_resource(
            events.Rule(
                "ForwardDriftEvents",
                Description=f"{self.app}: forward this stack's drift to the home region",
                EventPattern={
                    "source": ["aws.cloudformation"],
                    "detail-type": [names.DRIFT_STATUS],
                    "detail": {
                        "stack-id": [Ref("AWS::StackId")],
                        "status-details": {"stack-drift-status": ["DRIFTED"]},
                    },
                },
                State="ENABLED",
                Targets=[events.Target(Id="CentralBus", Arn=bus, RoleArn=role.arn)],
            )
        )

    @cached_property
    def execution_role_check(self) -> ssm.Parameter:
        """Created before anything else: the account's StackSet execution role must be
        recent enough for this template. It depends on every other part."""
        for part in self.contents[:-1]:
            getattr(self, part)
        return version_check.add(self.template, self.app, "bootstrap")
