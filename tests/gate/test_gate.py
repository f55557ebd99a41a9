"""The rollout's gate (generator/gate/app.py) with botocore Stubber and a clock of the
test's own: bakes that pass, fail on a region that goes to ALARM or stays there, let a
region recover, pass a rollback at once, survive a throttle and answer every error; and
waits for a stack set that runs another operation."""

from __future__ import annotations

import datetime
import json
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from generator.gate import app

PARAMS = {
    "mode": "bake",
    "pipeline": "shop-release",
    "wave": 2,
    "regions": ["us-east-1", "ap-southeast-2"],
    "minutes": 15,
    "settle": 180,
    "health": "shop-health",
    "events": "/aws/events/shop-central",
    "lookback_days": 90,
    "execution": "exec-1",
    "topic": "arn:aws:sns:eu-west-1:111122223333:shop-alerts",
}
READY = {"mode": "ready", "stack_sets": ["shop-app"], "max_minutes": 60}
START = 1_800_000_000.0
SERVICES = ("logs", "sns", "codepipeline", "cloudformation")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Clients:
    def __init__(self) -> None:
        for name in SERVICES:
            client = boto3.client(
                name, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
            )
            setattr(self, name, client)
        self.stubs = {name: Stubber(getattr(self, name)) for name in SERVICES}

    def __enter__(self) -> Clients:
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc: Any) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()
            stub.deactivate()

    def health(self, since: float, *events: dict[str, Any], pages: int = 1) -> None:
        """FilterLogEvents answers, in `pages` pages (the first ones empty, as the API may)."""
        for page in range(pages):
            last = page == pages - 1
            response: dict[str, Any] = {"events": list(events) if last else []}
            if not last:
                response["nextToken"] = f"t{page}"
            expected = {
                "logGroupName": PARAMS["events"],
                "startTime": int(since * 1000),
                "filterPattern": ANY,
            }
            if page:
                expected["nextToken"] = f"t{page - 1}"
            self.stubs["logs"].add_response("filter_log_events", response, expected)

    def execution(self, kind: str = "STANDARD") -> None:
        self.stubs["codepipeline"].add_response(
            "get_pipeline_execution",
            {"pipelineExecution": {"pipelineExecutionId": "exec-1", "executionType": kind}},
            {"pipelineName": "shop-release", "pipelineExecutionId": "exec-1"},
        )

    def stack_sets(self, *names: str) -> None:
        self.stubs["cloudformation"].add_response(
            "list_stack_sets",
            {"Summaries": [{"StackSetName": n, "Status": "ACTIVE"} for n in names]},
            {"Status": "ACTIVE"},
        )

    def reports(self, method: str, **expected: Any) -> None:
        self.stubs["codepipeline"].add_response(method, {}, {"jobId": "job-1", **expected})


def job(params: dict[str, Any], token: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "actionConfiguration": {"configuration": {"UserParameters": json.dumps(params)}}
    }
    if token is not None:
        data["continuationToken"] = json.dumps(token)
    return {"CodePipeline.job": {"id": "job-1", "data": data}}


def health_event(region: str, state: str, at: float, account: str = "111122223333") -> dict:
    event = {
        "account": account,
        "region": region,
        "time": datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat(),
        "detail-type": "CloudWatch Alarm State Change",
        "detail": {
            "alarmName": "shop-health",
            "state": {"value": state, "reason": f"shop-api-errors in {state}"},
        },
    }
    return {"message": json.dumps(event), "timestamp": int(at * 1000)}


def lookback(now: float) -> float:
    return now - PARAMS["lookback_days"] * 86400


