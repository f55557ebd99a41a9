"""The "before" of a plan: the committed output at a git ref, or the fleet (Stubber)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber

from generator import config as config_module
from generator.plan import make_plan
from generator.plan.sources import Fleet, SourceError, at_ref, live

TEMPLATE = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_reads_the_templates_committed_at_a_ref(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "templates" / "params").mkdir(parents=True)
    (tmp_path / "templates" / "app.json").write_text("{}\n")
    (tmp_path / "templates" / "params" / "app.json").write_text("[]\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "one")
    (tmp_path / "templates" / "app.json").write_text('{"changed": true}\n')
    assert at_ref(tmp_path, "HEAD", Path("templates")) == {
        "app.json": "{}\n",
        "params/app.json": "[]\n",
    }
    assert at_ref(tmp_path, "HEAD", Path("envs/prod")) == {}


def test_a_bad_ref_is_one_clear_error(tmp_path):
    git(tmp_path, "init", "-q")
    with pytest.raises(SourceError, match="'no-such-branch' is not a commit, branch or tag"):
        at_ref(tmp_path, "no-such-branch", Path("templates"))


class Session:
    """A boto3 session whose clients are stubbed."""

    def __init__(self) -> None:
        self.client_ = boto3.client(
            "cloudformation",
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.stub = Stubber(self.client_)

    def client(self, name: str, region_name: str) -> Any:
        assert (name, region_name) == ("cloudformation", "eu-west-1")
        return self.client_


def stack_set(name: str, parameters: dict[str, str]) -> dict[str, Any]:
    return {
        "StackSet": {
            "StackSetName": name,
            "TemplateBody": json.dumps(TEMPLATE),
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        }
    }


def instance(
    region: str, status: str = "CURRENT", detailed: str = "SUCCEEDED", drift: str = "IN_SYNC"
) -> dict[str, Any]:
    return {
        "StackSetId": "set",
        "Region": region,
        "Account": "111122223333",
        "Status": status,
        "StackInstanceStatus": {"DetailedStatus": detailed},
        "DriftStatus": drift,
    }


@pytest.fixture
def config(reference_path):
    return config_module.load(reference_path)


def test_the_fleet_as_it_runs(config):
    session = Session()
    stub = session.stub
    app_params = {"HomeRegion": "eu-west-1", "CentralAccountId": "", "LogLevel": "INFO"}
    stub.add_response(
        "describe_stack_set", stack_set("shop-app", app_params), {"StackSetName": "shop-app"}
    )
    stub.add_response(
        "list_stack_instances",
        {"Summaries": [instance("eu-west-1"), instance("us-east-1", "OUTDATED", "FAILED")]},
        {"StackSetName": "shop-app"},
    )
    for region, overrides in (
        ("eu-west-1", []),
        ("us-east-1", [{"ParameterKey": "LogLevel", "ParameterValue": "DEBUG"}]),
    ):
        stub.add_response(
            "describe_stack_instance",
            {"StackInstance": {"Region": region, "ParameterOverrides": overrides}},
            {
                "StackSetName": "shop-app",
                "StackInstanceAccount": "111122223333",
                "StackInstanceRegion": region,
            },
        )
    stub.add_response(
        "describe_stack_set", stack_set("shop-bootstrap", {}), {"StackSetName": "shop-bootstrap"}
    )
    stub.add_response(
        "list_stack_instances",
        {"Summaries": [instance("eu-west-1", drift="DRIFTED")]},
        {"StackSetName": "shop-bootstrap"},
    )
    for stack in ("shop-logging", "shop-pipeline"):
        stub.add_response(
            "get_template", {"TemplateBody": json.dumps(TEMPLATE)}, {"StackName": stack}
        )
    with stub:
        fleet = live(config, session)
    assert json.loads(fleet.files["app.json"]) == TEMPLATE
    us = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in json.loads(fleet.files["params/app.us-east-1.json"])
    }
    assert us["LogLevel"] == "DEBUG"
    unhealthy = [(name, i.region) for name, i in fleet.unhealthy()]
    assert unhealthy == [("shop-app", "us-east-1"), ("shop-bootstrap", "eu-west-1")]
    # The fleet runs eu-west-1 and us-east-1; the config adds ap-southeast-2.
    plan = make_plan(
        fleet.files,
        {
            "stacksets/app.wave-2.instances.json": json.dumps(
                {"Regions": ["us-east-1", "ap-southeast-2"]}
            ),
            "stacksets/app.wave-1.instances.json": json.dumps({"Regions": ["eu-west-1"]}),
        },
        [],
    )
    assert plan.rollout.added_regions == ["ap-southeast-2"]
    assert plan.rollout.moved_regions == {}


def test_no_credentials_is_one_line(config):
    session = Session()
    session.stub.add_client_error(
        "describe_stack_set", service_error_code="AccessDenied", service_message="not allowed"
    )
    with session.stub, pytest.raises(SourceError, match=r"^AccessDenied: not allowed$"):
        live(config, session)

    class Anonymous(Session):
        def client(self, name: str, region_name: str) -> Any:
            raise NoCredentialsError()

    with pytest.raises(SourceError, match="no AWS credentials"):
        live(config, Anonymous())


def test_before_the_first_release_the_fleet_is_empty(config):
    """The pipeline's Build plans before its Foundation stage has created anything."""
    session = Session()
    stub = session.stub
    for name in ("shop-app", "shop-bootstrap"):
        stub.add_client_error(
            "describe_stack_set",
            service_error_code="StackSetNotFoundException",
            service_message=f"StackSet {name} not found",
            expected_params={"StackSetName": name},
        )
    for name in ("shop-logging", "shop-pipeline"):
        # GetTemplate: "If the template doesn't exist, a ValidationError is returned."
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html
        stub.add_client_error(
            "get_template",
            service_error_code="ValidationError",
            service_message=f"Stack with id {name} does not exist",
            expected_params={"StackName": name},
        )
    with stub:
        fleet = live(config, session)
    assert fleet.files == {} and fleet.instances == {}
    stub.assert_no_pending_responses()


