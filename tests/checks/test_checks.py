"""Each check passes a good resource and names each thing wrong with a bad one."""

from __future__ import annotations

import copy
import json

import pytest
from troposphere import Template

from generator.blocks import buckets, roles
from generator.blocks import policies as iam
from generator.blocks.buckets import AccessLogBucket, Bucket
from generator.blocks.keys import Key
from generator.checks import bucket_hardening, key_rotation, trust_policies


@pytest.fixture(scope="module")
def good() -> dict:
    template = Template()
    key = Key(template, "Key", description="k", alias="k")
    logs = AccessLogBucket(template, expire_days=30, title="Logs")
    Bucket(
        template,
        "Data",
        name="data",
        key=key,
        lifecycle=[buckets.keep_current("Keep")],
        access_logs=logs,
        log_prefix="data/",
    )
    roles.for_service(template, "Role", "lambda.amazonaws.com", description="r")
    return json.loads(json.dumps(template.to_dict()))


def test_good_template_passes_every_check(good):
    assert bucket_hardening.check(good) == []
    assert key_rotation.check(good) == []
    assert trust_policies.check(good) == []


BUCKET_BREAKAGES = {
    "not SSE-KMS": lambda p: p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ].update(SSEAlgorithm="AES256"),
    "S3 Bucket Key not enabled": lambda p: p["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ][0].pop("BucketKeyEnabled"),
    "versioning not enabled": lambda p: p.pop("VersioningConfiguration"),
    "public access not blocked: RestrictPublicBuckets": lambda p: p[
        "PublicAccessBlockConfiguration"
    ].update(RestrictPublicBuckets=False),
    "ObjectOwnership is not BucketOwnerEnforced": lambda p: p["OwnershipControls"]["Rules"][
        0
    ].update(ObjectOwnership="ObjectWriter"),
    "no lifecycle rules": lambda p: p.pop("LifecycleConfiguration"),
    "no server access logs": lambda p: p.pop("LoggingConfiguration"),
}


@pytest.mark.parametrize("problem", sorted(BUCKET_BREAKAGES))
def test_bucket_breakage_is_named(problem, good):
    bad = copy.deepcopy(good)
    BUCKET_BREAKAGES[problem](bad["Resources"]["Data"]["Properties"])
    messages = [f.message for f in bucket_hardening.check(bad) if f.resource == "Data"]
    assert any(m.startswith(problem) for m in messages), messages


def test_missing_tls_only_policy_is_named(good):
    bad = copy.deepcopy(good)
    del bad["Resources"]["DataPolicy"]
    messages = [f.message for f in bucket_hardening.check(bad)]
    assert messages == ["bucket policy does not deny aws:SecureTransport = false"]


LOG_TARGET_BREAKAGES = {
    "receives server access logs, so its default encryption must be SSE-S3": lambda p: p[
        "BucketEncryption"
    ]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"].update(
        SSEAlgorithm="aws:kms", KMSMasterKeyID="k"
    ),
    "receives server access logs and must not log itself": lambda p: p.update(
        LoggingConfiguration={"DestinationBucketName": {"Ref": "Logs"}}
    ),
}


@pytest.mark.parametrize("problem", sorted(LOG_TARGET_BREAKAGES))
def test_log_target_breakage_is_named(problem, good):
    bad = copy.deepcopy(good)
    LOG_TARGET_BREAKAGES[problem](bad["Resources"]["Logs"]["Properties"])
    messages = [f.message for f in bucket_hardening.check(bad) if f.resource == "Logs"]
    assert problem in messages, messages


def test_log_delivery_without_source_conditions_is_named(good):
    bad = copy.deepcopy(good)
    statements = bad["Resources"]["LogsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (delivery,) = [s for s in statements if s["Sid"] == "AccessLogsFromData"]
    del delivery["Condition"]["ArnLike"]
    messages = [f.message for f in bucket_hardening.check(bad) if f.resource == "Logs"]
    assert messages == [
        "statement 'AccessLogsFromData' admits logging.s3.amazonaws.com without "
        "aws:SourceArn and aws:SourceAccount"
    ]


def test_unrotated_key_is_named(good):
    bad = copy.deepcopy(good)
    bad["Resources"]["Key"]["Properties"]["EnableKeyRotation"] = False
    assert [(f.resource, f.message) for f in key_rotation.check(bad)] == [
        ("Key", "EnableKeyRotation is not true")
    ]


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda s: s.pop("Condition"), "no source condition"),
        (
            lambda s: s.update(Principal={"Service": ["a.amazonaws.com", "b.amazonaws.com"]}),
            "2 principals",
        ),
        (lambda s: s.update(Principal={"AWS": "*"}), "trusts everyone"),
    ],
)
def test_loose_trust_is_named(edit, expected, good):
    bad = copy.deepcopy(good)
    edit(bad["Resources"]["Role"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0])
    messages = [f.message for f in trust_policies.check(bad)]
    assert any(m.startswith(expected) for m in messages), messages


def test_service_trust_refuses_no_condition():
    with pytest.raises(ValueError, match="needs a source condition"):
        iam.service_trust("lambda.amazonaws.com")
