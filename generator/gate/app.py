"""The rollout's gate: CodePipeline Lambda actions that wait, then pass or fail the stage.

UserParameters (JSON) choose what to wait for:

- "bake" (BakeWave<N>): the wave's bake. Each region's health is the last state change of
  its `<app>-health` composite alarm in the central event log. A region that goes to
  ALARM during the bake fails it at once; one still in ALARM when the bake and a settling
  time (for the last evaluation to arrive) are over fails it then. A region already in
  ALARM when the bake begins may recover meanwhile: an in-region rollback takes a canary's
  time, and a release that fixes the region must be able to pass. A rollback execution of
  the stage is not baked: it restores the last good release everywhere, without delay.
- "ready" (Ready<...>): a stack set running no operation. One stack set runs one operation
  at a time, so a StackSet action that met the nightly drift check would fail with
  OperationInProgressException and roll a healthy release back.

Each invocation watches for up to WATCH_SECONDS, then reports "in progress" with a
continuation token; CodePipeline invokes the function again until the wait is over. An
error is retried by the next invocation, up to MAX_ERRORS in a row, then fails the job;
the function never raises, since the job is answered either way and a raised error would
make Lambda invoke it again on a job already answered.
https://docs.aws.amazon.com/codepipeline/latest/userguide/actions-invoke-lambda-function.html
https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-rollback.html
"""

from __future__ import annotations

import json
import time
import traceback
from typing import Any

import boto3
from botocore.config import Config

WATCH_SECONDS = 600  # CodePipeline wants a reply within 20 minutes
POLL_SECONDS = 30
MAX_ERRORS = 3
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


def where(event: dict[str, Any]) -> str:
    return f"{event['region']} {event['account']}"


def describe(event: dict[str, Any]) -> str:
    state = event["detail"]["state"]
    return f"{where(event)} ({event['time']}): {state.get('reason', '')}"


def in_alarm(events: list[dict[str, Any]]) -> list[str]:
    """The regions (per account) whose latest health event says ALARM."""
    latest = {where(e): e for e in events}
    return [describe(e) for e in latest.values() if e["detail"]["state"]["value"] == "ALARM"]


def went_to_alarm(events: list[dict[str, Any]]) -> list[str]:
    return [describe(e) for e in events if e["detail"]["state"]["value"] == "ALARM"]


def is_rollback(codepipeline: Any, params: dict[str, Any]) -> bool:
    execution = codepipeline.get_pipeline_execution(
        pipelineName=params["pipeline"], pipelineExecutionId=params["execution"]
    )["pipelineExecution"]
    return bool(execution.get("executionType") == "ROLLBACK")


def bake(c: Any, job: str, params: dict[str, Any], token: dict[str, Any], clock: Any) -> str:
    if "started" not in token:
        if is_rollback(c.codepipeline, params):
            c.codepipeline.put_job_success_result(jobId=job)
            return "rollback"
        token = {"started": clock.time()}
    started = token["started"]
    ends = started + params["minutes"] * 60 + params["settle"]
    watch_until = clock.time() + WATCH_SECONDS
    while True:
        fired = went_to_alarm(health_events(c.logs, params, started))
        if fired:
            return fail(c, job, params, "went to ALARM during its bake", fired)
        now = clock.time()
        if now >= ends:
            lookback = now - params["lookback_days"] * 86400
            still = in_alarm(health_events(c.logs, params, lookback))
            if still:
                return fail(c, job, params, "was still in ALARM after its bake", still)
            c.codepipeline.put_job_success_result(jobId=job)
            return "baked"
        if now >= watch_until:
            c.codepipeline.put_job_success_result(
                jobId=job, continuationToken=json.dumps({**token, "errors": 0})
            )
            return "watching"
        clock.sleep(min(POLL_SECONDS, ends - now))


def fail(c: Any, job: str, params: dict[str, Any], what: str, regions: list[str]) -> str:
    """Fail the job first (the stage rolls back on it), then tell people, best effort."""
    message = f"Wave {params['wave']} ({', '.join(params['regions'])}) {what}: " + "; ".join(
        regions
    )
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


def exists(cloudformation: Any, stack_set: str) -> bool:
    """Whether the stack set exists; before the first release it does not, and asking
    for its operations by name would be refused."""
    pages = cloudformation.get_paginator("list_stack_sets").paginate(Status="ACTIVE")
    return any(s["StackSetName"] == stack_set for page in pages for s in page["Summaries"])


def busy(cloudformation: Any, stack_set: str) -> bool:
    """Whether the stack set runs or queues an operation."""
    if not exists(cloudformation, stack_set):
        return False
    pages = cloudformation.get_paginator("list_stack_set_operations").paginate(
        StackSetName=stack_set
    )
    return any(op["Status"] in BUSY for page in pages for op in page["Summaries"])


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
                jobId=job, continuationToken=json.dumps({"started": started, "errors": 0})
            )
            return "waiting"
        clock.sleep(POLL_SECONDS)


def handler(event: dict[str, Any], context: Any, clients: Any = None, clock: Any = time) -> str:
    job = event["CodePipeline.job"]
    data = job["data"]
    token = json.loads(data.get("continuationToken") or "{}")
    c = clients or Clients()
    try:
        params = json.loads(data["actionConfiguration"]["configuration"]["UserParameters"])
        wait = ready if params["mode"] == "ready" else bake
        return wait(c, job["id"], params, token, clock)
    except Exception as error:
        traceback.print_exc()
        errors = int(token.get("errors", 0)) + 1
        if errors < MAX_ERRORS:  # a throttle or a blip: the next invocation tries again
            c.codepipeline.put_job_success_result(
                jobId=job["id"], continuationToken=json.dumps({**token, "errors": errors})
            )
            return "retrying"
        c.codepipeline.put_job_failure_result(
            jobId=job["id"],
            failureDetails={"type": "JobFailed", "message": f"gate error: {error}"[:5000]},
        )
        return "error"


class Clients:
    """The AWS clients of the function's own region (the home region), which retry
    throttling with backoff."""

    def __init__(self) -> None:
        retries = Config(retries={"mode": "standard", "max_attempts": 8})
        self.logs = boto3.client("logs", config=retries)
        self.sns = boto3.client("sns", config=retries)
        self.codepipeline = boto3.client("codepipeline", config=retries)
        self.cloudformation = boto3.client("cloudformation", config=retries)
