"""`rollout` and `status` against botocore's Stubber: success, a wave that fails halfway
and the rollback of what the release reached, a busy stack set, throttling, and a bake
that catches an alarm."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from generator import config as config_module
from generator.fleet import status
from generator.fleet.rollout import Release, Rollout

ACCOUNT = "111122223333"
NOW = 1_800_000_000.0
CLOCK = lambda: NOW  # noqa: E731
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole"
RELEASE = Release('{"Resources":{}}', [{"ParameterKey": "LogLevel", "ParameterValue": "INFO"}])
PREVIOUS = {
    "TemplateBody": '{"Old":true}',
    "Parameters": [{"ParameterKey": "LogLevel", "ParameterValue": "DEBUG"}],
}


def client(name: str) -> Any:
    return boto3.client(
        name, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


@pytest.fixture
def config(write_config):
    def edit(raw):
        raw["targets"]["bake_minutes"] = 0

    return config_module.load(write_config(edit))


@pytest.fixture
def aws() -> Iterator[tuple[Any, Stubber, Any, Stubber]]:
    cloudformation, logs = client("cloudformation"), client("logs")
    with Stubber(cloudformation) as cfn, Stubber(logs) as lg:
        yield cloudformation, cfn, logs, lg
        cfn.assert_no_pending_responses()
        lg.assert_no_pending_responses()


def update(cfn: Stubber, regions: list[str], op: str, template: str = RELEASE.template) -> None:
    cfn.add_response(
        "update_stack_set",
        {"OperationId": op},
        {
            "StackSetName": "shop-app",
            "TemplateBody": template,
            "Parameters": ANY,
            "Capabilities": ["CAPABILITY_IAM"],
            "Regions": regions,
            "OperationPreferences": ANY,
            "OperationId": op,
            "Accounts": [ACCOUNT],
            "AdministrationRoleARN": ADMIN_ROLE,
            "ExecutionRoleName": "AWSCloudFormationStackSetExecutionRole",
        },
    )


def finished(
    cfn: Stubber, op: str, regions: list[str], status_: str = "SUCCEEDED", failed: str = ""
) -> None:
    cfn.add_response(
        "describe_stack_set_operation",
        {"StackSetOperation": {"OperationId": op, "Status": status_}},
        {"StackSetName": "shop-app", "OperationId": op},
    )
    cfn.add_response(
        "list_stack_set_operation_results",
        {
            "Summaries": [
                {
                    "Account": ACCOUNT,
                    "Region": r,
                    "Status": "FAILED" if r == failed else "SUCCEEDED",
                    **(
                        {"StatusReason": "ApiFunction: CodeDeploy deployment failed"}
                        if r == failed
                        else {}
                    ),
                }
                for r in regions
            ]
        },
        {"StackSetName": "shop-app", "OperationId": op},
    )


def rollout(config: Any, aws: Any, lines: list[str]) -> Rollout:
    cloudformation, _, logs, _ = aws
    return Rollout(
        config, cloudformation, logs, ACCOUNT, lines.append, sleep=lambda s: None, clock=CLOCK
    )


def test_every_wave_in_order(config, aws):
    _, cfn, _, _ = aws
    cfn.add_response("describe_stack_set", {"StackSet": PREVIOUS}, {"StackSetName": "shop-app"})
    for number, wave in enumerate([["eu-west-1"], ["us-east-1", "ap-southeast-2"]], start=1):
        op = f"{RELEASE.id}-wave-{number}"
        update(cfn, wave, op)
        finished(cfn, op, wave)
    lines: list[str] = []
    assert rollout(config, aws, lines).run(RELEASE) == (0, f"{RELEASE.id} runs in every region")
    assert lines[0] == "wave 1: eu-west-1"
    assert f"  us-east-1 {ACCOUNT} SUCCEEDED" in lines


def test_a_failed_wave_rolls_back_every_region_it_reached(config, aws):
    _, cfn, _, _ = aws
    cfn.add_response("describe_stack_set", {"StackSet": PREVIOUS}, {"StackSetName": "shop-app"})
    update(cfn, ["eu-west-1"], f"{RELEASE.id}-wave-1")
    finished(cfn, f"{RELEASE.id}-wave-1", ["eu-west-1"])
    wave2 = ["us-east-1", "ap-southeast-2"]
    update(cfn, wave2, f"{RELEASE.id}-wave-2")
    finished(cfn, f"{RELEASE.id}-wave-2", wave2, "FAILED", failed="us-east-1")
    reached = ["eu-west-1", *wave2]
    update(cfn, reached, f"{RELEASE.id}-rollback", template=PREVIOUS["TemplateBody"])
    finished(cfn, f"{RELEASE.id}-rollback", reached)
    lines: list[str] = []
    code, last = rollout(config, aws, lines).run(RELEASE)
    assert code == 1
    assert last == (
        f"wave 2 failed in us-east-1 ({ACCOUNT}): ApiFunction: CodeDeploy deployment failed; "
        "rollback succeeded"
    )
    assert (
        f"rolling back eu-west-1, us-east-1, ap-southeast-2 to the release before {RELEASE.id}"
        in lines
    )


@pytest.mark.parametrize("code", ["OperationInProgressException", "ThrottlingException"])
def test_a_busy_or_throttled_stack_set_is_waited_for(config, aws, code):
    _, cfn, _, _ = aws
    cfn.add_response("describe_stack_set", {"StackSet": PREVIOUS}, {"StackSetName": "shop-app"})
    cfn.add_client_error("update_stack_set", service_error_code=code, http_status_code=400)
    for number, wave in enumerate([["eu-west-1"], ["us-east-1", "ap-southeast-2"]], start=1):
        op = f"{RELEASE.id}-wave-{number}"
        update(cfn, wave, op)
        finished(cfn, op, wave)
    lines: list[str] = []
    assert rollout(config, aws, lines).run(RELEASE)[0] == 0
    assert f"  shop-app is busy ({code}); waiting" in lines


def health(lg: Stubber, since: float, state: str) -> None:
    event = {
        "account": ACCOUNT,
        "region": "eu-west-1",
        "time": "2026-11-27T15:00:00Z",
        "detail-type": "CloudWatch Alarm State Change",
        "detail": {"alarmName": "shop-health", "state": {"value": state, "reason": "errors"}},
    }
    lg.add_response(
        "filter_log_events",
        {"events": [{"message": json.dumps(event), "timestamp": int(NOW * 1000)}]},
        {
            "logGroupName": "/aws/events/shop-central",
            "startTime": int(since * 1000),
            "filterPattern": ANY,
        },
    )


@pytest.mark.parametrize("when", ["during the bake", "after the bake"])
def test_a_bake_that_catches_an_alarm_rolls_back(write_config, aws, when):
    """The same judgement as the pipeline's gate: a region that went to ALARM during the
    bake, or one still in ALARM when the bake is over."""
    config = config_module.load(write_config(lambda raw: raw["targets"].update(bake_minutes=5)))
    _, cfn, _, lg = aws
    cfn.add_response("describe_stack_set", {"StackSet": PREVIOUS}, {"StackSetName": "shop-app"})
    update(cfn, ["eu-west-1"], f"{RELEASE.id}-wave-1")
    finished(cfn, f"{RELEASE.id}-wave-1", ["eu-west-1"])
    if when == "during the bake":
        health(lg, NOW, "ALARM")
    update(cfn, ["eu-west-1"], f"{RELEASE.id}-rollback", template=PREVIOUS["TemplateBody"])
    finished(cfn, f"{RELEASE.id}-rollback", ["eu-west-1"])
    clock = [NOW]
    if when == "after the bake":
        for _ in range((5 * 60 + 60 + 120) // 30 + 1):
            lg.add_response("filter_log_events", {"events": []}, None)
        health(lg, NOW + 5 * 60 + 60 + 120 - config.logging.event_retention_days * 86400, "ALARM")

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    cloudformation, _, logs, _ = aws
    code, last = Rollout(
        config, cloudformation, logs, ACCOUNT, [].append, sleep=sleep, clock=lambda: clock[0]
    ).run(RELEASE)
    assert (code, last) == (
        1,
        f"wave 1 is unhealthy: eu-west-1 {ACCOUNT} (2026-11-27T15:00:00Z): errors; "
        "rollback succeeded",
    )


def test_status_shows_every_instance_and_the_live_versions(config):
    cloudformation, lam = client("cloudformation"), client("lambda")
    with Stubber(cloudformation) as cfn, Stubber(lam) as lm:
        instance = {
            "StackSetId": "s", "Region": "eu-west-1", "Account": ACCOUNT, "Status": "CURRENT",
            "StackInstanceStatus": {"DetailedStatus": "SUCCEEDED"}, "DriftStatus": "IN_SYNC",
            "LastOperationId": f"{RELEASE.id}-wave-1",
        }  # fmt: skip
        cfn.add_response(
            "list_stack_instances", {"Summaries": [instance]}, {"StackSetName": "shop-app"}
        )
        cfn.add_response(
            "list_stack_instances",
            {"Summaries": [{**instance, "DriftStatus": "DRIFTED"}]},
            {"StackSetName": "shop-bootstrap"},
        )
        lm.add_response(
            "get_alias",
            {"Name": "live", "FunctionVersion": "7"},
            {"FunctionName": "shop-api", "Name": "live"},
        )
        found = status.rows(config, cloudformation, lambda account, region: lam)
    text = status.table(found)
    assert "api:7" in text and "DRIFTED" in text and f"{RELEASE.id}-wave-1" in text
    assert text.splitlines()[0].split()[:3] == ["stack", "set", "account"]


def test_a_quiet_bake_lasts_its_minutes_and_the_settling_time(write_config, aws):
    config = config_module.load(write_config(lambda raw: raw["targets"].update(bake_minutes=5)))
    cloudformation, cfn, logs, lg = aws
    now = [NOW]
    cfn.add_response("describe_stack_set", {"StackSet": PREVIOUS}, {"StackSetName": "shop-app"})
    for number, wave in enumerate([["eu-west-1"], ["us-east-1", "ap-southeast-2"]], start=1):
        op = f"{RELEASE.id}-wave-{number}"
        update(cfn, wave, op)
        finished(cfn, op, wave)
        polls = (5 * 60 + 60 + 120) // 30 + 1  # bake, one alarm period, settling; every 30 s
        for _ in range(polls):
            lg.add_response("filter_log_events", {"events": []}, None)
        lg.add_response("filter_log_events", {"events": []}, None)  # the latest states

    def sleep(seconds: float) -> None:
        now[0] += seconds

    done = Rollout(
        config, cloudformation, logs, ACCOUNT, [].append, sleep=sleep, clock=lambda: now[0]
    ).run(RELEASE)
    assert done == (0, f"{RELEASE.id} runs in every region")
    assert now[0] == NOW + 2 * (5 * 60 + 60 + 120)
