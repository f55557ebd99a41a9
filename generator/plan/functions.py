"""What a release does to each function at runtime.

A function's `AWS::Lambda::Version` has a logical id that hashes its code and versioned
configuration, so a new id means CloudFormation publishes a new version and the `live`
alias's update goes through CodeDeploy with the deployment group's strategy. A change to
the function that publishes no version (a reserved concurrency, say) takes effect at once,
for every version, with no canary: it is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.plan.resources import ResourceChange


@dataclass
class FunctionChange:
    name: str
    new_version: bool
    strategy: str | None
    unversioned: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        """Behaviour changes that reach every version at once, without a canary."""
        return bool(self.unversioned) and not self.new_version

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "new_version": self.new_version,
            "strategy": self.strategy,
            "unversioned_changes": self.unversioned,
        }


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template.get("Resources", {}).items() if v.get("Type") == kind}


def _versions(template: dict[str, Any]) -> dict[str, str]:
    """Function logical id -> its Version's logical id."""
    return {
        v["Properties"]["FunctionName"]["Ref"]: rid
        for rid, v in _of_type(template, "AWS::Lambda::Version").items()
        if isinstance(v["Properties"].get("FunctionName"), dict)
    }


def _strategies(template: dict[str, Any]) -> dict[str, str]:
    """Function logical id -> the strategy of the group its alias deploys through."""
    resources = template.get("Resources", {})
    found = {}
    for alias in _of_type(template, "AWS::Lambda::Alias").values():
        policy = alias.get("UpdatePolicy", {}).get("CodeDeployLambdaAliasUpdate", {})
        group = resources.get(policy.get("DeploymentGroupName", {}).get("Ref", ""), {})
        function = alias["Properties"]["FunctionName"].get("Ref")
        strategy = group.get("Properties", {}).get("DeploymentConfigName")
        if function and strategy:
            found[function] = strategy
    return found


def diff(
    old: dict[str, Any], new: dict[str, Any], changes: list[ResourceChange]
) -> list[FunctionChange]:
    before, after = _versions(old), _versions(new)
    strategies = _strategies(new)
    modified = {c.id: c for c in changes if c.action == "modify"}
    names = {
        rid: v["Properties"].get("FunctionName", rid)
        for rid, v in _of_type(new, "AWS::Lambda::Function").items()
    }
    result = []
    for function in sorted(after):
        published = before.get(function) != after[function]
        change = modified.get(function)
        paths = [p for p in (change.paths if change else []) if p.startswith("Properties.")]
        if published or paths:
            result.append(
                FunctionChange(
                    name=str(names.get(function, function)),
                    new_version=published,
                    strategy=strategies.get(function) if published else None,
                    unversioned=[] if published else paths,
                )
            )
    return result
