"""CodePipeline action: bake a wave, and pass only if none of its regions went to ALARM.

UserParameters (JSON): pipeline, wave, regions, minutes (the bake), alarm (the wave's alarm
in this region), health (each region's composite alarm name), events (the central event
log group) and topic (the alert topic). Each invocation watches for up to WATCH_SECONDS, then
reports "in progress" with a continuation token that carries the bake's start; CodePipeline
invokes the function again until the bake is over.
https://docs.aws.amazon.com/codepipeline/latest/userguide/actions-invoke-lambda-function.html
"""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import boto3

WATCH_SECONDS = 600  # CodePipeline wants a reply within 20 minutes
POLL_SECONDS = 30


def alarm_fired(cloudwatch: Any, alarm: str, since: float) -> bool:
    """Whether the wave's alarm is in ALARM, or went there since the bake began."""
    alarms = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    if alarms and alarms[0]["StateValue"] == "ALARM":
        return True
    history = cloudwatch.describe_alarm_history(
        AlarmName=alarm,
        HistoryItemType="StateUpdate",
        StartDate=datetime.datetime.fromtimestamp(since, datetime.UTC),
    )["AlarmHistoryItems"]
    return any(
        json.loads(item["HistoryData"])["newState"]["stateValue"] == "ALARM" for item in history
    )


def what_fired(logs: Any, params: dict[str, Any], since: float) -> list[str]:
    """Each region's health alarm that went to ALARM, with its reason, from the event log."""
    pattern = (
        '{ ($.detail-type = "CloudWatch Alarm State Change") && '
        f'($.detail.alarmName = "{params["health"]}") && ($.detail.state.value = "ALARM") }}'
    )
    found = logs.filter_log_events(
        logGroupName=params["events"], startTime=int(since * 1000), filterPattern=pattern
    )["events"]
    lines = []
    for entry in found:
        event = json.loads(entry["message"])
        if event["region"] in params["regions"]:
            state = event["detail"]["state"]
            lines.append(f"{event['region']} ({event['time']}): {state.get('reason', 'ALARM')}")
    return lines


def handler(event: dict[str, Any], context: Any, clients: Any = None, clock: Any = time) -> str:
    job = event["CodePipeline.job"]
    params = json.loads(job["data"]["actionConfiguration"]["configuration"]["UserParameters"])
    token = json.loads(job["data"].get("continuationToken") or "{}")
    started = float(token.get("started", clock.time()))
    c = clients or Clients()
    watch_until = clock.time() + WATCH_SECONDS
    while True:
        if alarm_fired(c.cloudwatch, params["alarm"], started):
            regions = ", ".join(params["regions"])
            details = what_fired(c.logs, params, started) or [f"{params['alarm']} is in ALARM"]
            message = f"Wave {params['wave']} ({regions}) is unhealthy: " + "; ".join(details)
            c.sns.publish(
                TopicArn=params["topic"],
                Subject=f"Wave {params['wave']} failed its bake; the rollout rolls back",
                Message=f"{message}. The {params['pipeline']} pipeline's rollout stage fails, "
                "and rolls back every region this release reached to the last release that "
                "passed it.",
            )
            c.codepipeline.put_job_failure_result(
                jobId=job["id"], failureDetails={"type": "JobFailed", "message": message[:5000]}
            )
            return "unhealthy"
        now = clock.time()
        if now >= started + params["minutes"] * 60:
            c.codepipeline.put_job_success_result(jobId=job["id"])
            return "baked"
        if now >= watch_until:
            c.codepipeline.put_job_success_result(
                jobId=job["id"], continuationToken=json.dumps({"started": started})
            )
            return "watching"
        clock.sleep(min(POLL_SECONDS, started + params["minutes"] * 60 - now))


class Clients:
    """The AWS clients of the function's own region (the home region)."""

    def __init__(self) -> None:
        self.cloudwatch = boto3.client("cloudwatch")
        self.logs = boto3.client("logs")
        self.sns = boto3.client("sns")
        self.codepipeline = boto3.client("codepipeline")
