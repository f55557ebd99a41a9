"""Every name the stacks share, in one place.

Regional stacks run in many regions and accounts, so names that include the region or
account are `Fn::Sub` strings built from pseudo parameters, never literals.
"""

from __future__ import annotations

from troposphere import AWSHelperFn, Sub

ALIAS = "live"


def logical_id(*parts: str) -> str:
    """`('api', 'version')` -> `ApiVersion`: CloudFormation logical ids are alphanumeric."""
    words = (w for part in parts for w in part.replace("_", "-").split("-") if w)
    return "".join(w[0].upper() + w[1:] for w in words)


def function_name(app: str, function: str) -> str:
    return f"{app}-{function}"


def hook_name(app: str, function: str) -> str:
    return f"{app}-{function}-pretraffic"


def function_log_group(name: str) -> str:
    return f"/aws/lambda/{name}"


def api_log_group(app: str) -> str:
    return f"/aws/http-api/{app}"


def artifact_bucket(prefix: str, account: AWSHelperFn | None = None) -> Sub:
    """`<prefix>-<account>-<region>`: Lambda reads code only from a bucket in its own region.

    `account` is the central account that owns the bucket; by default, this stack's own.
    """
    if account is None:
        return Sub(artifact_bucket_name(prefix, "${AWS::AccountId}", "${AWS::Region}"))
    return Sub(artifact_bucket_name(prefix, "${Account}", "${AWS::Region}"), Account=account)


def artifact_bucket_name(prefix: str, account: str, region: str) -> str:
    return f"{prefix}-{account}-{region}"


def asset_key(function: str, sha256_hex: str) -> str:
    """Content-addressed: the same code has the same key in every region and release."""
    return f"{function}/{sha256_hex}.zip"


def logs_destination(app: str) -> str:
    return f"{app}-central-logs"


def delivery_stream(app: str, region: str) -> str:
    """One stream per source region: CloudWatch Logs records do not carry their region."""
    return f"{app}-logs-{region}"


def central_log_bucket(app: str) -> str:
    """The archive bucket's name, as an `Fn::Sub` pattern (it holds the account id)."""
    return f"{app}-central-logs-${{AWS::AccountId}}-${{AWS::Region}}"


def central_event_log_group(app: str) -> str:
    return f"/aws/events/{app}-central"


def event_bus(app: str) -> str:
    return f"{app}-central"


def codedeploy_application(app: str) -> str:
    return app


def deployment_group(app: str, function: str) -> str:
    return f"{app}-{function}"


def alarm_name(app: str, function: str, metric: str) -> str:
    return f"{app}-{function}-{metric}"


def stack_set(app: str, stack: str) -> str:
    return f"{app}-{stack}"


def alert_topic(app: str) -> str:
    return f"{app}-alerts"


def home_stack(app: str, stack: str) -> str:
    """The home-region stacks, by name: the pipeline updates itself and the logging stack."""
    return f"{app}-{stack}"


def api_alarm(app: str) -> str:
    return f"{app}-api-5xx-rate"
