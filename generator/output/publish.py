"""Upload the function zips to one region's artifact bucket.

Keys are content hashes, so an object that exists already holds these exact bytes and
is skipped: a re-run uploads nothing, and a release uploads only changed code.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.exceptions import ClientError

from generator import vocabulary as naming
from generator.output.bundles import Asset


@dataclass(frozen=True)
class Published:
    bucket: str
    uploaded: list[str]
    skipped: list[str]


def bucket_name(prefix: str, account: str, region: str) -> str:
    """The bootstrap stack's bucket, as `naming.artifact_bucket` names it in templates."""
    return naming.artifact_bucket_name(prefix, account, region)


def _exists(s3, bucket: str, key: str, account: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key, ExpectedBucketOwner=account)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def publish(
    assets: list[Asset], prefix: str, region: str, session: boto3.session.Session | None = None
) -> Published:
    """Upload each asset not yet in the region's bucket; the bucket must be this account's."""
    session = session or boto3.session.Session()
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    s3 = session.client("s3", region_name=region)
    bucket = bucket_name(prefix, account, region)
    uploaded, skipped = [], []
    for asset in assets:
        if _exists(s3, bucket, asset.key, account):
            skipped.append(asset.key)
            continue
        # ChecksumSHA256 makes S3 verify the bytes it stores against the hash we computed.
        s3.put_object(
            Bucket=bucket,
            Key=asset.key,
            Body=asset.data,
            ChecksumSHA256=asset.code_sha256,
            ExpectedBucketOwner=account,
        )
        uploaded.append(asset.key)
    return Published(bucket=bucket, uploaded=uploaded, skipped=skipped)
