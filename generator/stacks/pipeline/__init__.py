"""The release pipeline: CodePipeline V2 in the home region, central account.

Source → Build (tests, staleness check, bodies and zips, the plan) → Review (a person
approves a release the plan finds risky, before anything of it is deployed) →
UpdatePipeline (the pipeline deploys its own template first, so a pipeline change ships
itself) → Foundation (logging stack, then the bootstrap StackSet, which owns the artifact
buckets) → Publish (zips to every region's bucket) → Rollout (the app StackSet, wave by
wave).

The whole rollout is one stage, which bakes and gates every wave and rolls back as one
(generator/stacks/pipeline/rollout.py).
https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from awacs import cloudformation as cfn
from awacs import codebuild as codebuild_actions
from awacs import events as events_actions
from awacs import kms as kms_actions
from awacs import s3 as s3_actions
from awacs import sns as sns_actions
from awacs import sts as sts_actions
from awacs.aws import Statement, StringEquals, StringLike
from troposphere import (
    AWSHelperFn,
    GetAtt,
    Join,
    Ref,
    Sub,
    codeconnections,
    codepipeline,
    events,
    s3,
    sns,
)

from generator import vocabulary as names
from generator.blocks import buckets, policies, principals, roles, topics
from generator.blocks.buckets import AccessLogBucket, Bucket
from generator.blocks.keys import Key
from generator.blocks.roles import Role
from generator.config.regions import opt_in
from generator.permissions import coverage, deployer
from generator.stacks import stack_sets
from generator.stacks.base import Stack
from generator.stacks.pipeline import actions
from generator.stacks.pipeline.actions import BUILD_OUTPUT, SOURCE_OUTPUT
from generator.stacks.pipeline.parts import BuildProject
from generator.stacks.pipeline.rollout import Rollout
from generator.stacks.pipeline.sources import (
    BucketSource,
    ConnectionSource,
    Source,
    connection_name,
)

BUILDSPEC = "buildspec.yml"
# The stack sets whose templates take parameters (templates/params/<name>.json).
PARAMETERIZED = ("app", "bootstrap")
PUBLISH_BUILDSPEC = "buildspec-publish.yml"


class ReleasePipeline(Stack):
    """The pipeline, its builds, the roles that deploy, and its notifications."""

    contents = (
        "key",
        "approvals",
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

    closing = ("deploy_policies",)

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
    def approvals(self) -> sns.Topic:
        """Where approval requests go (the Review stage's and each wave's): the pipeline's
        own, so that the first release, which the plan always finds risky, reaches a
        person before the logging stack and its alert topic exist. CodePipeline publishes
        with its service role, which uses the key through SNS.
        https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals-service-role-permissions.html
        """
        self.key.delegate("sns", [kms_actions.GenerateDataKey, kms_actions.Decrypt])
        return topics.encrypted_topic(
            self.template,
            "Approval",
            names.approvals_topic(self.app),
            f"{self.app} approvals",
            self.key,
            self.config.logging.alert_email,
        )

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
    def source(self) -> Source:
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
            return BucketSource(bucket, pipeline.source_object_key)
        source = self._connection()
        self.output(
            "ConnectionArn",
            source.arn,
            "The source connection: approve it once in the console if it is PENDING.",
        )
        return source

    def _connection(self) -> ConnectionSource:
        pipeline = self.config.pipeline
        repository = {"repository": pipeline.repository, "branch": pipeline.branch}
        if pipeline.connection_arn:
            prefix = pipeline.connection_arn.split(":")[2]
            return ConnectionSource(pipeline.connection_arn, prefix, **repository)
        # A new connection starts PENDING: approve it once in the console (Developer
        # Tools > Settings > Connections) before the first run.
        # https://docs.aws.amazon.com/dtconsole/latest/userguide/connections-update.html
        connection = self.template.add_resource(
            codeconnections.Connection(
                "SourceConnection",
                ConnectionName=connection_name(self.app),
                ProviderType=pipeline.provider,
            )
        )
        # The deploy policies, which every resource waits for, pass this connection to the
        # pipeline; they name it by pattern, since they cannot wait for it.
        return ConnectionSource(
            GetAtt(connection, "ConnectionArn"),
            "codeconnections",
            **repository,
            pattern=Sub(
                "arn:${AWS::Partition}:codeconnections:${AWS::Region}:${AWS::AccountId}:connection/*"
            ),
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
        # `plan --live` reads what the fleet runs: the stack sets and the home stacks.
        project.role.add(
            *policies.scoped(
                "ReadFleetForPlan",
                [cfn.DescribeStackSet, cfn.ListStackInstances, cfn.DescribeStackInstance],
                policies.stack_sets(self.app, stack_sets(self.config)),
            ),
            policies.allow(
                "ReadHomeStacksForPlan",
                [cfn.GetTemplate],
                [
                    policies.arn("cloudformation", f"stack/{names.home_stack(self.app, s)}/*")
                    for s in ("logging", "pipeline")
                ],
            ),
        )
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
    def deploy_policies(self) -> list[Any]:
        """What CloudFormation needs to deploy this stack and the logging stack: the
        actions of every resource type the two can hold in any config (so that removing a
        feature can still delete its resources), and of those the config's extensions
        added to them, on our names. On this stack's own update, every other resource
        waits for these policies, so new permissions are in place before the resources
        that need them."""
        if self.inputs.coverage:
            return []
        managed_policy = {"Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy"}}}
        templates = [
            *coverage.templates("logging.json"),
            *coverage.templates("pipeline.json"),
            self.inputs.finished["logging.json"],
            self.template.to_dict(),  # every part but these policies, extensions' included
            managed_policy,
        ]
        admin = (
            [names.STACKSET_ADMIN_ROLE] if self.config.pipeline.create_stackset_admin_role else []
        )
        scope = deployer.Scope(
            role_prefixes=[names.role_path(self.app).lstrip("/"), *admin],
            bucket_prefixes=[f"{self.app}-"],
            passed_to=deployer.passed_to(templates),
            named={
                "observabilityadmin:organization-centralization-rule": [
                    names.centralization_rule(self.app)
                ]
            },
        )
        statements = deployer.statements(deployer.required_actions(templates)[0], scope)
        statements += self.source.deploy_statements()
        created = deployer.managed_policies(
            self.template,
            "CloudFormationDeployPolicy",
            self.deploy_role.title,
            statements,
            description="Derived from the resource schemas of the pipeline and logging stacks",
            path=names.role_path(self.app),
        )
        for part in self.contents:
            if part != "deploy_policies":
                getattr(self, part)
        policy_titles = [p.title for p in created]
        for resource in self.template.resources.values():
            if resource.title not in (*policy_titles, self.deploy_role.title):
                depends = getattr(resource, "DependsOn", [])
                depends = [depends] if isinstance(depends, str) else list(depends)
                resource.DependsOn = [*depends, *policy_titles]
        return created

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
        self.rollout.grant_invoke(role)
        self.source.grant_read(role)
        role.allow(
            "RunBuilds",
            [codebuild_actions.StartBuild, codebuild_actions.BatchGetBuilds],
            [self.build_project.arn, self.publish_project.arn],
        )
        role.add(
            *self._home_stack_statements(),
            *self._stack_set_statements(),
            policies.allow("NotifyApprovers", [sns_actions.Publish], [Ref(self.approvals)]),
            policies.allow(
                "EncryptApprovalNotifications",
                [kms_actions.GenerateDataKey, kms_actions.Decrypt],
                [self.key.arn],
                StringEquals({"kms:ViaService": Sub("sns.${AWS::Region}.amazonaws.com")}),
            ),
        )
        return role

    def _home_stack_statements(self) -> list[Statement]:
        """Deploy the pipeline's and logging stacks with the deploy role."""
        stacks = [
            policies.arn("cloudformation", f"stack/{names.home_stack(self.app, s)}/*")
            for s in ("pipeline", "logging")
        ]
        return [
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
        ]

    def _stack_set_statements(self) -> list[Statement]:
        """Run the bootstrap and app StackSets with the administration role."""
        return [
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
                    *policies.stack_sets(self.app, stack_sets(self.config)),
                    policies.arn("cloudformation", "stackset-target/*"),
                    policies.arn("cloudformation", "type/resource/*"),
                ],
            ),
            policies.pass_role(
                "PassStackSetAdministrationRole",
                [self.admin_role_arn],
                "cloudformation.amazonaws.com",
            ),
        ]

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
        triggers = self.source.triggers()
        if triggers:
            properties["Triggers"] = triggers
        pipeline = self.template.add_resource(codepipeline.Pipeline("Pipeline", **properties))
        self.output("PipelineName", Ref(pipeline), "The release pipeline.")
        self.output("PipelineArtifactBucketName", self.artifacts.ref, "The pipeline's artifacts.")
        self.output(
            "ApprovalTopicArn", Ref(self.approvals), "Approval requests; subscribe approvers."
        )
        return pipeline

    @cached_property
    def rollout(self) -> Rollout:
        return Rollout(self)

    def stages(self) -> list[codepipeline.Stages]:
        regions = self.config.targets.regions
        return [
            codepipeline.Stages(Name="Source", Actions=[self.source.action()]),
            codepipeline.Stages(
                Name="Build",
                Actions=[
                    self.build_project.action(
                        "Build", [SOURCE_OUTPUT], BUILD_OUTPUT, 1, actions.BUILD_VARIABLES
                    )
                ],
            ),
            self._review(),
            codepipeline.Stages(
                Name="UpdatePipeline", Actions=[self._stack("SelfUpdate", "pipeline", 1)]
            ),
            codepipeline.Stages(
                Name="Foundation",
                Actions=[
                    self._stack("Logging", "logging", 1),
                    self.rollout.ready("ReadyBootstrap", "bootstrap", 2),
                    self._bootstrap(regions, 3),
                    *self._global_tables(4),
                ],
            ),
            codepipeline.Stages(
                Name="Publish",
                Actions=[
                    self.publish_project.action("Publish", [SOURCE_OUTPUT, BUILD_OUTPUT], None, 1)
                ],
            ),
            self.rollout.stage(),
        ]

    def _review(self) -> codepipeline.Stages:
        """A person approves a release that broadens access or risks data before any of it
        is deployed (the pipeline's own update, the logging stack and the bootstrap
        StackSet come after), even when waves need no approval; any other release skips
        this stage.

        The Build stage's plan exports PLAN_GATE: a VariableCheck rule before entry passes
        only when it is "approval", and a failed entry condition with the Skip result
        skips the stage. https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-conditions.html
        https://docs.aws.amazon.com/codepipeline/latest/userguide/rule-reference-VariableCheck.html
        """
        gate = f"#{{{actions.BUILD_VARIABLES}.PLAN_GATE}}"
        risks = f"#{{{actions.BUILD_VARIABLES}.PLAN_RISKS}}"
        return codepipeline.Stages(
            Name="Review",
            BeforeEntry=codepipeline.BeforeEntryConditions(
                Conditions=[
                    codepipeline.Condition(
                        Result="SKIP",
                        Rules=[
                            codepipeline.RuleDeclaration(
                                Name="PlanNeedsApproval",
                                RuleTypeId=codepipeline.RuleTypeId(
                                    Category="Rule",
                                    Owner="AWS",
                                    Provider="VariableCheck",
                                    Version="1",
                                ),
                                Configuration={
                                    "Variable": gate,
                                    "Value": "approval",
                                    "Operator": "EQ",
                                },
                            )
                        ],
                    )
                ]
            ),
            Actions=[
                actions.approval(
                    "ApproveRiskyRelease",
                    Ref(self.approvals),
                    names.REVIEW_MESSAGE.format(risks=risks),
                    1,
                )
            ],
        )

    def _stack(self, name: str, stack: str, order: int) -> codepipeline.Actions:
        return actions.stack(
            name,
            {
                "StackName": names.home_stack(self.app, stack),
                "TemplatePath": actions.built(self.inputs.layout.deploy / f"{stack}.json"),
                "Capabilities": "CAPABILITY_IAM,CAPABILITY_NAMED_IAM",
                "RoleArn": self.deploy_role.arn,
            },
            order,
        )

    def _bootstrap(self, regions: list[str], order: int) -> codepipeline.Actions:
        """The bootstrap stack set, in the central account, self-managed, every region."""
        return self._foundation_set(
            "BootstrapStackSet", "bootstrap", regions, [self.central_account], order
        )

    def _global_tables(self, first: int) -> list[codepipeline.Actions]:
        """The data stack sets, in the app's one account, before the Publish and Rollout
        stages: each region's replica key, then the global tables (a replica in every
        region), so that each region's replica exists when its app stack first runs."""
        if not self.config.global_tables:
            return []
        accounts = principals.target_accounts(self.config.targets)
        regions, home = self.config.targets.regions, [self.config.application.home_region]
        return [
            self.rollout.ready("ReadyDataKeys", "data-keys", first),
            self._foundation_set("DataKeysStackSet", "data-keys", regions, accounts, first + 1),
            self.rollout.ready("ReadyData", "data", first + 2),
            self._foundation_set("DataStackSet", "data", home, accounts, first + 3),
        ]

    def _foundation_set(
        self, name: str, stack: str, regions: list[str], accounts: list[Any], order: int
    ) -> codepipeline.Actions:
        """A self-managed stack set of the Foundation stage in `regions` of `accounts`."""
        return self.stack_set_action(
            name, stack, regions, {"DeploymentTargets": Join(",", accounts)}, order
        )

    def stack_set_action(
        self,
        name: str,
        stack: str,
        regions: list[str],
        targets: dict[str, Any],
        order: int,
        *,
        service_managed: bool = False,
    ) -> codepipeline.Actions:
        """A CloudFormationStackSet action with this release's template of `stack` (and
        its parameters, if it has any) in `regions` of `targets`: self-managed, with the
        administration and execution roles, unless `service_managed`."""
        settings = self.config.targets
        layout = self.inputs.layout
        configuration: dict[str, Any] = {
            "StackSetName": names.stack_set(self.app, stack),
            "Description": f"{self.app} {stack}",
            "TemplatePath": actions.built(layout.deploy / f"{stack}.json"),
            "Capabilities": "CAPABILITY_IAM",
            "Regions": ",".join(regions),
            "FailureTolerancePercentage": str(settings.failure_tolerance_percentage),
            "MaxConcurrentPercentage": str(settings.max_concurrent_percentage),
            **targets,
        }
        if stack in PARAMETERIZED:
            configuration["Parameters"] = actions.built(layout.deploy / "params" / f"{stack}.json")
        if service_managed:
            # OrganizationsAutoDeployment excludes DeploymentTargets and Regions; left out,
            # it is Disabled, and every wave names its OUs and regions.
            configuration["PermissionModel"] = "SERVICE_MANAGED"
        else:
            configuration.update(
                PermissionModel="SELF_MANAGED",
                AdministrationRoleArn=self.admin_role_arn,
                ExecutionRoleName=names.STACKSET_EXECUTION_ROLE,
            )
        return actions.stack_set(name, configuration, order)

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
                    "detail-type": [names.PIPELINE_STATE, names.STAGE_STATE],
                    "detail": {"pipeline": [self.pipeline_name]},
                },
                State="ENABLED",
                Targets=[events.Target(Id="CentralBus", Arn=bus, RoleArn=role.arn)],
            )
        )
        self.source.start_on_change(self.template, self.app, pipeline_arn, role)
