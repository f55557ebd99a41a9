"""The regional application: functions, versions, `live` aliases, traffic shifting, API.

Plain CloudFormation, so that service-managed StackSets can deploy it: the resources are
the ones SAM's AutoPublishAlias and DeploymentPreference would produce, written out. A
failed deployment fails the stack update, which CloudFormation rolls back, which fails
the StackSet operation before the next region.
"""

from __future__ import annotations

from functools import cached_property

from awacs import awslambda, cloudwatch
from troposphere import GetAtt, Parameter, Ref, codedeploy, logs, ssm
from troposphere import awslambda as lambda_
from troposphere import cloudwatch as cw

from generator import vocabulary as names
from generator.blocks import parameters, policies, roles, version_check
from generator.blocks.compat import EventSourceMapping, EventSourceScaling
from generator.blocks.keys import Key
from generator.blocks.queues import (
    DEFAULT_VISIBILITY_SECONDS,
    VISIBILITY_PER_FUNCTION_TIMEOUT,
    Queue,
)
from generator.blocks.roles import Role
from generator.blocks.tables import Replica, Table
from generator.output.bundles import HOOK, Asset
from generator.stacks.app import telemetry
from generator.stacks.app.api import HttpApi
from generator.stacks.app.domain import RegionalDomain
from generator.stacks.app.function import FunctionParts
from generator.stacks.app.schedules import Schedules
from generator.stacks.base import Stack


