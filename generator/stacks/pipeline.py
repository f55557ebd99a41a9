"""The release pipeline: CodePipeline V2 in the home region, central account.

Source → Build (tests, staleness check, zips) → UpdatePipeline (the pipeline deploys its
own template first, so a pipeline change ships itself) → Foundation (logging stack, then
the bootstrap StackSet, which owns the artifact buckets) → Publish (zips to every
region's bucket) → Wave1 (the app StackSet, first wave's regions) → Wave2… (approval,
then the StackSet's instances in that wave's regions). Failure tolerance 0 stops the
rollout at the first failed region; CodeDeploy has already rolled that region back.
https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StackSets.html
"""

from __future__ import annotations

from awacs import cloudformation as cfn
from awacs import codebuild as codebuild_actions
from awacs import codeconnections as connections_actions
from awacs import codepipeline as codepipeline_actions
from awacs import events as events_actions
from awacs import kms as kms_actions
from awacs import s3 as s3_actions
from awacs import sns as sns_actions
from awacs import sts as sts_actions
from awacs.aws import StringEquals, StringLike
from troposphere import (
    GetAtt,
    Join,
    Output,
    Ref,
    Sub,
    Template,
    codebuild,
    codeconnections,
    codepipeline,
    events,
    logs,
    s3,
)

from generator import vocabulary as naming
from generator.blocks import buckets, principals
from generator.blocks import policies as iam
from generator.config import Config
from generator.permissions import deployer
from generator.stacks.central_logging import PIPELINE_STATE

BUILDSPEC = "buildspec.yml"
PUBLISH_BUILDSPEC = "buildspec-publish.yml"
SOURCE_OUTPUT = "SourceOutput"
BUILD_OUTPUT = "BuildOutput"
ADMIN_ROLE = "AWSCloudFormationStackSetAdministrationRole"
EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"
# CodeBuild's Amazon Linux 2023 standard images with Python 3.11 among their runtimes.
# https://docs.aws.amazon.com/codebuild/latest/userguide/available-runtimes.html
BUILD_IMAGES = {
    "arm64": ("ARM_CONTAINER", "aws/codebuild/amazonlinux-aarch64-standard:3.0"),
    "x86_64": ("LINUX_CONTAINER", "aws/codebuild/amazonlinux-x86_64-standard:5.0"),
}


def build(config: Config, deployed_templates: dict[str, dict]) -> Template:
    """`deployed_templates`: the other templates by file name, for the deployer's rights."""
    return ReleasePipeline(config, deployed_templates).template


