"""Upload the function zips to one region's artifact bucket.

Keys are content hashes, so an object that exists already holds these exact bytes and
is skipped: a re-run uploads nothing, and a release uploads only changed code.

What AWS refuses (no credentials, no bucket, access denied) becomes a PublishError with
one line that says what is wrong and what to do; the CLI prints it without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from generator import vocabulary as naming
from generator.output.bundles import Asset

MISSING = ("404", "NoSuchKey", "NotFound")
DENIED = ("403", "AccessDenied", "Forbidden", "AllAccessDisabled")
BAD_CREDENTIALS = (
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
)


class PublishError(Exception):
    """AWS refused the upload; the message says what to do."""


@dataclass(frozen=True)
class Published:
    bucket: str
    uploaded: list[str]
    skipped: list[str]


def bucket_name(prefix: str, account: str, region: str) -> str:
    """The bootstrap stack's bucket, as `naming.artifact_bucket` names it in templates."""
    return naming.artifact_bucket_name(prefix, account, region)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def explain(exc: Exception, bucket: str, region: str) -> str:
    """One line: what went wrong and what to do about it."""
    if isinstance(exc, NoCredentialsError):
        return (
            "no AWS credentials found; sign in (`aws sso login`, `aws configure`, or set "
            "AWS_PROFILE) and run the command again"
        )
    if isinstance(exc, ClientError):
        code = _code(exc)
        if code in BAD_CREDENTIALS:
            return f"AWS rejected the credentials ({code}); refresh them and run the command again"
        if code in ("NoSuchBucket", *MISSING):
            return (
                f"bucket {bucket} does not exist in {region}; deploy the bootstrap StackSet "
                f"to {region} first (README, 'Rolling out with StackSets', step 2)"
            )
        if code in DENIED:
            return (
                f"access denied to s3://{bucket} ({code}); use a role of this account that "
                "may s3:ListBucket, s3:GetObject and s3:PutObject on it and use its KMS key"
            )
        message = exc.response.get("Error", {}).get("Message", "")
        return f"AWS refused {exc.operation_name} ({code}): {message}"
    return f"cannot reach AWS in {region}: {exc}"


@contextmanager
def _refusals(bucket: str, region: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise PublishError(explain(exc, bucket, region)) from None


def _exists(s3: Any, bucket: str, key: str, account: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key, ExpectedBucketOwner=account)
    except ClientError as exc:
        if _code(exc) in MISSING:
            return False
        raise
    return True


def _account(session: boto3.session.Session, region: str) -> str:
    with _refusals("(the artifact bucket)", region):
        identity: dict[str, str] = session.client("sts", region_name=region).get_caller_identity()
    return identity["Account"]


def publish(
    assets: list[Asset],
    prefix: str,
    region: str,
    session: boto3.session.Session | None = None,
) -> Published:
    """Upload each asset not yet in the region's bucket; the bucket must be this account's."""
    session = session or boto3.session.Session()
    account = _account(session, region)
    bucket = bucket_name(prefix, account, region)
    s3 = session.client("s3", region_name=region)
    uploaded, skipped = [], []
    with _refusals(bucket, region):
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
        for asset in assets:
            if _exists(s3, bucket, asset.key, account):
                skipped.append(asset.key)
                continue
            # ChecksumSHA256 makes S3 verify the bytes it stores against our hash.
            s3.put_object(
                Bucket=bucket,
                Key=asset.key,
                Body=asset.data,
                ChecksumSHA256=asset.code_sha256,
                ExpectedBucketOwner=account,
            )
            uploaded.append(asset.key)
    return Published(bucket=bucket, uploaded=uploaded, skipped=skipped)
