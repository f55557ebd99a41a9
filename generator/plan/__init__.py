"""A change preview for the whole fleet: what a release does to every template, function,
permission and region, before it reaches a single region.

`make_plan` compares two sets of output files (file name -> text, as `templates/` holds
them): the committed ones at a git ref (or what the fleet runs) against what the current
config generates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from generator.plan import functions, iam, resources, rollout
from generator.plan.functions import FunctionChange
from generator.plan.iam import PolicyChange
from generator.plan.resources import ResourceChange
from generator.plan.rollout import RolloutChange


@dataclass
class Plan:
    templates: dict[str, list[ResourceChange]] = field(default_factory=dict)
    functions: list[FunctionChange] = field(default_factory=list)
    iam: list[PolicyChange] = field(default_factory=list)
    rollout: RolloutChange = field(default_factory=RolloutChange)

    @property
    def empty(self) -> bool:
        return not (
            any(self.templates.values()) or self.functions or self.iam or not self.rollout.empty
        )

    def risks(self) -> list[str]:
        """Why a person should approve this release before its first wave."""
        found = [
            f"{c.template}: {c.resource} broadens access"
            for c in self.iam
            if c.verdict == "broadened"
        ]
        for template, changes in sorted(self.templates.items()):
            for change in changes:
                if change.data_risk:
                    found.append(
                        f"{template}: {change.type} {change.id} is {change.loss}, "
                        f"DeletionPolicy {change.deletion_policy}"
                    )
        return found

    def summary(self) -> dict[str, int]:
        changes = [c for cs in self.templates.values() for c in cs]
        return {
            "added": sum(c.action == "add" for c in changes),
            "removed": sum(c.action == "remove" for c in changes),
            "modified": sum(c.action == "modify" for c in changes),
            "replaced": sum(c.replacement != "never" for c in changes),
            "data_risks": sum(c.data_risk for c in changes),
            "new_versions": sum(f.new_version for f in self.functions),
            "broadened": sum(c.verdict == "broadened" for c in self.iam),
            "risks": len(self.risks()),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "risks": self.risks(),
            "templates": {t: [c.as_json() for c in cs] for t, cs in sorted(self.templates.items())},
            "functions": [f.as_json() for f in self.functions],
            "iam": [c.as_json() for c in self.iam],
            "rollout": self.rollout.as_json(),
        }


def make_plan(old: dict[str, str], new: dict[str, str], templates: list[str]) -> Plan:
    """Compare two output trees; `templates` names the CloudFormation templates in them."""
    plan = Plan(rollout=rollout.diff(old, new))
    changed_parameters = plan.rollout.changed_parameters()
    for name in templates:
        if name not in old and name not in new:
            continue  # a template this config never had
        before = json.loads(old[name]) if name in old else {}
        after = json.loads(new[name]) if name in new else {}
        plan.templates[name] = resources.diff(before, after, changed_parameters)
        plan.iam += iam.diff(name, before, after)
        if name == "app.json":
            plan.functions = functions.diff(before, after, plan.templates[name])
    return plan
