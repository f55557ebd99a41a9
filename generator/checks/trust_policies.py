"""Every role trusts exactly one principal, with a condition against the confused deputy.

A service role trusts one service and carries aws:SourceAccount, aws:SourceArn or the
sts:ExternalId that the service documents; a cross-account role trusts one account. The
one exception is a service's regional principals (`cloudformation.<region>.amazonaws.com`),
which StackSets requires beside the global one for regions that are disabled by default.
https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
"""

from __future__ import annotations

from typing import Any

from generator.checks import Finding, Template, resources

ID = "trust-policy"
SOURCE_KEYS = {
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "sts:ExternalId",
    "aws:PrincipalArn",
}


def _condition_keys(statement: dict[str, Any]) -> set[str]:
    return {key for block in statement.get("Condition", {}).values() for key in block}


def _regional_forms(services: list[Any]) -> bool:
    """Whether the principals are one service's global and regional names."""
    if not all(isinstance(s, str) and s.endswith(".amazonaws.com") for s in services):
        return False
    names = {s.split(".", 1)[0] for s in services}
    return len(names) == 1 and f"{names.pop()}.amazonaws.com" in services


def _problems(document: dict[str, Any]) -> list[str]:
    statements = document.get("Statement", [])
    if len(statements) != 1:
        return [f"{len(statements)} trust statements; expected exactly one"]
    statement = statements[0]
    principal = statement.get("Principal", {})
    problems = []
    if set(principal) not in ({"Service"}, {"AWS"}):
        problems.append(f"principal kinds {sorted(principal)}; expected one Service or AWS")
    else:
        (value,) = principal.values()
        if isinstance(value, list) and len(value) != 1 and not _regional_forms(value):
            problems.append(f"{len(value)} principals; expected exactly one")
        if value == "*":
            problems.append("trusts everyone")
    if not SOURCE_KEYS & _condition_keys(statement):
        problems.append(f"no source condition (one of {', '.join(sorted(SOURCE_KEYS))})")
    return problems


def check(template: Template) -> list[Finding]:
    return [
        Finding(ID, logical_id, problem)
        for logical_id, role in resources(template, "AWS::IAM::Role").items()
        for problem in _problems(role.get("Properties", {}).get("AssumeRolePolicyDocument", {}))
    ]
