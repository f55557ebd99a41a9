"""What CloudFormation will do to each resource of a template, and what it risks.

A modified resource is replaced when a create-only property changes ("Update requires:
Replacement"); CloudFormation's resource schemas, which cfn-lint ships, list those
properties per type. A create-only property whose value names a replaced resource, or a
parameter whose value the template does not know, may change too: that replacement is
`conditional`. Removing or replacing a stateful resource risks its data, unless its
DeletionPolicy (or UpdateReplacePolicy) keeps it.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from generator.output import derived

Action = Literal["add", "remove", "modify"]
Replacement = Literal["always", "conditional", "never"]
SCHEMA_REGION = "us-east-1"
# Attributes outside Properties that change how CloudFormation treats a resource.
ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy", "DependsOn", "Condition")


@dataclass
class ResourceChange:
    id: str
    type: str
    action: Action
    replacement: Replacement = "never"
    paths: list[str] = field(default_factory=list)
    stateful: bool = False
    deletion_policy: str = "Delete"
    # A global table's replicas that the update deletes, with their items, whatever the
    # table's DeletionPolicy says.
    lost_replicas: list[str] = field(default_factory=list)

    @property
    def data_risk(self) -> bool:
        """A stateful resource that goes (removed or replaced), whatever its policy says:
        `Retain` keeps the data but leaves the resource outside the stack; or a global
        table that loses a replica."""
        goes = self.action == "remove" or self.replacement != "never"
        return self.stateful and (goes or bool(self.lost_replicas))

    @property
    def loss(self) -> str:
        """How a data risk loses data, in words."""
        if self.action == "remove":
            return "removed"
        if self.replacement != "never":
            return f"replaced ({self.replacement})"
        return f"losing its replicas in {', '.join(self.lost_replicas)}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "action": self.action,
            "replacement": self.replacement,
            "paths": self.paths,
            "stateful": self.stateful,
            "deletion_policy": self.deletion_policy,
            "lost_replicas": self.lost_replicas,
            "data_risk": self.data_risk,
        }


@cache
def create_only(resource_type: str) -> tuple[str, ...]:
    """Top-level property names that cannot change in place; kept with the derived facts,
    so that cfn-lint's schemas load only for a type not seen before."""
    names: list[str] = derived.fact(
        f"schema.create_only:{resource_type}", lambda: _create_only(resource_type)
    )
    return tuple(names)


def _create_only(resource_type: str) -> list[str]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    except Exception:  # a type cfn-lint does not know: nothing can be said of it
        return []
    pointers = schema.get("createOnlyProperties", [])
    return sorted({p.split("/")[2] for p in pointers if p.startswith("/properties/")})


@cache
def stateful_types() -> frozenset[str]:
    """cfn-lint's list of resource types that hold data."""

    def compute() -> list[str]:
        import cfnlint

        data = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs"
        return sorted(json.loads((data / "StatefulResources.json").read_text())["ResourceTypes"])

    return frozenset(derived.fact("cfnlint.stateful_types", compute))


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON values differ; lists compare by position."""
    if isinstance(old, dict) and isinstance(new, dict):
        paths: list[str] = []
        for key in sorted(set(old) | set(new)):
            child = f"{prefix}.{key}" if prefix else key
            if key not in old or key not in new:
                paths.append(child)
            else:
                paths += changed_paths(old[key], new[key], child)
        return paths
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            p
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for p in changed_paths(a, b, f"{prefix}[{i}]")
        ]
    return [] if old == new else [prefix]


def references(value: Any) -> Iterator[str]:
    """Names a value refers to: Ref targets, GetAtt resources, ${Name} in Fn::Sub."""
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            yield value["Ref"]
        getatt = value.get("Fn::GetAtt")
        if isinstance(getatt, list) and getatt:
            yield str(getatt[0])
        sub = value.get("Fn::Sub")
        text = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(text, str):
            for part in text.split("${")[1:]:
                name = part.split("}", 1)[0]
                if not name.startswith("!"):
                    yield name.split(".", 1)[0]
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def diff(
    old: dict[str, Any], new: dict[str, Any], changed_parameters: set[str] | None = None
) -> list[ResourceChange]:
    """Every resource added, removed or modified between two templates; a resource whose
    create-only property names a changed parameter value may be replaced."""
    before, after = old.get("Resources", {}), new.get("Resources", {})
    changes: dict[str, ResourceChange] = {}
    for rid in sorted(set(before) | set(after)):
        if rid not in before:
            changes[rid] = _change(rid, after[rid], "add")
        elif rid not in after:
            changes[rid] = _change(rid, before[rid], "remove")
        elif before[rid].get("Type") != after[rid].get("Type"):
            changes[rid] = _change(rid, after[rid], "modify", ["Type"], "always")
        else:
            paths = _paths(before[rid], after[rid])
            if paths:
                replaced = _replaces(after[rid]["Type"], paths)
                changes[rid] = _change(rid, after[rid], "modify", paths, replaced)
                changes[rid].lost_replicas = sorted(_replicas(before[rid]) - _replicas(after[rid]))
    _propagate(changes, after, changed_parameters or set())
    return sorted(changes.values(), key=lambda c: c.id)


def _replicas(resource: dict[str, Any]) -> set[str]:
    """The regions of a global table's replicas (none for any other type)."""
    replicas = resource.get("Properties", {}).get("Replicas", [])
    if resource.get("Type") != "AWS::DynamoDB::GlobalTable" or not isinstance(replicas, list):
        return set()
    return {
        r["Region"] for r in replicas if isinstance(r, dict) and isinstance(r.get("Region"), str)
    }


def _paths(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    paths = changed_paths(old.get("Properties", {}), new.get("Properties", {}), "Properties")
    for attribute in ATTRIBUTES:
        if old.get(attribute) != new.get(attribute):
            paths.append(attribute)
    return paths


def _replaces(resource_type: str, paths: list[str]) -> Replacement:
    fixed = create_only(resource_type)
    touched = {p.split(".")[1].split("[")[0] for p in paths if p.startswith("Properties.")}
    return "always" if touched & set(fixed) else "never"


def _change(
    rid: str,
    resource: dict[str, Any],
    action: Action,
    paths: list[str] | None = None,
    replacement: Replacement = "never",
) -> ResourceChange:
    policy = "UpdateReplacePolicy" if action == "modify" else "DeletionPolicy"
    return ResourceChange(
        id=rid,
        type=str(resource.get("Type")),
        action=action,
        replacement=replacement,
        paths=paths or [],
        stateful=resource.get("Type") in stateful_types(),
        deletion_policy=str(resource.get(policy, "Delete")),
    )


def _propagate(
    changes: dict[str, ResourceChange], resources: dict[str, Any], parameters: set[str]
) -> None:
    """A create-only property that names a replaced resource, or a parameter whose value
    changes, may change with it."""
    while True:
        replaced = {rid for rid, c in changes.items() if c.replacement != "never"} | parameters
        grew = False
        for rid, resource in resources.items():
            if rid in replaced:
                continue
            properties = resource.get("Properties", {})
            fixed = [properties[p] for p in create_only(resource["Type"]) if p in properties]
            named = {r for value in fixed for r in references(value)}
            if not named & replaced:
                continue
            change = changes.get(rid) or _change(rid, resource, "modify")
            change.replacement = "conditional"
            change.paths = change.paths or [
                f"(create-only property names {', '.join(sorted(named & replaced))})"
            ]
            changes[rid] = change
            grew = True
        if not grew:
            return
