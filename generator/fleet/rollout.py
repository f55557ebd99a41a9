"""`python -m generator rollout`: the pipeline's waves, driven from anywhere with boto3.

For each wave: update the app stack set with this release's template and parameters in
the wave's regions (regions of a wave in parallel), wait for the operation, then bake,
judging the regions' health events in the central event log as the pipeline's gate does
(generator/gate/app.py). When a wave fails or goes unhealthy, every region this rollout
reached goes back to the template and parameters the stack set had before it started,
and the command exits 1 naming the region and why.
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStackSet.html
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import vocabulary as names
from generator.config import Config
from generator.fleet.operations import Operations, Outcome
from generator.gate.app import POLL_SECONDS, health_events, in_alarm, went_to_alarm

MAX_TEMPLATE_BODY = 51_200  # UpdateStackSet's TemplateBody; larger ones need a TemplateURL


class RolloutError(Exception):
    """A rollout that could not start: no release to send, or a body too large."""


@dataclass(frozen=True)
class Release:
    template: str
    parameters: list[dict[str, str]]

    @property
    def id(self) -> str:
        """Names this release's operations, so `status` can tell which release an
        instance runs."""
        digest = hashlib.sha256((self.template + json.dumps(self.parameters)).encode())
        return f"release-{digest.hexdigest()[:12]}"

    @classmethod
    def read(cls, deploy: Path, templates: Path) -> Release:
        """The whitespace-free body `make templates` wrote, and the StackSet's parameters."""
        body = deploy / "app.json"
        if not body.is_file():
            raise RolloutError(f"{body} is missing: run `make templates` first")
        template = body.read_text(encoding="utf-8").strip()
        if len(template.encode()) > MAX_TEMPLATE_BODY:
            raise RolloutError(
                f"{body} is {len(template.encode()):,} bytes, over the {MAX_TEMPLATE_BODY:,}-byte "
                "limit of a template sent inline; roll out with the pipeline instead"
            )
        parameters = json.loads((templates / "params" / "app.json").read_text(encoding="utf-8"))
        return cls(template, parameters)


class Rollout:
    """One release through every wave, with a rollback of what it reached."""

    def __init__(
        self,
        config: Config,
        cloudformation: Any,
        logs: Any,
        account: str,
        say: Callable[[str], None],
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.app = config.application.name
        self.logs = logs
        self.account = account
        self.say = say
        self.sleep = sleep
        self.clock = clock
        self.stack_set = names.stack_set(self.app, "app")
        self.operations = Operations(cloudformation, self.stack_set, say, sleep)
        self.client = cloudformation

    def _targets(self) -> dict[str, Any]:
        targets = self.config.targets
        if targets.permission_model == "SERVICE_MANAGED":
            return {"DeploymentTargets": {"OrganizationalUnitIds": targets.organizational_units}}
        central = targets.central_account or self.account
        return {
            "Accounts": targets.accounts or [self.account],
            "AdministrationRoleARN": f"arn:aws:iam::{central}:role/{names.STACKSET_ADMIN_ROLE}",
            "ExecutionRoleName": names.STACKSET_EXECUTION_ROLE,
        }

    def _preferences(self, regions: list[str]) -> dict[str, Any]:
        """A wave's regions in parallel; stop at the first failure (tolerance from config)."""
        targets = self.config.targets
        return {
            "RegionConcurrencyType": "PARALLEL",
            "RegionOrder": regions,
            "FailureTolerancePercentage": targets.failure_tolerance_percentage,
            "MaxConcurrentPercentage": targets.max_concurrent_percentage,
            "ConcurrencyMode": "STRICT_FAILURE_TOLERANCE",
        }

    def _update(self, template: str, parameters: list[Any], regions: list[str], op: str) -> Outcome:
        operation = self.operations.start(
            "update_stack_set",
            TemplateBody=template,
            Parameters=parameters,
            Capabilities=["CAPABILITY_IAM"],
            Regions=regions,
            OperationPreferences=self._preferences(regions),
            OperationId=op,
            **self._targets(),
        )
        return self.operations.wait(operation)

    def _bake(self, wave: int, regions: list[str]) -> list[str]:
        """The wave's regions found unhealthy by its bake, as the pipeline's gate finds
        them: gone to ALARM during the bake, or still in ALARM when it and the settling
        time after it are over; empty when healthy."""
        minutes = self.config.targets.bake(wave)
        if not minutes:
            return []
        watch = {
            "health": names.health_alarm(self.app),
            "events": names.central_event_log_group(self.app),
            "regions": regions,
        }
        alarms = self.config.alarms
        settle = alarms.period_seconds * alarms.evaluation_periods + names.BAKE_SETTLE_SECONDS
        self.say(f"  baking {minutes} minutes, watching {watch['health']} in {watch['events']}")
        started = self.clock()
        ends = started + minutes * 60 + settle
        while True:
            fired = went_to_alarm(health_events(self.logs, watch, started))
            if fired:
                return fired
            if self.clock() >= ends:
                lookback = self.clock() - self.config.logging.event_retention_days * 86400
                return in_alarm(health_events(self.logs, watch, lookback))
            self.sleep(min(POLL_SECONDS, ends - self.clock()))

    def run(self, release: Release) -> tuple[int, str]:
        """(exit status, the last line to print): 0 when every wave is healthy."""
        previous = self.client.describe_stack_set(StackSetName=self.stack_set)["StackSet"]
        reached: list[str] = []
        for number, wave in enumerate(self.config.targets.wave_list, start=1):
            self.say(f"wave {number}: {', '.join(wave)}")
            outcome = self._update(
                release.template, release.parameters, wave, f"{release.id}-wave-{number}"
            )
            reached += wave
            if outcome.status != "SUCCEEDED":
                failed = outcome.failed[0] if outcome.failed else None
                where = f"{failed.region} ({failed.account}): {failed.reason}" if failed else ""
                return self._roll_back(
                    previous, reached, release, f"wave {number} failed in {where or outcome.reason}"
                )
            unhealthy = self._bake(number, wave)
            if unhealthy:
                why = f"wave {number} is unhealthy: {'; '.join(unhealthy)}"
                return self._roll_back(previous, reached, release, why)
        return 0, f"{release.id} runs in every region"

    def _roll_back(
        self, previous: dict[str, Any], reached: list[str], release: Release, why: str
    ) -> tuple[int, str]:
        self.say(f"rolling back {', '.join(reached)} to the release before {release.id}")
        outcome = self._update(
            previous["TemplateBody"],
            previous.get("Parameters", []),
            reached,
            f"{release.id}-rollback",
        )
        return 1, f"{why}; rollback {outcome.status.lower()}"
