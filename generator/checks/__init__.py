"""Security and wiring checks over generated templates, one module per check.

Each check takes a template as plain JSON data and returns findings; the build runs
them all before anything is written, and the tests run them over bad fixtures too.
Like cfn-lint's rules, each module names the AWS page it enforces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Template = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    check: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.resource}: {self.message}"


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template.get("Resources", {}).items() if v.get("Type") == kind}


def all_checks() -> list[Callable[[Template], list[Finding]]]:
    from generator.checks import (
        bucket_hardening,
        checkov_skips,
        iam_audit,
        key_rotation,
        trust_policies,
    )

    return [
        bucket_hardening.check,
        key_rotation.check,
        trust_policies.check,
        iam_audit.check,
        checkov_skips.check,
    ]


def run(name: str, template: Template) -> list[str]:
    """Every finding of every check, each line naming the template."""
    return [f"{name}: {finding}" for check in all_checks() for finding in check(template)]
