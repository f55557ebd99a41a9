"""One CloudWatch dashboard for every region: dashboards are global, widgets regional.

Each metric widget names its region in `properties.region` and in its title.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
"""

from __future__ import annotations

import json
from typing import Any

from troposphere import Sub

from generator import vocabulary as naming
from generator.config import Config

LAMBDA_SCHEMA = "{AWS/Lambda,FunctionName}"
API_SCHEMA = "{AWS/ApiGateway,ApiId}"
WIDTH = 8
HEIGHT = 6


def _search(
    schema: str, metric: str, stat: str, expression_id: str, token: str = ""
) -> list[dict[str, str]]:
    """One SEARCH expression: every matching metric in the widget's region.

    SEARCH keeps the dashboard one size whatever the number of functions, and it finds
    what CloudFormation named per region (the HTTP API's id) without knowing it.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-search-expressions.html
    """
    query = f'{schema} MetricName="{metric}" {token}'.strip()
    return [{"expression": f"SEARCH('{query}', '{stat}', 60)", "id": expression_id}]


def _metric_widget(region: str, title: str, metrics: list[list[dict[str, str]]]) -> dict[str, Any]:
    return {
        "title": f"{region}: {title}",
        "region": region,
        "metrics": metrics,
        "view": "timeSeries",
        "stacked": False,
        "period": 60,
    }


def _region_widgets(app: str, region: str) -> list[dict[str, Any]]:
    # Function names all start with `<app>-`, a token SEARCH matches on.
    return [
        _metric_widget(
            region,
            "invocations, errors, throttles",
            [
                _search(LAMBDA_SCHEMA, m, "Sum", f"e{i}", app)
                for i, m in enumerate(("Invocations", "Errors", "Throttles"))
            ],
        ),
        _metric_widget(
            region, "p99 duration (ms)", [_search(LAMBDA_SCHEMA, "Duration", "p99", "e0", app)]
        ),
        _metric_widget(
            region,
            "HTTP API 4xx / 5xx",
            [_search(API_SCHEMA, m, "Sum", f"e{i}") for i, m in enumerate(("4xx", "5xx"))],
        ),
    ]


def _where_logs_are(config: Config, bucket_pattern: str) -> str:
    """Where the logs of every region are, by logging mode."""
    app, home = config.application.name, config.application.home_region
    places = []
    if config.logging.firehose:
        places.append(f"`s3://{bucket_pattern}/logs/<region>/<yyyy>/<MM>/<dd>/` (JSON lines)")
    if config.logging.centralized:
        copies = naming.centralized_log_group(app, "<account>", "<region>", "<log group>")
        places.append(f"log groups `{copies}` in {home} (Logs Insights)")
    return " and ".join(places)


def widgets(config: Config, bucket_pattern: str) -> list[dict[str, Any]]:
    app = config.application.name
    where = (
        f"## {app}: every region\n"
        f"Logs of every region: {_where_logs_are(config, bucket_pattern)}. Deployment, "
        f"alarm and stack events: log group `{naming.central_event_log_group(app)}` in "
        f"{config.application.home_region}. Metrics below are this account's; other target "
        "accounts need CloudWatch cross-account observability to appear here."
    )
    result: list[dict[str, Any]] = [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 3 * WIDTH,
            "height": 3,
            "properties": {"markdown": where},
        }
    ]
    result.append(_instances_widget(config, y=3))
    first_row = 3 + HEIGHT
    if config.logging.centralized:
        result.append(_centralization_widget(config, y=first_row))
        first_row += HEIGHT
    for row, region in enumerate(config.targets.regions):
        y = first_row + row * HEIGHT
        for column, properties in enumerate(_region_widgets(app, region)):
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


# What the centralization rule reports in the destination's AWS/Logs namespace: bytes and
# events copied in, and the records it could not copy (CentralizationError) or had to
# hold back (CentralizationThrottled). The metrics' dimensions are not documented, so the
# widget finds them by name.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatchLogs_Centralization.html
CENTRALIZATION_METRICS = (
    "IncomingCopiedBytes",
    "CentralizationError",
    "CentralizationThrottled",
)


def _centralization_widget(config: Config, y: int) -> dict[str, Any]:
    """The centralization rule's copies arriving in the home region, and its errors."""
    home = config.application.home_region
    metrics = [
        [{"expression": f"SEARCH('MetricName=\"{m}\"', 'Sum', 300)", "id": f"e{i}"}]
        for i, m in enumerate(CENTRALIZATION_METRICS)
    ]
    properties = _metric_widget(
        home, "centralized logs: bytes copied in, errors, throttles", metrics
    )
    properties["period"] = 300
    return {
        "type": "metric",
        "x": 0,
        "y": y,
        "width": 3 * WIDTH,
        "height": HEIGHT,
        "properties": properties,
    }


def _instances_widget(config: Config, y: int) -> dict[str, Any]:
    """The latest status of every stack instance, from the stack set events the central
    event log keeps: failed and outdated instances, and drift detection results.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
    """
    app = config.application.name
    query = "\n| ".join(
        [
            f"SOURCE '{naming.central_event_log_group(app)}'",
            'filter `detail-type` = "CloudFormation StackSet StackInstance Status Change"',
            'parse `detail.stack-id` "arn:*:cloudformation:*:*:stack/*/*" '
            "as partition, region, account, stack, id",
            "stats latest(`detail.action`) as action, latest(`detail.status-details.status`) "
            "as status, latest(`detail.status-details.detailed-status`) as detailed, "
            "latest(`detail.status-details.status-reason`) as reason by region, account",
            "sort region",
        ]
    )
    return {
        "type": "log",
        "x": 0,
        "y": y,
        "width": 3 * WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": "Stack instances: latest status and drift check per region and account",
            "region": config.application.home_region,
            "query": query,
            "view": "table",
        },
    }


def body(config: Config, bucket_pattern: str) -> Sub | str:
    """The dashboard JSON; Fn::Sub fills in the account id in the bucket name, when the
    archive is there to name (cfn-lint's W1020: no Fn::Sub without variables)."""
    text = json.dumps({"widgets": widgets(config, bucket_pattern)}, sort_keys=True)
    return Sub(text) if "${" in text else text
