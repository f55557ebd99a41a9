"""Where a release comes from: a CodeConnections repository or a zip in an S3 bucket.

Each kind says what its Source action is, what the pipeline's role needs to read it, what
the deploy role needs to hand it to the pipeline, and how a change starts the pipeline,
so that the pipeline stack never asks which kind it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from awacs import codepipeline as codepipeline_actions
from awacs.aws import Action, Statement, StringEquals
from troposphere import AWSHelperFn, Template, codepipeline, events

from generator.blocks import policies
from generator.blocks.buckets import Bucket
from generator.blocks.roles import Role
from generator.stacks.pipeline.actions import SOURCE_OUTPUT

# CodeConnections connection names are at most 32 characters.
# https://docs.aws.amazon.com/codeconnections/latest/APIReference/API_CreateConnection.html
MAX_CONNECTION_NAME = 32


def connection_name(app: str) -> str:
    return f"{app}-source"[:MAX_CONNECTION_NAME]


class Source(Protocol):
    """What the pipeline stack asks of its source."""

    def action(self) -> codepipeline.Actions:
        """The Source stage's one action."""
        ...

    def grant_read(self, role: Role) -> None:
        """Let the pipeline's role fetch a release."""
        ...

    def deploy_statements(self) -> list[Statement]:
        """What whoever creates or updates the pipeline needs besides the resource types."""
        ...

    def triggers(self) -> list[codepipeline.PipelineTriggerDeclaration]:
        """The pipeline's own triggers (V2)."""
        ...

    def start_on_change(
        self, template: Template, app: str, pipeline_arn: AWSHelperFn, role: Role
    ) -> None:
        """An EventBridge rule that starts the pipeline, where the source needs one."""
        ...


def _action(provider: str, configuration: dict[str, Any]) -> codepipeline.Actions:
    return codepipeline.Actions(
        Name="Source",
        ActionTypeId=codepipeline.ActionTypeId(
            Category="Source", Owner="AWS", Provider=provider, Version="1"
        ),
        Configuration=configuration,
        OutputArtifacts=[codepipeline.OutputArtifacts(Name=SOURCE_OUTPUT)],
        RunOrder=1,
    )


@dataclass(frozen=True)
class ConnectionSource:
    """A CodeConnections repository. IAM names the actions on a connection with the
    service prefix of its ARN: `codeconnections` for new connections, `codestar-connections`
    for older ones. https://docs.aws.amazon.com/dtconsole/latest/userguide/security-iam.html
    """

    arn: str | AWSHelperFn
    prefix: str
    repository: str
    branch: str
    pattern: str | AWSHelperFn | None = None  # what the deploy role may pass, if not `arn`

    def action(self) -> codepipeline.Actions:
        return _action(
            "CodeStarSourceConnection",
            {
                "ConnectionArn": self.arn,
                "FullRepositoryId": self.repository,
                "BranchName": self.branch,
                "OutputArtifactFormat": "CODE_ZIP",
            },
        )

    def grant_read(self, role: Role) -> None:
        role.allow("UseSourceConnection", [Action(self.prefix, "UseConnection")], [self.arn])

    def deploy_statements(self) -> list[Statement]:
        """Handing the pipeline the connection."""
        return [
            policies.allow(
                "PassSourceConnectionToPipeline",
                [Action(self.prefix, "PassConnection")],
                [self.pattern or self.arn],
                StringEquals({f"{self.prefix}:PassedToService": "codepipeline.amazonaws.com"}),
            )
        ]

    def triggers(self) -> list[codepipeline.PipelineTriggerDeclaration]:
        """A push to the branch starts the pipeline.
        https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-filter.html
        """
        return [
            codepipeline.PipelineTriggerDeclaration(
                ProviderType="CodeStarSourceConnection",
                GitConfiguration=codepipeline.GitConfiguration(
                    SourceActionName="Source",
                    Push=[
                        codepipeline.GitPushFilter(
                            Branches=codepipeline.GitBranchFilterCriteria(Includes=[self.branch])
                        )
                    ],
                ),
            )
        ]

    def start_on_change(
        self, template: Template, app: str, pipeline_arn: AWSHelperFn, role: Role
    ) -> None:
        """The trigger does it."""


@dataclass(frozen=True)
class BucketSource:
    """A zip uploaded to the pipeline's source bucket, polled by no one: the bucket sends
    its "Object Created" events to EventBridge itself (no CloudTrail trail), and a rule
    starts the pipeline with a role that may start only it.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
    https://docs.aws.amazon.com/codepipeline/latest/userguide/create-cloudtrail-S3-source-cfn.html
    """

    bucket: Bucket
    object_key: str

    def action(self) -> codepipeline.Actions:
        return _action(
            "S3",
            {
                "S3Bucket": self.bucket.ref,
                "S3ObjectKey": self.object_key,
                "PollForSourceChanges": "false",
            },
        )

    def grant_read(self, role: Role) -> None:
        self.bucket.grant_read(role, "ReadSource")

    def deploy_statements(self) -> list[Statement]:
        return []

    def triggers(self) -> list[codepipeline.PipelineTriggerDeclaration]:
        return []

    def start_on_change(
        self, template: Template, app: str, pipeline_arn: AWSHelperFn, role: Role
    ) -> None:
        role.allow("StartOnUpload", [codepipeline_actions.StartPipelineExecution], [pipeline_arn])
        template.add_resource(
            events.Rule(
                "StartOnSourceUpload",
                Description=f"{app}: start the pipeline when a source zip lands",
                EventPattern={
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {
                        "bucket": {"name": [self.bucket.ref]},
                        "object": {"key": [self.object_key]},
                    },
                },
                State="ENABLED",
                Targets=[events.Target(Id="Pipeline", Arn=pipeline_arn, RoleArn=role.arn)],
            )
        )
