"""AWS's documented policy-evaluation cases, run through generator.permissions.evaluate.

Each case names the AWS page its expected answer comes from:
  EVAL  = Policy evaluation logic
          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  XACCT = Cross-account policy evaluation logic
          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
  COND  = IAM JSON policy elements: Condition operators
          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
  MULTI = Single-valued vs multivalued context keys
          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
  NOTA  = IAM JSON policy elements: NotAction
          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
  NOTR  = IAM JSON policy elements: NotResource
          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
  KMS   = AWS KMS default key policy / key policies
          https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
  ALIAS = Controlling access to aliases (IAM policies alone govern an alias; the key
          policy governs the key)
          https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html
  TRUST = IAM JSON policy elements: Principal (role trust policies: an account principal
          delegates to the account's identity policies; a role ARN principal is enough)
          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html

The table is the research sketch's (52 cases, cross-checked against an independent engine),
plus the role-trust and Null cases the requirements check relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from generator.permissions.evaluate import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Request,
    Result,
    _text,
    evaluate,
    like,
    matches_any,
)

A, B = "111111111111", "222222222222"
ROLE = f"arn:aws:iam::{A}:role/app"
KEY_A = f"arn:aws:kms:eu-west-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_B = f"arn:aws:kms:eu-west-1:{B}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC = f"arn:aws:sns:eu-west-1:{A}:alerts"
BUS_B = f"arn:aws:events:eu-west-1:{B}:event-bus/central"
DEST_B = f"arn:aws:logs:eu-west-1:{B}:destination:central"
ORG_PATH = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"


Doc = dict[str, Any]
Names = str | list[str]


def doc(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Names, resource: Names = "*", **extra: Any) -> Doc:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Names, resource: Names = "*", **extra: Any) -> Doc:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


ROOT_DELEGATION = allow("kms:*", Principal={"AWS": f"arn:aws:iam::{A}:root"})


@dataclass
class Case:
    id: str
    source: str
    action: str
    resource: str
    expected: Result
    identity: list[Doc] = field(default_factory=list)
    resource_policy: Doc | None = None
    context: dict[str, Any] = field(default_factory=dict)
    principal: str = ROLE
    resource_account: str | None = None


# ------------------------------------------------------------------ the table
DENY_DELETE = [doc(allow("s3:*"), deny("s3:DeleteObject", "arn:aws:s3:::bkt/*"))]
S3_ARN_CTX = "kms:EncryptionContext:aws:s3:arn"
LIKE_KEY = [
    doc(
        allow(
            "kms:Decrypt", KEY_A, Condition={"StringLike": {S3_ARN_CTX: "arn:aws:s3:::bkt/logs/*"}}
        )
    )
]
VIA = [
    doc(
        allow(
            "kms:GenerateDataKey",
            KEY_A,
            Condition={"StringLike": {"kms:ViaService": "s3.eu-west-?.amazonaws.com"}},
        )
    )
]
TOPIC_POLICY = doc(
    allow(
        "sns:Publish",
        TOPIC,
        Principal={"Service": "events.amazonaws.com"},
        Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:events:*:{A}:rule/*"}},
    )
)
TLS_BUCKET = doc(
    deny(
        "s3:*",
        ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/*"],
        Principal="*",
        Condition={"Bool": {"aws:SecureTransport": "false"}},
    )
)
TLS_BUCKET_JSON_BOOL = doc(
    deny(
        "s3:*",
        "arn:aws:s3:::bkt/*",
        Principal="*",
        Condition={"Bool": {"aws:SecureTransport": False}},
    )
)
GET_BKT = [doc(allow("s3:GetObject", "arn:aws:s3:::bkt/*"))]
ORG_BUCKET_B = doc(
    allow(
        "s3:PutObject",
        "arn:aws:s3:::central/*",
        Principal={"AWS": "*"},
        Condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [ORG_PATH]}},
    )
)
PUT_CENTRAL = [doc(allow("s3:PutObject", "arn:aws:s3:::central/*"))]
CTX_KEYS = [
    doc(
        allow(
            "kms:Encrypt",
            KEY_A,
            Condition={"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}},
        )
    )
]
PASS = [
    doc(
        allow(
            "iam:PassRole",
            f"arn:aws:iam::{A}:role/fn",
            Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        )
    )
]
PASS_IFEXISTS = [
    doc(
        allow(
            "iam:PassRole",
            f"arn:aws:iam::{A}:role/fn",
            Condition={"StringEqualsIfExists": {"iam:PassedToService": "lambda.amazonaws.com"}},
        )
    )
]
ORG_DENY_BUCKET = doc(
    allow("s3:GetObject", "arn:aws:s3:::bkt/*", Principal={"AWS": ROLE}),
    deny(
        "s3:*",
        "arn:aws:s3:::bkt/*",
        Principal="*",
        Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    ),
)
B_BUCKET_OTHER = doc(
    allow("s3:PutObject", "arn:aws:s3:::central/*", Principal={"AWS": f"arn:aws:iam::{B}:root"})
)
B_BUCKET_TRUSTS_A = doc(allow("s3:PutObject", "arn:aws:s3:::central/*", Principal={"AWS": A}))
B_BUCKET_NAMES_ROLE = doc(allow("s3:PutObject", "arn:aws:s3:::central/*", Principal={"AWS": ROLE}))
B_BUCKET_ARNLIKE = doc(
    allow(
        "s3:PutObject",
        "arn:aws:s3:::central/*",
        Principal={"AWS": f"arn:aws:iam::{A}:root"},
        Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/ap*"}},
    )
)
A_BUCKET_NAMES_ROLE = doc(allow("s3:GetObject", "arn:aws:s3:::bkt/*", Principal={"AWS": ROLE}))
A_BUCKET_NAMES_ROOT = doc(
    allow("s3:GetObject", "arn:aws:s3:::bkt/*", Principal={"AWS": f"arn:aws:iam::{A}:root"})
)
DECRYPT_A = [doc(allow("kms:Decrypt", KEY_A))]
KEY_NO_ROOT = doc(allow("kms:*", Principal={"AWS": f"arn:aws:iam::{A}:role/admin"}))
KEY_NAMES_ROLE = doc(allow("kms:Decrypt", Principal={"AWS": ROLE}))
KEY_B_TRUSTS_A = doc(
    allow("kms:*", Principal={"AWS": f"arn:aws:iam::{B}:root"}),
    allow(["kms:Decrypt", "kms:GenerateDataKey"], Principal={"AWS": f"arn:aws:iam::{A}:root"}),
)
LOGS_KEY = doc(
    ROOT_DELEGATION,
    allow(
        ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"],
        Principal={"Service": "logs.eu-west-1.amazonaws.com"},
        Condition={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-1:{A}:log-group:*"
            }
        },
    ),
)
BUS_B_POLICY = doc(
    allow(
        "events:PutEvents",
        BUS_B,
        Principal={"AWS": "*"},
        Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    )
)
DEST_B_POLICY = doc(allow("logs:PutSubscriptionFilter", DEST_B, Principal={"AWS": A}))
NOT_IAM = [doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]
TWO_ALLOWS = [
    doc(
        allow("s3:GetObject", "arn:aws:s3:::bkt/*"),
        allow(
            "s3:GetObject",
            "arn:aws:s3:::bkt/*",
            Condition={"StringEquals": {"aws:SourceAccount": B}},
        ),
    )
]
NOT_LIKE_DENY = [
    doc(
        allow("s3:*"),
        deny(
            "s3:PutObject",
            "arn:aws:s3:::bkt/*",
            Condition={"StringNotLike": {"aws:SourceVpce": "vpce-1a2b*"}},
        ),
    )
]
ONLY_BKT = [
    doc(
        allow("s3:*"),
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/*"],
        },
    )
]

CASES = [
    # explicit deny overrides allow
    Case(
        "deny-overrides-allow",
        "EVAL",
        "s3:DeleteObject",
        "arn:aws:s3:::bkt/x",
        EXPLICIT_DENY,
        DENY_DELETE,
    ),
    Case(
        "allow-when-deny-does-not-apply",
        "EVAL",
        "s3:GetObject",
        "arn:aws:s3:::bkt/x",
        ALLOW,
        DENY_DELETE,
    ),
    Case(
        "no-statement-implicit-deny",
        "EVAL",
        "sqs:SendMessage",
        f"arn:aws:sqs:eu-west-1:{A}:q",
        IMPLICIT_DENY,
    ),
    Case(
        "action-is-case-insensitive", "EVAL", "S3:getobject", "arn:aws:s3:::bkt/x", ALLOW, GET_BKT
    ),
    Case(
        "resource-is-case-sensitive",
        "EVAL",
        "s3:GetObject",
        "arn:aws:s3:::BKT/x",
        IMPLICIT_DENY,
        GET_BKT,
    ),
    # StringLike wildcards (* spans '/', ? one character, case-sensitive)
    Case(
        "stringlike-star",
        "COND",
        "kms:Decrypt",
        KEY_A,
        ALLOW,
        LIKE_KEY,
        doc(ROOT_DELEGATION),
        {S3_ARN_CTX: "arn:aws:s3:::bkt/logs/2024/01/x.gz"},
    ),
    Case(
        "stringlike-star-no-match",
        "COND",
        "kms:Decrypt",
        KEY_A,
        IMPLICIT_DENY,
        LIKE_KEY,
        doc(ROOT_DELEGATION),
        {S3_ARN_CTX: "arn:aws:s3:::bkt/other/x"},
    ),
    Case(
        "stringlike-question-mark",
        "COND",
        "kms:GenerateDataKey",
        KEY_A,
        ALLOW,
        VIA,
        doc(ROOT_DELEGATION),
        {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
    ),
    Case(
        "stringlike-case-sensitive",
        "COND",
        "kms:GenerateDataKey",
        KEY_A,
        IMPLICIT_DENY,
        VIA,
        doc(ROOT_DELEGATION),
        {"kms:ViaService": "S3.eu-west-1.amazonaws.com"},
    ),
    # ArnLike
    Case(
        "arnlike-service-principal",
        "COND",
        "sns:Publish",
        TOPIC,
        ALLOW,
        [],
        TOPIC_POLICY,
        {"aws:SourceArn": f"arn:aws:events:eu-west-1:{A}:rule/alarm"},
        principal="events.amazonaws.com",
    ),
    Case(
        "arnlike-other-account",
        "COND",
        "sns:Publish",
        TOPIC,
        IMPLICIT_DENY,
        [],
        TOPIC_POLICY,
        {"aws:SourceArn": f"arn:aws:events:eu-west-1:{B}:rule/alarm"},
        principal="events.amazonaws.com",
    ),
    Case(
        "arnlike-principalarn-cross-account",
        "COND",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        ALLOW,
        PUT_CENTRAL,
        B_BUCKET_ARNLIKE,
        {"aws:PrincipalArn": ROLE},
        resource_account=B,
    ),
    # Bool aws:SecureTransport deny
    Case(
        "bool-securetransport-false-denied",
        "COND",
        "s3:GetObject",
        "arn:aws:s3:::bkt/x",
        EXPLICIT_DENY,
        GET_BKT,
        TLS_BUCKET,
        {"aws:SecureTransport": "false"},
        resource_account=A,
    ),
    Case(
        "bool-securetransport-true-allowed",
        "COND",
        "s3:GetObject",
        "arn:aws:s3:::bkt/x",
        ALLOW,
        GET_BKT,
        TLS_BUCKET,
        {"aws:SecureTransport": "true"},
        resource_account=A,
    ),
    Case(
        "bool-json-boolean-in-policy",
        "COND",
        "s3:GetObject",
        "arn:aws:s3:::bkt/x",
        EXPLICIT_DENY,
        GET_BKT,
        TLS_BUCKET_JSON_BOOL,
        {"aws:SecureTransport": False},
        resource_account=A,
    ),
    # ForAnyValue:StringLike on a multivalued key
    Case(
        "foranyvalue-orgpaths-match",
        "MULTI",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        ALLOW,
        PUT_CENTRAL,
        ORG_BUCKET_B,
        {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"]},
        resource_account=B,
    ),
    Case(
        "foranyvalue-orgpaths-one-of-many",
        "MULTI",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        ALLOW,
        PUT_CENTRAL,
        ORG_BUCKET_B,
        {
            "aws:PrincipalOrgPaths": [
                "o-x/r-ab12/ou-ab12-3/",
                "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/",
            ]
        },
        resource_account=B,
    ),
    Case(
        "foranyvalue-orgpaths-no-match",
        "MULTI",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        IMPLICIT_DENY,
        PUT_CENTRAL,
        ORG_BUCKET_B,
        {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-99999999/"]},
        resource_account=B,
    ),
    Case(
        "foranyvalue-missing-key-false",
        "MULTI",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        IMPLICIT_DENY,
        PUT_CENTRAL,
        ORG_BUCKET_B,
        resource_account=B,
    ),
    # ForAllValues:StringEquals (true when the key is missing)
    Case(
        "forallvalues-subset",
        "MULTI",
        "kms:Encrypt",
        KEY_A,
        ALLOW,
        CTX_KEYS,
        doc(ROOT_DELEGATION),
        {"kms:EncryptionContextKeys": ["aws:s3:arn"]},
    ),
    Case(
        "forallvalues-extra-value",
        "MULTI",
        "kms:Encrypt",
        KEY_A,
        IMPLICIT_DENY,
        CTX_KEYS,
        doc(ROOT_DELEGATION),
        {"kms:EncryptionContextKeys": ["aws:s3:arn", "other"]},
    ),
    Case(
        "forallvalues-missing-key-true",
        "MULTI",
        "kms:Encrypt",
        KEY_A,
        ALLOW,
        CTX_KEYS,
        doc(ROOT_DELEGATION),
    ),
    # missing condition key, with and without IfExists
    Case(
        "stringequals-present",
        "COND",
        "iam:PassRole",
        f"arn:aws:iam::{A}:role/fn",
        ALLOW,
        PASS,
        context={"iam:PassedToService": "lambda.amazonaws.com"},
    ),
    Case(
        "stringequals-wrong-value",
        "COND",
        "iam:PassRole",
        f"arn:aws:iam::{A}:role/fn",
        IMPLICIT_DENY,
        PASS,
        context={"iam:PassedToService": "ecs-tasks.amazonaws.com"},
    ),
    Case(
        "stringequals-missing-key-false",
        "COND",
        "iam:PassRole",
        f"arn:aws:iam::{A}:role/fn",
        IMPLICIT_DENY,
        PASS,
    ),
    Case(
        "ifexists-missing-key-true",
        "COND",
        "iam:PassRole",
        f"arn:aws:iam::{A}:role/fn",
        ALLOW,
        PASS_IFEXISTS,
    ),
    Case(
        "ifexists-present-key-checked",
        "COND",
        "iam:PassRole",
        f"arn:aws:iam::{A}:role/fn",
        IMPLICIT_DENY,
        PASS_IFEXISTS,
        context={"iam:PassedToService": "ec2.amazonaws.com"},
    ),
    Case(
        "stringnotequals-missing-key-true",
        "COND",
        "s3:GetObject",
        "arn:aws:s3:::bkt/x",
        EXPLICIT_DENY,
        [],
        ORG_DENY_BUCKET,
        resource_account=A,
    ),
    Case(
        "unmet-condition-is-not-a-deny",
        "EVAL",
        "s3:GetObject",
        "arn:aws:s3:::bkt/x",
        ALLOW,
        TWO_ALLOWS,
        context={"aws:SourceAccount": A},
    ),
    Case(
        "stringnotlike-missing-key-true",
        "COND",
        "s3:PutObject",
        "arn:aws:s3:::bkt/x",
        EXPLICIT_DENY,
        NOT_LIKE_DENY,
    ),
    Case(
        "stringnotlike-matching-value",
        "COND",
        "s3:PutObject",
        "arn:aws:s3:::bkt/x",
        ALLOW,
        NOT_LIKE_DENY,
        context={"aws:SourceVpce": "vpce-1a2b3c4d"},
    ),
    Case(
        "stringnotequals-matching-value",
        "COND",
        "s3:GetObject",
        "arn:aws:s3:::bkt/x",
        ALLOW,
        [],
        ORG_DENY_BUCKET,
        {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
        resource_account=A,
    ),
    # cross-account: both sides must allow
    Case(
        "xacct-identity-only",
        "XACCT",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        IMPLICIT_DENY,
        PUT_CENTRAL,
        B_BUCKET_OTHER,
        resource_account=B,
    ),
    Case(
        "xacct-no-resource-policy",
        "XACCT",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        IMPLICIT_DENY,
        PUT_CENTRAL,
        None,
        resource_account=B,
    ),
    Case(
        "xacct-resource-only",
        "XACCT",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        IMPLICIT_DENY,
        [],
        B_BUCKET_NAMES_ROLE,
        resource_account=B,
    ),
    Case(
        "xacct-both-account-principal",
        "XACCT",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        ALLOW,
        PUT_CENTRAL,
        B_BUCKET_TRUSTS_A,
        resource_account=B,
    ),
    Case(
        "xacct-both-role-principal",
        "XACCT",
        "s3:PutObject",
        "arn:aws:s3:::central/x",
        ALLOW,
        PUT_CENTRAL,
        B_BUCKET_NAMES_ROLE,
        resource_account=B,
    ),
    Case(
        "xacct-event-bus-org",
        "XACCT",
        "events:PutEvents",
        BUS_B,
        ALLOW,
        [doc(allow("events:PutEvents", BUS_B))],
        BUS_B_POLICY,
        {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
    ),
    Case(
        "xacct-logs-destination",
        "XACCT",
        "logs:PutSubscriptionFilter",
        DEST_B,
        ALLOW,
        [doc(allow("logs:PutSubscriptionFilter", "*"))],
        DEST_B_POLICY,
    ),
    # same account: a resource policy naming the role is enough
    Case(
        "same-account-resource-policy-names-role",
        "EVAL",
        "s3:GetObject",
        "arn:aws:s3:::bkt/x",
        ALLOW,
        [],
        A_BUCKET_NAMES_ROLE,
        resource_account=A,
    ),
    Case(
        "same-account-resource-policy-names-root-only",
        "EVAL",
        "s3:GetObject",
        "arn:aws:s3:::bkt/x",
        IMPLICIT_DENY,
        [],
        A_BUCKET_NAMES_ROOT,
        resource_account=A,
    ),
    # KMS: the key policy must allow, directly or by delegating to the account
    Case(
        "kms-root-delegation-and-identity",
        "KMS",
        "kms:Decrypt",
        KEY_A,
        ALLOW,
        DECRYPT_A,
        doc(ROOT_DELEGATION),
    ),
    Case(
        "kms-root-delegation-no-identity",
        "KMS",
        "kms:Decrypt",
        KEY_A,
        IMPLICIT_DENY,
        [],
        doc(ROOT_DELEGATION),
    ),
    Case(
        "kms-no-delegation-identity-allows",
        "KMS",
        "kms:Decrypt",
        KEY_A,
        IMPLICIT_DENY,
        DECRYPT_A,
        KEY_NO_ROOT,
    ),
    Case("kms-key-policy-names-role", "KMS", "kms:Decrypt", KEY_A, ALLOW, [], KEY_NAMES_ROLE),
    Case(
        "kms-cross-account-both",
        "KMS",
        "kms:Decrypt",
        KEY_B,
        ALLOW,
        [doc(allow("kms:Decrypt", KEY_B))],
        KEY_B_TRUSTS_A,
    ),
    Case(
        "kms-cross-account-no-identity",
        "KMS",
        "kms:Decrypt",
        KEY_B,
        IMPLICIT_DENY,
        [],
        KEY_B_TRUSTS_A,
    ),
    Case(
        "kms-service-principal-logs",
        "KMS",
        "kms:GenerateDataKey",
        KEY_A,
        ALLOW,
        [],
        LOGS_KEY,
        {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-1:{A}:log-group:/app"},
        principal="logs.eu-west-1.amazonaws.com",
    ),
    # NotAction / NotResource
    Case("notaction-allows-others", "NOTA", "s3:GetObject", "arn:aws:s3:::bkt/x", ALLOW, NOT_IAM),
    Case(
        "notaction-excludes-listed",
        "NOTA",
        "iam:CreateRole",
        f"arn:aws:iam::{A}:role/x",
        IMPLICIT_DENY,
        NOT_IAM,
    ),
    Case(
        "notresource-deny-elsewhere",
        "NOTR",
        "s3:GetObject",
        "arn:aws:s3:::other/x",
        EXPLICIT_DENY,
        ONLY_BKT,
    ),
    Case(
        "notresource-inside-allowed", "NOTR", "s3:GetObject", "arn:aws:s3:::bkt/x", ALLOW, ONLY_BKT
    ),
]


# ------------------------------------------------------------------ role trust (TRUST)
ROLE_B = f"arn:aws:iam::{B}:role/exec"
TRUST_ROOT_A = doc(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"}
)
TRUST_ROLE = doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"})
TRUST_SERVICE = doc(
    {
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": A}},
    }
)
TRUST_ROOT_B = doc(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "sts:AssumeRole"}
)
ASSUME_B = [doc(allow("sts:AssumeRole", ROLE_B))]
NULL_DENY = [
    doc(
        allow("s3:*"),
        deny("s3:PutObject", Condition={"Null": {"s3:x-amz-server-side-encryption": "true"}}),
    )
]

ALIAS_A = f"arn:aws:kms:eu-west-1:{A}:alias/app"

CASES += [
    Case(
        "kms-alias-governed-by-iam-alone",
        "ALIAS",
        "kms:CreateAlias",
        ALIAS_A,
        ALLOW,
        [doc(allow("kms:CreateAlias", ALIAS_A))],
    ),
    Case("kms-alias-needs-identity", "ALIAS", "kms:CreateAlias", ALIAS_A, IMPLICIT_DENY),
    Case(
        "trust-xacct-root-and-identity",
        "TRUST",
        "sts:AssumeRole",
        ROLE_B,
        ALLOW,
        ASSUME_B,
        TRUST_ROOT_A,
    ),
    Case(
        "trust-xacct-root-no-identity",
        "TRUST",
        "sts:AssumeRole",
        ROLE_B,
        IMPLICIT_DENY,
        [],
        TRUST_ROOT_A,
    ),
    Case(
        "trust-xacct-identity-only",
        "TRUST",
        "sts:AssumeRole",
        ROLE_B,
        IMPLICIT_DENY,
        ASSUME_B,
        TRUST_ROOT_B,
    ),
    Case(
        "trust-same-account-needs-trust",
        "TRUST",
        "sts:AssumeRole",
        f"arn:aws:iam::{A}:role/other",
        IMPLICIT_DENY,
        [doc(allow("sts:AssumeRole", f"arn:aws:iam::{A}:role/other"))],
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
    ),
    Case(
        "trust-same-account-names-role",
        "TRUST",
        "sts:AssumeRole",
        f"arn:aws:iam::{A}:role/other",
        ALLOW,
        [],
        TRUST_ROLE,
    ),
    Case(
        "trust-service-with-source-account",
        "TRUST",
        "sts:AssumeRole",
        f"arn:aws:iam::{A}:role/fn",
        ALLOW,
        [],
        TRUST_SERVICE,
        {"aws:SourceAccount": A},
        principal="lambda.amazonaws.com",
    ),
    Case(
        "trust-service-missing-source-account",
        "TRUST",
        "sts:AssumeRole",
        f"arn:aws:iam::{A}:role/fn",
        IMPLICIT_DENY,
        [],
        TRUST_SERVICE,
        principal="lambda.amazonaws.com",
    ),
    Case(
        "trust-other-service",
        "TRUST",
        "sts:AssumeRole",
        f"arn:aws:iam::{A}:role/fn",
        IMPLICIT_DENY,
        [],
        TRUST_SERVICE,
        {"aws:SourceAccount": A},
        principal="ec2.amazonaws.com",
    ),
    # Null: "true" means the key must be absent (COND, "Condition operator to check
    # existence of condition keys")
    Case(
        "null-true-key-absent",
        "COND",
        "s3:PutObject",
        "arn:aws:s3:::bkt/x",
        EXPLICIT_DENY,
        NULL_DENY,
    ),
    Case(
        "null-true-key-present",
        "COND",
        "s3:PutObject",
        "arn:aws:s3:::bkt/x",
        ALLOW,
        NULL_DENY,
        context={"s3:x-amz-server-side-encryption": "aws:kms"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_documented_case(case: Case) -> None:
    request = Request(
        case.principal, case.action, case.resource, case.context, case.resource_account
    )
    decision = evaluate(request, case.identity, case.resource_policy)
    assert decision.result == case.expected, decision.reason


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


def test_unknown_operator_raises() -> None:
    policy = doc(allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    with pytest.raises(NotImplementedError):
        evaluate(Request(ROLE, "s3:GetObject", "arn:aws:s3:::bkt/x"), [policy])


def test_unresolved_intrinsic_raises() -> None:
    unresolved = {"Fn::Sub": "arn:${AWS::Partition}:s3:::bkt/*"}
    policy = doc({"Effect": "Allow", "Action": "s3:*", "Resource": unresolved})
    with pytest.raises(ValueError):
        evaluate(Request(ROLE, "s3:GetObject", "arn:aws:s3:::bkt/x"), [policy])


def test_policy_variable_raises() -> None:
    policy = doc(allow("s3:*", "arn:aws:s3:::bkt/${aws:username}/*"))
    with pytest.raises(NotImplementedError):
        evaluate(Request(ROLE, "s3:GetObject", "arn:aws:s3:::bkt/x"), [policy])


def test_s3_owner_needed_with_resource_policy() -> None:
    with pytest.raises(ValueError):
        evaluate(Request(ROLE, "s3:GetObject", "arn:aws:s3:::bkt/x"), GET_BKT, A_BUCKET_NAMES_ROLE)


def test_service_principal_has_no_identity_policies() -> None:
    with pytest.raises(ValueError):
        evaluate(Request("events.amazonaws.com", "sns:Publish", TOPIC), [doc(allow("sns:*"))], None)


def test_awacs_policy_document() -> None:
    import awacs.aws as aws
    import awacs.s3 as s3

    policy = aws.PolicyDocument(
        Version="2012-10-17",
        Statement=[
            aws.Statement(
                Effect=aws.Allow,
                Action=[s3.GetObject],
                Resource=["arn:aws:s3:::bkt/*"],
                Condition=aws.Condition(aws.Bool("aws:SecureTransport", "true")),
            )
        ],
    )
    request = Request(ROLE, "s3:GetObject", "arn:aws:s3:::bkt/x", {"aws:SecureTransport": True})
    assert evaluate(request, [policy]).allowed
    assert not evaluate(Request(ROLE, "s3:GetObject", "arn:aws:s3:::bkt/x"), [policy]).allowed


LISTS = [
    [],
    ["*"],
    ["s3:Get*"],
    ["s3:GetObject", "s3:PutObject"],
    ["S3:get?bject", "sqs:*"],
    ["arn:aws:s3:::bkt/*", "arn:aws:s3:::bkt"],
    ["arn:aws:s3:::b.t/(x)+", "arn:aws:s3:::b?t/[x]"],
    ["a*b*c", "*:*"],
]
VALUES = [
    "",
    "s3:GetObject",
    "s3:getobject",
    "s3:PutObject",
    "sqs:SendMessage",
    "arn:aws:s3:::bkt",
    "arn:aws:s3:::bkt/k/e:y",
    "arn:aws:s3:::b.t/(x)+",
    "arn:aws:s3:::bxt/[x]",
    "abc",
    "a\nbc",
]


@pytest.mark.parametrize("ignore_case", [False, True])
def test_a_list_matches_as_its_patterns_one_by_one(ignore_case: bool) -> None:
    for patterns in LISTS:
        for value in VALUES:
            one_by_one = any(like(_text(p), value, ignore_case) for p in patterns)
            assert matches_any(patterns, value, ignore_case) is one_by_one, (patterns, value)


def test_a_list_is_read_in_order_until_one_matches() -> None:
    read = ["s3:Get*", "arn:aws:s3:::bkt/${aws:username}/*", True]
    assert matches_any(read, "s3:GetObject")  # matched before the variable is reached
    with pytest.raises(NotImplementedError):
        matches_any(read, "s3:PutObject")
    assert matches_any(["x", True], "true") and not matches_any([True], "True")
    with pytest.raises(ValueError):
        matches_any(["x", {"Fn::Sub": "y"}], "z")
