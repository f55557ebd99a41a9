"""What a release changes in where the application runs: regions, waves, targets, and
the parameter values of each region's instances (from the StackSet input files)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

WAVE = re.compile(r"^stacksets/app\.wave-(\d+)\.instances\.json$")
PARAMS = re.compile(r"^params/app\.([a-z0-9-]+)\.json$")


@dataclass
class RolloutChange:
    added_regions: list[str] = field(default_factory=list)
    removed_regions: list[str] = field(default_factory=list)
    moved_regions: dict[str, tuple[int, int]] = field(default_factory=dict)
    parameters: dict[str, dict[str, tuple[str | None, str | None]]] = field(default_factory=dict)
    targets: tuple[list[str], list[str]] | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.added_regions
            or self.removed_regions
            or self.moved_regions
            or self.parameters
            or self.targets
        )

    def changed_parameters(self) -> set[str]:
        return {name for values in self.parameters.values() for name in values}

    def as_json(self) -> dict[str, Any]:
        return {
            "added_regions": self.added_regions,
            "removed_regions": self.removed_regions,
            "moved_regions": {r: {"from": a, "to": b} for r, (a, b) in self.moved_regions.items()},
            "parameters": {
                region: {k: {"from": a, "to": b} for k, (a, b) in values.items()}
                for region, values in self.parameters.items()
            },
            "targets": None
            if self.targets is None
            else {"from": self.targets[0], "to": self.targets[1]},
        }


def _waves(files: dict[str, str]) -> dict[str, int]:
    """Region -> wave number."""
    found = {}
    for name, text in files.items():
        match = WAVE.match(name)
        if match:
            for region in json.loads(text)["Regions"]:
                found[region] = int(match.group(1))
    return found


def _targets(files: dict[str, str]) -> list[str]:
    """The accounts or OUs the first wave names (every wave names the same)."""
    for name in sorted(files):
        if WAVE.match(name):
            data = json.loads(files[name])
            return sorted(
                data.get("Accounts")
                or data.get("DeploymentTargets", {}).get("OrganizationalUnitIds", [])
            )
    return []


def _parameters(files: dict[str, str]) -> dict[str, dict[str, str]]:
    found = {}
    for name, text in files.items():
        match = PARAMS.match(name)
        if match:
            found[match.group(1)] = {
                p["ParameterKey"]: p["ParameterValue"] for p in json.loads(text)
            }
    return found


def diff(old: dict[str, str], new: dict[str, str]) -> RolloutChange:
    """`old` and `new` map file names (relative to templates/) to their text."""
    before, after = _waves(old), _waves(new)
    change = RolloutChange(
        added_regions=sorted(set(after) - set(before)),
        removed_regions=sorted(set(before) - set(after)),
        moved_regions={
            r: (before[r], after[r])
            for r in sorted(set(before) & set(after))
            if before[r] != after[r]
        },
    )
    old_params, new_params = _parameters(old), _parameters(new)
    for region in sorted(set(old_params) & set(new_params)):
        a, b = old_params[region], new_params[region]
        values = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
        if values:
            change.parameters[region] = values
    if _targets(old) != _targets(new):
        change.targets = (_targets(old), _targets(new))
    return change
