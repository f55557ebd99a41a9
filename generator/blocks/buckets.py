"""Hardened S3 buckets that grant access, writing the bucket, key and role sides together.

Every bucket: SSE-KMS with a customer key and an S3 Bucket Key, versioning, all four
public-access blocks, BucketOwnerEnforced (ACLs off), a policy that denies requests
without TLS, lifecycle rules, and server access logs to a log bucket.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html

The one exception is S3's own: a bucket that receives server access logs may use only
SSE-S3 as its default encryption, so `AccessLogBucket` is SSE-S3 and logs nowhere.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
"""

from __future__ import annotations

from collections.abc import Sequence

from awacs import kms as kms_actions
from awacs import s3 as s3_actions
from awacs.aws import (
    Allow,
    ArnLike,
    Bool,
    Condition,
    Deny,
    Principal,
    Statement,
    StringEquals,
)
from troposphere import AWSHelperFn, GetAtt, Ref, Sub, Template, s3

from generator.blocks import checkov, policies
from generator.blocks.keys import Key
from generator.blocks.principals import Readers
from generator.blocks.roles import Role

ACCESS_LOG_SERVICE = "logging.s3.amazonaws.com"
READ = [s3_actions.GetObject, s3_actions.GetObjectVersion]
LIST = [s3_actions.GetBucketLocation, s3_actions.GetBucketVersioning, s3_actions.ListBucket]


class _Base:
    """What every bucket has: a resource, its policy, and a TLS-only statement."""

    def __init__(self, template: Template, title: str, properties: dict[str, object]) -> None:
        self.title = title
        self.resource = template.add_resource(
            s3.Bucket(title, DeletionPolicy="Retain", UpdateReplacePolicy="Retain", **properties)
        )
        self.statements: list[Statement] = [self._tls_only()]
        template.add_resource(
            s3.BucketPolicy(
                f"{title}Policy",
                Bucket=Ref(self.resource),
                PolicyDocument=policies.Document(
                    Version=policies.POLICY_VERSION, Statement=self.statements
                ),
            )
        )

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.title, "Arn")

    @property
    def ref(self) -> Ref:
        return Ref(self.title)

    @property
    def objects(self) -> Sub:
        return Sub(f"${{{self.title}.Arn}}/*")

    def _tls_only(self) -> Statement:
        """Deny every request made without TLS (Config rule s3-bucket-ssl-requests-only).
        https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule
        """
        return Statement(
            Sid="DenyInsecureTransport",
            Effect=Deny,
            Principal=Principal("*"),
            Action=[s3_actions.Action("*")],
            Resource=[self.arn, self.objects],
            Condition=Condition(Bool("aws:SecureTransport", "false")),
        )


class AccessLogBucket(_Base):
    """The target of other buckets' server access logs (same region and account).

    SSE-S3, because S3 does not support SSE-KMS as the default encryption of a log target;
    `logging.s3.amazonaws.com` may put objects only under each source's prefix, only for
    that source bucket (`aws:SourceArn`) of this account (`aws:SourceAccount`).
    """

    def __init__(self, template: Template, *, expire_days: int, title: str = "AccessLogBucket"):
        super().__init__(
            template,
            title,
            {
                **_common(lifecycle=[expire_after("ExpireAccessLogs", expire_days)]),
                "BucketEncryption": s3.BucketEncryption(
                    ServerSideEncryptionConfiguration=[
                        s3.ServerSideEncryptionRule(
                            ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                                SSEAlgorithm="AES256"
                            )
                        )
                    ]
                ),
                "Metadata": checkov.skip(
                    ("CKV_AWS_18", "The server access log target; logging it would log itself."),
                    (
                        "CKV_AWS_145",
                        "S3 supports only SSE-S3 as the default encryption of a bucket that "
                        "receives server access logs.",
                    ),
                ),
            },
        )

    def receive(self, source: Bucket, prefix: str) -> s3.LoggingConfiguration:
        """Accept `source`'s access logs under `prefix`; the source's LoggingConfiguration."""
        self.statements.append(
            Statement(
                Sid=f"AccessLogsFrom{source.title}",
                Effect=Allow,
                Principal=Principal("Service", ACCESS_LOG_SERVICE),
                Action=[s3_actions.PutObject],
                Resource=[Sub(f"${{{self.title}.Arn}}/{prefix}*")],
                Condition=Condition(
                    [
                        ArnLike({"aws:SourceArn": source.arn}),
                        StringEquals({"aws:SourceAccount": Ref("AWS::AccountId")}),
                    ]
                ),
            )
        )
        return s3.LoggingConfiguration(DestinationBucketName=self.ref, LogFilePrefix=prefix)


