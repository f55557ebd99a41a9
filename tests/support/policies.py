"""Walk templates for IAM policy documents, for tests that check every statement."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(resource, where, document) for every policy document in a template."""
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if "AssumeRolePolicyDocument" in props:
            yield logical_id, "AssumeRolePolicyDocument", props["AssumeRolePolicyDocument"]
        for policy in props.get("Policies", []):
            yield logical_id, f"Policies/{policy['PolicyName']}", policy["PolicyDocument"]
        for key in ("PolicyDocument", "KeyPolicy"):
            if isinstance(props.get(key), dict) and "Statement" in props[key]:
                yield logical_id, key, props[key]


def statements(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for logical_id, where, document in policy_documents(template):
        for statement in as_list(document["Statement"]):
            yield logical_id, where, statement
