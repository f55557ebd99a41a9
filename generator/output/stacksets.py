"""StackSet inputs for rolling out without the pipeline.

Each file is the JSON that `aws cloudformation <command> --cli-input-json file://...`
takes, so the README's commands are the whole procedure. The template itself is passed
with `--template-body file://templates/<name>.json`.
https://docs.aws.amazon.com/cli/latest/reference/cloudformation/create-stack-set.html
https://docs.aws.amazon.com/cli/latest/reference/cloudformation/create-stack-instances.html
"""

from __future__ import annotations

from typing import Any

from generator import vocabulary as naming
from generator.config import Config

CAPABILITIES = ["CAPABILITY_IAM"]


def _parameters(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(values.items())]


def bootstrap_parameters(config: Config) -> dict[str, str]:
    values = {"HomeRegion": config.application.home_region}
    if config.targets.accounts:
        values["SourceAccountIds"] = ",".join(config.targets.accounts)
    return values


def app_parameters(config: Config, region: str | None = None) -> dict[str, str]:
    log_level = config.targets.log_level_overrides.get(region or "", config.application.log_level)
    return {
        "HomeRegion": config.application.home_region,
        "CentralAccountId": config.targets.central_account or "",
        "LogLevel": log_level,
    }


def _targets(config: Config, *, central: bool) -> dict[str, Any]:
    """Where instances go: the central account for bootstrap, the targets for the app.

    Without configured accounts both are the caller's account, which the README passes
    on the command line (`--accounts`), since the config does not name it.
    """
    targets = config.targets
    if central:
        return {"Accounts": [targets.central_account]} if targets.central_account else {}
    if targets.permission_model == "SERVICE_MANAGED":
        return {"DeploymentTargets": {"OrganizationalUnitIds": list(targets.organizational_units)}}
    return {"Accounts": list(targets.accounts)} if targets.accounts else {}


def _preferences(config: Config, regions: list[str]) -> dict[str, Any]:
    """Regions of one wave in parallel; stop at the first failure (tolerance from config)."""
    return {
        "RegionConcurrencyType": "PARALLEL" if len(regions) > 1 else "SEQUENTIAL",
        "RegionOrder": regions,
        "FailureTolerancePercentage": config.targets.failure_tolerance_percentage,
        "MaxConcurrentPercentage": config.targets.max_concurrent_percentage,
        "ConcurrencyMode": "STRICT_FAILURE_TOLERANCE",
    }


def _instances(
    config: Config, stack: str, regions: list[str], *, central: bool = False, **extra: Any
) -> dict[str, Any]:
    """A `create-stack-instances` (or `update-stack-instances`) input for `regions`."""
    return {
        "StackSetName": naming.stack_set(config.application.name, stack),
        "Regions": regions,
        **_targets(config, central=central),
        **extra,
        "OperationPreferences": _preferences(config, regions),
    }


def _stack_set(
    config: Config, stack: str, description: str, values: dict[str, str]
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "StackSetName": naming.stack_set(config.application.name, stack),
        "Description": description,
        "Parameters": _parameters(values),
        "Capabilities": CAPABILITIES,
        "PermissionModel": "SELF_MANAGED",
        "ManagedExecution": {"Active": True},
        "Tags": [
            {"Key": key, "Value": value}
            for key, value in sorted(config.application.all_tags.items())
        ],
    }
    return definition


def files(config: Config) -> dict[str, Any]:
    """Relative path under templates/ -> JSON document (an object, or a parameter list)."""
    app = config.application.name
    home = config.application.home_region
    targets = config.targets
    out: dict[str, Any] = {}
    # The bootstrap lives in the central account, always self-managed from there.
    out["stacksets/bootstrap.stack-set.json"] = _stack_set(
        config,
        "bootstrap",
        f"{app}: artifact buckets and log destinations, every region",
        bootstrap_parameters(config),
    )
    out["stacksets/bootstrap.instances.json"] = _instances(
        config, "bootstrap", list(targets.regions), central=True
    )
    app_set = _stack_set(config, "app", f"{app}: the regional application", app_parameters(config))
    if targets.permission_model == "SERVICE_MANAGED":
        app_set["PermissionModel"] = "SERVICE_MANAGED"
        app_set["AutoDeployment"] = {"Enabled": False}
    out["stacksets/app.stack-set.json"] = app_set
    for number, wave in enumerate(targets.wave_list, start=1):
        out[f"stacksets/app.wave-{number}.instances.json"] = _instances(config, "app", wave)
    # Per-region values differ from the StackSet's only where the config overrides them.
    for region, level in sorted(targets.log_level_overrides.items()):
        out[f"stacksets/app.overrides.{region}.json"] = _instances(
            config, "app", [region], ParameterOverrides=_parameters({"LogLevel": level})
        )
    # Global tables: each region's key, then the tables in the home region, before the app.
    if config.global_tables:
        for stack, description, regions in (
            ("data-keys", "the global tables' key of every region", list(targets.regions)),
            ("data", "the global tables, a replica in every region", [home]),
        ):
            out[f"stacksets/{stack}.stack-set.json"] = _stack_set(
                config, stack, f"{app}: {description}", {}
            )
            out[f"stacksets/{stack}.instances.json"] = _instances(config, stack, regions)
    # Parameter files of the StackSets themselves, which the pipeline's actions read.
    out["params/bootstrap.json"] = _parameters(bootstrap_parameters(config))
    out["params/app.json"] = _parameters(app_parameters(config))
    for region in targets.regions:
        out[f"params/app.{region}.json"] = _parameters(app_parameters(config, region))
    return out
