"""The bake gate (generator/gate/app.py) with botocore Stubber and a clock of the test's own."""

from __future__ import annotations

import datetime
import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from generator.gate import app

PARAMS = {
    "pipeline": "shop-release",
    "wave": 2,
    "regions": ["us-east-1", "ap-southeast-2"],
    "minutes": 15,
    "alarm": "shop-wave-2-unhealthy",
    "health": "shop-health",
    "events": "/aws/events/shop-central",
    "topic": "arn:aws:sns:eu-west-1:111122223333:shop-alerts",
}
START = 1_800_000_000.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Clients:
    def __init__(self) -> None:
        make = lambda name: boto3.client(  # noqa: E731
            name, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.cloudwatch, self.logs, self.sns, self.codepipeline = (
            make(n) for n in ("cloudwatch", "logs", "sns", "codepipeline")
        )
        self.stubs = {
            n: Stubber(getattr(self, n)) for n in ("cloudwatch", "logs", "sns", "codepipeline")
        }

    def __enter__(self) -> Clients:
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc: Any) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()
            stub.deactivate()


def job(token: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "actionConfiguration": {"configuration": {"UserParameters": json.dumps(PARAMS)}}
    }
    if token is not None:
        data["continuationToken"] = json.dumps(token)
    return {"CodePipeline.job": {"id": "job-1", "data": data}}


def healthy_poll(clients: Clients, since: float) -> None:
    cloudwatch = clients.stubs["cloudwatch"]
    cloudwatch.add_response(
        "describe_alarms",
        {"MetricAlarms": [{"AlarmName": PARAMS["alarm"], "StateValue": "OK"}]},
        {"AlarmNames": [PARAMS["alarm"]]},
    )
    cloudwatch.add_response(
        "describe_alarm_history",
        {"AlarmHistoryItems": []},
        {
            "AlarmName": PARAMS["alarm"],
            "HistoryItemType": "StateUpdate",
            "StartDate": datetime.datetime.fromtimestamp(since, datetime.UTC),
        },
    )


def test_a_healthy_wave_passes_after_its_bake():
    clock = Clock(START)
    bake = PARAMS["minutes"] * 60
    assert bake > app.WATCH_SECONDS  # longer than one invocation watches
    with Clients() as clients:
        for _ in range(app.WATCH_SECONDS // app.POLL_SECONDS + 1):
            healthy_poll(clients, START)
        clients.stubs["codepipeline"].add_response(
            "put_job_success_result",
            {},
            {"jobId": "job-1", "continuationToken": json.dumps({"started": START})},
        )
        assert app.handler(job(), None, clients, clock) == "watching"
    with Clients() as clients:
        for _ in range((bake - app.WATCH_SECONDS) // app.POLL_SECONDS + 1):
            healthy_poll(clients, START)
        clients.stubs["codepipeline"].add_response("put_job_success_result", {}, {"jobId": "job-1"})
        assert app.handler(job({"started": START}), None, clients, clock) == "baked"
    assert clock.now == START + bake


def alarm_event(region: str) -> dict[str, Any]:
    return {
        "message": json.dumps(
            {
                "region": region,
                "time": "2026-11-27T15:02:00Z",
                "detail-type": "CloudWatch Alarm State Change",
                "detail": {
                    "alarmName": "shop-health",
                    "state": {"value": "ALARM", "reason": "shop-api-errors in ALARM"},
                },
            }
        )
    }


@pytest.mark.parametrize("how", ["now", "during the bake"])
def test_an_alarm_fails_the_wave_and_says_where(how):
    clock = Clock(START + 120)
    with Clients() as clients:
        cloudwatch = clients.stubs["cloudwatch"]
        state = "ALARM" if how == "now" else "OK"
        cloudwatch.add_response(
            "describe_alarms",
            {"MetricAlarms": [{"AlarmName": PARAMS["alarm"], "StateValue": state}]},
            {"AlarmNames": [PARAMS["alarm"]]},
        )
        if how == "during the bake":
            history = {"newState": {"stateValue": "ALARM"}, "oldState": {"stateValue": "OK"}}
            cloudwatch.add_response(
                "describe_alarm_history",
                {"AlarmHistoryItems": [{"HistoryData": json.dumps(history)}]},
                None,
            )
        clients.stubs["logs"].add_response(
            "filter_log_events",
            {"events": [alarm_event("us-east-1"), alarm_event("eu-west-1")]},
            {
                "logGroupName": PARAMS["events"],
                "startTime": int(START * 1000),
                "filterPattern": ANY,
            },
        )
        message = (
            "Wave 2 (us-east-1, ap-southeast-2) is unhealthy: "
            "us-east-1 (2026-11-27T15:02:00Z): shop-api-errors in ALARM"
        )
        clients.stubs["sns"].add_response(
            "publish",
            {"MessageId": "m"},
            {
                "TopicArn": PARAMS["topic"],
                "Subject": "Wave 2 failed its bake; the rollout rolls back",
                "Message": ANY,
            },
        )
        clients.stubs["codepipeline"].add_response(
            "put_job_failure_result",
            {},
            {"jobId": "job-1", "failureDetails": {"type": "JobFailed", "message": message}},
        )
        assert app.handler(job({"started": START}), None, clients, clock) == "unhealthy"


def test_the_failure_message_names_the_wave_region_and_reason():
    logs = boto3.client(
        "logs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(logs) as stub:
        stub.add_response(
            "filter_log_events",
            {"events": [alarm_event("us-east-1"), alarm_event("eu-west-1")]},
            None,
        )
        lines = app.what_fired(logs, PARAMS, START)
    # eu-west-1 is another wave's region: only this wave's regions are named.
    assert lines == ["us-east-1 (2026-11-27T15:02:00Z): shop-api-errors in ALARM"]
