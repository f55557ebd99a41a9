"""Permissions of the roles that deploy our templates, derived rather than typed.

CloudFormation's resource schemas (which cfn-lint ships) list the IAM actions each
resource type's create, read, update, delete and list handlers call. The union over the
resource types a template contains is what its deploying role needs; policy_sentry's
IAM database then says which of those actions take a resource ARN (scoped here to this
account and to our own names) and which work only on `*`.
https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from awacs.aws import Action, StringEquals
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from policy_sentry.querying.actions import (
    get_action_data,
    get_actions_that_support_wildcard_arns_only,
)
from troposphere import Ref, Sub, Template, iam

from generator import iam as iam_helpers

HANDLERS = ("create", "read", "update", "delete", "list")
SCHEMA_REGION = "us-east-1"
# IAM policies are capped at 6,144 characters (managed policy, whitespace excluded).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MANAGED_POLICY_CHARS = 6144
# Services passed roles by the resources we deploy.
PASSED_TO = (
    "lambda.amazonaws.com",
    "codedeploy.amazonaws.com",
    "events.amazonaws.com",
    "logs.amazonaws.com",
    "firehose.amazonaws.com",
    "codebuild.amazonaws.com",
    "codepipeline.amazonaws.com",
    "cloudformation.amazonaws.com",
)


@dataclass(frozen=True)
class Scope:
    """Which of the account's resources a deployer may touch, by name."""

    name_prefixes: Sequence[str]  # roles and buckets: the stacks' and the config's prefixes
    extra_resources: dict[str, list[str]] = field(default_factory=dict)  # service -> Sub ARNs


@cache
def _handler_actions(resource_type: str) -> frozenset[str]:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    handlers = schema.get("handlers", {})
    return frozenset(p for h in HANDLERS for p in handlers.get(h, {}).get("permissions", []))


@cache
def _canonical(action: str) -> str | None:
    """IAM's own spelling of an action (schemas write e.g. `s3:getObject`), or None if
    IAM's data does not know it."""
    service, name = action.split(":", 1)
    for entry in get_action_data(service.lower(), name).get(service.lower(), []):
        if entry["action"].lower() == action.lower():
            return entry["action"]
    return None


@cache
def _wildcard_only(service: str) -> frozenset[str]:
    try:
        return frozenset(a.lower() for a in get_actions_that_support_wildcard_arns_only(service))
    except KeyError:
        return frozenset()


def required_actions(templates: Iterable[dict]) -> tuple[list[str], list[str]]:
    """(actions known to IAM, actions the schemas list that IAM's data does not know)."""
    wanted: set[str] = set()
    for template in templates:
        for resource in template.get("Resources", {}).values():
            wanted |= _handler_actions(resource["Type"])
        if "{{resolve:ssm:" in json.dumps(template):
            wanted.add("ssm:GetParameters")
    known = sorted({c for c in map(_canonical, wanted) if c})
    unknown = sorted(a for a in wanted if _canonical(a) is None)
    return known, unknown


def _covering(prefixes: Sequence[str]) -> list[str]:
    """Drop prefixes that another prefix already covers, and duplicates."""
    unique = sorted(set(prefixes))
    return [p for p in unique if not any(p != q and p.startswith(q) for q in unique)]


def _service_resources(service: str, scope: Scope) -> list[Sub]:
    if service in scope.extra_resources:
        return [Sub(r) for r in scope.extra_resources[service]]
    if service == "iam":
        return [
            Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:{kind}/{p}*")
            for p in scope.name_prefixes
            for kind in ("role", "policy")
        ]
    if service == "s3":
        buckets = _covering([p.lower() for p in scope.name_prefixes])
        return [Sub(f"arn:${{AWS::Partition}}:s3:::{b}*") for b in buckets] + [
            Sub(f"arn:${{AWS::Partition}}:s3:::{b}*/*") for b in buckets
        ]
    # Any region (the role is global and StackSets use it in every target region), this
    # account only.
    return [Sub(f"arn:${{AWS::Partition}}:{service}:*:${{AWS::AccountId}}:*")]


def statements(actions: Sequence[str], scope: Scope) -> list:
    """Allow statements for `actions`: scoped by service, `*` only where IAM requires it."""
    by_service: dict[str, list[str]] = defaultdict(list)
    wildcard: list[str] = []
    pass_role = False
    for action in actions:
        service, name = action.split(":", 1)
        if action == "iam:PassRole":
            pass_role = True
        elif action.lower() in _wildcard_only(service.lower()):
            wildcard.append(action)
        else:
            by_service[service.lower()].append(name)
    result = []
    if wildcard:
        # These actions have no resource type in IAM's authorization data (policy_sentry).
        result.append(
            iam_helpers.wildcard_only(
                "DeployWildcardOnly", [Action(*a.split(":", 1)) for a in wildcard]
            )
        )
    for service in sorted(by_service):
        result.append(
            iam_helpers.allow(
                f"Deploy{service.replace('-', ' ').title().replace(' ', '')}",
                [Action(service, n) for n in sorted(set(by_service[service]))],
                _service_resources(service, scope),
            )
        )
    if pass_role:
        result.append(
            iam_helpers.allow(
                "PassOwnRolesToTheirServices",
                [Action("iam", "PassRole")],
                [r for r in _service_resources("iam", scope) if ":role/" in r.to_dict()["Fn::Sub"]],
                StringEquals({"iam:PassedToService": list(PASSED_TO)}),
            )
        )
    return result


def _size(statement) -> int:
    return len(
        json.dumps(iam_helpers.as_dict(iam_helpers.document(statement)), separators=(",", ":"))
    )


def managed_policies(
    template: Template, title: str, role: str, statements_: list, description: str
) -> list[iam.ManagedPolicy]:
    """Pack statements into as few managed policies as fit IAM's size limit."""
    packs: list[list] = [[]]
    used = 0
    for statement in statements_:
        size = _size(statement)
        if packs[-1] and used + size > MANAGED_POLICY_CHARS - 200:
            packs.append([])
            used = 0
        packs[-1].append(statement)
        used += size
    return [
        template.add_resource(
            iam.ManagedPolicy(
                f"{title}{index}",
                Description=f"{description} (part {index} of {len(packs)})",
                Roles=[Ref(role)],
                PolicyDocument=iam_helpers.document(*pack),
            )
        )
        for index, pack in enumerate(packs, start=1)
    ]
