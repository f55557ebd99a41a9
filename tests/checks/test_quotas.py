"""CloudFormation's and IAM's quotas: a config that would cross one fails before anything
is written, with the template, the limit and the count in the message."""

from __future__ import annotations

import shutil

import pytest
import tomli_w

from generator import cli
from generator.checks import quotas as limits
from generator.output.render import size
from generator.stacks import BY_FILE
from tests.config.support import tree_digest
from tests.conftest import FIXTURES


def functions_config(tmp_path, count: int) -> str:
    """`count` functions with one route each, and the health path that route serves."""
    functions = {}
    for i in range(1, count + 1):
        name = f"f{i:02d}"
        shutil.copytree(FIXTURES / "functions" / "api", tmp_path / name)
        functions[name] = {"source": name, "routes": [f"GET /{name}"], "health_path": f"/{name}"}
    return tomli_w.dumps({"application": {"name": "shop"}, "functions": functions})


@pytest.mark.parametrize("count, fits", [(28, True), (29, False)])
def test_functions_per_application_stack(count, fits, tmp_path, capsys):
    path = tmp_path / "deployment.toml"
    path.write_text(functions_config(tmp_path, count))
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
        assert "app.json: 508 resources, over CloudFormation's limit of 500 per template" in err
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
    assert limits.problems("t.json", template, limits.FROM_S3) == [
        "t.json: 201 parameters, over CloudFormation's limit of 200 per template",
        "t.json: 201 outputs, over CloudFormation's limit of 200 per template",
        "t.json: 201 mappings, over CloudFormation's limit of 200 per template",
    ]


@pytest.mark.parametrize(
    "name, limit, how",
    [
        ("pipeline.json", 51_200, "an inline TemplateBody"),
        ("app.json", 460_800, "a CodePipeline StackSet TemplatePath"),
        ("logging.json", 1_048_576, "a template read from S3"),
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
    found = limits.problems("t.json", template, limits.FROM_S3)
    assert len(found) == 2
    assert found[0].startswith("t.json: role Role has 11,") and "IAM's limit of 10,240" in found[0]
    assert found[1].startswith("t.json: managed policy Managed has 11,")
    assert "IAM's limit of 6,144" in found[1]
