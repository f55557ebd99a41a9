"""What every stack does alike: the config's tags on every resource that takes them, the
generator and config named in the metadata, and outputs that say what they are."""

from __future__ import annotations

import json

import pytest

from generator import config as config_module
from generator.blocks.substitutions import PLACEHOLDER, REGIONAL, sub
from generator.blocks.tags import tag_form
from generator.build import generate
from generator.config.errors import ConfigError
from generator.stacks import REGISTRY

TAGS = {"team": "payments", "cost-center": "4711"}


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    from tests.conftest import REFERENCE, write_project

    raw = json.loads(json.dumps(REFERENCE))
    raw["application"]["tags"] = TAGS
    # A global table, so that every template of the registry is there.
    raw["tables"] = {
        "ledger": {"partition_key": "pk", "replication": "global", "stream": "KEYS_ONLY"}
    }
    raw["domain"] = {
        "name": "api.example.com",
        "hosted_zone_id": "Z0123456789EXAMPLE01",
        "hosted_zone_account": "111122223333",
    }
    raw["targets"]["central_account"] = "111122223333"
    root = tmp_path_factory.mktemp("tagged")
    return generate(config_module.load(write_project(root, raw)))


@pytest.mark.parametrize("file", [spec.file for spec in REGISTRY])
def test_every_resource_that_takes_tags_carries_the_configs(tagged, file):
    expected = {"application": "shop", "managed-by": "stackset-serverless", **TAGS}
    template = json.loads(tagged.files[file])
    taggable = 0
    for logical_id, resource in template["Resources"].items():
        form = tag_form(resource["Type"])
        tags = resource.get("Properties", {}).get("Tags")
        if form is None:
            assert tags is None, logical_id
            continue
        taggable += 1
        found = {t["Key"]: t["Value"] for t in tags} if form == "list" else tags
        assert expected.items() <= found.items(), logical_id
    assert taggable


def test_the_stack_sets_carry_the_tags_too(tagged):
    for name in ("app", "bootstrap", "data-keys", "data"):
        definition = json.loads(tagged.files[f"stacksets/{name}.stack-set.json"])
        assert {"Key": "team", "Value": "payments"} in definition["Tags"]


def test_the_type_schemas_decide_the_form():
    assert tag_form("AWS::Lambda::Function") == "list"
    assert tag_form("AWS::SSM::Parameter") == "map"  # a map of key to value
    assert tag_form("AWS::Lambda::Version") is None


@pytest.mark.parametrize(
    "tags, message",
    [
        ({"aws:owner": "x"}, "the aws: prefix is AWS's own"),
        ({"k" * 129: "x"}, "must have 1-128"),
        ({"team": "x" * 257}, "at most 256"),
        ({f"t{i}": "x" for i in range(41)}, "at most 40 tags"),
    ],
)
def test_bad_tags_name_the_field(write_config, tags, message):
    def edit(raw):
        raw["application"]["tags"] = tags

    with pytest.raises(ConfigError) as error:
        config_module.load(write_config(edit))
    assert "application.tags" in str(error.value) and message in str(error.value)


def test_metadata_names_the_generator_and_the_config(write_config, reference_build):
    import generator

    meta = json.loads(reference_build.files["app.json"])["Metadata"]["Generator"]
    assert meta["Name"] == "stackset-serverless"
    assert meta["Version"] == generator.__version__
    changed = config_module.load(
        write_config(lambda raw: raw["functions"]["api"].update(memory=512))
    )
    assert changed.digest != meta["Config"]
    same = config_module.load(write_config())
    assert same.digest == meta["Config"]  # the values count, not where the file is


@pytest.mark.parametrize("file", [spec.file for spec in REGISTRY])
def test_outputs_say_what_they_are_and_are_exported(tagged, file):
    outputs = json.loads(tagged.files[file]).get("Outputs", {})
    assert outputs
    for name, output in outputs.items():
        assert output["Description"], name
        assert output["Export"]["Name"] == f"shop-{name}"


def test_the_outputs_a_newcomer_looks_for(reference_build):
    def names(file):
        return set(json.loads(reference_build.files[file])["Outputs"])

    assert {"ApiEndpoint", "ApiAliasArn"} <= names("app.json")
    assert {"DashboardUrl", "AlertTopicArn", "LogBucketName", "EventBusArn"} <= names(
        "logging.json"
    )
    assert {"PipelineName", "ConnectionArn", "ApprovalTopicArn"} <= names("pipeline.json")


def _substitutions(value: object) -> list[tuple[str, dict[str, object]]]:
    """Every Fn::Sub in `value`: its text and its variables."""
    if isinstance(value, list):
        return [found for item in value for found in _substitutions(item)]
    if not isinstance(value, dict):
        return []
    found = [f for item in value.values() for f in _substitutions(item)]
    if "Fn::Sub" in value:
        body = value["Fn::Sub"]
        found.append((body, {}) if isinstance(body, str) else (body[0], body[1]))
    return found


@pytest.mark.parametrize("file", [spec.file for spec in REGISTRY])
def test_a_substitution_of_the_region_names_no_resource_inline(tagged, file):
    """cfn-lint resolves a resource named inline after every combination of the regional
    parts, a second for each in 30 regions (generator/blocks/substitutions.py)."""
    template = json.loads(tagged.files[file])
    resources = set(template["Resources"])
    checked = 0
    for text, variables in _substitutions(template):
        inline = set(PLACEHOLDER.findall(text)) - variables.keys()
        if inline & REGIONAL:
            checked += 1
            assert not {n for n in inline if n.split(".")[0] in resources}, text
    assert checked


def test_a_resource_named_inline_is_refused():
    with pytest.raises(ValueError, match="names Api inline; pass each as a variable"):
        sub("${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}")
    with pytest.raises(ValueError, match="does not name Stage"):
        sub("${Api}.execute-api.${AWS::Region}", Api="abc", Stage="live")
    text = sub("${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}", Api="abc").to_dict()
    assert text["Fn::Sub"][1] == {"Api": "abc"}
