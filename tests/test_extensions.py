"""Extensions: modules the config names that add to the templates. What one adds goes
through the build's checks like the stacks' own resources; one that raises, breaks the
contract or makes what a check refuses stops the build naming it, and writes nothing."""

from __future__ import annotations

import json
import re
import textwrap
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from generator import cli
from generator import config as config_module
from generator.build import BuildError, build, generate
from generator.extensions import ExtensionError
from generator.output.tree import read_tree
from tests.conftest import REPO, resources_of_type

HEADER = """\
from awacs import s3 as s3_actions
from awacs import ssm as ssm_actions
from troposphere import Ref, s3, ssm

from generator.blocks import policies
"""

# A resource that every check passes, a grant and an output, as the example does.
PARAMETER = """
TEMPLATES = ("app.json",)


def extend(stack):
    parameter = stack.add(
        ssm.Parameter("Settings", Name="/shop/settings", Type="String", Value="{}")
    )
    stack.function("api").role.allow(
        "ReadSettings", [ssm_actions.GetParameter], [policies.arn("ssm", "parameter/shop/settings")]
    )
    stack.output("SettingsParameter", Ref(parameter), "The settings.")
"""


@pytest.fixture
def extended(write_config: Callable[..., Path], tmp_path: Path) -> Callable[..., Path]:
    """A config in tmp_path whose one extension, extensions/ext.py, is `body`."""

    def write(body: str, header: str = HEADER) -> Path:
        module = tmp_path / "extensions" / "ext.py"
        module.parent.mkdir(exist_ok=True)
        module.write_text(header + textwrap.dedent(body), encoding="utf-8")

        def edit(raw: dict[str, Any]) -> None:
            raw["extensions"] = ["extensions/ext.py"]

        return write_config(edit)

    return write


