"""Every bucket: versioning, all four public-access blocks, BucketOwnerEnforced,
lifecycle rules, a TLS-only policy, and either of:

- a bucket that receives other buckets' server access logs: SSE-S3 (S3 supports no other
  default encryption on a log target), no access logging of its own, and a policy that
  admits `logging.s3.amazonaws.com` only with `aws:SourceArn` and `aws:SourceAccount`;
- every other bucket: SSE-KMS with a customer key and an S3 Bucket Key, and server access
  logs to such a log bucket.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule
"""

from __future__ import annotations

from typing import Any

from generator.checks import Finding, Template, resources

ID = "bucket-hardening"
PUBLIC_ACCESS_BLOCKS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)
LOG_SERVICE = "logging.s3.amazonaws.com"


def _is_ref_to(value: Any, logical_id: str) -> bool:
    return bool(value == {"Ref": logical_id})


def _denies_plain_http(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition", {}).get("Bool", {})
    return statement.get("Effect") == "Deny" and condition.get("aws:SecureTransport") in (
        "false",
        False,
    )


def _log_targets(template: Template) -> set[str]:
    """Buckets named as a server access log destination by another bucket."""
    return {
        bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
        for bucket in resources(template, "AWS::S3::Bucket").values()
        if isinstance(
            bucket.get("Properties", {})
            .get("LoggingConfiguration", {})
            .get("DestinationBucketName"),
            dict,
        )
    }


def _encryption(props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    rule = rules[0] if rules else {}
    return rule, rule.get("ServerSideEncryptionByDefault", {})


def _as_log_target(props: dict[str, Any], statements: list[dict[str, Any]]) -> list[str]:
    problems = []
    _, default = _encryption(props)
    if default.get("SSEAlgorithm") != "AES256":
        problems.append("receives server access logs, so its default encryption must be SSE-S3")
    if "LoggingConfiguration" in props:
        problems.append("receives server access logs and must not log itself")
    for statement in statements:
        if LOG_SERVICE not in str(statement.get("Principal", "")):
            continue
        keys = {k for block in statement.get("Condition", {}).values() for k in block}
        if not {"aws:SourceArn", "aws:SourceAccount"} <= keys:
            problems.append(
                f"statement {statement.get('Sid')!r} admits {LOG_SERVICE} without "
                "aws:SourceArn and aws:SourceAccount"
            )
    return problems


def _as_data_bucket(props: dict[str, Any]) -> list[str]:
    problems = []
    rule, default = _encryption(props)
    if default.get("SSEAlgorithm") != "aws:kms" or not default.get("KMSMasterKeyID"):
        problems.append("not SSE-KMS with a customer key")
    if rule.get("BucketKeyEnabled") is not True:
        problems.append("S3 Bucket Key not enabled")
    if "LoggingConfiguration" not in props:
        problems.append("no server access logs")
    return problems


def _problems(
    resource: dict[str, Any], statements: list[dict[str, Any]], target: bool
) -> list[str]:
    props = resource.get("Properties", {})
    problems = _as_log_target(props, statements) if target else _as_data_bucket(props)
    if props.get("VersioningConfiguration", {}).get("Status") != "Enabled":
        problems.append("versioning not enabled")
    blocks = props.get("PublicAccessBlockConfiguration", {})
    missing = [b for b in PUBLIC_ACCESS_BLOCKS if blocks.get(b) is not True]
    if missing:
        problems.append(f"public access not blocked: {', '.join(missing)}")
    ownership = props.get("OwnershipControls", {}).get("Rules", [])
    if [r.get("ObjectOwnership") for r in ownership] != ["BucketOwnerEnforced"]:
        problems.append("ObjectOwnership is not BucketOwnerEnforced")
    if not props.get("LifecycleConfiguration", {}).get("Rules"):
        problems.append("no lifecycle rules")
    if not any(_denies_plain_http(s) for s in statements):
        problems.append("bucket policy does not deny aws:SecureTransport = false")
    return problems


def check(template: Template) -> list[Finding]:
    policies = resources(template, "AWS::S3::BucketPolicy")
    targets = _log_targets(template)
    findings = []
    for logical_id, bucket in resources(template, "AWS::S3::Bucket").items():
        statements = [
            s
            for p in policies.values()
            if _is_ref_to(p["Properties"].get("Bucket"), logical_id)
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]
        findings += [
            Finding(ID, logical_id, p) for p in _problems(bucket, statements, logical_id in targets)
        ]
    return findings
