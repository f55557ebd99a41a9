"""Every bucket: SSE-KMS with a customer key and a bucket key, versioning, all four
public-access blocks, BucketOwnerEnforced, lifecycle rules, access logs, TLS-only policy.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
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
ACCESS_LOG_SKIP = "CKV_AWS_18"


def _is_ref_to(value: Any, logical_id: str) -> bool:
    return value == {"Ref": logical_id}


def _denies_plain_http(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition", {}).get("Bool", {})
    return statement.get("Effect") == "Deny" and condition.get("aws:SecureTransport") in (
        "false",
        False,
    )


def _skips_access_logs(resource: dict[str, Any]) -> bool:
    skips = resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    return any(s.get("id") == ACCESS_LOG_SKIP and s.get("comment") for s in skips)


def _problems(resource: dict[str, Any], policies: list[dict[str, Any]]) -> list[str]:
    props = resource.get("Properties", {})
    problems = []
    rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    default = rules[0].get("ServerSideEncryptionByDefault", {}) if rules else {}
    if default.get("SSEAlgorithm") != "aws:kms" or not default.get("KMSMasterKeyID"):
        problems.append("not SSE-KMS with a customer key")
    if not rules or rules[0].get("BucketKeyEnabled") is not True:
        problems.append("S3 Bucket Key not enabled")
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
    if "LoggingConfiguration" not in props and not _skips_access_logs(resource):
        problems.append("no server access logs (and no reasoned skip)")
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    if not any(_denies_plain_http(s) for s in statements):
        problems.append("bucket policy does not deny aws:SecureTransport = false")
    return problems


def check(template: Template) -> list[Finding]:
    policies = resources(template, "AWS::S3::BucketPolicy")
    findings = []
    for logical_id, bucket in resources(template, "AWS::S3::Bucket").items():
        own = [
            p for p in policies.values() if _is_ref_to(p["Properties"].get("Bucket"), logical_id)
        ]
        findings += [Finding(ID, logical_id, p) for p in _problems(bucket, own)]
    return findings
