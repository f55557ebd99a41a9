"""Resource-level checkov skips, each with the reason it does not apply.

checkov reads `Metadata.checkov.skip`; the tests fail on a skip without a reason.
https://www.checkov.io/2.Basics/Suppressing%20and%20Skipping%20Policies.html
"""

from __future__ import annotations

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


def skip(*checks: tuple[str, str]) -> dict:
    """Metadata that skips each (check id, reason)."""
    return {"checkov": {"skip": [{"id": c, "comment": reason} for c, reason in checks]}}
