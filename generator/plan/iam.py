"""Who gains or loses access: every identity and resource policy, compared grant by grant.

A grant is one (principal, action, resource) that an Allow statement admits, with the
conditions that confine it. A change broadens access when a grant appears that was not
there, or a grant loses a condition key it had; it narrows access when grants only go or
gain conditions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["broadened", "narrowed", "unchanged"]
Grant = tuple[str, str, str]  # principal, action, resource (each as canonical JSON text)
# (resource type, property that holds a policy document)
RESOURCE_POLICIES = (
    ("AWS::S3::BucketPolicy", "PolicyDocument"),
    ("AWS::KMS::Key", "KeyPolicy"),
    ("AWS::SNS::TopicPolicy", "PolicyDocument"),
    ("AWS::SQS::QueuePolicy", "PolicyDocument"),
    ("AWS::Events::EventBus", "Policy"),
    ("AWS::Logs::ResourcePolicy", "PolicyDocument"),
    ("AWS::Logs::Destination", "DestinationPolicy"),
    ("AWS::IAM::ManagedPolicy", "PolicyDocument"),
    ("AWS::IAM::Policy", "PolicyDocument"),
)


@dataclass
class PolicyChange:
    template: str
    resource: str
    verdict: Verdict
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "resource": self.resource,
            "verdict": self.verdict,
            "added": self.added,
            "removed": self.removed,
        }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _documents(resource: dict[str, Any]) -> Iterator[Any]:
    properties = resource.get("Properties", {})
    for policy in (
        properties.get("Policies", []) if resource.get("Type") == "AWS::IAM::Role" else []
    ):
        yield policy.get("PolicyDocument", {})
    if resource.get("Type") == "AWS::IAM::Role":
        yield properties.get("AssumeRolePolicyDocument", {})
    for kind, prop in RESOURCE_POLICIES:
        if resource.get("Type") == kind and prop in properties:
            yield properties[prop]


def grants(resource: dict[str, Any]) -> dict[Grant, frozenset[str]]:
    """Each grant of a resource's policies, with the condition keys that confine it.

    A policy given as JSON text (a Logs destination's) is compared as that text: its
    changes are reported, but not split into grants."""
    found: dict[Grant, frozenset[str]] = {}
    for document in _documents(resource):
        statements = document.get("Statement", []) if isinstance(document, dict) else []
        if not isinstance(document, dict):
            found[("*", "(policy text)", _text(document))] = frozenset()
        for statement in _as_list(statements):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            keys = frozenset(
                f"{operator}:{key}={_text(value)}"
                for operator, block in statement.get("Condition", {}).items()
                for key, value in block.items()
            )
            principal = _text(statement.get("Principal", "(identity)"))
            for action in _as_list(statement.get("Action", [])):
                for target in _as_list(statement.get("Resource", "(trust)")):
                    grant = (principal, _text(action), _text(target))
                    found[grant] = found.get(grant, frozenset()) | keys
    return found


def compare(
    template: str, rid: str, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> PolicyChange | None:
    before = grants(old) if old else {}
    after = grants(new) if new else {}
    if before == after:
        return None
    added = [g for g in after if g not in before]
    removed = [g for g in before if g not in after]
    loosened = [g for g in after if g in before and not before[g] <= after[g]]
    verdict: Verdict = "broadened" if added or loosened else "narrowed"
    return PolicyChange(
        template,
        rid,
        verdict,
        added=[_describe(g, after[g]) for g in added]
        + [f"{_describe(g, after[g])} ({_loosening(before[g], after[g])})" for g in loosened],
        removed=[_describe(g, before[g]) for g in removed],
    )


def _loosening(before: frozenset[str], after: frozenset[str]) -> str:
    """How a grant's conditions changed: a key gone, or a value changed."""
    keys = {c.split("=", 1)[0] for c in after}
    gone = [c.split("=", 1)[0] for c in before if c.split("=", 1)[0] not in keys]
    return f"condition removed: {', '.join(sorted(gone))}" if gone else "condition changed"


def _describe(grant: Grant, keys: frozenset[str]) -> str:
    principal, action, resource = grant
    who = "" if principal == "(identity)" else f"{principal} "
    where = "" if not keys else f" if {' and '.join(sorted(keys))}"
    return f"{who}{action} on {resource}{where}"


def diff(template: str, old: dict[str, Any], new: dict[str, Any]) -> list[PolicyChange]:
    before, after = old.get("Resources", {}), new.get("Resources", {})
    changes = []
    for rid in sorted(set(before) | set(after)):
        change = compare(template, rid, before.get(rid), after.get(rid))
        if change is not None:
            changes.append(change)
    return changes