def app(config_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = generate(config_module.load(config_path), dependency_cache=None).data[
        "app.json"
    ]
    return data


def test_what_an_extension_adds_is_in_the_template_tagged_and_granted(extended):
    template = app(extended(PARAMETER))
    settings = template["Resources"]["Settings"]
    assert settings["Type"] == "AWS::SSM::Parameter"
    assert settings["Properties"]["Tags"]["managed-by"] == "stackset-serverless"
    statements = [
        s
        for p in template["Resources"]["ApiRole"]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
    ]
    assert [s["Action"] for s in statements if s["Sid"] == "ReadSettings"] == [["ssm:GetParameter"]]
    assert template["Outputs"]["SettingsParameter"]["Export"] == {"Name": "shop-SettingsParameter"}


def test_the_execution_role_may_deploy_what_an_extension_adds(extended, write_config):
    def actions(path: Path) -> set[str]:
        role = generate(config_module.load(path), dependency_cache=None).data[
            "stackset-execution-role.json"
        ]
        return {
            action
            for policy in resources_of_type(role, "AWS::IAM::ManagedPolicy").values()
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            for action in statement["Action"]
        }

    plain = actions(write_config())
    added = actions(extended(PARAMETER)) - plain
    # AWS::SSM::Parameter's handlers list it; the version check, granted by version, does not.
    assert "ssm:DescribeParameters" in added


def test_an_extension_that_raises_stops_the_build_and_writes_nothing(extended, tmp_path, capsys):
    path = extended(
        """
        TEMPLATES = ("app.json",)


        def extend(stack):
            raise RuntimeError("no index for this region")
        """
    )
    out = tmp_path / "templates"
    out.mkdir()
    (out / "app.json").write_text("the last good build\n")
    args = ["--config", str(path), "--out", str(out), "--assets", str(tmp_path / "assets")]
    assert cli.main(args) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "templates not written; extension extensions/ext.py: extending app.json raised" in err
    assert "RuntimeError: no index for this region at line 11" in err
    assert "Traceback" not in err
    assert read_tree(out) == {"app.json": "the last good build\n"}
    assert not (tmp_path / "assets").exists()


def test_an_extension_that_exits_is_an_extension_that_failed(extended):
    path = extended('TEMPLATES = ("app.json",)\n\n\ndef extend(stack):\n    raise SystemExit(0)\n')
    with pytest.raises(ExtensionError, match=r"extending app\.json raised SystemExit: 0 at line"):
        generate(config_module.load(path), dependency_cache=None)


def test_an_extension_that_cannot_be_imported_is_named(extended):
    path = extended("TEMPLATES = ('app.json',)\nimport no_such_module\n")
    with pytest.raises(ExtensionError, match=r"extension extensions/ext\.py: importing it raised"):
        generate(config_module.load(path), dependency_cache=None)


@pytest.mark.parametrize(
    "body, message",
    [
        ("def extend(stack):\n    pass\n", "define TEMPLATES"),
        ("TEMPLATES = ('app.json',)\n", r"define `def extend\(ctx: ExtensionContext\)"),
        ("TEMPLATES = ('app.json',)\ndef extend():\n    pass\n", "must take one argument"),
        (
            "TEMPLATES = ('stackset-execution-role.json',)\ndef extend(stack):\n    pass\n",
            "TEMPLATES names 'stackset-execution-role.json'",
        ),
    ],
)
def test_the_contract_is_checked_when_loaded(extended, body, message):
    with pytest.raises(ExtensionError, match=message):
        generate(config_module.load(extended(body)), dependency_cache=None)


@pytest.mark.parametrize(
    "body, finding",
    [
        (
            """
            TEMPLATES = ("app.json",)


            def extend(stack):
                stack.add(s3.Bucket("Uploads"))
            """,
            r"app\.json: \[bucket-hardening\] Uploads: .*\(added or changed by extension "
            r"extensions/ext\.py\)",
        ),
        (
            """
            TEMPLATES = ("app.json",)


            def extend(stack):
                stack.function("api").role.allow("ReadAll", [s3_actions.GetObject], ["*"])
            """,
            r"app\.json: \[iam-audit\] ApiRole: .*\(added or changed by extension "
            r"extensions/ext\.py\)",
        ),
    ],
    ids=["unencrypted-bucket", "wildcard-statement"],
)
def test_a_finding_on_what_an_extension_made_names_it(extended, body, finding):
    with pytest.raises(BuildError) as raised:
        build(config_module.load(extended(body)), run_lint=False, dependency_cache=None)
    named = [p for p in raised.value.problems if "extensions/ext.py" in p]
    assert named, raised.value.problems
    assert all(re.search(finding, p) for p in named), named


def test_a_finding_on_the_stacks_own_resources_names_no_extension(extended, monkeypatch):
    from generator import checks

    def refuse_the_function(template: dict[str, Any]) -> list[checks.Finding]:
        found = resources_of_type(template, "AWS::Lambda::Function")
        return [checks.Finding("test", logical_id, "refused") for logical_id in found]

    monkeypatch.setattr(checks, "all_checks", lambda: [refuse_the_function])
    with pytest.raises(BuildError) as raised:
        build(config_module.load(extended(PARAMETER)), run_lint=False, dependency_cache=None)
    assert "app.json: [test] ApiFunction: refused" in raised.value.problems


@pytest.mark.parametrize(
    "change, refused",
    [
        ("stack.function('api').function.MemorySize = 1024", r"changed ApiFunction"),
        ("stack.function('api').alias.Description = 'mine'", r"changed ApiAliasLive"),
        ("del stack.template.resources['ApiLogGroup']", r"removed ApiLogGroup"),
        ("stack.template.set_transform('MyMacro')", r"changed Transform of app\.json"),
        ("stack.template.add_mapping('M', {'a': {'b': 'c'}})", r"changed Mappings"),
        (
            "stack.add(__import__('troposphere.cloudformation').cloudformation.Stack("
            "'Nested', TemplateURL='https://example.com/t.json'))",
            r"added Nested \(AWS::CloudFormation::Stack\) to app\.json; what it deploys",
        ),
    ],
)
def test_an_extension_only_adds_what_the_checks_read(extended, change, refused):
    path = extended(f'TEMPLATES = ("app.json",)\n\n\ndef extend(stack):\n    {change}\n')
    with pytest.raises(ExtensionError, match=rf"extension extensions/ext\.py: {refused}"):
        generate(config_module.load(path), dependency_cache=None)


def test_the_version_is_the_same_with_an_extension_as_without(extended, write_config):
    def versions(path: Path) -> dict[str, Any]:
        template = app(path)
        return {
            k: v["Properties"]["CodeSha256"]
            for k, v in resources_of_type(template, "AWS::Lambda::Version").items()
        }

    assert versions(extended(PARAMETER)) == versions(write_config())


def test_the_search_example_reads_the_parameter_its_extension_adds():
    built = generate(config_module.load(REPO / "examples" / "search.toml"))
    template = built.data["app.json"]
    settings = template["Resources"]["SearchSettings"]["Properties"]
    assert json.loads(settings["Value"])["terms"]
    function = template["Resources"]["ApiFunction"]["Properties"]
    assert function["Environment"]["Variables"]["SETTINGS_PARAMETER"] == settings["Name"]
    statements = [
        s
        for p in template["Resources"]["ApiRole"]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
    ]
    [read] = [s for s in statements if s["Sid"] == "ReadSearchSettings"]
    assert read["Action"] == ["ssm:GetParameter"]
    arn = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
    assert read["Resource"] == [{"Fn::Sub": arn + settings["Name"]}]
    # Its package, installed from examples/wheels for the function's arm64.
    [api] = [a for a in built.assets if a.function == "api"]
    with zipfile.ZipFile(BytesIO(api.data)) as archive:
        assert "ahocorasick.cpython-311-aarch64-linux-gnu.so" in archive.namelist()


def test_a_cfn_lint_finding_on_what_an_extension_added_names_it(extended):
    path = extended(
        """
        TEMPLATES = ("app.json",)


        def extend(stack):
            stack.add(ssm.Parameter("Settings", Type="Strin", Value="{}"))
        """
    )
    with pytest.raises(BuildError) as raised:
        build(config_module.load(path), dependency_cache=None)
    named = [p for p in raised.value.problems if "(added or changed by extension" in p]
    assert named, raised.value.problems
    assert all(
        p.startswith("app.json: E") and "Resources/Settings/" in p and "extensions/ext.py" in p
        for p in named
    ), named


def test_the_pipeline_may_deploy_what_an_extension_adds_to_the_home_stacks(extended, write_config):
    def ssm_actions(path: Path) -> set[str]:
        pipeline = generate(config_module.load(path), dependency_cache=None).data["pipeline.json"]
        return set(re.findall(r'"(ssm:[A-Za-z]+)"', json.dumps(pipeline)))

    assert ssm_actions(write_config()) == set()
    added = ssm_actions(
        extended(
            """
            TEMPLATES = ("logging.json", "pipeline.json")


            def extend(stack):
                stack.add(
                    ssm.Parameter(f"{stack.file.split('.')[0]}Note", Type="String", Value="x")
                )
            """
        )
    )
    assert {"ssm:PutParameter", "ssm:DeleteParameter"} <= added
