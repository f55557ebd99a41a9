"""Where the "before" of a plan comes from: the committed output at a git ref, or what the
fleet runs (the stack sets' templates and parameters, and the home-region stacks)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import vocabulary as names
from generator.config import Config
from generator.stacks import stack_sets


class SourceError(Exception):
    """The "before" could not be read: a bad ref, or no access to the fleet."""


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
        )
    except FileNotFoundError:
        raise SourceError("git is not installed") from None
    except subprocess.CalledProcessError as error:
        raise SourceError(error.stderr.strip() or f"git {' '.join(args)} failed") from None
    return done.stdout


def default_ref(repo: Path) -> str:
    """The branch's upstream if it has one, else HEAD."""
    try:
        return _git(
            repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"
        ).strip()
    except SourceError:
        return "HEAD"


def at_ref(repo: Path, ref: str, templates: Path) -> dict[str, str]:
    """Every file under `templates` (relative to `repo`) as committed at `ref`, by its
    path relative to `templates`; empty when the folder did not exist then."""
    try:
        _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except SourceError:
        raise SourceError(f"{ref!r} is not a commit, branch or tag of {repo}") from None
    prefix = templates.as_posix().rstrip("/") + "/"
    listed = _git(repo, "ls-tree", "-r", "--name-only", ref, "--", prefix).splitlines()
    return {path[len(prefix) :]: _git(repo, "show", f"{ref}:{path}") for path in listed}


@dataclass
class Instance:
    account: str
    region: str
    status: str
    detailed_status: str
    drift: str
    reason: str = ""


@dataclass
class Fleet:
    """What the fleet runs, as output files, and the state of every stack instance."""

    files: dict[str, str] = field(default_factory=dict)
    instances: dict[str, list[Instance]] = field(default_factory=dict)

    def unhealthy(self) -> list[tuple[str, Instance]]:
        return [
            (stack_set, i)
            for stack_set, instances in sorted(self.instances.items())
            for i in instances
            if i.status != "CURRENT" or i.detailed_status != "SUCCEEDED" or i.drift == "DRIFTED"
        ]


# What `live` reads: the templates the pipeline deploys. The StackSet execution role is
# deployed by hand in each target account, so a live plan leaves it out rather than
# report it as new on every release.
LIVE_TEMPLATES = (
    "app.json",
    "bootstrap.json",
    "data-keys.json",
    "data.json",
    "logging.json",
    "pipeline.json",
)


def live(config: Config, session: Any) -> Fleet:
    """Read the fleet with the central account's credentials (`session`: a boto3 Session).
    Stack sets and home stacks not created yet hold nothing: the first release adds them.
    """
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    fleet = Fleet()
    try:
        cloudformation = session.client(
            "cloudformation", region_name=config.application.home_region
        )
        for stack in stack_sets(config):
            _stack_set(cloudformation, config, stack, fleet)
        for stack in ("logging", "pipeline"):
            _home_stack(cloudformation, config, stack, fleet)
    except NoCredentialsError:
        raise SourceError(
            "no AWS credentials: set AWS_PROFILE or keys for the central account"
        ) from None
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise SourceError(f"{detail.get('Code')}: {detail.get('Message')}") from None
    except BotoCoreError as error:
        raise SourceError(str(error)) from None
    return fleet


def _home_stack(client: Any, config: Config, stack: str, fleet: Fleet) -> None:
    """A home stack not created yet holds nothing."""
    from botocore.exceptions import ClientError

    try:
        body = client.get_template(StackName=names.home_stack(config.application.name, stack))
    except ClientError as error:
        if "does not exist" in error.response.get("Error", {}).get("Message", ""):
            return
        raise
    fleet.files[f"{stack}.json"] = _body(body["TemplateBody"])


def _body(template: Any) -> str:
    """get_template returns a dict for JSON bodies (botocore parses them) or text."""
    data = template if isinstance(template, dict) else json.loads(template)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _stack_set(client: Any, config: Config, stack: str, fleet: Fleet) -> None:
    """A stack set not created yet is an empty fleet: the first release adds everything."""
    from botocore.exceptions import ClientError

    name = names.stack_set(config.application.name, stack)
    try:
        described = client.describe_stack_set(StackSetName=name)["StackSet"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "StackSetNotFoundException":
            return
        raise
    fleet.files[f"{stack}.json"] = _body(described["TemplateBody"])
    parameters = {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])
    }
    instances = []
    for page in client.get_paginator("list_stack_instances").paginate(StackSetName=name):
        for summary in page["Summaries"]:
            instances.append(
                Instance(
                    account=summary["Account"],
                    region=summary["Region"],
                    status=summary["Status"],
                    detailed_status=summary.get("StackInstanceStatus", {}).get(
                        "DetailedStatus", ""
                    ),
                    drift=summary.get("DriftStatus", "NOT_CHECKED"),
                    reason=summary.get("StatusReason", ""),
                )
            )
    fleet.instances[name] = instances
    if stack == "app":
        _app_inputs(client, name, parameters, instances, fleet)
        _waves(config, instances, fleet)


def _waves(config: Config, instances: list[Instance], fleet: Fleet) -> None:
    """The regions the fleet runs, in the waves the config puts them in (0: none)."""
    wave_of = {r: n for n, wave in enumerate(config.targets.wave_list, start=1) for r in wave}
    grouped: dict[int, list[str]] = {}
    for region in sorted({i.region for i in instances}):
        grouped.setdefault(wave_of.get(region, 0), []).append(region)
    targets = (
        {"Accounts": sorted({i.account for i in instances})} if config.targets.accounts else {}
    )
    for number, regions in grouped.items():
        fleet.files[f"stacksets/app.wave-{number}.instances.json"] = json.dumps(
            {"Regions": regions, **targets}, indent=2, sort_keys=True
        )


def _app_inputs(
    client: Any, name: str, parameters: dict[str, str], instances: list[Instance], fleet: Fleet
) -> None:
    """The app's per-region parameter files, with each region's overrides applied."""
    for instance in instances:
        detail = client.describe_stack_instance(
            StackSetName=name,
            StackInstanceAccount=instance.account,
            StackInstanceRegion=instance.region,
        )["StackInstance"]
        values = dict(parameters)
        values.update(
            {
                p["ParameterKey"]: p.get("ParameterValue", "")
                for p in detail.get("ParameterOverrides", [])
            }
        )
        fleet.files[f"params/app.{instance.region}.json"] = (
            json.dumps(
                [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(values.items())],
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
