"""CloudFormation's and IAM's quotas: a config that would cross one fails before anything
is written, with the template, the limit and the count in the message."""

from __future__ import annotations

import shutil
import tomllib

import pytest
import tomli_w

from generator import cli, config
from generator.build import BuildError, build
from generator.checks import quotas as limits
from generator.config.regions import target_regions
from generator.output.render import size
from generator.stacks import BY_FILE
from tests.config.support import tree_digest
from tests.conftest import FIXTURES


def functions_config(tmp_path, count: int, logging: dict | None = None) -> str:
    """`count` functions with one route each, and the health path that route serves."""
    functions = {}
    for i in range(1, count + 1):
        name = f"f{i:02d}"
        shutil.copytree(FIXTURES / "functions" / "api", tmp_path / name)
        functions[name] = {"source": name, "routes": [f"GET /{name}"], "health_path": f"/{name}"}
    raw = {"application": {"name": "shop"}, "functions": functions}
    if logging:
        raw["logging"] = logging
        if logging.get("mode", "firehose") != "firehose":
            raw["targets"] = {"organization_id": "o-a1b2c3d4e5"}
    return tomli_w.dumps(raw)


FILTERS = (
    "a subscription filter per log group costs each function 2 resources, so 28 functions "
    'with one route each fit; logging.subscription = "account" (one policy per account and '
    "region) fits 32; or split the application into several configs"
)
OVER = "resources, over CloudFormation's limit of 500 per template"
NO_FILTERS = (
    "without a subscription filter per log group, 32 functions with one route each fit; "
    "split the application into several configs"
)


@pytest.mark.parametrize(
    "logging, count, fits, message",
    [
        ({}, limits.FUNCTIONS_WITH_FILTERS, True, None),
        (
            {},
            29,
            False,
            f"508 {OVER} (29 functions): {FILTERS}",
        ),
        ({"subscription": "account"}, limits.FUNCTIONS_WITHOUT_FILTERS, True, None),
        (
            {"subscription": "account"},
            33,
            False,
            f"510 {OVER} (33 functions): {NO_FILTERS}",
        ),
        ({"mode": "centralization"}, 32, True, None),
        (
            {"mode": "centralization"},
            33,
            False,
            f"509 {OVER} (33 functions): {NO_FILTERS}",
        ),
    ],
    ids=[
        "filters-28",
        "filters-29",
        "account-32",
        "account-33",
        "centralization-32",
        "centralization-33",
    ],
)
def test_functions_per_application_stack(logging, count, fits, message, tmp_path, capsys):
    """The most functions one application stack holds, with one route each, in each kind
    of log subscription; one more is refused, saying what fits and what makes room."""
    path = tmp_path / "deployment.toml"
    path.write_text(functions_config(tmp_path, count, logging))
    out = tmp_path / "templates"
    out.mkdir()
    (out / "app.json").write_text("{}\n")
    before = tree_digest(out)
    code = cli.main(
        ["--config", str(path), "--out", str(out), "--assets", str(tmp_path / "assets"), "--check"]
    )
    err = capsys.readouterr().err
    if fits:
        assert code == 1 and "is stale" in err  # built, linted, and only differs from disk
    else:
        assert code == 2
        assert f"app.json: {message}" in err
        assert "Traceback" not in err
    assert tree_digest(out) == before


def resources(count: int, kind: str = "AWS::SNS::Topic") -> dict:
    return {f"R{i}": {"Type": kind, "Properties": {}} for i in range(count)}


def test_each_section_limit():
    template = {
        "Resources": resources(2),
        "Parameters": {f"P{i}": {"Type": "String"} for i in range(201)},
        "Outputs": {f"O{i}": {"Value": "x"} for i in range(201)},
        "Mappings": {f"M{i}": {"k": {"v": "x"}} for i in range(201)},
    }
    assert limits.problems("t.json", template, limits.PIPELINE_PATH) == [
        "t.json: 201 parameters, over CloudFormation's limit of 200 per template",
        "t.json: 201 outputs, over CloudFormation's limit of 200 per template",
        "t.json: 201 mappings, over CloudFormation's limit of 200 per template",
    ]


