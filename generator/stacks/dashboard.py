"""One CloudWatch dashboard for every region: dashboards are global, widgets regional.

Each metric widget names its region in `properties.region` and in its title.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
"""

from __future__ import annotations

import json

from troposphere import Sub

from generator import naming
from generator.config import Config

SEARCH_SCHEMA = "{AWS/ApiGateway,ApiId}"
WIDTH = 8
HEIGHT = 6


def _lambda_counts(app: str, functions: list[str], region: str) -> dict:
    metrics = []
    for key in functions:
        name = naming.function_name(app, key)
        for metric in ("Invocations", "Errors", "Throttles"):
            metrics.append(
                [
                    "AWS/Lambda",
                    metric,
                    "FunctionName",
                    name,
                    {"stat": "Sum", "label": f"{key} {metric}"},
                ]
            )
    return {
        "title": f"{region}: invocations, errors, throttles",
        "region": region,
        "metrics": metrics,
        "view": "timeSeries",
        "stacked": False,
        "period": 60,
    }


def _lambda_p99(app: str, functions: list[str], region: str) -> dict:
    metrics = [
        [
            "AWS/Lambda",
            "Duration",
            "FunctionName",
            naming.function_name(app, key),
            {"stat": "p99", "label": f"{key} p99 ms"},
        ]
        for key in functions
    ]
    return {
        "title": f"{region}: p99 duration",
        "region": region,
        "metrics": metrics,
        "view": "timeSeries",
        "period": 60,
    }


def _api_errors(region: str) -> dict:
    # HTTP API metrics carry only the API id, which CloudFormation assigns per region,
    # so a SEARCH over the account's HTTP APIs in the region stands in for the id.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html
    metrics = [
        [
            {
                "expression": f"SEARCH('{SEARCH_SCHEMA} MetricName=\"{name}\"', 'Sum', 60)",
                "id": f"e{name}",
                "label": f"API {name}",
            }
        ]
        for name in ("4xx", "5xx")
    ]
    return {
        "title": f"{region}: HTTP API 4xx / 5xx",
        "region": region,
        "metrics": metrics,
        "view": "timeSeries",
        "period": 60,
    }


def widgets(config: Config, bucket_pattern: str) -> list[dict]:
    app = config.application.name
    functions = config.function_names
    where = (
        f"## {app}: every region\n"
        f"Logs of every region: `s3://{bucket_pattern}/logs/<region>/<yyyy>/<MM>/<dd>/` "
        f"(JSON lines). Deployment, alarm and stack events: log group "
        f"`{naming.central_event_log_group(app)}` in {config.application.home_region}. "
        "Metrics below are this account's; other target accounts need CloudWatch "
        "cross-account observability to appear here."
    )
    result: list[dict] = [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 3 * WIDTH,
            "height": 3,
            "properties": {"markdown": where},
        }
    ]
    for row, region in enumerate(config.targets.regions):
        y = 3 + row * HEIGHT
        for column, properties in enumerate(
            (
                _lambda_counts(app, functions, region),
                _lambda_p99(app, functions, region),
                _api_errors(region),
            )
        ):
            result.append(
                {
                    "type": "metric",
                    "x": column * WIDTH,
                    "y": y,
                    "width": WIDTH,
                    "height": HEIGHT,
                    "properties": properties,
                }
            )
    return result


def body(config: Config, bucket_pattern: str) -> Sub:
    """The dashboard JSON; Fn::Sub fills in the account id in the bucket name."""
    return Sub(json.dumps({"widgets": widgets(config, bucket_pattern)}, sort_keys=True))