class ReleasePipeline:
    def __init__(self, config: Config, deployed_templates: dict[str, dict]) -> None:
        self.config = config
        self.app = config.application.name
        self.pipeline_name = f"{self.app}-release"
        self.template = Template(
            Description=f"{self.app}: release pipeline (CodePipeline V2, CodeBuild, StackSet "
            "waves). One stack in the home region of the central account."
        )
        self.key = buckets.customer_key(
            self.template,
            "PipelineKey",
            description=f"{self.app}: pipeline artifacts and build logs",
            alias=f"{self.app}-pipeline",
            grants=[
                buckets.account_through_s3(
                    "AccountUsesKeyThroughS3",
                    [
                        kms_actions.Encrypt,
                        kms_actions.Decrypt,
                        kms_actions.GenerateDataKey,
                        kms_actions.DescribeKey,
                    ],
                ),
                buckets.logs_grant("CloudWatchLogsEncryptsBuildLogs"),
            ],
        )
        self.access_logs = buckets.access_log_bucket(
            self.template, self.key, config.logging.access_log_expire_days
        )
        self.bucket = buckets.hardened_bucket(
            self.template,
            "ArtifactBucket",
            name=None,
            key=self.key,
            lifecycle=[
                buckets.expire_after("ExpireArtifacts", config.pipeline.artifact_expire_days)
            ],
            access_logs=buckets.AccessLogs(self.access_logs, "pipeline-artifacts/"),
        )
        self.source = self._source()
        self.build_project = self._project(
            "Build",
            BUILDSPEC,
            "Tests, staleness check of templates/, function zips.",
            self._build_statements,
        )
        self.publish_project = self._project(
            "Publish",
            PUBLISH_BUILDSPEC,
            "Uploads the built function zips to every region's bucket.",
            self._publish_statements,
            {"TARGET_REGIONS": " ".join(config.targets.regions)},
        )
        self.admin_role_arn = self._stackset_admin_role()
        self.deploy_role = self._cloudformation_role()
        self.pipeline = self._pipeline()
        self._notifications()
        self._deploy_permissions(deployed_templates)

    # --- shared ---------------------------------------------------------------------

    def _artifact_access(self, sid: str, *, write: bool):
        actions = [s3_actions.GetObject, s3_actions.GetObjectVersion]
        if write:
            actions.append(s3_actions.PutObject)
        return [
            iam.allow(sid, actions, [Join("", [GetAtt(self.bucket, "Arn"), "/*"])]),
            iam.allow(
                f"{sid}Bucket",
                [
                    s3_actions.GetBucketLocation,
                    s3_actions.GetBucketVersioning,
                    s3_actions.ListBucket,
                ],
                [GetAtt(self.bucket, "Arn")],
            ),
            iam.allow(
                f"{sid}Key",
                [kms_actions.Decrypt, kms_actions.GenerateDataKey, kms_actions.DescribeKey],
                [GetAtt(self.key, "Arn")],
            ),
        ]

    def _central_account(self):
        return self.config.targets.central_account or Ref("AWS::AccountId")

    # --- source ---------------------------------------------------------------------

    def _source(self):
        pipeline = self.config.pipeline
        if pipeline.source == "s3":
            bucket = buckets.hardened_bucket(
                self.template,
                "SourceBucket",
                name=None,
                key=self.key,
                lifecycle=[buckets.keep_current("ExpireOldSources", noncurrent_days=30)],
                access_logs=buckets.AccessLogs(self.access_logs, "pipeline-source/"),
            )
            bucket.NotificationConfiguration = s3.NotificationConfiguration(
                EventBridgeConfiguration=s3.EventBridgeConfiguration(EventBridgeEnabled=True)
            )
            return bucket
        if pipeline.connection_arn:
            return pipeline.connection_arn
        # A new connection starts PENDING: approve it once in the console (Developer
        # Tools > Settings > Connections) before the first run.
        # https://docs.aws.amazon.com/dtconsole/latest/userguide/connections-update.html
        return self.template.add_resource(
            codeconnections.Connection(
                "SourceConnection",
                ConnectionName=f"{self.app}-source"[:32],
                ProviderType=pipeline.provider,
            )
        )

    def _connection_arn(self):
        return self.source if isinstance(self.source, str) else GetAtt(self.source, "ConnectionArn")

    def _source_action(self) -> codepipeline.Actions:
        pipeline = self.config.pipeline
        if pipeline.source == "s3":
            return codepipeline.Actions(
                Name="Source",
                ActionTypeId=codepipeline.ActionTypeId(
                    Category="Source", Owner="AWS", Provider="S3", Version="1"
                ),
                Configuration={
                    "S3Bucket": Ref(self.source),
                    "S3ObjectKey": pipeline.source_object_key,
                    "PollForSourceChanges": "false",
                },
                OutputArtifacts=[codepipeline.OutputArtifacts(Name=SOURCE_OUTPUT)],
                RunOrder=1,
            )
        return codepipeline.Actions(
            Name="Source",
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Source", Owner="AWS", Provider="CodeStarSourceConnection", Version="1"
            ),
            Configuration={
                "ConnectionArn": self._connection_arn(),
                "FullRepositoryId": pipeline.repository,
                "BranchName": pipeline.branch,
                "OutputArtifactFormat": "CODE_ZIP",
            },
            OutputArtifacts=[codepipeline.OutputArtifacts(Name=SOURCE_OUTPUT)],
            RunOrder=1,
        )

    # --- CodeBuild ------------------------------------------------------------------

    def _build_statements(self, project: str, log_group: logs.LogGroup) -> list:
        reports = iam.arn("codebuild", f"report-group/{project}-*")
        return [
            *self._artifact_access("BuildArtifacts", write=True),
            iam.write_log_group("WriteBuildLogs", log_group.title),
            iam.allow(
                "PublishTestReports",
                [
                    codebuild_actions.CreateReportGroup,
                    codebuild_actions.CreateReport,
                    codebuild_actions.UpdateReport,
                    codebuild_actions.BatchPutTestCases,
                    codebuild_actions.BatchPutCodeCoverages,
                ],
                [reports],
            ),
        ]

    def _publish_statements(self, project: str, log_group: logs.LogGroup) -> list:
        prefix = self.config.application.bucket_prefix
        statements = [
            *self._artifact_access("ReadSource", write=False),
            iam.write_log_group("WritePublishLogs", log_group.title),
            iam.wildcard_only("IdentifyAccountWildcardOnly", [sts_actions.GetCallerIdentity]),
        ]
        # Every region's bucket is `<prefix>-<account>-<region>`: one pattern covers them
        # all and keeps the policy one size however many regions there are.
        code = f"arn:${{AWS::Partition}}:s3:::{prefix}-${{AWS::AccountId}}-*"
        statements += [
            # ListBucket lets HeadObject answer 404 rather than 403 for a missing key.
            iam.allow("ListCodeBuckets", [s3_actions.ListBucket], [Sub(code)]),
            iam.allow("PutCode", [s3_actions.GetObject, s3_actions.PutObject], [Sub(f"{code}/*")]),
            iam.allow(
                "EncryptCodeThroughS3",
                [kms_actions.GenerateDataKey, kms_actions.Encrypt, kms_actions.DescribeKey],
                [Sub("arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*")],
                StringLike({"kms:ViaService": "s3.*.amazonaws.com"}),
            ),
        ]
        return statements

    def _project(
        self, title: str, buildspec: str, description: str, statements, variables=None
    ) -> codebuild.Project:
        name = f"{self.app}-{title.lower()}"
        log_group = self.template.add_resource(
            logs.LogGroup(
                f"{title}LogGroup",
                LogGroupName=f"/aws/codebuild/{name}",
                RetentionInDays=self.config.application.log_retention_days,
                KmsKeyId=GetAtt(self.key, "Arn"),
            )
        )
        role = self.template.add_resource(
            iam.role(
                f"{title}ProjectRole",
                iam.service_trust(
                    "codebuild.amazonaws.com",
                    StringEquals({"aws:SourceAccount": Ref("AWS::AccountId")}),
                ),
                statements(name, log_group),
                description=f"CodeBuild project {name}: {description}",
            )
        )
        compute, image = BUILD_IMAGES[self.config.pipeline.build_architecture]
        return self.template.add_resource(
            codebuild.Project(
                f"{title}Project",
                Name=name,
                Description=description,
                ServiceRole=GetAtt(role, "Arn"),
                EncryptionKey=GetAtt(self.key, "Arn"),
                Source=codebuild.Source(Type="CODEPIPELINE", BuildSpec=buildspec),
                Artifacts=codebuild.Artifacts(Type="CODEPIPELINE"),
                Environment=codebuild.Environment(
                    Type=compute,
                    ComputeType="BUILD_GENERAL1_SMALL",
                    Image=image,
                    ImagePullCredentialsType="CODEBUILD",
                    EnvironmentVariables=[
                        codebuild.EnvironmentVariable(Name=k, Type="PLAINTEXT", Value=v)
                        for k, v in sorted((variables or {}).items())
                    ],
                ),
                LogsConfig=codebuild.LogsConfig(
                    CloudWatchLogs=codebuild.CloudWatchLogs(
                        Status="ENABLED", GroupName=Ref(log_group)
                    )
                ),
                TimeoutInMinutes=30,
            )
        )

    # --- roles that deploy ------------------------------------------------------------

    def _stackset_admin_role(self):
        """The self-managed administration role; it may only assume the execution role in
        the accounts that the StackSets target.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
        """
        arn = Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{ADMIN_ROLE}")
        if not self.config.pipeline.create_stackset_admin_role:
            return arn
        accounts = [*principals.target_accounts(self.config.targets), self._central_account()]
        unique = []
        for account in accounts:
            if account not in unique:
                unique.append(account)
        role = iam.role(
            "StackSetAdministrationRole",
            iam.service_trust("cloudformation.amazonaws.com", iam.source_account()),
            [
                iam.allow(
                    "AssumeExecutionRoleInTargets",
                    [sts_actions.AssumeRole],
                    [
                        Sub(
                            f"arn:${{AWS::Partition}}:iam::${{Account}}:role/{EXECUTION_ROLE}",
                            Account=a,
                        )
                        for a in unique
                    ],
                )
            ],
            description="StackSets administration: assume the execution role in targets.",
        )
        role.RoleName = ADMIN_ROLE
        self.template.add_resource(role)
        return GetAtt(role, "Arn")

    def _cloudformation_role(self):
        """CloudFormation's role for this stack (self-update) and the logging stack; its
        policies come last, derived from the finished templates (`_deploy_permissions`)."""
        return self.template.add_resource(
            iam.role(
                "CloudFormationDeployRole",
                iam.service_trust("cloudformation.amazonaws.com", iam.source_account()),
                [],
                description="CloudFormation deploys the pipeline and logging stacks.",
            )
        )

    def _deploy_permissions(self, deployed: dict[str, dict]) -> None:
        """Exactly the actions the two stacks' resource types need, on our names."""
        policy_type = {"Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy"}}}
        templates = [deployed["logging.json"], self.template.to_dict(), policy_type]
        actions, _unused_features = deployer.required_actions(templates)
        admin = [ADMIN_ROLE] if self.config.pipeline.create_stackset_admin_role else []
        scope = deployer.Scope(
            role_prefixes=[f"{self.app}-", *admin],
            bucket_prefixes=[f"{self.app}-"],
            passed_to=deployer.passed_to(templates),
        )
        deployer.managed_policies(
            self.template,
            "CloudFormationDeployPolicy",
            self.deploy_role.title,
            deployer.statements(actions, scope),
            description="Derived from the resource schemas of the pipeline and logging stacks",
        )

    # --- the pipeline ---------------------------------------------------------------

    def _pipeline_statements(self) -> list:
        stacks = [
            iam.arn("cloudformation", f"stack/{naming.home_stack(self.app, s)}/*")
            for s in ("pipeline", "logging")
        ]
        stacksets = [
            iam.arn("cloudformation", f"stackset/{naming.stack_set(self.app, s)}:*")
            for s in ("bootstrap", "app")
        ]
        statements = [
            *self._artifact_access("PipelineArtifacts", write=True),
            iam.allow(
                "RunBuilds",
                [codebuild_actions.StartBuild, codebuild_actions.BatchGetBuilds],
                [GetAtt(self.build_project, "Arn"), GetAtt(self.publish_project, "Arn")],
            ),
            *iam.scoped(
                "DeployHomeStacks",
                [
                    cfn.CreateStack,
                    cfn.UpdateStack,
                    cfn.DescribeStacks,
                    cfn.CreateChangeSet,
                    cfn.DescribeChangeSet,
                    cfn.ExecuteChangeSet,
                    cfn.DeleteChangeSet,
                    cfn.ValidateTemplate,
                ],
                stacks,
            ),
            iam.pass_role(
                "PassDeployRole", [GetAtt(self.deploy_role, "Arn")], "cloudformation.amazonaws.com"
            ),
            *iam.scoped(
                "DeployStackSets",
                [
                    cfn.CreateStackSet,
                    cfn.UpdateStackSet,
                    cfn.DescribeStackSet,
                    cfn.DescribeStackSetOperation,
                    cfn.ListStackInstances,
                    cfn.CreateStackInstances,
                    cfn.UpdateStackInstances,
                ],
                [
                    *stacksets,
                    iam.arn("cloudformation", "stackset-target/*"),
                    iam.arn("cloudformation", "type/resource/*"),
                ],
            ),
            iam.pass_role(
                "PassStackSetAdministrationRole",
                [self.admin_role_arn],
                "cloudformation.amazonaws.com",
            ),
            iam.allow(
                "NotifyApprovers",
                [sns_actions.Publish],
                [iam.arn("sns", naming.alert_topic(self.app))],
            ),
            # The alert topic is encrypted with the central key, used through SNS.
            iam.allow(
                "EncryptApprovalNotifications",
                [kms_actions.GenerateDataKey, kms_actions.Decrypt],
                [iam.arn("kms", "key/*")],
                StringEquals({"kms:ViaService": Sub("sns.${AWS::Region}.amazonaws.com")}),
            ),
        ]
        if self.config.pipeline.source == "codeconnections":
            statements.append(
                iam.allow(
                    "UseSourceConnection",
                    [connections_actions.UseConnection],
                    [self._connection_arn()],
                )
            )
        return statements

    def _stackset_configuration(self, stack: str, regions: list[str], *, central: bool) -> dict:
        targets = self.config.targets
        accounts = [self._central_account()] if central else principals.target_accounts(targets)
        config: dict = {
            "StackSetName": naming.stack_set(self.app, stack),
            "Regions": ",".join(regions),
            "FailureTolerancePercentage": str(targets.failure_tolerance_percentage),
            "MaxConcurrentPercentage": str(targets.max_concurrent_percentage),
        }
        if not central and targets.permission_model == "SERVICE_MANAGED":
            config["DeploymentTargets"] = ",".join(targets.organizational_units)
        else:
            config["DeploymentTargets"] = Join(",", accounts)
        return config

    def _stackset_action(self, stack: str, regions: list[str], *, central: bool, order: int):
        """Create or update the StackSet and its instances in `regions`."""
        config = self._stackset_configuration(stack, regions, central=central)
        config.update(
            Description=f"{self.app} {stack}",
            TemplatePath=f"{BUILD_OUTPUT}::build/deploy/{stack}.json",
            Parameters=f"{BUILD_OUTPUT}::templates/params/{stack}.json",
            Capabilities="CAPABILITY_IAM",
        )
        if not central and self.config.targets.permission_model == "SERVICE_MANAGED":
            config.update(PermissionModel="SERVICE_MANAGED", OrganizationsAutoDeployment="Disabled")
        else:
            config.update(
                PermissionModel="SELF_MANAGED",
                AdministrationRoleArn=self.admin_role_arn,
                ExecutionRoleName=EXECUTION_ROLE,
            )
        return codepipeline.Actions(
            Name=f"{stack.capitalize()}StackSet",
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Deploy", Owner="AWS", Provider="CloudFormationStackSet", Version="1"
            ),
            Configuration=config,
            InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
            RunOrder=order,
        )

    def _cloudformation_action(self, name: str, stack: str, order: int) -> codepipeline.Actions:
        return codepipeline.Actions(
            Name=name,
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Deploy", Owner="AWS", Provider="CloudFormation", Version="1"
            ),
            Configuration={
                "ActionMode": "CREATE_UPDATE",
                "StackName": naming.home_stack(self.app, stack),
                "TemplatePath": f"{BUILD_OUTPUT}::build/deploy/{stack}.json",
                "Capabilities": "CAPABILITY_IAM,CAPABILITY_NAMED_IAM",
                "RoleArn": GetAtt(self.deploy_role, "Arn"),
            },
            InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
            RunOrder=order,
        )

    def _codebuild_action(
        self, name: str, project, inputs: list[str], output: str | None
    ) -> codepipeline.Actions:
        """The first input is the primary source; others are $CODEBUILD_SRC_DIR_<name>."""
        configuration = {"ProjectName": Ref(project)}
        if len(inputs) > 1:
            configuration["PrimarySource"] = inputs[0]
        action = codepipeline.Actions(
            Name=name,
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Build", Owner="AWS", Provider="CodeBuild", Version="1"
            ),
            Configuration=configuration,
            InputArtifacts=[codepipeline.InputArtifacts(Name=i) for i in inputs],
            RunOrder=1,
        )
        if output:
            action.OutputArtifacts = [codepipeline.OutputArtifacts(Name=output)]
        return action

    def _approval(self, wave: int) -> codepipeline.Actions:
        return codepipeline.Actions(
            Name="Approve",
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Approval", Owner="AWS", Provider="Manual", Version="1"
            ),
            Configuration={
                "NotificationArn": iam.arn("sns", naming.alert_topic(self.app)),
                "CustomData": f"Wave {wave - 1} is healthy? Approve to roll out wave {wave}.",
            },
            RunOrder=1,
        )

    def _by_log_level(self, regions: list[str]) -> tuple[list[str], dict[str, list[str]]]:
        """The wave's regions at the StackSet's log level, and the others by their level."""
        overrides = self.config.targets.log_level_overrides
        default = [r for r in regions if r not in overrides]
        grouped: dict[str, list[str]] = {}
        for region in regions:
            if region in overrides:
                grouped.setdefault(overrides[region], []).append(region)
        return default, grouped

    def _instances_action(
        self, name: str, regions: list[str], order: int, *, log_level: str | None = None
    ) -> codepipeline.Actions:
        """The StackSet's current template to its instances in `regions`."""
        config = self._stackset_configuration("app", regions, central=False)
        if log_level is not None:
            config["ParameterOverrides"] = f"ParameterKey=LogLevel,ParameterValue={log_level}"
        return codepipeline.Actions(
            Name=name,
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Deploy",
                Owner="AWS",
                Provider="CloudFormationStackInstances",
                Version="1",
            ),
            Configuration=config,
            InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
            RunOrder=order,
        )

    def stages(self) -> list[codepipeline.Stages]:
        waves = self.config.targets.wave_list
        all_regions = self.config.targets.regions
        stages = [
            codepipeline.Stages(Name="Source", Actions=[self._source_action()]),
            codepipeline.Stages(
                Name="Build",
                Actions=[
                    self._codebuild_action(
                        "Build", self.build_project, [SOURCE_OUTPUT], BUILD_OUTPUT
                    )
                ],
            ),
            codepipeline.Stages(
                Name="UpdatePipeline",
                Actions=[self._cloudformation_action("SelfUpdate", "pipeline", 1)],
            ),
            codepipeline.Stages(
                Name="Foundation",
                Actions=[
                    self._cloudformation_action("Logging", "logging", 1),
                    self._stackset_action("bootstrap", all_regions, central=True, order=2),
                ],
            ),
            codepipeline.Stages(
                Name="Publish",
                Actions=[
                    self._codebuild_action(
                        "Publish", self.publish_project, [SOURCE_OUTPUT, BUILD_OUTPUT], None
                    )
                ],
            ),
        ]
        for number, regions in enumerate(waves, start=1):
            actions = []
            order = 1
            if number > 1 and self.config.pipeline.approval_between_waves:
                actions.append(self._approval(number))
                order = 2
            default, overridden = self._by_log_level(regions)
            if number == 1:
                # Creates or updates the StackSet itself, and the first wave's instances.
                actions.append(self._stackset_action("app", regions, central=False, order=order))
                order += 1
            elif default:
                actions.append(self._instances_action("AppInstances", default, order))
            for level, group in sorted(overridden.items()):
                actions.append(
                    self._instances_action(
                        f"AppInstances{level.capitalize()}", group, order, log_level=level
                    )
                )
            stages.append(codepipeline.Stages(Name=f"Wave{number}", Actions=actions))
        return stages

    def _pipeline(self) -> codepipeline.Pipeline:
        role = self.template.add_resource(
            iam.role(
                "PipelineRole",
                iam.service_trust("codepipeline.amazonaws.com", iam.source_account()),
                self._pipeline_statements(),
                description=f"CodePipeline {self.pipeline_name}: its artifacts, builds, stacks "
                "and StackSets.",
            )
        )
        properties: dict = dict(
            Name=self.pipeline_name,
            PipelineType="V2",
            ExecutionMode=self.config.pipeline.execution_mode,
            RestartExecutionOnUpdate=True,
            RoleArn=GetAtt(role, "Arn"),
            ArtifactStore=codepipeline.ArtifactStore(
                Type="S3",
                Location=Ref(self.bucket),
                EncryptionKey=codepipeline.EncryptionKey(Id=GetAtt(self.key, "Arn"), Type="KMS"),
            ),
            Stages=self.stages(),
        )
        if self.config.pipeline.source == "codeconnections":
            properties["Triggers"] = [
                codepipeline.PipelineTriggerDeclaration(
                    ProviderType="CodeStarSourceConnection",
                    GitConfiguration=codepipeline.GitConfiguration(
                        SourceActionName="Source",
                        Push=[
                            codepipeline.GitPushFilter(
                                Branches=codepipeline.GitBranchFilterCriteria(
                                    Includes=[self.config.pipeline.branch]
                                )
                            )
                        ],
                    ),
                )
            ]
        pipeline = self.template.add_resource(codepipeline.Pipeline("Pipeline", **properties))
        self.template.add_output(Output("PipelineName", Value=Ref(pipeline)))
        return pipeline

    def _notifications(self) -> None:
        """Pipeline state changes (and, for an S3 source, new uploads) as events."""
        pipeline_arn = iam.arn("codepipeline", self.pipeline_name)
        bus = iam.arn("events", f"event-bus/{naming.event_bus(self.app)}")
        statements = [iam.allow("ForwardToCentralBus", [events_actions.PutEvents], [bus])]
        if self.config.pipeline.source == "s3":
            statements.append(
                iam.allow(
                    "StartOnUpload", [codepipeline_actions.StartPipelineExecution], [pipeline_arn]
                )
            )
        role = self.template.add_resource(
            iam.role(
                "PipelineEventsRole",
                iam.service_trust("events.amazonaws.com", iam.source_account()),
                statements,
                description="EventBridge: pipeline events to the central bus.",
            )
        )
        self.template.add_resource(
            events.Rule(
                "ForwardPipelineEvents",
                Description=f"{self.app}: pipeline state changes to the central bus",
                EventPattern={
                    "source": ["aws.codepipeline"],
                    "detail-type": [PIPELINE_STATE],
                    "detail": {"pipeline": [self.pipeline_name]},
                },
                State="ENABLED",
                Targets=[events.Target(Id="CentralBus", Arn=bus, RoleArn=GetAtt(role, "Arn"))],
            )
        )
        if self.config.pipeline.source == "s3":
            self.template.add_resource(
                events.Rule(
                    "StartOnSourceUpload",
                    Description=f"{self.app}: start the pipeline when a source zip lands",
                    EventPattern={
                        "source": ["aws.s3"],
                        "detail-type": ["Object Created"],
                        "detail": {
                            "bucket": {"name": [Ref(self.source)]},
                            "object": {"key": [self.config.pipeline.source_object_key]},
                        },
                    },
                    State="ENABLED",
                    Targets=[
                        events.Target(Id="Pipeline", Arn=pipeline_arn, RoleArn=GetAtt(role, "Arn"))
                    ],
                )
            )
