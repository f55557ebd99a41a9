"""The release pipeline: CodePipeline V2 in the home region, central account.

Source → Build (tests, staleness check, bodies and zips) → UpdatePipeline (the pipeline
deploys its own template first, so a pipeline change ships itself) → Foundation (logging
stack, then the bootstrap StackSet, which owns the artifact buckets) → Publish (zips to
every region's bucket) → Rollout (the app StackSet, wave by wave).

The whole rollout is one stage. CodePipeline locks a stage while an execution is in it, so
no two executions ever run operations on the app stack set at once, and a later release
cannot update wave 1 while an earlier one waits at wave 2's approval. Each wave is a
`CloudFormationStackSet` action with this execution's own template and parameters, limited
to the wave's regions, so a wave deploys exactly what its approval was for.
https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html
https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StackSets.html
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from awacs import cloudformation as cfn
from awacs import codebuild as codebuild_actions
from awacs import codepipeline as codepipeline_actions
from awacs import events as events_actions
from awacs import kms as kms_actions
from awacs import s3 as s3_actions
from awacs import sns as sns_actions
from awacs import sts as sts_actions
from awacs.aws import Action, Statement, StringEquals, StringLike
from troposphere import (
    AWSHelperFn,
    GetAtt,
    Join,
    Output,
    Ref,
    Sub,
    codebuild,
    codeconnections,
    codepipeline,
    events,
    s3,
)

from generator import vocabulary as names
from generator.blocks import buckets, policies, principals, roles
from generator.blocks.buckets import AccessLogBucket, Bucket
from generator.blocks.keys import Key
from generator.blocks.log_groups import LogGroup
from generator.blocks.roles import Role
from generator.config.regions import opt_in
from generator.permissions import deployer
from generator.stacks.base import Stack

BUILDSPEC = "buildspec.yml"
PUBLISH_BUILDSPEC = "buildspec-publish.yml"
SOURCE_OUTPUT = "SourceOutput"
BUILD_OUTPUT = "BuildOutput"
ROLLOUT_STAGE = "Rollout"
# CodeBuild's Amazon Linux 2023 standard images with Python 3.11 among their runtimes.
# https://docs.aws.amazon.com/codebuild/latest/userguide/available-runtimes.html
BUILD_IMAGES = {
    "arm64": ("ARM_CONTAINER", "aws/codebuild/amazonlinux-aarch64-standard:3.0"),
    "x86_64": ("LINUX_CONTAINER", "aws/codebuild/amazonlinux-x86_64-standard:5.0"),
}


@dataclass(frozen=True)
class ConnectionSource:
    """A CodeConnections repository. IAM names the actions on a connection with the
    service prefix of its ARN: `codeconnections` for new connections, `codestar-connections`
    for older ones. https://docs.aws.amazon.com/dtconsole/latest/userguide/security-iam.html
    """

    arn: str | AWSHelperFn
    prefix: str

    def grant_use(self, role: Role) -> None:
        role.allow("UseSourceConnection", [Action(self.prefix, "UseConnection")], [self.arn])

    def pass_statement(self) -> Statement:
        """What whoever creates or updates the pipeline needs to hand it the connection."""
        return policies.allow(
            "PassSourceConnectionToPipeline",
            [Action(self.prefix, "PassConnection")],
            [self.arn],
            StringEquals({f"{self.prefix}:PassedToService": "codepipeline.amazonaws.com"}),
        )


class BuildProject:
    """A CodeBuild project, its encrypted log group, and its role."""

    def __init__(
        self,
        stack: ReleasePipeline,
        title: str,
        buildspec: str,
        description: str,
        variables: dict[str, str],
    ) -> None:
        self.name = f"{stack.app}-{title.lower()}"
        self.log_group = LogGroup(
            stack.template,
            f"{title}LogGroup",
            name=f"/aws/codebuild/{self.name}",
            retention_days=stack.config.application.log_retention_days,
            key=stack.key,
            fate="Delete",
        )
        self.role = roles.for_service(
            stack.template,
            f"{title}ProjectRole",
            "codebuild.amazonaws.com",
            description=f"CodeBuild project {self.name}: {description}",
        )
        self.log_group.grant_write(self.role, f"Write{title}Logs")
        compute, image = BUILD_IMAGES[stack.config.pipeline.build_architecture]
        self.resource = stack.template.add_resource(
            codebuild.Project(
                f"{title}Project",
                Name=self.name,
                Description=description,
                ServiceRole=self.role.arn,
                EncryptionKey=stack.key.arn,
                Source=codebuild.Source(Type="CODEPIPELINE", BuildSpec=buildspec),
                Artifacts=codebuild.Artifacts(Type="CODEPIPELINE"),
                Environment=codebuild.Environment(
                    Type=compute,
                    ComputeType="BUILD_GENERAL1_SMALL",
                    Image=image,
                    ImagePullCredentialsType="CODEBUILD",
                    EnvironmentVariables=[
                        codebuild.EnvironmentVariable(Name=k, Type="PLAINTEXT", Value=v)
                        for k, v in sorted(variables.items())
                    ],
                ),
                LogsConfig=codebuild.LogsConfig(
                    CloudWatchLogs=codebuild.CloudWatchLogs(
                        Status="ENABLED", GroupName=self.log_group.ref
                    )
                ),
                TimeoutInMinutes=30,
            )
        )

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.resource, "Arn")

    def action(
        self, name: str, inputs: list[str], output: str | None, order: int
    ) -> codepipeline.Actions:
        """The first input is the primary source; others are $CODEBUILD_SRC_DIR_<name>."""
        configuration: dict[str, Any] = {"ProjectName": Ref(self.resource)}
        if len(inputs) > 1:
            configuration["PrimarySource"] = inputs[0]
        action = codepipeline.Actions(
            Name=name,
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Build", Owner="AWS", Provider="CodeBuild", Version="1"
            ),
            Configuration=configuration,
            InputArtifacts=[codepipeline.InputArtifacts(Name=i) for i in inputs],
            RunOrder=order,
        )
        if output:
            action.OutputArtifacts = [codepipeline.OutputArtifacts(Name=output)]
        return action


class ReleasePipeline(Stack):
    """The pipeline, its builds, the roles that deploy, and its notifications."""

    contents = (
        "key",
        "access_logs",
        "artifacts",
        "source",
        "build_project",
        "publish_project",
        "admin_role_arn",
        "deploy_role",
        "pipeline",
        "notifications",
        "deploy_policies",
    )

    def describe(self) -> str:
        return (
            f"{self.app}: release pipeline (CodePipeline V2, CodeBuild, StackSet waves). One "
            "stack in the home region of the central account."
        )

    @property
    def pipeline_name(self) -> str:
        return names.pipeline(self.app)

    @property
    def central_account(self) -> str | Ref:
        return self.config.targets.central_account or Ref("AWS::AccountId")

    # --- storage ------------------------------------------------------------------------

    @cached_property
    def key(self) -> Key:
        key = Key(
            self.template,
            "PipelineKey",
            description=f"{self.app}: pipeline artifacts and build logs",
            alias=f"{self.app}-pipeline",
        )
        key.allow_logs("CloudWatchLogsEncryptsBuildLogs")
        return key

    @cached_property
    def access_logs(self) -> AccessLogBucket:
        return AccessLogBucket(
            self.template, expire_days=self.config.logging.access_log_expire_days
        )

    @cached_property
    def artifacts(self) -> Bucket:
        return Bucket(
            self.template,
            "ArtifactBucket",
            key=self.key,
            lifecycle=[
                buckets.expire_after("ExpireArtifacts", self.config.pipeline.artifact_expire_days)
            ],
            access_logs=self.access_logs,
            log_prefix="pipeline-artifacts/",
        )

    # --- source -------------------------------------------------------------------------

    @cached_property
    def source(self) -> ConnectionSource | Bucket:
        pipeline = self.config.pipeline
        if pipeline.source == "s3":
            bucket = Bucket(
                self.template,
                "SourceBucket",
                key=self.key,
                lifecycle=[buckets.keep_current("ExpireOldSources", noncurrent_days=30)],
                access_logs=self.access_logs,
                log_prefix="pipeline-source/",
            )
            bucket.resource.NotificationConfiguration = s3.NotificationConfiguration(
                EventBridgeConfiguration=s3.EventBridgeConfiguration(EventBridgeEnabled=True)
            )
            return bucket
        if pipeline.connection_arn:
            return ConnectionSource(pipeline.connection_arn, pipeline.connection_arn.split(":")[2])
        # A new connection starts PENDING: approve it once in the console (Developer
        # Tools > Settings > Connections) before the first run.
        # https://docs.aws.amazon.com/dtconsole/latest/userguide/connections-update.html
        connection = self.template.add_resource(
            codeconnections.Connection(
                "SourceConnection",
                ConnectionName=_connection_name(self.app),
                ProviderType=pipeline.provider,
            )
        )
        return ConnectionSource(GetAtt(connection, "ConnectionArn"), "codeconnections")

    def _source_action(self) -> codepipeline.Actions:
        pipeline = self.config.pipeline
        if isinstance(self.source, Bucket):
            provider = "S3"
            configuration: dict[str, Any] = {
                "S3Bucket": self.source.ref,
                "S3ObjectKey": pipeline.source_object_key,
                "PollForSourceChanges": "false",
            }
        else:
            provider = "CodeStarSourceConnection"
            configuration = {
                "ConnectionArn": self.source.arn,
                "FullRepositoryId": pipeline.repository,
                "BranchName": pipeline.branch,
                "OutputArtifactFormat": "CODE_ZIP",
            }
        return codepipeline.Actions(
            Name="Source",
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Source", Owner="AWS", Provider=provider, Version="1"
            ),
            Configuration=configuration,
            OutputArtifacts=[codepipeline.OutputArtifacts(Name=SOURCE_OUTPUT)],
            RunOrder=1,
        )

    # --- builds -------------------------------------------------------------------------

    @property
    def _environment(self) -> dict[str, str]:
        """What the buildspecs need to know: which config this pipeline releases."""
        return {"CONFIG": self.inputs.layout.config.as_posix()}

    @cached_property
    def build_project(self) -> BuildProject:
        project = BuildProject(
            self,
            "Build",
            BUILDSPEC,
            "Tests, staleness check of the templates, deploy bodies and function zips.",
            self._environment,
        )
        self.artifacts.grant_read_write(project.role, "BuildArtifacts")
        reports = policies.arn("codebuild", f"report-group/{project.name}-*")
        project.role.allow(
            "PublishTestReports",
            [
                codebuild_actions.CreateReportGroup,
                codebuild_actions.CreateReport,
                codebuild_actions.UpdateReport,
                codebuild_actions.BatchPutTestCases,
                codebuild_actions.BatchPutCodeCoverages,
            ],
            [reports],
        )
        return project

    @cached_property
    def publish_project(self) -> BuildProject:
        project = BuildProject(
            self,
            "Publish",
            PUBLISH_BUILDSPEC,
            "Uploads the built function zips to every region's bucket.",
            {**self._environment, "TARGET_REGIONS": " ".join(self.config.targets.regions)},
        )
        self.artifacts.grant_read(project.role, "ReadSource")
        role = project.role
        role.add(
            policies.wildcard_only("IdentifyAccountWildcardOnly", [sts_actions.GetCallerIdentity])
        )
        # Every region's bucket is `<prefix>-<account>-<region>`: one pattern covers them
        # all and keeps the policy one size however many regions there are.
        prefix = self.config.application.bucket_prefix
        code = f"arn:${{AWS::Partition}}:s3:::{prefix}-${{AWS::AccountId}}-*"
        # ListBucket lets HeadObject answer 404 rather than 403 for a missing key.
        role.allow("ListCodeBuckets", [s3_actions.ListBucket], [Sub(code)])
        role.allow("PutCode", [s3_actions.GetObject, s3_actions.PutObject], [Sub(f"{code}/*")])
        # The bootstrap's keys, used only through S3 and only for the code buckets: with a
        # Bucket Key, S3 passes the bucket's ARN as encryption context.
        role.allow(
            "EncryptCodeThroughS3",
            [kms_actions.GenerateDataKey, kms_actions.Encrypt, kms_actions.DescribeKey],
            [Sub("arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*")],
            StringLike(
                {
                    "kms:ViaService": "s3.*.amazonaws.com",
                    "kms:EncryptionContext:aws:s3:arn": Sub(code),
                }
            ),
        )
        return project

    # --- roles that deploy ----------------------------------------------------------------

    @cached_property
    def admin_role_arn(self) -> AWSHelperFn:
        """The self-managed administration role; it may only assume the execution role in
        the accounts that the StackSets target. Regions that are disabled by default need
        their regional CloudFormation principal in its trust.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
        """
        if not self.config.pipeline.create_stackset_admin_role:
            return Sub(
                f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{names.STACKSET_ADMIN_ROLE}"
            )
        accounts: list[Any] = []
        for account in [*principals.target_accounts(self.config.targets), self.central_account]:
            if account not in accounts:
                accounts.append(account)
        services = ["cloudformation.amazonaws.com"] + [
            f"cloudformation.{r}.amazonaws.com" for r in self.config.targets.regions if opt_in(r)
        ]
        role = roles.Role(
            self.template,
            "StackSetAdministrationRole",
            name=names.STACKSET_ADMIN_ROLE,
            trust=policies.service_trust(services, policies.source_account()),
            description="StackSets administration: assume the execution role in targets.",
            statements=[
                policies.allow(
                    "AssumeExecutionRoleInTargets",
                    [sts_actions.AssumeRole],
                    [
                        Sub(
                            f"arn:${{AWS::Partition}}:iam::${{Account}}:role/"
                            f"{names.STACKSET_EXECUTION_ROLE}",
                            Account=account,
                        )
                        for account in accounts
                    ],
                )
            ],
        )
        return role.arn

    @cached_property
    def deploy_role(self) -> Role:
        """CloudFormation's role for this stack (self-update) and the logging stack."""
        return roles.Role(
            self.template,
            "CloudFormationDeployRole",
            trust=policies.service_trust("cloudformation.amazonaws.com", policies.source_account()),
            description="CloudFormation deploys the pipeline and logging stacks.",
            inline=False,
        )

    @cached_property
    def deploy_policies(self) -> None:
        """Exactly the actions the two stacks' resource types need, on our names; derived
        from the finished template, so it reads every other part first."""
        for part in self.contents:
            if part != "deploy_policies":
                getattr(self, part)
        managed_policy = {"Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy"}}}
        templates = [
            self.inputs.finished["logging.json"],
            self.template.to_dict(),
            managed_policy,
        ]
        admin = (
            [names.STACKSET_ADMIN_ROLE] if self.config.pipeline.create_stackset_admin_role else []
        )
        scope = deployer.Scope(
            role_prefixes=[f"{self.app}-", *admin],
            bucket_prefixes=[f"{self.app}-"],
            passed_to=deployer.passed_to(templates),
        )
        statements = deployer.statements(deployer.required_actions(templates)[0], scope)
        if isinstance(self.source, ConnectionSource):
            statements.append(self.source.pass_statement())
        deployer.managed_policies(
            self.template,
            "CloudFormationDeployPolicy",
            self.deploy_role.title,
            statements,
            description="Derived from the resource schemas of the pipeline and logging stacks",
        )

    # --- the pipeline ---------------------------------------------------------------------

    @cached_property
    def pipeline_role(self) -> Role:
        role = roles.for_service(
            self.template,
            "PipelineRole",
            "codepipeline.amazonaws.com",
            description=f"CodePipeline {self.pipeline_name}: its artifacts, builds, stacks "
            "and StackSets.",
        )
        self.artifacts.grant_read_write(role, "PipelineArtifacts")
        if isinstance(self.source, Bucket):
            self.source.grant_read(role, "ReadSource")
        else:
            self.source.grant_use(role)
        role.allow(
            "RunBuilds",
            [codebuild_actions.StartBuild, codebuild_actions.BatchGetBuilds],
            [self.build_project.arn, self.publish_project.arn],
        )
        stacks = [
            policies.arn("cloudformation", f"stack/{names.home_stack(self.app, s)}/*")
            for s in ("pipeline", "logging")
        ]
        role.add(
            *policies.scoped(
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
            policies.pass_role(
                "PassDeployRole", [self.deploy_role.arn], "cloudformation.amazonaws.com"
            ),
            *policies.scoped(
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
                    *[
                        policies.arn("cloudformation", f"stackset/{names.stack_set(self.app, s)}:*")
                        for s in ("bootstrap", "app")
                    ],
                    policies.arn("cloudformation", "stackset-target/*"),
                    policies.arn("cloudformation", "type/resource/*"),
                ],
            ),
            policies.pass_role(
                "PassStackSetAdministrationRole",
                [self.admin_role_arn],
                "cloudformation.amazonaws.com",
            ),
            policies.allow(
                "NotifyApprovers",
                [sns_actions.Publish],
                [policies.arn("sns", names.alert_topic(self.app))],
            ),
            # The alert topic is encrypted with the central logging key, used through SNS.
            policies.allow(
                "EncryptApprovalNotifications",
                [kms_actions.GenerateDataKey, kms_actions.Decrypt],
                [policies.arn("kms", "key/*")],
                StringEquals({"kms:ViaService": Sub("sns.${AWS::Region}.amazonaws.com")}),
            ),
        )
        return role

    @cached_property
    def pipeline(self) -> codepipeline.Pipeline:
        properties: dict[str, Any] = dict(
            Name=self.pipeline_name,
            PipelineType="V2",
            ExecutionMode=self.config.pipeline.execution_mode,
            RestartExecutionOnUpdate=True,
            RoleArn=self.pipeline_role.arn,
            ArtifactStore=codepipeline.ArtifactStore(
                Type="S3",
                Location=self.artifacts.ref,
                EncryptionKey=codepipeline.EncryptionKey(Id=self.key.arn, Type="KMS"),
            ),
            Stages=self.stages(),
        )
        if isinstance(self.source, ConnectionSource):
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

    def stages(self) -> list[codepipeline.Stages]:
        regions = self.config.targets.regions
        return [
            codepipeline.Stages(Name="Source", Actions=[self._source_action()]),
            codepipeline.Stages(
                Name="Build",
                Actions=[self.build_project.action("Build", [SOURCE_OUTPUT], BUILD_OUTPUT, 1)],
            ),
            codepipeline.Stages(
                Name="UpdatePipeline",
                Actions=[self._cloudformation_action("SelfUpdate", "pipeline", 1)],
            ),
            codepipeline.Stages(
                Name="Foundation",
                Actions=[
                    self._cloudformation_action("Logging", "logging", 1),
                    self._stack_set_action("BootstrapStackSet", "bootstrap", regions, 2),
                ],
            ),
            codepipeline.Stages(
                Name="Publish",
                Actions=[
                    self.publish_project.action("Publish", [SOURCE_OUTPUT, BUILD_OUTPUT], None, 1)
                ],
            ),
            codepipeline.Stages(Name=ROLLOUT_STAGE, Actions=self.rollout()),
        ]

    def rollout(self) -> list[codepipeline.Actions]:
        """Every wave in order, each action after the last: approval (from wave 2, when
        configured), the wave's StackSet update, then its log-level overrides one by one
        (one stack set runs one operation at a time)."""
        actions: list[codepipeline.Actions] = []
        for number, wave in enumerate(self.config.targets.wave_list, start=1):
            if number > 1 and self.config.pipeline.approval_between_waves:
                actions.append(self._approval(number, wave, len(actions) + 1))
            actions.append(self._stack_set_action(f"Wave{number}", "app", wave, len(actions) + 1))
            for level, regions in self._overridden(wave):
                actions.append(
                    self._overrides_action(
                        f"Wave{number}{level.capitalize()}", regions, level, len(actions) + 1
                    )
                )
        return actions

    def _overridden(self, wave: list[str]) -> list[tuple[str, list[str]]]:
        """The wave's regions whose log level differs from the StackSet's, by level."""
        overrides = self.config.targets.log_level_overrides
        grouped: dict[str, list[str]] = {}
        for region in wave:
            if region in overrides:
                grouped.setdefault(overrides[region], []).append(region)
        return sorted(grouped.items())

    def _targets(self, stack: str) -> dict[str, Any]:
        """Where a stack set's instances go: the central account for the bootstrap, the
        target accounts or OUs for the application."""
        targets = self.config.targets
        if stack == "app" and targets.permission_model == "SERVICE_MANAGED":
            return {"DeploymentTargets": ",".join(targets.organizational_units)}
        accounts = (
            [self.central_account] if stack == "bootstrap" else principals.target_accounts(targets)
        )
        return {"DeploymentTargets": Join(",", accounts)}

    @staticmethod
    def _built(path: Path) -> str:
        """A file of the Build stage's output artifact, as CodePipeline names it."""
        return f"{BUILD_OUTPUT}::{path.as_posix()}"

    def _stack_set_action(
        self, name: str, stack: str, regions: list[str], order: int
    ) -> codepipeline.Actions:
        """Create or update the stack set with this execution's template and parameters,
        and bring its instances in `regions` up to them, in the order given."""
        targets = self.config.targets
        configuration: dict[str, Any] = {
            "StackSetName": names.stack_set(self.app, stack),
            "Description": f"{self.app} {stack}",
            "TemplatePath": self._built(self.inputs.layout.deploy / f"{stack}.json"),
            "Parameters": self._built(self.inputs.layout.templates / "params" / f"{stack}.json"),
            "Capabilities": "CAPABILITY_IAM",
            "Regions": ",".join(regions),
            "FailureTolerancePercentage": str(targets.failure_tolerance_percentage),
            "MaxConcurrentPercentage": str(targets.max_concurrent_percentage),
            **self._targets(stack),
        }
        if stack == "app" and targets.permission_model == "SERVICE_MANAGED":
            # OrganizationsAutoDeployment excludes DeploymentTargets and Regions; left out,
            # it is Disabled, and every wave names its OUs and regions.
            configuration["PermissionModel"] = "SERVICE_MANAGED"
        else:
            configuration.update(
                PermissionModel="SELF_MANAGED",
                AdministrationRoleArn=self.admin_role_arn,
                ExecutionRoleName=names.STACKSET_EXECUTION_ROLE,
            )
        return codepipeline.Actions(
            Name=name,
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Deploy", Owner="AWS", Provider="CloudFormationStackSet", Version="1"
            ),
            Configuration=configuration,
            InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
            RunOrder=order,
        )

    def _overrides_action(
        self, name: str, regions: list[str], level: str, order: int
    ) -> codepipeline.Actions:
        """A log level other than the StackSet's for some regions' instances; overrides
        survive later stack set updates."""
        configuration = {
            "StackSetName": names.stack_set(self.app, "app"),
            "Regions": ",".join(regions),
            "ParameterOverrides": f"ParameterKey={names.LOG_LEVEL},ParameterValue={level}",
            "FailureTolerancePercentage": str(self.config.targets.failure_tolerance_percentage),
            "MaxConcurrentPercentage": str(self.config.targets.max_concurrent_percentage),
            **self._targets("app"),
        }
        return codepipeline.Actions(
            Name=name,
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Deploy", Owner="AWS", Provider="CloudFormationStackInstances", Version="1"
            ),
            Configuration=configuration,
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
                "StackName": names.home_stack(self.app, stack),
                "TemplatePath": self._built(self.inputs.layout.deploy / f"{stack}.json"),
                "Capabilities": "CAPABILITY_IAM,CAPABILITY_NAMED_IAM",
                "RoleArn": self.deploy_role.arn,
            },
            InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
            RunOrder=order,
        )

    def _approval(self, wave: int, regions: list[str], order: int) -> codepipeline.Actions:
        return codepipeline.Actions(
            Name=f"ApproveWave{wave}",
            ActionTypeId=codepipeline.ActionTypeId(
                Category="Approval", Owner="AWS", Provider="Manual", Version="1"
            ),
            Configuration={
                "NotificationArn": policies.arn("sns", names.alert_topic(self.app)),
                "CustomData": f"Wave {wave - 1} is healthy? Approve to roll out wave {wave}: "
                f"{', '.join(regions)}.",
            },
            RunOrder=order,
        )

    # --- notifications --------------------------------------------------------------------

    @cached_property
    def notifications(self) -> None:
        """Pipeline state changes (and, for an S3 source, new uploads) as events."""
        pipeline_arn = policies.arn("codepipeline", self.pipeline_name)
        bus = policies.arn("events", f"event-bus/{names.event_bus(self.app)}")
        role = roles.for_service(
            self.template,
            "PipelineEventsRole",
            "events.amazonaws.com",
            description="EventBridge: pipeline events to the central bus.",
            statements=[policies.allow("ForwardToCentralBus", [events_actions.PutEvents], [bus])],
        )
        self.template.add_resource(
            events.Rule(
                "ForwardPipelineEvents",
                Description=f"{self.app}: pipeline state changes to the central bus",
                EventPattern={
                    "source": ["aws.codepipeline"],
                    "detail-type": [names.PIPELINE_STATE],
                    "detail": {"pipeline": [self.pipeline_name]},
                },
                State="ENABLED",
                Targets=[events.Target(Id="CentralBus", Arn=bus, RoleArn=role.arn)],
            )
        )
        if isinstance(self.source, Bucket):
            role.allow(
                "StartOnUpload", [codepipeline_actions.StartPipelineExecution], [pipeline_arn]
            )
            self.template.add_resource(
                events.Rule(
                    "StartOnSourceUpload",
                    Description=f"{self.app}: start the pipeline when a source zip lands",
                    EventPattern={
                        "source": ["aws.s3"],
                        "detail-type": ["Object Created"],
                        "detail": {
                            "bucket": {"name": [self.source.ref]},
                            "object": {"key": [self.config.pipeline.source_object_key]},
                        },
                    },
                    State="ENABLED",
                    Targets=[events.Target(Id="Pipeline", Arn=pipeline_arn, RoleArn=role.arn)],
                )
            )


# CodeConnections connection names are at most 32 characters.
# https://docs.aws.amazon.com/codeconnections/latest/APIReference/API_CreateConnection.html
MAX_CONNECTION_NAME = 32


def _connection_name(app: str) -> str:
    return f"{app}-source"[:MAX_CONNECTION_NAME]
