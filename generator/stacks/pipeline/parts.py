"""Parts of the pipeline stack: its source and its CodeBuild projects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awacs.aws import Action, Statement, StringEquals
from troposphere import AWSHelperFn, GetAtt, Ref, codebuild, codepipeline

from generator.blocks import policies, roles
from generator.blocks.log_groups import LogGroup
from generator.blocks.roles import Role

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
    pattern: str | AWSHelperFn | None = None  # what the deploy role may pass, if not `arn`

    def grant_use(self, role: Role) -> None:
        role.allow("UseSourceConnection", [Action(self.prefix, "UseConnection")], [self.arn])

    def pass_statement(self) -> Statement:
        """What whoever creates or updates the pipeline needs to hand it the connection."""
        return policies.allow(
            "PassSourceConnectionToPipeline",
            [Action(self.prefix, "PassConnection")],
            [self.pattern or self.arn],
            StringEquals({f"{self.prefix}:PassedToService": "codepipeline.amazonaws.com"}),
        )


class BuildProject:
    """A CodeBuild project, its encrypted log group, and its role."""

    def __init__(
        self,
        stack: Any,
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
        self,
        name: str,
        inputs: list[str],
        output: str | None,
        order: int,
        namespace: str | None = None,
    ) -> codepipeline.Actions:
        """The first input is the primary source; others are $CODEBUILD_SRC_DIR_<name>.
        With a namespace, the buildspec's exported variables are #{<namespace>.NAME}."""
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
        if namespace:
            action.Namespace = namespace
        return action


# CodeConnections connection names are at most 32 characters.
# https://docs.aws.amazon.com/codeconnections/latest/APIReference/API_CreateConnection.html
MAX_CONNECTION_NAME = 32


def connection_name(app: str) -> str:
    return f"{app}-source"[:MAX_CONNECTION_NAME]