class Bucket(_Base):
    """A hardened, KMS-encrypted bucket whose grants write bucket, key and role policies."""

    def __init__(
        self,
        template: Template,
        title: str,
        *,
        key: Key,
        lifecycle: Sequence[s3.LifecycleRule],
        access_logs: AccessLogBucket,
        log_prefix: str,
        name: str | AWSHelperFn | None = None,
    ) -> None:
        self.key = key
        self.title = title
        properties: dict[str, object] = {
            **_common(lifecycle=lifecycle),
            "BucketEncryption": s3.BucketEncryption(
                ServerSideEncryptionConfiguration=[
                    s3.ServerSideEncryptionRule(
                        BucketKeyEnabled=True,
                        ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                            SSEAlgorithm="aws:kms", KMSMasterKeyID=key.arn
                        ),
                    )
                ]
            ),
            "LoggingConfiguration": access_logs.receive(self, log_prefix),
        }
        self.name = name
        if name is not None:
            properties["BucketName"] = name
        super().__init__(template, title, properties)

    def _context(self, arn: AWSHelperFn | None = None) -> dict[str, object]:
        """With an S3 Bucket Key, S3 calls KMS with the bucket's ARN as encryption context.
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context
        """
        return {"kms:EncryptionContext:aws:s3:arn": arn or self.arn}

    @property
    def arn_by_name(self) -> Sub:
        """The ARN built from the bucket's name, for the key's own policy: the bucket
        uses the key, so the key cannot refer to the bucket resource."""
        if self.name is None:
            raise ValueError(f"bucket {self.title} has no name to build its ARN from")
        return Sub("arn:${AWS::Partition}:s3:::${Name}", Name=self.name)

    def grant_read(self, role: Role, sid: str) -> None:
        """Get objects (and their versions), and list the bucket."""
        role.allow(sid, READ, [self.objects])
        role.allow(f"{sid}List", LIST, [self.arn])
        self.key.grant(
            role, f"{sid}Decrypt", [kms_actions.Decrypt], service="s3", equals=self._context()
        )

    def grant_read_write(self, role: Role, sid: str) -> None:
        """Read, and put objects (multipart uploads need Decrypt too). DescribeKey is in
        the key permissions that CodePipeline documents for an artifact store's key.
        https://docs.aws.amazon.com/codepipeline/latest/userguide/S3-artifact-encryption.html
        """
        role.allow(sid, [*READ, s3_actions.PutObject], [self.objects])
        role.allow(f"{sid}List", LIST, [self.arn])
        self.key.grant(
            role,
            f"{sid}Crypto",
            [
                kms_actions.Decrypt,
                kms_actions.DescribeKey,
                kms_actions.Encrypt,
                kms_actions.GenerateDataKey,
            ],
            service="s3",
            equals=self._context(),
        )

    def grant_delivery(self, role: Role, sid: str) -> None:
        """What Firehose documents for delivery to S3: list, multipart uploads, put.
        https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
        """
        role.allow(
            f"{sid}Bucket",
            [
                s3_actions.GetBucketLocation,
                s3_actions.ListBucket,
                s3_actions.ListBucketMultipartUploads,
            ],
            [self.arn],
        )
        role.allow(
            f"{sid}Objects",
            [s3_actions.AbortMultipartUpload, s3_actions.GetObject, s3_actions.PutObject],
            [self.objects],
        )
        self.key.grant(
            role,
            f"{sid}Crypto",
            [kms_actions.Decrypt, kms_actions.GenerateDataKey],
            service="s3",
            equals=self._context(),
        )

    def grant_readers(self, readers: Readers, sid: str) -> None:
        """Let principals of other accounts (or the organization's OUs) read objects: the
        bucket policy and the key policy both name them; their own IAM policies do the rest."""
        statement = Statement(
            Sid=sid,
            Effect=Allow,
            Principal=readers.principal,
            Action=list(READ),
            Resource=[self.objects],
        )
        if readers.conditions:
            statement.Condition = Condition([StringEquals(readers.org_equals), *readers.conditions])
        self.statements.append(statement)
        self.key.allow_readers(
            f"{sid}Decrypt",
            readers,
            [kms_actions.Decrypt],
            {
                "kms:ViaService": Sub("s3.${AWS::Region}.amazonaws.com"),
                **self._context(self.arn_by_name),
            },
        )

    def allow(self, statement: Statement) -> None:
        """A statement of the bucket policy that no grant above covers."""
        self.statements.append(statement)


def _common(*, lifecycle: Sequence[s3.LifecycleRule]) -> dict[str, object]:
    return {
        "VersioningConfiguration": s3.VersioningConfiguration(Status="Enabled"),
        "PublicAccessBlockConfiguration": s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        "OwnershipControls": s3.OwnershipControls(
            Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]
        ),
        "LifecycleConfiguration": s3.LifecycleConfiguration(Rules=list(lifecycle)),
    }


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
