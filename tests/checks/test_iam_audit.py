"""The IAM audit passes the committed templates and names each rule a bad policy breaks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.checks import iam_audit

ARN = "arn:aws:lambda:eu-west-1:111122223333:function:shop-api"


def statement(sid: str, actions: list[str], resource: Any = ARN, **extra: Any) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def role(*statements: dict) -> dict:
    """A template with one role whose inline policy holds the statements."""
    policy = {"PolicyName": "least-privilege", "PolicyDocument": document(*statements)}
    return {"Resources": {"Fn": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [policy]}}}}


def holding(kind: str, prop: str, policy: Any) -> dict:
    return {"Resources": {"Res": {"Type": kind, "Properties": {prop: policy}}}}


def messages(template: dict) -> list[str]:
    return [finding.message for finding in iam_audit.check(template)]


def test_reference_templates_have_no_findings(reference_build):
    findings: list[str] = []
    statements = actions = 0
    for name, template in reference_build.data.items():
        audit = iam_audit.audit(template)
        findings += [f"{name}: {finding}" for finding in audit.findings]
        statements += audit.statements
        actions += audit.actions
    assert findings == []
    assert statements > 0
    assert actions > 0


def test_finding_names_check_resource_and_statement():
    (finding,) = iam_audit.check(role(statement("Invoke", ["lambda:InvokeFunctions"])))
    assert (finding.check, finding.resource) == ("iam-audit", "Fn")
    assert finding.message == (
        "Policies/least-privilege statement 'Invoke': unknown action lambda:InvokeFunctions"
    )


def test_good_role_passes_and_is_counted():
    template = role(
        statement("Invoke", ["lambda:InvokeFunction"]),
        statement("XRayWriteWildcardOnly", ["xray:PutTraceSegments"], ["*"]),
        statement(
            "PassToLambda",
            ["iam:PassRole"],
            "arn:aws:iam::111122223333:role/fn",
            Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        ),
    )
    audit = iam_audit.audit(template)
    assert (audit.findings, audit.statements, audit.actions) == ([], 3, 3)


def test_unknown_action_is_named():
    assert messages(role(statement("Invoke", ["lambda:InvokeFunctions"]))) == [
        "Policies/least-privilege statement 'Invoke': unknown action lambda:InvokeFunctions"
    ]


def test_unknown_service_is_named_even_in_a_deny():
    deny = {"Effect": "Deny", "Action": "lamda:*", "Resource": "*"}
    assert messages(role(deny)) == [
        "Policies/least-privilege statement #0: unknown service 'lamda' in action lamda:*"
    ]


def test_action_wildcard_in_an_allow_is_named():
    assert messages(role(statement("Read", ["s3:Get*"], "arn:aws:s3:::b/*"))) == [
        "Policies/least-privilege statement 'Read': action wildcard s3:Get* in an Allow"
    ]


def test_action_wildcard_in_a_deny_passes():
    tls_only = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert messages(holding("AWS::S3::BucketPolicy", "PolicyDocument", document(tls_only))) == []


def test_resource_wildcard_for_an_action_with_arns_is_named():
    assert messages(role(statement("InvokeWildcardOnly", ["lambda:InvokeFunction"], "*"))) == [
        "Policies/least-privilege statement 'InvokeWildcardOnly': lambda:InvokeFunction on "
        "Resource '*', but it supports resource ARNs: name them"
    ]


def test_resource_wildcard_needs_the_sid_suffix():
    assert messages(role(statement("XRayWrite", ["xray:PutTraceSegments"], ["*"]))) == [
        "Policies/least-privilege statement 'XRayWrite': xray:PutTraceSegments on Resource "
        "'*' in a statement whose Sid does not end in WildcardOnly"
    ]


def test_pass_role_without_passed_to_service_is_named():
    bare = statement("Pass", ["iam:PassRole"], "arn:aws:iam::111122223333:role/fn")
    assert messages(role(bare)) == [
        "Policies/least-privilege statement 'Pass': iam:PassRole without an "
        "iam:PassedToService condition"
    ]


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["111122223333", "*"]}])
def test_bucket_policy_allowing_everyone_is_named(principal):
    read = statement("Read", ["s3:GetObject"], "arn:aws:s3:::b/*", Principal=principal)
    assert messages(holding("AWS::S3::BucketPolicy", "PolicyDocument", document(read))) == [
        "PolicyDocument statement 'Read': s3:GetObject allowed to Principal '*' "
        "without an organization condition"
    ]


def test_key_policy_resource_wildcard_passes():
    administer = statement(
        "AccountAdministersKey",
        ["kms:DescribeKey", "kms:PutKeyPolicy"],
        "*",
        Principal={"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
    )
    assert messages(holding("AWS::KMS::Key", "KeyPolicy", document(administer))) == []
    # The same statement in an identity policy grants every key in the account.
    assert len(messages(role({k: v for k, v in administer.items() if k != "Principal"}))) == 3


def test_destination_policy_join_is_parsed():
    policy = {
        "Fn::Join": [
            "",
            [
                '{"Version":"2012-10-17","Statement":[{"Sid":"SourceAccountsSubscribe",'
                '"Effect":"Allow","Principal":{"AWS":["',
                {"Fn::Join": ['","', [{"Ref": "AWS::AccountId"}]]},
                '"]},"Action":"logs:PutSubscriptionFilters","Resource":"',
                {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:x"},
                '"}]}',
            ],
        ]
    }
    audit = iam_audit.audit(holding("AWS::Logs::Destination", "DestinationPolicy", policy))
    assert audit.statements == 1
    assert [f.message for f in audit.findings] == [
        "DestinationPolicy statement 'SourceAccountsSubscribe': unknown action "
        "logs:PutSubscriptionFilters"
    ]


def test_log_resource_policy_sub_is_parsed():
    text = json.dumps(
        document(
            statement(
                "EventBridgeWritesEventLog",
                ["logs:PutLogEvents"],
                ["${EventLogArn}"],
                Principal={"Service": "events.amazonaws.com"},
            ),
            statement("Everyone", ["logs:PutLogEvents"], ["${!Literal}"], Principal="*"),
        )
    )
    template = holding(
        "AWS::Logs::ResourcePolicy",
        "PolicyDocument",
        {"Fn::Sub": [text, {"EventLogArn": {"Fn::GetAtt": ["Log", "Arn"]}}]},
    )
    assert messages(template) == [
        "PolicyDocument statement 'Everyone': logs:PutLogEvents allowed to Principal '*' "
        "without an organization condition"
    ]


def test_unreadable_policy_text_is_named():
    policy = {"Fn::Join": ["", ['{"Statement": [', {"Ref": "Statements"}, "]}"]]}
    (message,) = messages(holding("AWS::Logs::Destination", "DestinationPolicy", policy))
    assert message.startswith("DestinationPolicy: policy is not JSON")


def test_principal_star_confined_to_the_organization_passes():
    statement = {
        "Sid": "Org",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::bucket/*"],
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    }
    template = {
        "Resources": {
            "P": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": "bucket", "PolicyDocument": {"Statement": [statement]}},
            }
        }
    }
    assert iam_audit.check(template) == []


def _role_with(statement: dict) -> dict:
    return {
        "Resources": {
            "R": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement]}}]
                },
            }
        }
    }


def test_grant_on_an_arn_shape_the_action_never_takes_is_named():
    # API Gateway ARNs have no account field: an account-scoped pattern never matches.
    statement = {
        "Sid": "Api",
        "Effect": "Allow",
        "Action": ["apigateway:POST"],
        "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:apigateway:*:${AWS::AccountId}:*"}],
    }
    (finding,) = iam_audit.check(_role_with(statement))
    assert "apigateway:POST: no resource has an ARN shape it takes" in finding.message
    statement["Resource"] = [{"Fn::Sub": "arn:${AWS::Partition}:apigateway:*::/apis*"}]
    assert iam_audit.check(_role_with(statement)) == []


def test_grant_on_another_resource_type_is_named():
    statement = {
        "Sid": "Fn",
        "Effect": "Allow",
        "Action": ["lambda:InvokeFunction"],
        "Resource": ["arn:aws:lambda:eu-west-1:111122223333:layer:x:1"],
    }
    (finding,) = iam_audit.check(_role_with(statement))
    assert "lambda:InvokeFunction: no resource has an ARN shape" in finding.message
    statement["Resource"] = ["arn:aws:lambda:eu-west-1:111122223333:function:shop-*"]
    assert iam_audit.check(_role_with(statement)) == []
