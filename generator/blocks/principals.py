"""Who may use the central account's shared resources: the target accounts by id, or,
for StackSets with service-managed permissions, the target OUs of the organization.

Resource policies name accounts directly; organizations are admitted with Principal
`*` confined by `aws:PrincipalOrgID` and `aws:PrincipalOrgPaths`.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awacs.aws import ConditionElement, ForAnyValueStringLike, Principal
from troposphere import Ref

from generator.config import Targets


@dataclass(frozen=True)
class Readers:
    """The principal of a resource-policy statement, and the conditions that go with it."""

    principal: Principal
    conditions: list[ConditionElement]
    org_equals: dict[str, Any]  # extra StringEquals keys, to merge into a statement's own


def target_accounts(targets: Targets) -> list[Any]:
    """The accounts the application deploys to: the configured ones, or this account."""
    return list(targets.accounts) or [Ref("AWS::AccountId")]


def readers(targets: Targets, accounts: list[Any]) -> Readers:
    """`accounts` (ids or intrinsics) for account targets; the OUs for organization ones."""
    if not targets.organizational_units:
        return Readers(Principal("AWS", accounts), [], {})
    paths = [f"{targets.organization_id}/*/{ou}/*" for ou in targets.organizational_units]
    return Readers(
        Principal("AWS", "*"),
        [ForAnyValueStringLike({"aws:PrincipalOrgPaths": paths})],
        {"aws:PrincipalOrgID": targets.organization_id},
    )
