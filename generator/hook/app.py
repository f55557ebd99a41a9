"""CodeDeploy ``BeforeAllowTraffic`` hook: smoke-test the new Lambda version before it gets traffic.

The hook invokes the new version directly, once, the way it will be called, and reports
``Succeeded`` or ``Failed`` back to CodeDeploy:

- ``CHECK_KIND=http`` (a function behind the HTTP API): a synthetic API Gateway HTTP API
  (payload 2.0) ``GET <HEALTH_PATH>`` event; it must answer ``EXPECTED_STATUS`` with a JSON body.
- ``CHECK_KIND=sqs`` (a queue's consumer): an SQS event of one record per consumed queue
  (``CHECK_QUEUES``), whose message carries the ``preTrafficCheck`` message attribute and
  the body ``{"preTrafficCheck": {...}}``; it must return without a function error and not
  report that message in ``batchItemFailures`` (the queue's trigger has
  ``ReportBatchItemFailures``); a null or empty response is a success, as for Lambda.
- ``CHECK_KIND=schedule`` (a scheduled function): the event its schedule sends
  (``{"schedule", "scheduleArn", "scheduledTime", "executionId", "attemptNumber"}``) for each
  of ``CHECK_SCHEDULES``, with the key ``preTrafficCheck`` added; it must return without a
  function error.
- ``CHECK_KIND=invoke`` (a function with none of these): the event
  ``{"preTrafficCheck": {...}}``; it must return without a function error.

A function recognises the marker and answers at once, without side effects. ``CHECK_KIND``
may name several kinds, comma-separated (a routed function that also consumes a queue):
the checks run one after another, and the first failure is the reason reported.

It depends only on the standard library and boto3 (bundled in the Lambda runtime), so it ships
as one file.

Environment:
    TARGET_FUNCTION_ARN  qualified ARN of the new version (required), e.g. ``...:function:api:7``
    CHECK_KIND           ``http`` (default), ``sqs``, ``schedule``, ``invoke``; several: a,b
    CHECK_QUEUES         comma-separated names of the queues whose trigger invokes the function
                         (sqs); each queue's ARN is CHECK_QUEUE_ARN_PREFIX and its name
    CHECK_SCHEDULES      comma-separated names of the schedules invoking it; each schedule's
                         ARN is CHECK_SCHEDULE_ARN_PREFIX and its name
                         (names, not ARNs: Lambda keeps a function's variables to 4 KB)
    HEALTH_PATH          path to probe (default ``/health``)
    EXPECTED_STATUS      HTTP status the probe must return (default ``200``)
    LOG_LEVEL            stdlib logging level name (default ``INFO``)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import sys
import time
from typing import Any

import boto3
from botocore.config import Config

# Time budget. NB: botocore's client-config ``max_attempts`` counts *retries*, so
# {"max_attempts": 2} means up to 3 attempts in total (unlike the AWS_MAX_ATTEMPTS env var).
# Each attempt is bounded by connect + read timeout; "standard" mode adds jittered backoff of at
# most 1 s, then 2 s, between attempts:
#   invoke:         3 * (2 + 6) + 3 = 27 s   (a cold start with the Powertools layer is ~1-2 s)
#   report status:  3 * (2 + 3) + 3 = 18 s
# Worst case 18 s and 27 s per check; the generator sets the function's timeout a quarter
# above that for the checks it configures (generator/stacks/app/function.py: hook_timeout),
# so the hook always gets to report. (A service's x-amz-retry-after hint could stretch each
# backoff by up to 5 s; not budgeted.)
CONNECT_TIMEOUT_S = 2
INVOKE_READ_TIMEOUT_S = 6
CODEDEPLOY_READ_TIMEOUT_S = 3
MAX_RETRIES = 2  # botocore "max_attempts"

DEFAULT_HEALTH_PATH = "/health"
DEFAULT_EXPECTED_STATUS = 200
_MAX_REASON_CHARS = 500

PRE_TRAFFIC_CHECK = "preTrafficCheck"

SUCCEEDED = "Succeeded"
FAILED = "Failed"
# PutLifecycleEventHookExecutionStatus's answer when the hook's status is already known.
# https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_PutLifecycleEventHookExecutionStatus.html
ALREADY_REPORTED = "LifecycleEventAlreadyCompletedException"


def _error_code(exc: Exception) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


class _JsonFormatter(logging.Formatter):
    """One JSON object per line, so CloudWatch Logs Insights can query fields directly."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.Handler):
    """Write to the *current* sys.stdout (the Lambda runtime ships stdout to CloudWatch)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:  # logging must never break the hook
            self.handleError(record)


logger = logging.getLogger("traffic_hook")
if not logger.handlers:
    _handler = _StdoutHandler()
    _handler.setFormatter(_JsonFormatter())
    logger.addHandler(_handler)
    logger.propagate = False  # bypass the runtime's plain-text root handler
# An unknown level must not crash the import: a hook that never runs never reports.
_level = os.environ.get("LOG_LEVEL", "INFO").upper()
logger.setLevel(_level if _level in logging.getLevelNamesMapping() else logging.INFO)


def _log(level: int, message: str, exc_info: bool = False, **fields: Any) -> None:
    """Structured log line with extra top-level fields."""
    logger.log(level, message, exc_info=exc_info, extra={"fields": fields})


def _client_config(read_timeout: int) -> Config:
    return Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=read_timeout,
        retries={"max_attempts": MAX_RETRIES, "mode": "standard"},
    )


@functools.cache
def _lambda_client() -> Any:
    """Lazily created and reused across warm invocations; tests pass their own client instead."""
    return boto3.client("lambda", config=_client_config(INVOKE_READ_TIMEOUT_S))


@functools.cache
def _codedeploy_client() -> Any:
    """Lazily created and reused across warm invocations; tests pass their own client instead."""
    return boto3.client("codedeploy", config=_client_config(CODEDEPLOY_READ_TIMEOUT_S))


class HealthCheckError(Exception):
    """The new version answered, but not healthily (the message is the reported reason)."""


def build_health_event(
    path: str, request_id: str, account_id: str = "000000000000"
) -> dict[str, Any]:
    """A realistic HTTP API payload 2.0 ``GET`` event, as API Gateway would deliver it.

    Stage ``$default`` matters: Powertools strips a non-default stage name from ``rawPath``.
    """
    now = time.time()
    user_agent = "codedeploy-traffic-hook"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "content-length": "0",
            "host": "codedeploy-hook.internal",
            "user-agent": user_agent,
            "x-forwarded-for": "127.0.0.1",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": account_id,
            "apiId": "codedeploy-hook",
            "domainName": "codedeploy-hook.internal",
            "domainPrefix": "codedeploy-hook",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }


def _target_arn() -> str:
    """The new version's ARN; a ValueError here fails the deployment, loudly."""
    try:
        target_arn = os.environ["TARGET_FUNCTION_ARN"]
    except KeyError:
        raise ValueError("TARGET_FUNCTION_ARN is not set") from None
    # Must carry a version qualifier: an unqualified ARN would probe $LATEST, not the new version.
    if not target_arn.startswith("arn:") or target_arn.count(":") != 7:
        raise ValueError(f"TARGET_FUNCTION_ARN is not a qualified function ARN: {target_arn!r}")
    return target_arn