class RegionalApp(Stack):
    """The application in one region of one account."""

    contents = (
        "log_level",
        "home_region",
        "central_account",
        "logs_key",
        "central_logs",
        "codedeploy_application",
        "deploy_role",
        "api",
        "tables",
        "queues",
        "functions",
        "domain",
        "triggers",
        "schedules",
        "log_subscription",
        "health",
        "event_forwarding",
        "outputs",
        "execution_role_check",
    )

    closing = ("execution_role_check",)

    def describe(self) -> str:
        return (
            f"{self.app}: regional application (functions, traffic-shifted aliases, HTTP "
            "API). Deployed by StackSets to every target region."
        )

    @cached_property
    def log_level(self) -> Parameter:
        return parameters.log_level(self.template, self.config.application.log_level)

    @cached_property
    def home_region(self) -> Parameter:
        return parameters.home_region(self.template)

    @cached_property
    def central_account(self) -> parameters.CentralAccount:
        return parameters.CentralAccount(self.template)

    @cached_property
    def logs_key(self) -> Key:
        return telemetry.logs_key(self.template, self.app)

    @cached_property
    def central_logs(self) -> telemetry.CentralLogs:
        return telemetry.CentralLogs(
            self.template, self.config, self.logs_key, self.central_account, self.home_region
        )

    @property
    def hook_asset(self) -> Asset:
        return self.inputs.bundles[HOOK]

    def code(self, asset: Asset) -> lambda_.Code:
        """Code from the central account's bucket in this region, at its content hash."""
        return lambda_.Code(
            S3Bucket=names.artifact_bucket(
                self.config.application.bucket_prefix, self.central_account.value
            ),
            S3Key=asset.key,
        )

    @cached_property
    def codedeploy_application(self) -> codedeploy.Application:
        return self.template.add_resource(
            codedeploy.Application(
                "CodeDeployApplication",
                ApplicationName=names.codedeploy_application(self.app),
                ComputePlatform="Lambda",
            )
        )

    @cached_property
    def deploy_role(self) -> Role:
        """CodeDeploy's service role, scoped to this stack's aliases, hooks and alarms.

        Replaces the managed AWSCodeDeployRoleForLambda, which grants alias updates, alarm
        reads and sns:Publish on `*`. Every function, hook and alarm of the application
        carries its name as prefix, so `<app>-*` names exactly them and the policy stays one
        size however many there are.
        https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForLambda.html
        """
        every = names.function_name(self.app, "*")
        return roles.for_service(
            self.template,
            "CodeDeployServiceRole",
            "codedeploy.amazonaws.com",
            description="CodeDeploy traffic shifting for this stack's aliases only.",
            statements=[
                policies.allow(
                    "ShiftAliasTraffic",
                    [awslambda.GetAlias, awslambda.UpdateAlias],
                    [
                        policies.arn("lambda", f"function:{every}"),
                        policies.arn("lambda", f"function:{every}:{names.ALIAS}"),
                    ],
                ),
                policies.allow(
                    "ReadProvisionedConcurrency",
                    [awslambda.GetProvisionedConcurrencyConfig],
                    [policies.arn("lambda", f"function:{every}:*")],
                ),
                policies.allow(
                    "InvokeOwnHooks",
                    [awslambda.InvokeFunction],
                    [policies.arn("lambda", f"function:{names.hook_name(self.app, '*')}")],
                ),
                policies.allow(
                    "ReadDeploymentAlarms",
                    [cloudwatch.DescribeAlarms],
                    [policies.arn("cloudwatch", f"alarm:{names.alarm_name(self.app, '*', '*')}")],
                ),
            ],
        )

    @cached_property
    def api(self) -> HttpApi:
        return HttpApi(self.template, self.config, self.central_logs)

    @cached_property
    def domain(self) -> RegionalDomain | None:
        """The API's custom name in this region, when the config names one."""
        if self.config.domain.name is None:
            return None
        domain = RegionalDomain(
            self.template, self.config.domain, self.api, self.config.application.all_tags
        )
        domain.build()
        return domain

    @cached_property
    def data_key(self) -> Key:
        """The key of this region's tables (and queues): one key for the application's
        data in one account and region. A key per table would cost two resources each
        (key and alias) and a monthly key charge each, and isolate nothing a role's grant
        does not already confine: every use is through one service, for the table named
        in the encryption context (blocks/tables.py)."""
        return Key(
            self.template,
            "DataKey",
            description=f"{self.app}: encrypts this region's tables and queues",
            alias=f"{self.app}-app-data",
        )

    @cached_property
    def tables(self) -> dict[str, Table | Replica]:
        """Regional tables, which each stack instance (account and region) has its own, and
        this region's replicas of the global tables, which the data stack owns."""
        found: dict[str, Table | Replica] = {}
        for key, spec in sorted(self.config.tables.items()):
            name = names.table_name(self.app, key)
            if spec.is_global:
                found[key] = Replica(name=name, key_alias=names.global_data_key_alias(self.app))
            else:
                found[key] = Table(
                    self.template,
                    names.logical_id(key, "table"),
                    name=name,
                    spec=spec,
                    key=self.data_key,
                )
        return found

    @cached_property
    def queues(self) -> dict[str, Queue]:
        """Regional queues, each with its dead-letter queue and the alarm on its depth."""
        built = {}
        for key, spec in sorted(self.config.queues.items()):
            visibility = DEFAULT_VISIBILITY_SECONDS
            if spec.consumer is not None:
                timeout = self.config.functions[spec.consumer].timeout
                visibility = (
                    VISIBILITY_PER_FUNCTION_TIMEOUT * timeout + spec.batching_window_seconds
                )
            built[key] = Queue(
                self.template,
                names.logical_id(key, "queue"),
                name=names.queue_name(self.app, key),
                key=self.data_key,
                max_receive_count=spec.max_receive_count,
                retention_days=spec.retention_days,
                visibility_seconds=visibility,
            )
        return built

    @cached_property
    def data_alarms(self) -> list[cw.Alarm]:
        """The alarms of the data blocks, which count in the region's health."""
        alarms = self.config.alarms
        return [
            queue.dead_letter_alarm(
                names.logical_id(key, "dead", "letters", "alarm"),
                alarm_name=names.alarm_name(self.app, f"queue-{key}", "dead-letters"),
                period=alarms.period_seconds,
                evaluation_periods=alarms.evaluation_periods,
            )
            for key, queue in self.queues.items()
        ]

    @cached_property
    def triggers(self) -> None:
        """Each consumed queue invokes its function's `live` alias, so a release's new
        version takes its share of messages as CodeDeploy shifts the alias. A function that
        returns the failed messages of a batch (`ReportBatchItemFailures`) has only those
        retried; the concurrency cap keeps one queue from taking the account's pool.
        https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
        https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency
        """
        for key, spec in sorted(self.config.queues.items()):
            if spec.consumer is None:
                continue
            queue, parts = self.queues[key], self.functions[spec.consumer]
            queue.grant_trigger(parts.role, names.logical_id("trigger", key, "queue"))
            self.template.add_resource(
                EventSourceMapping(
                    names.logical_id(key, "queue", "trigger"),
                    EventSourceArn=queue.arn,
                    FunctionName=Ref(parts.alias),
                    BatchSize=spec.batch_size,
                    MaximumBatchingWindowInSeconds=spec.batching_window_seconds,
                    FunctionResponseTypes=["ReportBatchItemFailures"],
                    ScalingConfig=EventSourceScaling(MaximumConcurrency=spec.maximum_concurrency),
                    Enabled=True,
                )
            )

    @cached_property
    def schedules(self) -> Schedules | None:
        if not self.config.schedules:
            return None
        schedules = Schedules(self)
        for key, spec in sorted(self.config.schedules.items()):
            schedules.add(key, self.functions[spec.function].alias)
        for name in sorted({spec.function for spec in self.config.schedules.values()}):
            schedules.keep_failures(self.functions[name])
        return schedules

    @cached_property
    def functions(self) -> dict[str, FunctionParts]:
        built = {key: FunctionParts(self, key) for key in self.config.function_names}
        for parts in built.values():
            parts.build()
        return built

    @cached_property
    def log_subscription(self) -> logs.AccountPolicy | None:
        """This account and region's account-level subscription, when the config asks for
        one instead of a filter per log group."""
        return self.central_logs.account_subscription

    @cached_property
    def health(self) -> cw.CompositeAlarm:
        """Every alarm of the application in this region, rolled into one: its state
        changes reach the home region, where each wave's gate watches them. Its children
        are alarms of this template, so it waits for them."""
        children = [a for parts in self.functions.values() for a in parts.alarms]
        children.append(self.api.error_rate_alarm)
        children += self.data_alarms
        if self.schedules is not None:
            children.append(self.schedules.alarm)
        return self.template.add_resource(
            cw.CompositeAlarm(
                "HealthAlarm",
                AlarmName=names.health_alarm(self.app),
                AlarmDescription=f"{self.app}: any alarm of the application in this region "
                "(function errors, throttles and p99 duration, API 5xx rate, dead letters).",
                AlarmRule=" OR ".join(f'ALARM("{a.AlarmName}")' for a in children),
                ActionsEnabled=False,
                DependsOn=[a.title for a in children],
            )
        )

    @cached_property
    def event_forwarding(self) -> None:
        telemetry.forward_events(self.template, self.app, self.central_account, self.home_region)

    @cached_property
    def outputs(self) -> None:
        self.output("ApiEndpoint", self.api.endpoint, "Base URL of the HTTP API in this region.")
        if self.domain is not None:
            self.output(
                "ApiRegionalDomainName",
                GetAtt(self.domain.domain_name, "RegionalDomainName"),
                f"Where https://{self.domain.name} points in this region (latency record).",
            )
        for parts in self.functions.values():
            self.output(
                f"{parts.id()}AliasArn",
                Ref(parts.alias),
                f"The live alias of {parts.name}: what routes and triggers invoke.",
            )

    @cached_property
    def execution_role_check(self) -> ssm.Parameter | None:
        """Created before anything else: the account's StackSet execution role must be
        recent enough for this template. It depends on every other part. Service-managed
        StackSets deploy with a role of their own (`stacksets-exec-*`, which AWS creates
        with AdministratorAccess), not ours, so there is nothing to check.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html
        """
        for part in self.contents[:-1]:
            getattr(self, part)
        if self.config.targets.permission_model == "SERVICE_MANAGED":
            return None
        return version_check.add(self.template, self.app, "app")
