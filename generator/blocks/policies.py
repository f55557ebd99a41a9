"""IAM statements and documents, the one way every stack writes them.

Policies are awacs objects with action constants. `Resource: "*"` is written only by
`wildcard_only`, whose Sid says so; everything else takes ARNs. Documents render their
statements sorted by Sid, so a policy reads the same whatever order its grants were made in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

from awacs import iam as iam_actions
from awacs import xray
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
from troposphere import AWSHelperFn, Sub

from generator import vocabulary as names
from generator.output.render import plain
from generator.permissions import iam_data

Resource: TypeAlias = str | AWSHelperFn
POLICY_VERSION = "2012-10-17"
WILDCARD_SUFFIX = "WildcardOnly"


class Document(PolicyDocument):
    """A policy document whose statements are listed by Sid (unnamed ones first, as given)."""

    def JSONrepr(self) -> dict[str, Any]:
        data = dict(super().JSONrepr())
        statements = list(data.get("Statement", []))
        data["Statement"] = sorted(statements, key=lambda s: str(getattr(s, "Sid", "") or ""))
        return data


def document(*statements: Statement) -> Document:
    return Document(Version=POLICY_VERSION, Statement=list(statements))


def as_dict(policy: PolicyDocument) -> dict[str, Any]:
    """A policy as plain JSON data, for properties typed as JSON rather than as a policy."""
    data: dict[str, Any] = plain(policy)
    return data


def arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> Sub:
    """An ARN in this stack's partition, region and account: no literal ever lands."""
    where = "${AWS::Region}" if region else ""
    who = "${AWS::AccountId}" if account else ""
    return Sub(f"arn:${{AWS::Partition}}:{service}:{where}:{who}:{resource}")


def stack_sets(app: str, sets: Iterable[str]) -> list[Sub]:
    """The ARNs of the application's stack sets `sets` (by short name), whatever their id:
    a stack set's ARN is `stackset/<name>:<id>`."""
    return [arn("cloudformation", f"stackset/{names.stack_set(app, s)}:*") for s in sets]


def account_root() -> Sub:
    return Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")


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

    The Sid must end in `WildcardOnly`, so a reader (and the IAM audit) sees the intent.
    """
    if not sid.endswith(WILDCARD_SUFFIX):
        raise ValueError(f"Sid {sid!r} of a Resource '*' statement must end in {WILDCARD_SUFFIX!r}")
    return allow(sid, actions, ["*"], *conditions)


def scoped(
    sid: str,
    actions: Sequence[Action],
    resources: Sequence[Resource],
    *conditions: ConditionElement,
) -> list[Statement]:
    """`allow`, with any action that IAM authorizes only on `*` split into its own
    `<sid>WildcardOnly` statement (IAM's data says which)."""
    narrow = [a for a in actions if not iam_data.wildcard_only(a.JSONrepr())]
    broad = [a for a in actions if iam_data.wildcard_only(a.JSONrepr())]
    result = [allow(sid, narrow, resources, *conditions)] if narrow else []
    if broad:
        result.append(wildcard_only(f"{sid}{WILDCARD_SUFFIX}", broad))
    return result


def service_trust(service: str | list[str], *conditions: ConditionElement) -> Document:
    """A trust policy for one AWS service (a list only for its regional principals, as
    StackSets needs for opt-in regions), with at least one condition.

    Conditions (aws:SourceAccount, aws:SourceArn, or the sts:ExternalId a service
    documents) guard against the confused deputy:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
    """
    if not conditions:
        raise ValueError(f"trust of {service} needs a source condition (confused deputy)")
    statement = Statement(
        Effect=Allow,
        Principal=Principal("Service", service),
        Action=[Action("sts", "AssumeRole")],
        Condition=Condition(list(conditions)),
    )
    return document(statement)


def source_account() -> ConditionElement:
    return StringEquals({"aws:SourceAccount": Sub("${AWS::AccountId}")})


def xray_write() -> Statement:
    # xray:PutTraceSegments and PutTelemetryRecords have no resource type in IAM:
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
    return wildcard_only("XRayWriteWildcardOnly", [xray.PutTraceSegments, xray.PutTelemetryRecords])


def pass_role(sid: str, roles: Sequence[Resource], service: str | Sequence[str]) -> Statement:
    """iam:PassRole, only to the service(s) that will assume the role.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
    """
    services = service if isinstance(service, str) else sorted(service)
    return allow(
        sid, [iam_actions.PassRole], roles, StringEquals({"iam:PassedToService": services})
    )


def actions(names: Sequence[str]) -> list[Action]:
    """awacs actions from IAM's own `service:Name` spellings."""
    return [Action(*name.split(":", 1)) for name in names]