def _load_settings() -> tuple[str, str, int]:
    """Read and validate the HTTP check's configuration."""
    target_arn = _target_arn()
    health_path = os.environ.get("HEALTH_PATH") or DEFAULT_HEALTH_PATH
    if not health_path.startswith("/"):
        raise ValueError(f"HEALTH_PATH must start with '/': {health_path!r}")
    raw_status = os.environ.get("EXPECTED_STATUS") or str(DEFAULT_EXPECTED_STATUS)
    try:
        expected_status = int(raw_status)
    except ValueError:
        raise ValueError(f"EXPECTED_STATUS is not an integer: {raw_status!r}") from None
    return target_arn, health_path, expected_status


def check_health(lambda_client: Any, request_id: str) -> str:
    """Probe the new version with one request; return a success reason, raise if unhealthy."""
    target_arn, health_path, expected_status = _load_settings()
    event = build_health_event(health_path, request_id, account_id=target_arn.split(":")[4])
    response = lambda_client.invoke(
        FunctionName=target_arn,
        InvocationType="RequestResponse",
        Payload=json.dumps(event).encode(),
    )
    raw_payload = response["Payload"].read()
    if response.get("FunctionError"):
        raise HealthCheckError(f"function error {response['FunctionError']}: {raw_payload[:200]!r}")
    try:
        result = json.loads(raw_payload)
    except ValueError:
        raise HealthCheckError(f"response payload is not JSON: {raw_payload[:200]!r}") from None
    if not isinstance(result, dict):
        raise HealthCheckError("response payload is not a JSON object")
    status = result.get("statusCode")
    if status != expected_status:
        raise HealthCheckError(f"GET {health_path} returned {status!r}, expected {expected_status}")
    body = result.get("body")
    if not isinstance(body, str):
        raise HealthCheckError("response body is missing or not a string")
    try:
        json.loads(base64.b64decode(body) if result.get("isBase64Encoded") else body)
    except ValueError:
        raise HealthCheckError("response body is not JSON") from None
    return f"GET {health_path} on {target_arn} returned {status} with a JSON body"


