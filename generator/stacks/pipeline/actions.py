"""The pipeline's actions, one constructor per kind: what CodePipeline runs, with the
configuration keys its action reference documents.
https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference.html
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from troposphere import Sub, codepipeline

from generator.output.render import compact

SOURCE_OUTPUT = "SourceOutput"
BUILD_OUTPUT = "BuildOutput"
# The Build action's exported variables (buildspec.yml): #{BuildVariables.PLAN_GATE}.
BUILD_VARIABLES = "BuildVariables"


def built(path: Path) -> str:
    """A file of the Build stage's output artifact, as CodePipeline names it."""
    return f"{BUILD_OUTPUT}::{path.as_posix()}"


def _action(
    name: str, category: str, provider: str, configuration: dict[str, Any], order: int, **more: Any
) -> codepipeline.Actions:
    return codepipeline.Actions(
        Name=name,
        ActionTypeId=codepipeline.ActionTypeId(
            Category=category, Owner="AWS", Provider=provider, Version="1"
        ),
        Configuration=configuration,
        RunOrder=order,
        **more,
    )


def stack_set(name: str, configuration: dict[str, Any], order: int) -> codepipeline.Actions:
    """Create or update a stack set from this execution's template, and its instances in
    the configured regions, in the order given.
    https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StackSets.html
    """
    return _action(
        name,
        "Deploy",
        "CloudFormationStackSet",
        configuration,
        order,
        InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
    )


def stack_instances(name: str, configuration: dict[str, Any], order: int) -> codepipeline.Actions:
    """Bring some instances up to the stack set's current template, with overrides."""
    return _action(name, "Deploy", "CloudFormationStackInstances", configuration, order)


def stack(name: str, configuration: dict[str, Any], order: int) -> codepipeline.Actions:
    """Create or update one stack from this execution's template."""
    return _action(
        name,
        "Deploy",
        "CloudFormation",
        {"ActionMode": "CREATE_UPDATE", **configuration},
        order,
        InputArtifacts=[codepipeline.InputArtifacts(Name=BUILD_OUTPUT)],
    )


def approval(name: str, topic: Any, message: str, order: int) -> codepipeline.Actions:
    return _action(
        name, "Approval", "Manual", {"NotificationArn": topic, "CustomData": message}, order
    )


def invoke(
    name: str, function: Any, parameters: dict[str, Any], order: int
) -> codepipeline.Actions:
    """Run a Lambda function of ours, which reports the action's result itself. The
    parameters travel as JSON text; `${AWS::...}` in their strings are filled in.
    https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-Lambda.html
    """
    text = compact(parameters)
    return _action(
        name,
        "Invoke",
        "Lambda",
        {"FunctionName": function, "UserParameters": Sub(text) if "${" in text else text},
        order,
    )