def test_a_live_plan_of_an_unchanged_fleet_needs_no_approval(
    config, reference_build, tmp_path, monkeypatch
):
    """The execution role is deployed by hand, so the fleet never holds it: a live plan
    must not report it as new, or every release would wait for a person."""
    from types import SimpleNamespace

    from generator.plan import command
    from generator.stacks import REGISTRY

    running = {
        path: body
        for path, body in reference_build.files.items()
        if path != "stackset-execution-role.json"
    }
    args = SimpleNamespace(
        live=True, against=None, format="text", output=None, json=None, gate=tmp_path / "gate.env"
    )
    monkeypatch.setattr(command, "live", lambda config, session: Fleet(files=running))
    templates = [s.file for s in REGISTRY]
    status = command.run(args, config, None, reference_build.files, templates, io.StringIO())
    assert status == 0
    assert args.gate.read_text() == "PLAN_GATE=none\nPLAN_RISKS=none\n"


def test_a_fleet_with_global_tables_is_read_from_the_data_stack_sets_too(write_config):
    """The data stack sets are the pipeline's too: a live plan compares their templates."""

    def edit(raw: dict[str, Any]) -> None:
        raw["tables"] = {
            "ledger": {"partition_key": "pk", "replication": "global", "stream": "KEYS_ONLY"}
        }

    config = config_module.load(write_config(edit))
    session = Session()
    stub = session.stub
    for name in ("shop-app", "shop-bootstrap", "shop-data-keys", "shop-data"):
        stub.add_response("describe_stack_set", stack_set(name, {}), {"StackSetName": name})
        stub.add_response(
            "list_stack_instances",
            {"Summaries": [instance("eu-west-1")]},
            {"StackSetName": name},
        )
        if name == "shop-app":
            stub.add_response(
                "describe_stack_instance",
                {"StackInstance": {"Region": "eu-west-1", "ParameterOverrides": []}},
                {
                    "StackSetName": name,
                    "StackInstanceAccount": "111122223333",
                    "StackInstanceRegion": "eu-west-1",
                },
            )
    for stack in ("shop-logging", "shop-pipeline"):
        stub.add_response(
            "get_template", {"TemplateBody": json.dumps(TEMPLATE)}, {"StackName": stack}
        )
    with stub:
        fleet = live(config, session)
    stub.assert_no_pending_responses()
    assert {"data-keys.json", "data.json"} <= set(fleet.files)
    assert {"shop-data-keys", "shop-data"} <= set(fleet.instances)
