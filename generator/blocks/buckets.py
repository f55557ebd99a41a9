"""Customer-managed KMS keys and hardened S3 buckets: the one way this project makes them.

Every bucket: SSE-KMS with a customer key and an S3 Bucket Key, versioning, all four
public-access blocks, BucketOwnerEnforced (ACLs off), a bucket policy that denies
requests without TLS, lifecycle rules, and server access logs to a log bucket.
Every key rotates yearly.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from awacs import kms as kms_actions
from awacs import s3 as s3_actions
from awacs.aws import (
    Allow,
    ArnLike,
    Bool,
    Condition,
    ConditionElement,
    Deny,
    Principal,
    Statement,
    StringEquals,
)
from troposphere import AWSHelperFn, GetAtt, Join, Ref, Sub, Template, kms, s3

from generator.blocks import checkov
from generator.blocks import policies as iam

# Key administration, listed rather than `kms:*`, for the account root: IAM policies in
# the account then decide who administers. Resource "*" in a key policy means this key.
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
KEY_ADMIN_ACTIONS = [
    kms_actions.CancelKeyDeletion,
    kms_actions.CreateAlias,
    kms_actions.DeleteAlias,
    kms_actions.DescribeKey,
    kms_actions.DisableKey,
    kms_actions.DisableKeyRotation,
    kms_actions.EnableKey,
    kms_actions.EnableKeyRotation,
    kms_actions.GetKeyPolicy,
    kms_actions.GetKeyRotationStatus,
    kms_actions.ListResourceTags,
    kms_actions.PutKeyPolicy,
    kms_actions.ScheduleKeyDeletion,
    kms_actions.TagResource,
    kms_actions.UntagResource,
    kms_actions.UpdateAlias,
    kms_actions.UpdateKeyDescription,
]
# What a service needs to write SSE-KMS objects (with a bucket key) or encrypted logs.
KEY_ENCRYPT_ACTIONS = [kms_actions.Encrypt, kms_actions.GenerateDataKey, kms_actions.DescribeKey]
KEY_DECRYPT_ACTIONS = [kms_actions.Decrypt, kms_actions.DescribeKey]
ACCESS_LOG_SERVICE = "logging.s3.amazonaws.com"


def account_root() -> Sub:
    return Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")


def key_statement(
    sid: str,
    principal: Principal,
    actions: Sequence,
    *conditions: ConditionElement,
) -> Statement:
    statement = Statement(
        Sid=sid, Effect=Allow, Principal=principal, Action=list(actions), Resource=["*"]
    )
    if conditions:
        statement.Condition = Condition(list(conditions))
    return statement


def customer_key(
    template: Template,
    title: str,
    *,
    description: str,
    alias: str,
    grants: Sequence[Statement] = (),
) -> kms.Key:
    """A symmetric key with yearly rotation, an alias, and a policy of admin + `grants`."""
    admin = key_statement(
        "AccountAdministersKey", Principal("AWS", account_root()), KEY_ADMIN_ACTIONS
    )
    key = template.add_resource(
        kms.Key(
            title,
            Description=description,
            EnableKeyRotation=True,
            PendingWindowInDays=30,
            KeyPolicy=iam.document(admin, *grants),
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    template.add_resource(
        kms.Alias(f"{title}Alias", AliasName=f"alias/{alias}", TargetKeyId=Ref(key))
    )
    return key


# What CloudWatch Logs needs to encrypt and read a log group.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
LOGS_KEY_ACTIONS = [
    kms_actions.Encrypt,
    kms_actions.Decrypt,
    kms_actions.ReEncryptFrom,
    kms_actions.ReEncryptTo,
    kms_actions.GenerateDataKey,
    kms_actions.DescribeKey,
]


def logs_grant(sid: str) -> Statement:
    """CloudWatch Logs in this region may use the key, for this account's log groups only."""
    return key_statement(
        sid,
        Principal("Service", Sub("logs.${AWS::Region}.amazonaws.com")),
        LOGS_KEY_ACTIONS,
        ArnLike(
            {
                "kms:EncryptionContext:aws:logs:arn": Sub(
                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                )
            }
        ),
    )


def account_through(service: str, sid: str, actions: Sequence) -> Statement:
    """This account's principals may use the key through `service` (e.g. s3, sns) in this
    region; their IAM policies decide which of them."""
    return key_statement(
        sid,
        Principal("AWS", account_root()),
        actions,
        StringEquals(
            {
                "kms:ViaService": Sub(f"{service}.${{AWS::Region}}.amazonaws.com"),
                "kms:CallerAccount": Ref("AWS::AccountId"),
            }
        ),
    )


def account_through_s3(sid: str, actions: Sequence) -> Statement:
    return account_through("s3", sid, actions)


def access_log_grant() -> Statement:
    """S3 server access logging may write SSE-KMS objects to a log bucket of this account."""
    return key_statement(
        "S3AccessLoggingEncrypts",
        Principal("Service", ACCESS_LOG_SERVICE),
        [kms_actions.GenerateDataKey, kms_actions.Decrypt],
        iam.source_account(),
    )


