"""Resource-level checkov skips, each with the reason it does not apply.

checkov reads `Metadata.checkov.skip`; the tests fail on a skip without a reason.
https://www.checkov.io/2.Basics/Suppressing%20and%20Skipping%20Policies.html
"""

from __future__ import annotations

from typing import Any

from troposphere import AWSObject

# Reasons shared by every function of the regional template.
SYNCHRONOUS_ONLY = (
    "CKV_AWS_116",
    "Invoked synchronously only (HTTP API, pre-traffic hook); a dead-letter queue receives "
    "failed asynchronous invocations only.",
)
NO_VPC_RESOURCES = (
    "CKV_AWS_117",
    "Reaches no private resources, only public AWS APIs; a VPC would add NAT or endpoints "
    "for no gain.",
)
NO_SECRETS_IN_ENVIRONMENT = (
    "CKV_AWS_173",
    "No secrets in the environment (log level, names, ARNs); Lambda encrypts it at rest "
    "with an AWS managed key.",
)


SHARED_CONCURRENCY = (
    "CKV_AWS_115",
    "On the account's shared pool by choice: a reservation must leave 100 of the account's "
    "concurrency unreserved, and new accounts often have less than that to give "
    "(functions.<name>.reserved_concurrency sets one).",
)
ORGANIZATION_PRINCIPAL = (
    "CKV_AWS_33",
    "Principal * is confined to the organization's target OUs by aws:PrincipalOrgID and "
    "aws:PrincipalOrgPaths conditions, the way AWS documents admitting an organization.",
)


def skip(*checks: tuple[str, str]) -> dict[str, Any]:
    """Metadata that skips each (check id, reason)."""
    return {"checkov": {"skip": [{"id": c, "comment": reason} for c, reason in checks]}}


def add(resource: AWSObject, *checks: tuple[str, str]) -> None:
    """Skip each (check id, reason) on `resource`, beside any skips it has already."""
    metadata: dict[str, Any] = dict(getattr(resource, "Metadata", {}) or {})
    entries = list(metadata.get("checkov", {}).get("skip", []))
    known = {entry["id"] for entry in entries}
    entries += [{"id": c, "comment": reason} for c, reason in checks if c not in known]
    resource.Metadata = {**metadata, "checkov": {"skip": entries}}
