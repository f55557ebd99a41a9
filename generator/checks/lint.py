"""cfn-lint, in process, with its rules loaded once.

Loading cfn-lint's rules costs most of a second; linting a template with them already
loaded costs a fraction of that. So the collection is built once per process and every
template is checked against every target region (regional resource schemas differ).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from cfnlint.api import lint as cfn_lint
from cfnlint.core import get_rules
from cfnlint.rules import RulesCollection


@dataclass(frozen=True)
class Finding:
    """One cfn-lint match, as a line a person can act on."""

    template: str
    rule: str
    message: str
    path: str

    def __str__(self) -> str:
        return f"{self.template}: {self.rule} {self.message} (at {self.path})"


@cache
def rules() -> RulesCollection:
    return get_rules([], [], [])


def lint(name: str, body: str, regions: list[str]) -> list[Finding]:
    """Every cfn-lint error, warning and informational finding for one template body."""
    matches = cfn_lint(body, rules=rules(), regions=sorted(set(regions)))
    return [
        Finding(
            template=name,
            rule=m.rule.id,
            message=m.message,
            path="/".join(str(p) for p in (getattr(m, "path", None) or []))
            or f"line {m.linenumber}",
        )
        for m in matches
    ]