@pytest.mark.parametrize(
    "name, limit, how",
    [
        ("pipeline.json", 51_200, "an inline TemplateBody"),
        ("app.json", 460_800, "a CodePipeline action's TemplatePath"),
        ("logging.json", 460_800, "a CodePipeline action's TemplatePath"),
    ],
)
def test_body_size_limit_by_delivery(name, limit, how):
    delivery = BY_FILE[name].delivery
    small = {"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {}}}}
    assert limits.problems(name, small, delivery) == []
    padding = "x" * (limit - size(small) - len(',"Description":""') + 1)
    big = {**small, "Description": padding}
    assert size(big) == limit + 1
    assert limits.problems(name, big, delivery) == [
        f"{name}: {limit + 1:,} bytes, over the {limit:,}-byte limit of {how}"
    ]


def test_iam_policy_size_limits():
    statement = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["x" * 11_000]}
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement]}}]
                },
            },
            "Managed": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": {"Statement": [statement]}},
            },
        }
    }
    found = limits.problems("t.json", template, limits.PIPELINE_PATH)
    assert len(found) == 2
    assert found[0].startswith("t.json: role Role has 11,") and "IAM's limit of 10,240" in found[0]
    assert found[1].startswith("t.json: managed policy Managed has 11,")
    assert "IAM's limit of 6,144" in found[1]


def test_actions_per_stage(tmp_path, capsys):
    """Thirteen one-region waves with approvals and bakes need 13 * 3 + 12 = 51 actions in
    the Rollout stage, one over CodePipeline's limit; the build stops with the stage's name."""
    from generator.config.regions import POWERTOOLS_REGIONS

    shutil.copytree(FIXTURES / "functions" / "api", tmp_path / "api")
    regions = ["eu-west-1", *sorted(set(POWERTOOLS_REGIONS) - {"eu-west-1"})[:12]]
    config = {
        "application": {"name": "shop", "home_region": "eu-west-1"},
        "targets": {"regions": regions, "waves": [[r] for r in regions], "bake_minutes": 5},
        "pipeline": {"approval_between_waves": True},
        "functions": {"api": {"source": "api", "routes": ["GET /health"]}},
    }
    path = tmp_path / "deployment.toml"
    path.write_text(tomli_w.dumps(config))
    code = cli.main(["--config", str(path), "--out", str(tmp_path / "templates"), "--check"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "pipeline.json: stage Rollout has 51 actions, over CodePipeline's limit of 50" in err


def metric_filter(pattern: str) -> dict:
    return {
        "Type": "AWS::Logs::MetricFilter",
        "Properties": {"LogGroupName": "g", "FilterPattern": pattern, "MetricTransformations": []},
    }


def test_wave_health_filter_pattern_limit():
    """PutMetricFilter takes a pattern of at most 1,024 characters; a wave's health filter
    grows by a term per region, so the message names the wave."""
    at_limit = metric_filter("x" * limits.MAX_FILTER_PATTERN_CHARS)
    over = metric_filter("x" * (limits.MAX_FILTER_PATTERN_CHARS + 1))
    template = {
        "Resources": {"Wave1HealthFilter": at_limit, "Wave3HealthFilter": over, "Other": over}
    }
    assert limits.problems("logging.json", template, limits.PIPELINE_PATH) == [
        "logging.json: wave 3's health filter Wave3HealthFilter has a 1,025-character pattern, "
        "over CloudWatch Logs' limit of 1,024 (one term per region: split the wave into "
        "smaller waves)",
        "logging.json: metric filter Other has a 1,025-character pattern, over CloudWatch "
        "Logs' limit of 1,024",
    ]


def test_a_wave_too_wide_for_its_filter_is_refused(write_config):
    """Every target region in one wave, under a 20-character application name: the wave's
    health filter crosses the limit, and the build says so before linting or writing."""
    every = list(target_regions())

    def edit(raw):
        raw["application"]["name"] = "a" * 20
        raw["targets"].update(regions=every, waves=[every])

    with pytest.raises(BuildError) as caught:
        build(config.load(write_config(edit)))
    (problem,) = [p for p in caught.value.problems if "health filter" in p]
    assert problem.startswith("logging.json: wave 1's health filter Wave1HealthFilter has a ")


def test_data_blocks_past_the_limit_are_counted_in_the_message(tmp_path, capsys):
    """28 functions fit alone; with a table, a consumed queue and a schedule (the data key
    2, the table 1, the queue 4, the schedule 5 and its function's failure destination 1)
    they do not, and the message says what the data blocks cost."""
    raw = tomllib.loads(functions_config(tmp_path, limits.FUNCTIONS_WITH_FILTERS))
    raw["tables"] = {"orders": {"partition_key": "pk"}}
    raw["queues"] = {"jobs": {"consumer": "f01"}}
    raw["schedules"] = {"nightly": {"function": "f02", "expression": "rate(1 day)"}}
    path = tmp_path / "deployment.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    assert cli.main(["--config", str(path), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert (
        f"app.json: 504 {OVER} (28 functions, and 13 resources of tables, queues and "
        "schedules: a table costs 1, a queue 3 and 1 more with a consumer, a schedule 2 and a "
        "scheduled function 1, and once 2 for the data key and 3 for the schedules' group and "
        "dead letters): " + FILTERS
    ) in err
