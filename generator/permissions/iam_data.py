"""Questions about IAM actions, answered from policy_sentry's bundled IAM database.

One place, so that the policy builders and the audit agree: which actions exist, how
IAM spells them, which take no resource ARN, and which ARN shapes each one takes.
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html

policy_sentry loads its 13 MB database when it is imported (a third of a second and
about 100 MB), so it is imported only to answer a question this process has not been
asked before and that the project's cache of derived facts (generator/output/derived.py)
does not hold: a warm build answers every question without it.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from generator.output import derived


def _split(action: str) -> tuple[str, str]:
    service, name = action.split(":", 1)
    return service.lower(), name


def _entries(action: str) -> tuple[dict[str, Any], ...]:
    from policy_sentry.querying.actions import get_action_data

    service, name = _split(action)
    found = get_action_data(service, name).get(service, []) if name else []
    return tuple(e for e in found if e["action"].lower() == action.lower())


def _about(action: str) -> dict[str, Any]:
    """What IAM's data says of one action: its spelling, access level and ARN shapes;
    {} for an unknown action. Keyed by the action as IAM compares it (any case)."""

    def compute() -> dict[str, Any]:
        entries = _entries(action)
        if not entries:
            return {}
        return {
            "action": entries[0]["action"],
            "access_level": entries[0]["access_level"],
            "arn_formats": sorted({e["resource_arn_format"] for e in entries} - {"*"}),
        }

    return derived.fact(f"iam.action:{action.lower()}", compute)


def canonical(action: str) -> str | None:
    """IAM's own spelling (`s3:getObject` -> `s3:GetObject`), or None for an unknown one."""
    found: str | None = _about(action).get("action")
    return found


def services() -> frozenset[str]:
    """Every service prefix IAM knows."""

    def compute() -> list[str]:
        from policy_sentry.querying.all import get_all_service_prefixes

        return sorted(get_all_service_prefixes())

    return _frozen("iam.services", compute)


def exists(action: str) -> bool:
    """Whether IAM knows the action (any case)."""
    return canonical(action) is not None


def _wildcard_only(service: str) -> frozenset[str]:
    def compute() -> list[str]:
        from policy_sentry.querying.actions import get_actions_that_support_wildcard_arns_only

        try:
            return sorted(a.lower() for a in get_actions_that_support_wildcard_arns_only(service))
        except KeyError:
            return []

    return _frozen(f"iam.wildcard_only:{service}", compute)


def _frozen(name: str, compute: Any) -> frozenset[str]:
    """A fact that is a set, kept as a sorted list; one frozenset per process."""
    found = _sets.get(name)
    if found is None:
        found = _sets[name] = frozenset(derived.fact(name, compute))
    return found


_sets: dict[str, frozenset[str]] = {}


def wildcard_only(action: str) -> bool:
    """Whether IAM authorizes the action only on `Resource: "*"`."""
    return action.lower() in _wildcard_only(_split(action)[0])


def arn_formats(action: str) -> tuple[str, ...]:
    """The ARN shapes the action takes, e.g. `arn:${Partition}:lambda:${Region}:...`."""
    return tuple(_about(action).get("arn_formats", ()))


def actions_on(service: str, resource_type: str) -> tuple[str, ...]:
    """Every action IAM authorizes on `resource_type` of `service` (e.g. a stack)."""

    def compute() -> list[str]:
        from policy_sentry.querying.actions import get_actions_with_arn_type_and_access_level

        levels = ("Read", "Write", "List", "Tagging", "Permissions management")
        found = {
            action
            for level in levels
            for action in get_actions_with_arn_type_and_access_level(service, resource_type, level)
        }
        return sorted(found)

    return tuple(derived.fact(f"iam.actions_on:{service}:{resource_type}", compute))


def matching(pattern: str) -> tuple[str, ...]:
    """The actions a wildcard such as `dynamodb:Describe*` stands for, in IAM's spelling
    (IAM matches action names case-insensitively)."""
    service, name = _split(pattern)

    def compute() -> list[str]:
        from policy_sentry.querying.actions import get_actions_for_service

        return sorted(get_actions_for_service(service))

    every = derived.fact(f"iam.actions_of:{service}", compute)
    return tuple(a for a in every if fnmatch.fnmatchcase(a.lower(), f"{service}:{name}".lower()))


def wildcard_only_actions(service: str) -> tuple[str, ...]:
    """The service's actions that IAM authorizes only on `*`, in IAM's spelling."""

    def compute() -> list[str]:
        from policy_sentry.querying.actions import get_actions_that_support_wildcard_arns_only

        return sorted(get_actions_that_support_wildcard_arns_only(service))

    return tuple(derived.fact(f"iam.wildcard_only_actions:{service}", compute))


def access_level(action: str) -> str:
    """IAM's access level of an action: Read, List, Write, Tagging, Permissions management."""
    level: str | None = _about(action).get("access_level")
    if level is None:
        raise KeyError(action)
    return level