@dataclass(frozen=True)
class AccessLogs:
    """Where a bucket's server access logs go: a log bucket (same region) and a prefix."""

    bucket: s3.Bucket
    prefix: str


def _bucket_arn(bucket: s3.Bucket | str) -> GetAtt:
    return GetAtt(bucket, "Arn")


def _objects(bucket: s3.Bucket | str) -> Join:
    return Join("", [GetAtt(bucket, "Arn"), "/*"])


def tls_only(bucket: s3.Bucket | str) -> Statement:
    """Deny every request made without TLS (Config rule s3-bucket-ssl-requests-only).

    https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule
    """
    return Statement(
        Sid="DenyInsecureTransport",
        Effect=Deny,
        Principal=Principal("*"),
        Action=[s3_actions.Action("*")],
        Resource=[_bucket_arn(bucket), _objects(bucket)],
        Condition=Condition(Bool("aws:SecureTransport", "false")),
    )


def hardened_bucket(
    template: Template,
    title: str,
    *,
    name: str | AWSHelperFn | None,
    key: kms.Key,
    lifecycle: Sequence[s3.LifecycleRule],
    access_logs: AccessLogs | None,
    policy: Sequence[Statement] = (),
    metadata: dict | None = None,
) -> s3.Bucket:
    """A bucket with every hardening above, and a policy of TLS-only plus `policy`."""
    properties = dict(
        BucketEncryption=s3.BucketEncryption(
            ServerSideEncryptionConfiguration=[
                s3.ServerSideEncryptionRule(
                    BucketKeyEnabled=True,
                    ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                        SSEAlgorithm="aws:kms", KMSMasterKeyID=GetAtt(key, "Arn")
                    ),
                )
            ]
        ),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        OwnershipControls=s3.OwnershipControls(
            Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]
        ),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=list(lifecycle)),
    )
    if name is not None:
        properties["BucketName"] = name
    if access_logs is not None:
        properties["LoggingConfiguration"] = s3.LoggingConfiguration(
            DestinationBucketName=Ref(access_logs.bucket), LogFilePrefix=access_logs.prefix
        )
    bucket = template.add_resource(
        s3.Bucket(title, DeletionPolicy="Retain", UpdateReplacePolicy="Retain", **properties)
    )
    if metadata:
        bucket.Metadata = metadata
    template.add_resource(
        s3.BucketPolicy(
            f"{title}Policy",
            Bucket=Ref(bucket),
            PolicyDocument=iam.document(tls_only(bucket), *policy),
        )
    )
    return bucket


def access_log_bucket(
    template: Template, key: kms.Key, expire_days: int, title: str = "AccessLogBucket"
) -> s3.Bucket:
    """The target of other buckets' server access logs, writable by the logging service.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
    """
    write = Statement(
        Sid="S3ServerAccessLogsWrite",
        Effect=Allow,
        Principal=Principal("Service", ACCESS_LOG_SERVICE),
        Action=[s3_actions.PutObject],
        Resource=[_objects(title)],
        Condition=Condition([iam.source_account()]),
    )
    return hardened_bucket(
        template,
        title,
        name=None,  # CloudFormation names it: nothing refers to it by name
        key=key,
        lifecycle=[expire_after("ExpireAccessLogs", expire_days)],
        access_logs=None,  # the log bucket does not log into itself
        policy=[write],
        metadata=checkov.skip(
            ("CKV_AWS_18", "The server access log target; logging it would log itself.")
        ),
    )


def expire_after(rule_id: str, days: int, *, noncurrent_days: int = 30) -> s3.LifecycleRule:
    """Expire objects (and old versions) after `days`, and abandoned uploads after 7."""
    return s3.LifecycleRule(
        Id=rule_id,
        Status="Enabled",
        ExpirationInDays=days,
        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=noncurrent_days),
        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
    )


def keep_current(rule_id: str, *, noncurrent_days: int = 90) -> s3.LifecycleRule:
    """Keep current objects; expire replaced versions and abandoned uploads."""
    return s3.LifecycleRule(
        Id=rule_id,
        Status="Enabled",
        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=noncurrent_days),
        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
    )


def tiered(rule_id: str, *, ia_days: int, glacier_days: int, expire_days: int) -> s3.LifecycleRule:
    """Standard-IA, then Glacier Flexible Retrieval, then expiry.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
    """
    return s3.LifecycleRule(
        Id=rule_id,
        Status="Enabled",
        Transitions=[
            s3.LifecycleRuleTransition(StorageClass="STANDARD_IA", TransitionInDays=ia_days),
            s3.LifecycleRuleTransition(StorageClass="GLACIER", TransitionInDays=glacier_days),
        ],
        ExpirationInDays=expire_days,
        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=30),
        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
    )
