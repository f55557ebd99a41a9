"""The rollout's gate: CodePipeline Lambda actions that wait, then pass or fail the stage.

UserParameters (JSON) choose what to wait for:

- "bake" (BakeWave<N>): the wave's bake. It fails at once if any region of the wave is in
  ALARM when the bake starts (the last health event of each region in the event log), and
  later if any goes to ALARM after the wave's StackSet operation began; it passes once the
  bake and a settling time (for the last alarm evaluation to arrive) are over.
- "ready" (Ready<...>): a stack set running no operation. One stack set runs one
  operation at a time, so a StackSet action that met the nightly drift check would fail
  with OperationInProgressException and roll a healthy release back.

Each invocation watches for up to WATCH_SECONDS, then reports "in progress" with a
continuation token; CodePipeline invokes the function again until the wait is over. Every
error is reported as the job's failure: an unanswered job hangs until the action times out.
https://docs.aws.amazon.com/codepipeline/latest/userguide/actions-invoke-lambda-function.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackSetDrift.html
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3

WATCH_SECONDS = 600  # CodePipeline wants a reply within 20 minutes
POLL_SECONDS = 30
BUSY = ("RUNNING", "QUEUED", "STOPPING")


def health_events(logs: Any, params: dict[str, Any], since: float) -> list[dict[str, Any]]:
    """The wave's regions' health alarm state changes since `since`, oldest first.
    FilterLogEvents can return an empty page while more remain, so every page is read.
    https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
    """
    pattern = (
        '{ ($.detail-type = "CloudWatch Alarm State Change") && '
        f'($.detail.alarmName = "{params["health"]}") }}'
    )
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=params["events"], startTime=int(since * 1000), filterPattern=pattern
    )
    found = []
    for page in pages:
        for entry in page["events"]:
            event = json.loads(entry["message"])
            if event["region"] in params["regions"]:
                found.append({**event, "timestamp": entry["timestamp"]})
    return sorted(found, key=lambda e: e["timestamp"])


def describe(event: dict[str, Any]) -> str:
    state = event["detail"]["state"]
    return f"{event['region']} {event['account']} ({event['time']}): {state.get('reason', '')}"


def in_alarm(events: list[dict[str, Any]]) -> list[str]:
    """The regions (per account) whose latest health event says ALARM."""
    latest = {(e["account"], e["region"]): e for e in events}
    return [describe(e) for e in latest.values() if e["detail"]["state"]["value"] == "ALARM"]


def went_to_alarm(events: list[dict[str, Any]]) -> list[str]:
    return [describe(e) for e in events if e["detail"]["state"]["value"] == "ALARM"]


def deployed_at(cloudformation: Any, params: dict[str, Any]) -> float:
    """When the wave's StackSet operation began: a region that went to ALARM during the
    deployment is as unhealthy as one that goes there during the bake."""
    operation = cloudformation.describe_stack_set_operation(
        StackSetName=params["stack_set"], OperationId=params["operation"]
    )["StackSetOperation"]
    return float(operation["CreationTimestamp"].timestamp())


def bake(c: Any, job: str, params: dict[str, Any], token: dict[str, Any], clock: Any) -> str:
    if not token:
        lookback = clock.time() - params["lookback_days"] * 86400
        unhealthy = in_alarm(health_events(c.logs, params, lookback))
        if unhealthy:
            return fail(c, job, params, "was unhealthy when its bake began", unhealthy)
        token = {"since": deployed_at(c.cloudformation, params), "started": clock.time()}
    ends = token["started"] + params["minutes"] * 60 + params["settle"]
    watch_until = clock.time() + WATCH_SECONDS
    while True:
        fired = went_to_alarm(health_events(c.logs, params, token["since"]))
        if fired:
            return fail(c, job, params, "went to ALARM", fired)
        now = clock.time()
        if now >= ends:
            c.codepipeline.put_job_success_result(jobId=job)
            return "baked"
        if now >= watch_until:
            c.codepipeline.put_job_success_result(jobId=job, continuationToken=json.dumps(token))
            return "watching"
        clock.sleep(min(POLL_SECONDS, ends - now))


def fail(c: Any, job: str, params: dict[str, Any], what: str, where: list[str]) -> str:
    """Fail the job first (the stage rolls back on it), then tell people, best effort."""
    regions = ", ".join(params["regions"])
    message = f"Wave {params['wave']} ({regions}) {what}: " + "; ".join(where)
    c.codepipeline.put_job_failure_result(
        jobId=job, failureDetails={"type": "JobFailed", "message": message[:5000]}
    )
    try:
        c.sns.publish(
            TopicArn=params["topic"],
            Subject=f"Wave {params['wave']} of {params['pipeline']} failed its bake",
            Message=f"{message}.\n\nThe Rollout stage fails. CodePipeline rolls it back to the "
            "last execution that passed it, if one ran on this version of the pipeline; "
            "otherwise the regions keep this release until a fix is released.",
        )
    except Exception as error:  # the job's result is what matters; the alert is extra
        print(f"alert not sent: {error}")
    return "unhealthy"


def busy(cloudformation: Any, stack_set: str) -> bool:
    """Whether the stack set runs or queues an operation; one not created yet does not."""
    pages = cloudformation.get_paginator("list_stack_set_operations").paginate(
        StackSetName=stack_set
    )
    try:
        return any(op["Status"] in BUSY for page in pages for op in page["Summaries"])
    except cloudformation.exceptions.StackSetNotFoundException:
        return False


def ready(c: Any, job: str, params: dict[str, Any], token: dict[str, Any], clock: Any) -> str:
    started = float(token.get("started", clock.time()))
    watch_until = clock.time() + WATCH_SECONDS
    while True:
        waiting = [s for s in params["stack_sets"] if busy(c.cloudformation, s)]
        now = clock.time()
        if not waiting:
            c.codepipeline.put_job_success_result(jobId=job)
            return "ready"
        if now >= started + params["max_minutes"] * 60:
            message = f"{', '.join(waiting)} still ran an operation after {params['max_minutes']}"
            c.codepipeline.put_job_failure_result(
                jobId=job, failureDetails={"type": "JobFailed", "message": message + " minutes"}
            )
            return "busy"
        if now >= watch_until:
            c.codepipeline.put_job_success_result(
                jobId=job, continuationToken=json.dumps({"started": started})
            )
            return "waiting"
        clock.sleep(POLL_SECONDS)


def handler(event: dict[str, Any], context: Any, clients: Any = None, clock: Any = time) -> str:
    job = event["CodePipeline.job"]
    c = clients or Clients()
    try:
        data = job["data"]
        params = json.loads(data["actionConfiguration"]["configuration"]["UserParameters"])
        token = json.loads(data.get("continuationToken") or "{}")
        wait = ready if params["mode"] == "ready" else bake
        return wait(c, job["id"], params, token, clock)
    except Exception as error:
        c.codepipeline.put_job_failure_result(
            jobId=job["id"],
            failureDetails={"type": "JobFailed", "message": f"gate error: {error}"[:5000]},
        )
        raise


class Clients:
    """The AWS clients of the function's own region (the home region)."""

    def __init__(self) -> None:
        self.logs = boto3.client("logs")
        self.sns = boto3.client("sns")
        self.codepipeline = boto3.client("codepipeline")
        self.cloudformation = boto3.client("cloudformation")
