"""The Rollout stage: every wave, in order, as one locked unit that rolls back as one.

CodePipeline locks a stage while an execution is in it, so no two executions ever run
operations on the app stack set at once, and a later release cannot update wave 1 while an
earlier one waits at wave 2's approval. Each action runs after the last:

    [ApproveWave<N>] → ReadyWave<N> → Wave<N> → [Wave<N><Level> overrides] → BakeWave<N> → …

- Each ready action (the gate, generator/gate/app.py) waits until the stack set runs no
  other operation, such as the nightly drift check: one stack set runs one operation at a
  time, and a StackSet action that met one would fail the stage.
- Each wave is a `CloudFormationStackSet` action with this execution's own template and
  parameters, limited to the wave's regions: it deploys exactly what was reviewed, and a
  rollback that re-runs it with an older execution's artifacts restores both the stack
  set's template and the wave's instances (a failed UpdateStackSet leaves the new
  template on the stack set, so instance updates alone could not).
- Each bake (the gate again) waits `targets.bake_minutes` while every region's health
  events reach the central event log, and fails the stage if a region of the wave goes
  to ALARM during the bake or is still in ALARM when it ends. A rollback execution of the
  stage passes its bakes at once: it restores the last good release without delay.
- `OnFailure: ROLLBACK` re-runs the stage with the artifacts of the last execution that
  passed it: every region the release reached returns to the last good release. A
  rejected (or, after seven days, expired) approval fails the stage too, and so withdraws
  the release from every region it reached. CodePipeline rolls back only to an execution
  of the same pipeline version, so the first release, and the first after a change to
  the waves, have nothing to return to.
https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-rollback.html
https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-rollback-auto.html
https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals-approve-or-reject.html
https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-Lambda.html
"""

from __future__ import annotations

from typing import Any

from awacs import awslambda
from troposphere import Join, Ref, codepipeline

from generator import vocabulary as names
from generator.blocks import policies, principals
from generator.stacks.pipeline import actions

# The nightly drift check of a stack set takes minutes (all regions at once); an hour
# means something else holds the stack set, and a person should look.
READY_MAX_MINUTES = 60


class Rollout:
    """The Rollout stage of a pipeline stack."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.config = stack.config
        self.app = stack.app
        self.template = stack.template
        self.gate = names.wave_gate(self.app)

    def grant_invoke(self, role: Any) -> None:
        """What the pipeline's role needs to run the gate (in the logging stack): "make
        sure the policy for the role allows the lambda:InvokeFunction and
        lambda:ListFunctions permissions"."""
        role.allow(
            "InvokeWaveGate",
            [awslambda.InvokeFunction],
            [policies.arn("lambda", f"function:{self.gate}")],
        )
        role.add(policies.wildcard_only("ListFunctionsWildcardOnly", [awslambda.ListFunctions]))

    # --- the stage ----------------------------------------------------------------------------

    def stage(self) -> codepipeline.Stages:
        return codepipeline.Stages(
            Name=names.ROLLOUT_STAGE,
            Actions=self.actions(),
            OnFailure=codepipeline.FailureConditions(Result="ROLLBACK"),
        )

    def actions(self) -> list[codepipeline.Actions]:
        found: list[codepipeline.Actions] = []
        targets = self.config.targets
        for number, wave in enumerate(targets.wave_list, start=1):
            if number > 1 and self.config.pipeline.approval_between_waves:
                found.append(self._approval(number, wave, len(found) + 1))
            found.append(self.ready(f"ReadyWave{number}", "app", len(found) + 1))
            found.append(self._deploy(number, wave, len(found) + 1))
            for level, regions in self._overridden(wave):
                found.append(self._overrides(number, level, regions, len(found) + 1))
            if targets.bake(number):
                found.append(self._bake(number, wave, len(found) + 1))
        return found

    def ready(self, name: str, stack: str, order: int) -> codepipeline.Actions:
        """Wait until the stack set runs no operation (see generator/gate/app.py)."""
        return actions.invoke(
            name,
            self.gate,
            {
                "mode": "ready",
                "stack_sets": [names.stack_set(self.app, stack)],
                "max_minutes": READY_MAX_MINUTES,
            },
            order,
        )

    def _approval(self, wave: int, regions: list[str], order: int) -> codepipeline.Actions:
        baked = self.config.targets.bake(wave - 1)
        health = (
            f"Wave {wave - 1} baked {baked} minutes; none of its regions went to ALARM, and "
            "none was in ALARM at its end."
            if baked
            else f"Wave {wave - 1} is deployed (no bake)."
        )
        return actions.approval(
            f"ApproveWave{wave}",
            Ref(self.stack.approvals),
            f"{health} Approve to roll out wave {wave}: {', '.join(regions)}. Reject to "
            "withdraw the release from every region it reached.",
            order,
        )

    def _deploy(self, wave: int, regions: list[str], order: int) -> codepipeline.Actions:
        return self.stack.stack_set_action(
            f"Wave{wave}",
            "app",
            regions,
            self.targets(),
            order,
            service_managed=self.config.targets.permission_model == "SERVICE_MANAGED",
        )

    def targets(self) -> dict[str, Any]:
        """The target accounts, or the OUs of service-managed StackSets."""
        targets = self.config.targets
        if targets.permission_model == "SERVICE_MANAGED":
            return {"DeploymentTargets": ",".join(targets.organizational_units)}
        return {"DeploymentTargets": Join(",", principals.target_accounts(targets))}

    def _overridden(self, wave: list[str]) -> list[tuple[str, list[str]]]:
        """The wave's regions whose log level differs from the StackSet's, by level."""
        overrides = self.config.targets.log_level_overrides
        grouped: dict[str, list[str]] = {}
        for region in wave:
            if region in overrides:
                grouped.setdefault(overrides[region], []).append(region)
        return sorted(grouped.items())

    def _overrides(
        self, wave: int, level: str, regions: list[str], order: int
    ) -> codepipeline.Actions:
        """A log level other than the StackSet's for some regions' instances; overrides
        survive later stack set updates, and one stack set runs one operation at a time."""
        targets = self.config.targets
        return actions.stack_instances(
            f"Wave{wave}{level.capitalize()}",
            {
                "StackSetName": names.stack_set(self.app, "app"),
                "Regions": ",".join(regions),
                "ParameterOverrides": f"ParameterKey={names.LOG_LEVEL},ParameterValue={level}",
                "FailureTolerancePercentage": str(targets.failure_tolerance_percentage),
                "MaxConcurrentPercentage": str(targets.max_concurrent_percentage),
                **self.targets(),
            },
            order,
        )

    def _bake(self, wave: int, regions: list[str], order: int) -> codepipeline.Actions:
        alarms = self.config.alarms
        # A region's last evaluation, its event and its log line arrive after the bake.
        settle = alarms.period_seconds * alarms.evaluation_periods + names.BAKE_SETTLE_SECONDS
        return actions.invoke(
            f"BakeWave{wave}",
            self.gate,
            {
                "mode": "bake",
                "pipeline": names.pipeline(self.app),
                "wave": wave,
                "regions": regions,
                "minutes": self.config.targets.bake(wave),
                "settle": settle,
                "health": names.health_alarm(self.app),
                "events": names.central_event_log_group(self.app),
                "lookback_days": self.config.logging.event_retention_days,
                # Tells a rollback execution from a release.
                # https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-variables.html
                "execution": "#{codepipeline.PipelineExecutionId}",
                "topic": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
                + names.alert_topic(self.app),
            },
            order,
        )
