"""Bad config gets one clear message naming the file, the field and what is allowed;
exit status 2; and templates/ stays exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import config
from generator.config.errors import FieldErrors, annotation_at, describe, nearest
from generator.config.regions import target_regions
from tests.config.support import run_cli, tree_digest, write_toml

Edit = Callable[[dict[str, Any]], None]


def _api(**changes: Any) -> Edit:
    return lambda raw: raw["functions"]["api"].update(changes)


# case: (edit of the reference config, fragments the message must contain)
BAD_INPUTS: dict[str, tuple[Edit, list[str]]] = {
    "wrong type": (_api(memory="lots"), ["functions.api.memory", "valid integer", "'lots'"]),
    "out of range": (_api(memory=64), ["functions.api.memory", "greater than or equal to 128"]),
    "unknown key": (
        lambda raw: raw["application"].update(colour="blue"),
        ["application.colour", "unknown key", "allowed keys: name, home_region"],
    ),
    "unknown function key, a close miss": (
        _api(memroy=512),
        ["functions.api.memroy: unknown key (did you mean 'memory'?); allowed keys: source"],
    ),
    "unknown section, a close miss": (
        lambda raw: raw.update(aplication={"name": "x"}),
        ["aplication: unknown key (did you mean 'application'?)"],
    ),
    "unknown grant key, a close miss": (
        _api(permissions=[{"actions": ["s3:GetObject"], "resource": ["arn:aws:s3:::b/*"]}]),
        [
            "functions.api.permissions.0.resource: unknown key (did you mean 'resources'?)",
            "functions.api.permissions.0.resources: required but missing",
        ],
    ),
    "architecture, a close miss": (
        _api(architecture="arm"),
        ["functions.api.architecture", "'arm64' or 'x86_64'", "did you mean 'arm64'?"],
    ),
    "architecture, wrong case": (
        _api(architecture="X86_64"),
        ["functions.api.architecture", "did you mean 'x86_64'?"],
    ),
    "log level, a close miss": (
        lambda raw: raw["application"].update(log_level="WARN"),
        ["application.log_level", "did you mean 'WARNING'?"],
    ),
    "log level override, a close miss": (
        lambda raw: raw["targets"].update(log_level_overrides={"us-east-1": "DEBG"}),
        ["targets.log_level_overrides.us-east-1", "did you mean 'DEBUG'?"],
    ),
    "bad strategy": (
        lambda raw: raw["deployment"].update(strategy="CodeDeployDefault.LambdaCanary50Percent"),
        [
            "deployment.strategy",
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            "CodeDeployDefault.LambdaAllAtOnce",
            "did you mean 'CodeDeployDefault.LambdaCanary10Percent",
        ],
    ),
    "unknown region": (
        lambda raw: raw["targets"].update(
            regions=["eu-west-1", "eu-wset-2"], waves=[["eu-west-1"], ["eu-wset-2"]]
        ),
        [
            "targets.regions.1: unknown region 'eu-wset-2'; the nearest valid ones: eu-west-2, ",
            "(of the 30 regions that offer the Powertools layer)",
        ],
    ),
    "unknown home region": (
        lambda raw: raw["application"].update(home_region="eu-wset-1"),
        ["application.home_region: unknown region 'eu-wset-1'; the nearest valid ones: eu-west-1"],
    ),
    "region without the Powertools layer": (
        lambda raw: raw["targets"].update(
            regions=["eu-west-1", "me-central-1"], waves=[["eu-west-1"], ["me-central-1"]]
        ),
        [
            "targets.regions.1: 'me-central-1': AWS does not publish the Powertools",
            "/aws/service/powertools/python/<arch>/python3.11/<version>",
            "Remove it from targets.regions",
        ],
    ),
    "PARALLEL pipeline": (
        lambda raw: raw["pipeline"].update(execution_mode="PARALLEL"),
        [
            "pipeline.execution_mode: PARALLEL is not allowed",
            "same stack set at once",
            "stage rollback is not available",
            "execution-modes.html",
            "'QUEUED' (the default) or 'SUPERSEDED'",
        ],
    ),
    "hook reserved concurrency below 1": (
        lambda raw: raw["deployment"].update(hook_reserved_concurrency=0),
        ["deployment.hook_reserved_concurrency", "greater than or equal to 1"],
    ),
    "bucket prefix S3 reserves": (
        lambda raw: raw["application"].update(artifact_bucket_prefix="sthree"),
        [
            "application.artifact_bucket_prefix: the artifact bucket name "
            "'sthree-<account>-<region>' starts with 'sthree-', a prefix S3 reserves",
            "bucketnamingrules.html",
        ],
    ),
    "application name S3 reserves": (
        lambda raw: raw["application"].update(name="xn--shop"),
        ["application.name", "'xn--shop-central-logs-<account>-<region>'", "'xn--'"],
    ),
    "bucket prefix too long": (
        lambda raw: raw["application"].update(artifact_bucket_prefix="a" * 36),
        [
            "application.artifact_bucket_prefix",
            "would have 64 characters",
            "longest region (ap-northeast-1)",
            "at most 35",
        ],
    ),
    "health path no route serves": (
        _api(routes=["GET /hello", "POST /health"]),
        [
            "functions.api.health_path: the pre-traffic hook requests GET /health",
            "(GET /hello, POST /health)",
        ],
    ),
    "handler module missing": (
        _api(handler="main.handler"),
        ["functions.api.handler: module file 'main.py' of handler 'main.handler' is not in"],
    ),
    "missing function folder": (
        _api(source="functions/nowhere"),
        ["functions.api.source", "'functions/nowhere' does not exist"],
    ),
    "empty source": (_api(source=""), ["functions.api.source: names no folder"]),
    "source is the project": (
        _api(source="."),
        ["functions.api.source: '.' is ", "holds the config file itself", ".venv"],
    ),
    "source above the project": (
        _api(source="functions/../.."),
        ["functions.api.source: 'functions/../..' is outside the config's folder"],
    ),
    "absolute source": (_api(source="/usr/lib"), ["functions.api.source: '/usr/lib' is absolute"]),
    "bad retention": (
        lambda raw: raw["application"].update(log_retention_days=31),
        ["application.log_retention_days", "31 is not a CloudWatch Logs retention", "30"],
    ),
    "bad route": (
        _api(routes=["FETCH /x"]),
        ["functions.api.routes", "'FETCH /x' is not a route key"],
    ),
    "greedy variable before the end": (
        _api(routes=["GET /health", "ANY /{proxy+}/edit"]),
        ["functions.api.routes", "greedy path variable ({name+}) must be the last segment"],
    ),
    "reserved environment name": (
        _api(environment={"AWS_REGION": "x"}),
        ["functions.api.environment", "'AWS_REGION' is not allowed", "reserved"],
    ),
    "empty wave": (
        lambda raw: raw["targets"].update(
            waves=[["eu-west-1"], [], ["us-east-1", "ap-southeast-2"]]
        ),
        ["targets", "wave 2 is empty"],
    ),
    "duplicate region in waves": (
        lambda raw: raw["targets"].update(
            waves=[["eu-west-1", "us-east-1"], ["us-east-1", "ap-southeast-2"]]
        ),
        ["targets", "'us-east-1' appears in more than one wave"],
    ),
    "region missing from waves": (
        lambda raw: raw["targets"].update(waves=[["eu-west-1"], ["us-east-1"]]),
        ["targets", "regions missing from the waves: ap-southeast-2"],
    ),
    "route claimed twice": (
        lambda raw: raw["functions"].update(
            orders={"source": "functions/orders", "routes": ["GET /health"]}
        ),
        ["functions.orders.routes: route 'GET /health' is claimed by both 'api' and 'orders'"],
    ),
    "unknown action in a grant": (
        _api(permissions=[{"actions": ["dynamodb:GetItems"], "resources": ["arn:aws:x"]}]),
        [
            "functions.api.permissions.0.actions.0: 'dynamodb:GetItems' is not an IAM action",
            "functions.api.permissions.0.resources.0: 'arn:aws:x' is not an ARN",
        ],
    ),
    "wildcard action in a grant": (
        _api(permissions=[{"actions": ["dynamodb:Get*"], "resources": ["arn:aws:s3:::b"]}]),
        ["functions.api.permissions.0.actions.0", "without wildcards"],
    ),
    "star resource for a scoped action": (
        _api(permissions=[{"actions": ["dynamodb:GetItem"], "resources": ["*"]}]),
        ["functions.api.permissions.0.resources.0", "dynamodb:GetItem", "name them"],
    ),
    "star beside an ARN": (
        _api(
            permissions=[
                {"actions": ["xray:PutTraceSegments"], "resources": ["arn:aws:s3:::b", "*"]}
            ]
        ),
        ["functions.api.permissions.0.resources.1: '*' already covers every resource"],
    ),
    "grant resource not an ARN": (
        _api(
            permissions=[
                {"actions": ["dynamodb:GetItem"], "resources": ["arn:aws:s3:::b", "table/orders"]}
            ]
        ),
        [
            "functions.api.permissions.0.resources.1: 'table/orders' is not an ARN",
            "reference-arns.html",
        ],
    ),
    "grant resource with an unknown variable": (
        _api(
            permissions=[
                {
                    "actions": ["dynamodb:GetItem"],
                    "resources": ["arn:aws:dynamodb:${AWS::Region}:${Account}:table/orders"],
                }
            ]
        ),
        ["functions.api.permissions.0.resources.0", "${Account} is not filled in"],
    ),
    "bad account id": (
        lambda raw: raw["targets"].update(accounts=["12345"]),
        ["targets.accounts", "'12345' is not a 12-digit AWS account id"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_named_and_nothing_is_written(
    case: str,
    write_config: Callable[..., Path],
    out_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    edit, expected = BAD_INPUTS[case]
    path = write_config(edit)
    before = tree_digest(out_dir)

    code, err = run_cli(path, out_dir, capsys)

    assert code == 2
    assert f"{path}: " in err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} missing from:\n{err}"
    assert "Traceback" not in err
    assert tree_digest(out_dir) == before
    assert not (out_dir.parent / "assets").exists()


def test_a_bad_region_names_three_neighbours_not_every_region(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(lambda raw: raw["application"].update(home_region="us-eats-1"))
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    (problem,) = caught.value.problems
    named = [r for r in target_regions() if r in problem]
    assert len(named) == 3 and "us-east-1" in named


def test_every_problem_is_reported_at_once(write_config: Callable[..., Path]) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["functions"]["api"]["memory"] = "x"
        raw["functions"]["api"]["timeout"] = 0
        raw["application"]["artifact_bucket_prefix"] = "sthree"
        raw["application"]["name"] = "amzn-s3-demo"

    with pytest.raises(config.ConfigError) as caught:
        config.load(write_config(edit))
    fields = [p.split(":")[0] for p in caught.value.problems]
    assert fields == [
        "application.artifact_bucket_prefix",
        "application.name",
        "functions.api.memory",
        "functions.api.timeout",
    ]


def test_field_errors_name_each_field_below_the_model() -> None:
    error = {
        "type": "value_error",
        "loc": ("functions", "api"),
        "msg": "Value error, x",
        "input": {},
        "ctx": {"error": FieldErrors([(("health_path",), "a"), (("handler",), "b")])},
    }
    lines = list(describe(error, config.Config))  # type: ignore[arg-type]
    assert lines == ["functions.api.health_path: a", "functions.api.handler: b"]


def test_annotation_at_follows_models_dicts_lists_and_optionals() -> None:
    assert annotation_at(config.Config, ("functions", "x", "permissions", 0)) is config.Grant
    assert annotation_at(config.Config, ("deployment", "hook_reserved_concurrency")) is int
    assert annotation_at(config.Config, ("functions", "x", "nowhere")) is None


def test_nearest_ignores_case_and_keeps_the_choice_spelling() -> None:
    assert nearest("WARN", ["DEBUG", "INFO", "WARNING", "ERROR"]) == ["WARNING"]
    assert nearest("xyz", ["DEBUG", "INFO"]) == []


def test_invalid_toml_names_the_line(
    tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deployment.toml"
    path.write_text('[application]\nname = "shop\n', encoding="utf-8")  # invalid on purpose
    code, err = run_cli(path, out_dir, capsys)
    assert code == 2
    assert str(path) in err and "not valid TOML" in err and "line 2" in err


def test_control_characters_reach_the_field_not_the_toml_parser(project: Path) -> None:
    """tomli_w escapes what a hand-written writer emitted raw (memory = '\\x7f')."""
    path = write_toml(project / "deployment.toml", {"functions": {"api": {"memory": "\x7f"}}})
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    assert any(p.startswith("functions.api.memory: ") for p in caught.value.problems)