def build_check_event(request_id: str) -> dict[str, Any]:
    """What a function without routes receives: recognisable, and harmless to answer."""
    return {PRE_TRAFFIC_CHECK: {"requestId": request_id}}


def check_invoke(lambda_client: Any, request_id: str) -> str:
    """Invoke the new version with the check event; raise if it fails."""
    target_arn = _target_arn()
    response = lambda_client.invoke(
        FunctionName=target_arn,
        InvocationType="RequestResponse",
        Payload=json.dumps(build_check_event(request_id)).encode(),
    )
    raw_payload = response["Payload"].read()
    if response.get("FunctionError"):
        raise HealthCheckError(f"function error {response['FunctionError']}: {raw_payload[:200]!r}")
    return f"{target_arn} answered the pre-traffic check event without error"


def _invoke(lambda_client: Any, target_arn: str, event: dict[str, Any]) -> bytes:
    """Invoke the new version with `event`; the raw payload, or HealthCheckError on a
    function error."""
    response = lambda_client.invoke(
        FunctionName=target_arn,
        InvocationType="RequestResponse",
        Payload=json.dumps(event).encode(),
    )
    raw_payload: bytes = response["Payload"].read()
    if response.get("FunctionError"):
        raise HealthCheckError(f"function error {response['FunctionError']}: {raw_payload[:200]!r}")
    return raw_payload


def build_sqs_event(queue_arn: str, request_id: str) -> dict[str, Any]:
    """An SQS event of one message, as Lambda's event source mapping delivers it, whose
    message is the check: the ``preTrafficCheck`` message attribute and body.
    https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
    """
    body = json.dumps({PRE_TRAFFIC_CHECK: {"requestId": request_id}})
    now_ms = str(int(time.time() * 1000))
    return {
        "Records": [
            {
                "messageId": f"{PRE_TRAFFIC_CHECK}-{request_id}",
                "receiptHandle": PRE_TRAFFIC_CHECK,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": now_ms,
                    "SenderId": "codedeploy-traffic-hook",
                    "ApproximateFirstReceiveTimestamp": now_ms,
                },
                "messageAttributes": {
                    PRE_TRAFFIC_CHECK: {
                        "stringValue": request_id,
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": "String",
                    }
                },
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
        ]
    }


def check_sqs(lambda_client: Any, request_id: str, queue_arn: str) -> str:
    """The new version takes the check message of `queue_arn` as its trigger delivers it,
    and does not report it failed. Lambda's rule for a partial batch response: a null or
    empty response, or an empty ``batchItemFailures``, is a complete success.
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
    """
    target_arn = _target_arn()
    raw_payload = _invoke(lambda_client, target_arn, build_sqs_event(queue_arn, request_id))
    try:
        result = json.loads(raw_payload) if raw_payload.strip() else None
    except ValueError:
        raise HealthCheckError(f"response payload is not JSON: {raw_payload[:200]!r}") from None
    if result not in (None, {}):
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        if not isinstance(failures, list):
            raise HealthCheckError(
                f"the response to the SQS check of {queue_arn} is not a batch response "
                f"({{'batchItemFailures': [...]}}): {raw_payload[:200]!r}"
            )
        if failures:
            raise HealthCheckError(
                f"the function reported the check message of {queue_arn} as failed: {failures!r}"[
                    :_MAX_REASON_CHARS
                ]
            )
    return f"{target_arn} took the SQS check message of {queue_arn}"


def build_schedule_event(name: str, schedule_arn: str, request_id: str) -> dict[str, Any]:
    """What the schedule `name` sends (generator/stacks/app/schedules.py), filled in as
    Scheduler would, with the check's marker."""
    return {
        "schedule": name,
        "scheduleArn": schedule_arn,
        "scheduledTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "executionId": f"{PRE_TRAFFIC_CHECK}-{request_id}",
        "attemptNumber": "1",
        PRE_TRAFFIC_CHECK: {"requestId": request_id},
    }


def check_schedule(lambda_client: Any, request_id: str, name: str, schedule_arn: str) -> str:
    target_arn = _target_arn()
    _invoke(lambda_client, target_arn, build_schedule_event(name, schedule_arn, request_id))
    return f"{target_arn} answered the check event of schedule {name} without error"


