"""The Rollout stage: every wave, in order, as one locked unit that rolls back as one.

CodePipeline locks a stage while an execution is in it, so no two executions ever run
operations on the app stack set at once, and a later release cannot update wave 1 while an
earlier one waits at wave 2's approval. Each action runs after the last:

    Wave1 → [Wave1<Level> overrides] → BakeWave1 → [ApproveWave2] → Wave2 → … → BakeWaveN

- Each wave is a `CloudFormationStackSet` action with this execution's own template and
  parameters, limited to the wave's regions: it deploys exactly what was reviewed, and a
  rollback that re-runs it with an older execution's artifacts restores both the stack
  set's template and the wave's instances (a failed UpdateStackSet leaves the new
  template on the stack set, so instance updates alone could not).
- Each bake (a Lambda invoke action) waits `targets.bake_minutes` while the wave's alarm in
  the home region is watched (see generator.stacks.central_logging.rollout), and fails the
  stage as soon as a region of the wave goes to ALARM.
- `OnFailure: ROLLBACK` re-runs the stage with the artifacts of the last execution that
  passed it: every region the release reached returns to the last good release.
https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-rollback.html
https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-Lambda.html
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from awacs import awslambda
from awacs import cloudwatch as cloudwatch_actions
from awacs import codepipeline as codepipeline_actions
from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import sns as sns_actions
from awacs.aws import StringEquals
from troposphere import GetAtt, Join, Ref, Sub, codepipeline
from troposphere import awslambda as lambda_

from generator import vocabulary as names
from generator.blocks import checkov, policies, principals, roles
from generator.blocks.log_groups import LogGroup
from generator.stacks.pipeline import actions

GATE_SOURCE = Path(__file__).resolve().parents[2] / "gate" / "app.py"
GATE_TIMEOUT = 900  # each invocation watches 10 minutes, then hands back a token
GATE_NOT_REPLAYABLE = (
    "CKV_AWS_116",
    "CodePipeline invokes the gate; an invocation that fails times its action out, which "
    "fails the stage and rolls it back. A dead-lettered job could not be resumed.",
)


class Rollout:
    """The Rollout stage of a pipeline stack, and the bake gate it invokes."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.config = stack.config
        self.app = stack.app
        self.template = stack.template

    # --- the bake gate ----------------------------------------------------------------------

    @cached_property
    def gate(self) -> lambda_.Function:
        """The function each bake invokes; its code is inline (generator/gate/app.py), so
        it needs no bucket before the pipeline's first run."""
        name = f"{self.app}-wave-gate"
        log_group = LogGroup(
            self.template,
            "WaveGateLogGroup",
            name=names.function_log_group(name),
            retention_days=self.config.application.log_retention_days,
            key=self.stack.key,
            fate="Delete",
        )
        role = roles.for_service(
            self.template,
            "WaveGateRole",
            "lambda.amazonaws.com",
            description="The rollout's bake gate: reads the wave alarms, reports to CodePipeline.",
            statements=self._gate_statements(),
        )
        log_group.grant_write(role, "WriteOwnLogGroup")
        return self.template.add_resource(
            lambda_.Function(
                "WaveGate",
                DependsOn=[log_group.title],
                Metadata=checkov.skip(
                    GATE_NOT_REPLAYABLE,
                    checkov.NO_VPC_RESOURCES,
                    checkov.SHARED_CONCURRENCY,
                ),
                FunctionName=name,
                Description=f"{self.app}: bake a wave, pass only if its regions stayed healthy",
                Runtime="python3.11",
                Handler="index.handler",
                Architectures=["arm64"],
                MemorySize=128,
                Timeout=GATE_TIMEOUT,
                Code=lambda_.Code(ZipFile=GATE_SOURCE.read_text(encoding="utf-8")),
                Role=role.arn,
                TracingConfig=lambda_.TracingConfig(Mode="Active"),
            )
        )

    def _gate_statements(self) -> list[Any]:
        alarms = policies.arn("cloudwatch", f"alarm:{names.wave_alarm(self.app, '*')}")
        events = names.central_event_log_group(self.app)
        return [
            policies.allow(
                "ReadWaveAlarms",
                [cloudwatch_actions.DescribeAlarms, cloudwatch_actions.DescribeAlarmHistory],
                [alarms],
            ),
            policies.allow(
                "ReadRegionHealthEvents",
                [logs_actions.FilterLogEvents],
                [policies.arn("logs", f"log-group:{events}:*")],
            ),
            policies.allow(
                "AlertOnUnhealthyWave",
                [sns_actions.Publish],
                [policies.arn("sns", names.alert_topic(self.app))],
            ),
            # The alert topic is encrypted with the central logging key, used through SNS.
            policies.allow(
                "EncryptAlerts",
                [kms_actions.GenerateDataKey, kms_actions.Decrypt],
                [policies.arn("kms", "key/*")],
                StringEquals({"kms:ViaService": Sub("sns.${AWS::Region}.amazonaws.com")}),
            ),
            # PutJobSuccessResult and PutJobFailureResult have no resource type in IAM.
            # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodepipeline.html
            policies.wildcard_only(
                "ReportJobResultWildcardOnly",
                [
                    codepipeline_actions.PutJobSuccessResult,
                    codepipeline_actions.PutJobFailureResult,
                ],
            ),
            policies.xray_write(),
        ]

    def grant_invoke(self, role: Any) -> None:
        """What the pipeline's role needs to run the gate: "make sure the policy for the
        role allows the lambda:InvokeFunction and lambda:ListFunctions permissions"."""
        role.allow("InvokeWaveGate", [awslambda.InvokeFunction], [GetAtt(self.gate, "Arn")])
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
            found.append(self._deploy(number, wave, len(found) + 1))
            for level, regions in self._overridden(wave):
                found.append(self._overrides(number, level, regions, len(found) + 1))
            if targets.bake(number):
                found.append(self._bake(number, wave, len(found) + 1))
        return found

    def _approval(self, wave: int, regions: list[str], order: int) -> codepipeline.Actions:
        baked = self.config.targets.bake(wave - 1)
        health = (
            f"Wave {wave - 1} baked {baked} minutes with every region's alarms quiet."
            if baked
            else f"Wave {wave - 1} is deployed (no bake)."
        )
        return actions.approval(
            f"ApproveWave{wave}",
            policies.arn("sns", names.alert_topic(self.app)),
            f"{health} Approve to roll out wave {wave}: {', '.join(regions)}.",
            order,
        )

    def _deploy(self, wave: int, regions: list[str], order: int) -> codepipeline.Actions:
        targets = self.config.targets
        layout = self.stack.inputs.layout
        configuration: dict[str, Any] = {
            "StackSetName": names.stack_set(self.app, "app"),
            "Description": f"{self.app} app",
            "TemplatePath": actions.built(layout.deploy / "app.json"),
            "Parameters": actions.built(layout.templates / "params" / "app.json"),
            "Capabilities": "CAPABILITY_IAM",
            "Regions": ",".join(regions),
            "FailureTolerancePercentage": str(targets.failure_tolerance_percentage),
            "MaxConcurrentPercentage": str(targets.max_concurrent_percentage),
            **self.targets(),
        }
        if targets.permission_model == "SERVICE_MANAGED":
            # OrganizationsAutoDeployment excludes DeploymentTargets and Regions; left out,
            # it is Disabled, and every wave names its OUs and regions.
            configuration["PermissionModel"] = "SERVICE_MANAGED"
        else:
            configuration.update(
                PermissionModel="SELF_MANAGED",
                AdministrationRoleArn=self.stack.admin_role_arn,
                ExecutionRoleName=names.STACKSET_EXECUTION_ROLE,
            )
        return actions.stack_set(f"Wave{wave}", configuration, order)

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
        return actions.invoke(
            f"BakeWave{wave}",
            Ref(self.gate),
            {
                "pipeline": names.pipeline(self.app),
                "wave": wave,
                "regions": regions,
                "minutes": self.config.targets.bake(wave),
                "alarm": names.wave_alarm(self.app, wave),
                "health": names.health_alarm(self.app),
                "events": names.central_event_log_group(self.app),
                "topic": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
                + names.alert_topic(self.app),
            },
            order,
        )
