"""The plan reports correctly on a matrix of edits, each built from a config of the test's
own: what CloudFormation would add, change, replace or remove, which functions publish a
version, who gains access, and where the application runs."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import config as config_module
from generator.build import generate
from generator.plan import Plan, make_plan, report
from generator.stacks import REGISTRY
from tests.conftest import REFERENCE, write_project

TEMPLATES = [spec.file for spec in REGISTRY]
Edit = Callable[[dict[str, Any], Path], None]


def files(root: Path, raw: dict[str, Any]) -> dict[str, str]:
    return generate(config_module.load(write_project(root, raw))).files


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("plan")
    return root, files(root, REFERENCE)


@pytest.fixture
def plan_after(baseline: tuple[Path, dict[str, str]], tmp_path: Path) -> Callable[[Edit], Plan]:
    """The plan of an edit made to a fresh copy of the baseline project."""

    made = iter(range(100))

    def plan(edit: Edit) -> Plan:
        root, before = baseline
        edited = tmp_path / f"edited-{next(made)}"
        shutil.copytree(root, edited)
        raw = copy.deepcopy(REFERENCE)
        edit(raw, edited)
        return make_plan(before, files(edited, raw), TEMPLATES)

    return plan


def change(plan: Plan, template: str, rid: str) -> Any:
    return next(c for c in plan.templates[template] if c.id == rid)


def test_an_unchanged_tree_changes_nothing(plan_after):
    plan = plan_after(lambda raw, root: None)
    assert plan.empty
    assert report.text(plan) == "No changes.\n"
    assert json.loads(report.as_json(plan))["summary"]["added"] == 0


def test_a_new_function_adds_its_resources_and_publishes_its_first_version(plan_after):
    def edit(raw, root):
        raw["functions"]["orders"] = {
            "source": "functions/orders",
            "routes": ["GET /orders/{id}"],
            "health_path": "/orders/health",
        }

    plan = plan_after(edit)
    added = {c.id for c in plan.templates["app.json"] if c.action == "add"}
    assert {"OrdersFunction", "OrdersAliasLive", "OrdersRoute1"} <= added
    (orders,) = [f for f in plan.functions if f.name == "shop-orders"]
    assert orders.new_version and orders.strategy == REFERENCE["deployment"]["strategy"]
    assert all(c.action == "add" for c in plan.templates["app.json"] if "Orders" in c.id)


def test_a_code_change_publishes_a_version_through_codedeploy(plan_after):
    def edit(raw, root):
        app = root / "functions" / "api" / "app.py"
        app.write_text(app.read_text() + "\n# changed\n")

    plan = plan_after(edit)
    (api,) = plan.functions
    assert (api.name, api.new_version) == ("shop-api", True)
    assert api.strategy == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    function = change(plan, "app.json", "ApiFunction")
    assert function.paths == ["Properties.Code.S3Key"] and function.replacement == "never"
    versions = [c for c in plan.templates["app.json"] if c.type == "AWS::Lambda::Version"]
    assert sorted(c.action for c in versions) == ["add", "remove"]


@pytest.mark.parametrize(
    "field, value",
    [("environment", {"FLAG": "on"}), ("memory", 512)],
)
def test_a_versioned_setting_publishes_a_version(plan_after, field, value):
    plan = plan_after(lambda raw, root: raw["functions"]["api"].update({field: value}))
    (api,) = plan.functions
    assert api.new_version and not api.flagged


def test_a_setting_outside_the_version_is_flagged(plan_after):
    """Reserved concurrency is not part of a version: it changes every version at once."""
    plan = plan_after(lambda raw, root: raw["functions"]["api"].update(reserved_concurrency=7))
    (api,) = plan.functions
    assert not api.new_version and api.flagged
    assert api.unversioned == ["Properties.ReservedConcurrentExecutions"]
    assert "change at once" in report.text(plan)


def test_a_renamed_bucket_prefix_replaces_the_buckets_and_says_so(plan_after):
    plan = plan_after(
        lambda raw, root: raw["application"].update(artifact_bucket_prefix="shop-code")
    )
    bucket = change(plan, "bootstrap.json", "ArtifactBucket")
    assert (bucket.replacement, bucket.stateful, bucket.data_risk) == ("always", True, True)
    assert bucket.deletion_policy == "Retain"
    assert any("ArtifactBucket is replaced (always)" in r for r in plan.risks())
    assert report.text(plan).startswith("Needs approval\n")


def test_a_create_only_change_replaces_what_names_it(plan_after):
    """Renaming the application renames the functions: each is replaced, and so is every
    resource whose create-only property names one (its version and alias)."""
    plan = plan_after(lambda raw, root: raw["application"].update(name="store"))
    assert change(plan, "app.json", "ApiFunction").replacement == "always"
    assert change(plan, "app.json", "ApiAliasLive").replacement in ("always", "conditional")
    assert change(plan, "app.json", "ApiLogGroup").data_risk


def test_a_widened_permission_is_broadened(plan_after):
    table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"

    def edit(raw, root):
        raw["functions"]["api"]["permissions"] = [
            {"actions": ["dynamodb:GetItem"], "resources": [table]}
        ]

    plan = plan_after(edit)
    (role,) = [c for c in plan.iam if c.resource == "ApiRole"]
    assert role.verdict == "broadened"
    assert any("dynamodb:GetItem" in g for g in role.added)
    assert "app.json: ApiRole broadens access" in plan.risks()


def test_a_removed_permission_is_narrowed(plan_after):
    plan = plan_after(lambda raw, root: raw["functions"]["api"].pop("reserved_concurrency"))
    assert not [c for c in plan.iam if c.verdict == "broadened"]


def test_a_region_moved_between_waves(plan_after):
    def edit(raw, root):
        raw["targets"]["waves"] = [["eu-west-1", "us-east-1"], ["ap-southeast-2"]]

    plan = plan_after(edit)
    assert plan.rollout.moved_regions == {"us-east-1": (2, 1)}
    assert not plan.rollout.added_regions and not plan.rollout.removed_regions


def test_a_removed_region(plan_after):
    def edit(raw, root):
        raw["targets"]["regions"] = ["eu-west-1", "us-east-1"]
        raw["targets"]["waves"] = [["eu-west-1"], ["us-east-1"]]

    plan = plan_after(edit)
    assert plan.rollout.removed_regions == ["ap-southeast-2"]
    removed = change(plan, "logging.json", "LogStreamApSoutheast2")
    assert removed.action == "remove"


def test_a_parameter_override_replaces_the_version_that_names_it(plan_after):
    """A region's log level is a parameter; the version's Description names it, so a new
    value publishes a new version there (conditional: it depends on the value)."""
    plan = plan_after(
        lambda raw, root: raw["targets"].update(log_level_overrides={"us-east-1": "DEBUG"})
    )
    assert plan.rollout.parameters == {"us-east-1": {"LogLevel": ("INFO", "DEBUG")}}
    versions = [c for c in plan.templates["app.json"] if c.type == "AWS::Lambda::Version"]
    assert [c.replacement for c in versions] == ["conditional"]


def test_reports_in_three_formats(plan_after):
    plan = plan_after(lambda raw, root: raw["functions"]["api"].update(memory=1024))
    assert report.markdown(plan).startswith("## Plan\n")
    data = json.loads(report.as_json(plan))
    assert set(data) == {"summary", "risks", "templates", "functions", "iam", "rollout"}
    entry = data["templates"]["app.json"][0]
    assert set(entry) >= {"id", "type", "action", "replacement", "paths", "stateful"}
    assert data["functions"] == [
        {
            "name": "shop-api",
            "new_version": True,
            "strategy": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            "unversioned_changes": [],
        }
    ]


def test_the_gate_variables_say_why(plan_after):
    from generator.plan.command import gate_variables

    quiet = plan_after(lambda raw, root: raw["functions"]["api"].update(memory=1024))
    assert gate_variables(quiet) == "PLAN_GATE=none\nPLAN_RISKS=none\n"
    risky = plan_after(
        lambda raw, root: raw["application"].update(artifact_bucket_prefix="shop-code")
    )
    text = gate_variables(risky)
    assert text.startswith("PLAN_GATE=approval\nPLAN_RISKS='")
    assert "ArtifactBucket is replaced (always), DeletionPolicy Retain" in text
    assert len(text) < 500


def test_the_review_message_fits_an_approval_however_many_risks():
    import shlex
    from types import SimpleNamespace

    from generator import vocabulary as names
    from generator.plan.command import gate_variables

    many = SimpleNamespace(risks=lambda: [f"app.json: Role{n} broadens access" for n in range(60)])
    assignments = dict(
        line.split("=", 1)
        for line in gate_variables(many).splitlines()  # type: ignore[arg-type]
    )
    risks = shlex.split(assignments["PLAN_RISKS"])[0]
    assert risks.endswith("…")
    assert len(names.REVIEW_MESSAGE.format(risks=risks)) == names.APPROVAL_MESSAGE_MAX


def test_a_global_table_losing_a_replica_needs_a_person(tmp_path):
    """The update deletes that region's replica and its items, whatever the table's
    DeletionPolicy: a risk the Review stage stops for."""
    table = {"partition_key": "pk", "replication": "global", "stream": "KEYS_ONLY"}

    def raw(regions: list[str]) -> dict[str, Any]:
        edited = copy.deepcopy(REFERENCE)
        edited["targets"].update(regions=regions, waves=[regions])
        edited["tables"] = {"ledger": dict(table, deletion_protection=False)}
        return edited

    three = files(tmp_path / "three", raw(["eu-west-1", "us-east-1", "ap-southeast-2"]))
    two = files(tmp_path / "two", raw(["eu-west-1", "us-east-1"]))
    shrunk = make_plan(three, two, TEMPLATES)
    lost = change(shrunk, "data.json", "LedgerGlobalTable")
    assert (lost.action, lost.replacement, lost.lost_replicas) == (
        "modify",
        "never",
        ["ap-southeast-2"],
    )
    assert (
        "data.json: AWS::DynamoDB::GlobalTable LedgerGlobalTable is losing its replicas in "
        "ap-southeast-2, DeletionPolicy Retain"
    ) in shrunk.risks()
    grown = make_plan(two, three, TEMPLATES)
    assert not change(grown, "data.json", "LedgerGlobalTable").data_risk
    assert not grown.risks() or all("LedgerGlobalTable" not in r for r in grown.risks())