def _listed(variable: str) -> list[str]:
    values = [v.strip() for v in os.environ.get(variable, "").split(",") if v.strip()]
    if not values:
        raise ValueError(f"{variable} is not set")
    return values


def _named(variable: str, prefix_variable: str) -> list[tuple[str, str]]:
    """(name, ARN) of each name in `variable`, its ARN the prefix in `prefix_variable` and
    the name."""
    listed = _listed(variable)
    prefix = os.environ.get(prefix_variable, "")
    if not prefix.startswith("arn:"):
        raise ValueError(f"{prefix_variable} is not an ARN prefix: {prefix!r}")
    return [(name, f"{prefix}{name}") for name in listed]


CHECK_KINDS = ("http", "sqs", "schedule", "invoke")


def run_check(lambda_client: Any, request_id: str) -> str:
    """The checks this function's kinds call for (``CHECK_KIND``), one after another; the
    first failure raises."""
    kinds = [k.strip() for k in (os.environ.get("CHECK_KIND") or "http").split(",")]
    unknown = [k for k in kinds if k not in CHECK_KINDS]
    if unknown:
        raise ValueError(
            f"CHECK_KIND must name {', '.join(CHECK_KINDS)} (comma-separated), not {unknown[0]!r}"
        )
    reasons = []
    for kind in kinds:
        if kind == "http":
            reasons.append(check_health(lambda_client, request_id))
        elif kind == "sqs":
            for _, queue_arn in _named("CHECK_QUEUES", "CHECK_QUEUE_ARN_PREFIX"):
                reasons.append(check_sqs(lambda_client, request_id, queue_arn))
        elif kind == "schedule":
            for name, arn in _named("CHECK_SCHEDULES", "CHECK_SCHEDULE_ARN_PREFIX"):
                reasons.append(check_schedule(lambda_client, request_id, name, arn))
        else:
            reasons.append(check_invoke(lambda_client, request_id))
    return "; ".join(reasons)


def handler(
    event: dict[str, Any],
    context: Any,
    *,
    lambda_client: Any = None,
    codedeploy_client: Any = None,
) -> dict[str, str]:
    """Lambda entry point (``app.handler``); the keyword-only clients exist for tests.

    Every problem with the check becomes a ``Failed`` report, so CodeDeploy rolls back promptly
    instead of waiting for the hook to time out.
    """
    deployment_id = event.get("DeploymentId") if isinstance(event, dict) else None
    execution_id = event.get("LifecycleEventHookExecutionId") if isinstance(event, dict) else None
    ids: dict[str, Any] = {"deployment_id": deployment_id, "execution_id": execution_id}
    if not deployment_id or not execution_id:
        # Nothing to report to, so don't bother probing; if this really came from CodeDeploy it
        # will time the hook out and fail the deployment.
        reason = "event lacks DeploymentId/LifecycleEventHookExecutionId; cannot report"
        _log(logging.ERROR, "Cannot report hook status", reason=reason, **ids)
        return {"status": FAILED, "reason": reason}

    try:
        reason = run_check(lambda_client or _lambda_client(), request_id=execution_id)
        status = SUCCEEDED
        _log(logging.INFO, "Health check passed", reason=reason, **ids)
    except Exception as exc:  # any failure to verify health means "do not shift traffic"
        reason = f"{type(exc).__name__}: {exc}"[:_MAX_REASON_CHARS]
        status = FAILED
        _log(logging.ERROR, "Health check failed", exc_info=True, reason=reason, **ids)

    try:
        (codedeploy_client or _codedeploy_client()).put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id,
            lifecycleEventHookExecutionId=execution_id,
            status=status,
        )
    except Exception as exc:
        if _error_code(exc) == ALREADY_REPORTED:
            # A report whose answer timed out is retried, and CodeDeploy refuses the second:
            # the status stands, and re-running the hook would only invoke every check again.
            _log(logging.WARNING, "Hook status was already reported", status=status, **ids)
            return {"status": status, "reason": reason}
        # Re-raise so the invocation errors. CodeDeploy invokes hooks asynchronously, so Lambda
        # retries the whole hook (default: 2 more times); if reporting keeps failing, CodeDeploy
        # never hears back, times the hook out (after up to an hour) and fails the deployment.
        # Swallowing the error would only hide why.
        _log(logging.ERROR, "Could not report hook status", exc_info=True, status=status, **ids)
        raise
    _log(logging.INFO, "Reported hook status to CodeDeploy", status=status, **ids)
    return {"status": status, "reason": reason}
