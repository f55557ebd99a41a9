"""The regional HTTP API: its `$default` stage, access logs, throttling, CORS, JWT
authorizers on the routes the config names, and a 5xx-rate alarm.

The 5xx alarm reports to the central bus but is not a deployment alarm: while an old
version is failing it would block the very release that fixes it.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, Template, apigatewayv2
from troposphere import awslambda as lambda_
from troposphere import cloudwatch as cw

from generator import vocabulary as names
from generator.blocks.substitutions import sub
from generator.config import Config
from generator.config.models import Throttle
from generator.output.render import compact
from generator.stacks.app.telemetry import CentralLogs

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
# API Gateway waits at most 30 s for an HTTP API integration.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
MAX_INTEGRATION_MS = 30_000


class HttpApi:
    """The API, its stage and access logs, and the alarm on its 5xx rate."""

    def __init__(self, template: Template, config: Config, logs: CentralLogs) -> None:
        self.template = template
        self.config = config
        app = config.application.name
        cors = config.api.cors
        extra = {}
        if cors is not None:
            extra["CorsConfiguration"] = apigatewayv2.Cors(
                AllowOrigins=cors.allow_origins,
                AllowMethods=cors.allow_methods,
                AllowCredentials=cors.allow_credentials,
                **({"AllowHeaders": cors.allow_headers} if cors.allow_headers else {}),
                **({"ExposeHeaders": cors.expose_headers} if cors.expose_headers else {}),
                **({"MaxAge": cors.max_age} if cors.max_age is not None else {}),
            )
        self.resource = template.add_resource(
            apigatewayv2.Api(
                "HttpApi", Name=app, ProtocolType="HTTP", Description=f"{app} HTTP API", **extra
            )
        )
        access_logs = logs.log_group("HttpApiAccessLogGroup", names.api_log_group(app))
        self.stage = template.add_resource(
            apigatewayv2.Stage(
                "HttpApiStage",
                ApiId=self.ref,
                StageName="$default",
                AutoDeploy=True,
                AccessLogSettings=apigatewayv2.AccessLogSettings(
                    DestinationArn=access_logs.arn, Format=compact(ACCESS_LOG_FORMAT)
                ),
                DefaultRouteSettings=_limits(config.api.throttle),
            )
        )
        self.authorizers = {
            name: template.add_resource(
                apigatewayv2.Authorizer(
                    names.logical_id(name, "authorizer"),
                    ApiId=self.ref,
                    Name=name,
                    AuthorizerType="JWT",
                    IdentitySource=[spec.identity_source],
                    JwtConfiguration=apigatewayv2.JWTConfiguration(
                        Issuer=spec.issuer, Audience=spec.audience
                    ),
                )
            )
            for name, spec in sorted(config.api.authorizers.items())
        }
        self.error_rate_alarm = self._error_rate_alarm()

    @property
    def ref(self) -> Ref:
        return Ref(self.resource)

    @property
    def endpoint(self) -> GetAtt:
        return GetAtt(self.resource, "ApiEndpoint")

    def route(self, prefix: str, routes: list[str], alias: lambda_.Alias, timeout_s: int) -> None:
        """Route `routes` to a function's `live` alias, never to $LATEST."""
        integration = self.template.add_resource(
            apigatewayv2.Integration(
                f"{prefix}Integration",
                ApiId=self.ref,
                IntegrationType="AWS_PROXY",
                IntegrationUri=Ref(alias),
                PayloadFormatVersion="2.0",
                TimeoutInMillis=min(MAX_INTEGRATION_MS, timeout_s * 1000 + 1000),
            )
        )
        for index, route in enumerate(routes, start=1):
            access = self.config.api.routes.get(route)
            auth: dict[str, object] = {}
            if access is not None and access.authorizer is not None:
                auth = {
                    "AuthorizationType": "JWT",
                    "AuthorizerId": Ref(self.authorizers[access.authorizer]),
                    **({"AuthorizationScopes": access.scopes} if access.scopes else {}),
                }
            resource = self.template.add_resource(
                apigatewayv2.Route(
                    f"{prefix}Route{index}",
                    ApiId=self.ref,
                    RouteKey=route,
                    Target=Sub(f"integrations/${{{integration.title}}}"),
                    **auth,
                )
            )
            if access is not None and access.throttle is not None:
                self._route_limits(route, resource, access.throttle)
        self.template.add_resource(
            lambda_.Permission(
                f"{prefix}ApiInvokePermission",
                Action="lambda:InvokeFunction",
                FunctionName=Ref(alias),
                Principal="apigateway.amazonaws.com",
                SourceAccount=Sub("${AWS::AccountId}"),
                SourceArn=sub(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiId}/*",
                    ApiId=self.ref,
                ),
            )
        )

    def _route_limits(self, route: str, resource: apigatewayv2.Route, limits: Throttle) -> None:
        """The stage's RouteSettings for one route. They are keyed by route key, which the
        stage can only name once the route exists: the stage waits for it."""
        settings = dict(getattr(self.stage, "RouteSettings", {}) or {})
        settings[route] = _limits(limits).to_dict()
        self.stage.RouteSettings = dict(sorted(settings.items()))
        self.stage.DependsOn = sorted({*getattr(self.stage, "DependsOn", []), resource.title})

    def _error_rate_alarm(self) -> cw.Alarm:
        thresholds, app = self.config.alarms, self.config.application.name
        return self.template.add_resource(
            cw.Alarm(
                "HttpApi5xxRateAlarm",
                AlarmName=names.api_alarm(app),
                AlarmDescription=f"{app} HTTP API: 5xx responses at or above "
                f"{thresholds.api_5xx_percent}% of requests.",
                Metrics=[
                    cw.MetricDataQuery(
                        Id="errors", ReturnData=False, MetricStat=self._metric("5xx")
                    ),
                    cw.MetricDataQuery(
                        Id="requests", ReturnData=False, MetricStat=self._metric("Count")
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

    def _metric(self, name: str) -> cw.MetricStat:
        return cw.MetricStat(
            Metric=cw.Metric(
                Namespace="AWS/ApiGateway",
                MetricName=name,
                Dimensions=[cw.MetricDimension(Name="ApiId", Value=self.ref)],
            ),
            Period=self.config.alarms.period_seconds,
            Stat="Sum",
        )


def _limits(limits: Throttle) -> apigatewayv2.RouteSettings:
    return apigatewayv2.RouteSettings(
        ThrottlingBurstLimit=limits.burst_limit, ThrottlingRateLimit=limits.rate_limit
    )
