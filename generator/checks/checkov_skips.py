"""Every checkov skip names a real check id, says why, and appears once per resource.

checkov reads resource-level skips from ``Metadata.checkov.skip``: a list of
``{"id": "CKV_AWS_116", "comment": "why"}``. It accepts an empty or missing comment without
a word, and silently ignores an id it does not know (a typo, or ``ckv_aws_116`` in lower
case), so both mistakes are caught here, before anything is written.
https://www.checkov.io/2.Basics/Suppressing%20and%20Skipping%20Policies.html
"""

from __future__ import annotations

import re
from typing import Any

from generator.checks import Finding, Template

ID = "checkov-skip"
CHECK_ID = re.compile(r"CKV2?_AWS_\d+")


def _entry_problems(index: int, entry: Any, seen: set[Any]) -> list[str]:
    at = f"Metadata.checkov.skip[{index}]"
    if not isinstance(entry, dict):
        return [f"{at} is not an {{id, comment}} object: {entry!r}"]
    check_id, comment = entry.get("id"), entry.get("comment")
    problems = []
    if not isinstance(check_id, str) or not CHECK_ID.fullmatch(check_id):
        problems.append(f"{at}: id {check_id!r} is not CKV_AWS_<n> or CKV2_AWS_<n>")
    if not isinstance(comment, str) or not comment.strip():
        problems.append(f"{at}: skipping {check_id!r} needs a comment saying why")
    if isinstance(check_id, str) and check_id in seen:
        problems.append(f"{at}: {check_id!r} is skipped twice")
    seen.add(check_id if isinstance(check_id, str) else None)
    return problems


def _problems(resource: Any) -> list[str]:
    metadata = resource.get("Metadata") if isinstance(resource, dict) else None
    checkov = metadata.get("checkov") if isinstance(metadata, dict) else None
    if checkov is None:
        return []
    entries = checkov.get("skip") if isinstance(checkov, dict) else None
    if not isinstance(entries, list):
        return ["Metadata.checkov.skip is not a list of {id, comment} objects"]
    seen: set[Any] = set()
    return [p for i, entry in enumerate(entries) for p in _entry_problems(i, entry, seen)]


def check(template: Template) -> list[Finding]:
    return [
        Finding(ID, logical_id, problem)
        for logical_id, resource in template.get("Resources", {}).items()
        for problem in _problems(resource)
    ]