def test_a_healthy_wave_passes_after_its_bake_and_settling_time():
    clock = Clock(START)
    ends = PARAMS["minutes"] * 60 + PARAMS["settle"]
    assert ends > app.WATCH_SECONDS  # longer than one invocation watches
    token = {"started": START, "errors": 0}
    with Clients() as clients:
        clients.execution()
        for _ in range(app.WATCH_SECONDS // app.POLL_SECONDS + 1):
            clients.health(START)
        clients.reports("put_job_success_result", continuationToken=json.dumps(token))
        assert app.handler(job(PARAMS), None, clients, clock) == "watching"
    with Clients() as clients:
        for _ in range((ends - app.WATCH_SECONDS) // app.POLL_SECONDS + 1):
            clients.health(START)
        # At the end, each region's latest state: recovered long ago, so OK.
        clients.health(
            lookback(START + ends),
            health_event("us-east-1", "ALARM", START - 86400),
            health_event("us-east-1", "OK", START - 86000),
            pages=3,
        )
        clients.reports("put_job_success_result")
        assert app.handler(job(PARAMS, token), None, clients, clock) == "baked"
    assert clock.now == START + ends


def test_a_region_in_alarm_when_the_bake_begins_may_recover():
    """An in-region rollback takes a canary's time, and a fix must be able to pass."""
    ends = PARAMS["minutes"] * 60 + PARAMS["settle"]
    clock = Clock(START + ends)
    with Clients() as clients:
        clients.health(START)  # nothing went to ALARM during the bake
        clients.health(
            lookback(START + ends),
            health_event("ap-southeast-2", "ALARM", START - 300),
            health_event("ap-southeast-2", "OK", START + 120),
        )
        clients.reports("put_job_success_result")
        assert app.handler(job(PARAMS, {"started": START}), None, clients, clock) == "baked"


def test_a_region_still_in_alarm_after_the_bake_fails_it():
    """A region that stays in ALARM sends no new event: only its latest one can tell."""
    ends = PARAMS["minutes"] * 60 + PARAMS["settle"]
    clock = Clock(START + ends)
    with Clients() as clients:
        clients.health(START)
        clients.health(
            lookback(START + ends),
            health_event("ap-southeast-2", "ALARM", START - 3600),
            health_event("eu-west-1", "ALARM", START - 60),  # another wave's region
            health_event("us-east-1", "ALARM", START - 7200),
            health_event("us-east-1", "OK", START - 7000),
        )
        message = (
            "Wave 2 (us-east-1, ap-southeast-2) was still in ALARM after its bake: "
            "ap-southeast-2 111122223333 (2027-01-15T07:00:00+00:00): shop-api-errors in ALARM"
        )
        clients.reports(
            "put_job_failure_result", failureDetails={"type": "JobFailed", "message": message}
        )
        clients.stubs["sns"].add_response(
            "publish",
            {"MessageId": "m"},
            {"TopicArn": PARAMS["topic"], "Subject": ANY, "Message": ANY},
        )
        assert app.handler(job(PARAMS, {"started": START}), None, clients, clock) == "unhealthy"


def test_a_region_that_goes_to_alarm_during_the_bake_fails_it_at_once():
    with Clients() as clients:
        clients.health(
            START,
            health_event("us-east-1", "ALARM", START + 60),
            health_event("us-east-1", "OK", START + 300),
        )
        clients.reports("put_job_failure_result", failureDetails=ANY)
        clients.stubs["sns"].add_response("publish", {"MessageId": "m"}, None)
        clock = Clock(START + 400)
        assert app.handler(job(PARAMS, {"started": START}), None, clients, clock) == "unhealthy"


def test_a_rollback_is_not_baked():
    """It restores the last good release; its regions may still be in ALARM from the
    release it replaces, and every minute counts."""
    with Clients() as clients:
        clients.execution("ROLLBACK")
        clients.reports("put_job_success_result")
        assert app.handler(job(PARAMS), None, clients, Clock(START)) == "rollback"


def test_the_failure_is_reported_even_when_the_alert_cannot_be_sent():
    """The job's failure rolls the stage back; the alert is only extra."""
    with Clients() as clients:
        clients.health(START, health_event("us-east-1", "ALARM", START + 10))
        clients.reports("put_job_failure_result", failureDetails=ANY)
        clients.stubs["sns"].add_client_error("publish", "KMSAccessDeniedException")
        clock = Clock(START + 60)
        assert app.handler(job(PARAMS, {"started": START}), None, clients, clock) == "unhealthy"


def test_an_error_is_retried_then_answered_never_raised():
    """A throttle must not roll a healthy release back, and a raised error would make
    Lambda invoke the function again on a job already answered."""
    token = {"started": START, "errors": 0}
    with Clients() as clients:
        clients.stubs["logs"].add_client_error("filter_log_events", "ThrottlingException")
        clients.reports(
            "put_job_success_result", continuationToken=json.dumps({**token, "errors": 1})
        )
        assert app.handler(job(PARAMS, token), None, clients, Clock(START)) == "retrying"
    with Clients() as clients:
        clients.stubs["logs"].add_client_error("filter_log_events", "AccessDeniedException")
        clients.reports(
            "put_job_failure_result", failureDetails={"type": "JobFailed", "message": ANY}
        )
        last = {**token, "errors": app.MAX_ERRORS - 1}
        assert app.handler(job(PARAMS, last), None, clients, Clock(START)) == "error"


def operations(*statuses: str) -> dict[str, Any]:
    return {"Summaries": [{"OperationId": f"op-{i}", "Status": s} for i, s in enumerate(statuses)]}


def test_ready_waits_for_the_drift_check_to_finish():
    clock = Clock(START)
    with Clients() as clients:
        stub = clients.stubs["cloudformation"]
        for listed in (operations("RUNNING", "SUCCEEDED"), operations("SUCCEEDED", "SUCCEEDED")):
            clients.stack_sets("shop-bootstrap", "shop-app")
            stub.add_response("list_stack_set_operations", listed, {"StackSetName": "shop-app"})
        clients.reports("put_job_success_result")
        assert app.handler(job(READY), None, clients, clock) == "ready"
    assert clock.now == START + app.POLL_SECONDS


def test_ready_before_the_first_release():
    """A stack set that does not exist yet runs nothing, and is not asked by name."""
    with Clients() as clients:
        clients.stack_sets("another-app")
        clients.reports("put_job_success_result")
        assert app.handler(job(READY), None, clients, Clock(START)) == "ready"


def test_ready_gives_up_after_its_limit():
    started = START - READY["max_minutes"] * 60
    with Clients() as clients:
        clients.stack_sets("shop-app")
        clients.stubs["cloudformation"].add_response(
            "list_stack_set_operations", operations("QUEUED"), None
        )
        clients.reports(
            "put_job_failure_result",
            failureDetails={
                "type": "JobFailed",
                "message": "shop-app still ran an operation after 60 minutes",
            },
        )
        token = {"started": started}
        assert app.handler(job(READY, token), None, clients, Clock(START)) == "busy"
