"""Parts of the pipeline stack: its CodeBuild projects."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, codebuild, codepipeline

from generator.blocks import roles
from generator.blocks.log_groups import LogGroup

# CodeBuild's Amazon Linux 2023 standard images with Python 3.11 among their runtimes.
# https://docs.aws.amazon.com/codebuild/latest/userguide/available-runtimes.html
BUILD_IMAGES = {
    "arm64": ("ARM_CONTAINER", "aws/codebuild/amazonlinux-aarch64-standard:3.0"),
    "x86_64": ("LINUX_CONTAINER", "aws/codebuild/amazonlinux-x86_64-standard:5.0"),
}


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
