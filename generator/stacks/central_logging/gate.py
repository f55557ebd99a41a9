"""The rollout's gate: the function the pipeline's bake and ready actions invoke
(generator/gate/app.py, inline, so it needs no bucket).

It lives here, beside what it reads (the event log every region's health events reach)
and where it reports (the alert topic), and keeps the pipeline's template under the size
CloudFormation accepts inline for its first, hand-made deployment. The pipeline invokes it
by name, `<app>-wave-gate`.
https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-Lambda.html
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from awacs import cloudformation as cfn
from awacs import codepipeline as codepipeline_actions
from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import sns as sns_actions
from awacs.aws import StringEquals
from troposphere import Sub, Template
from troposphere import awslambda as lambda_

from generator import vocabulary as names
from generator.blocks import checkov, policies, roles
from generator.blocks.keys import Key
from generator.blocks.log_groups import LogGroup
from generator.config import Config
from generator.stacks import stack_sets

SOURCE = Path(__file__).resolve().parents[2] / "gate" / "app.py"
TIMEOUT = 900  # each invocation watches 10 minutes, then hands back a token
NOT_REPLAYABLE = (
    "CKV_AWS_116",
    "CodePipeline invokes the gate; an invocation that fails reports the job's failure, "
    "which fails the stage and rolls it back. A dead-lettered job could not be resumed.",
)


def gate(template: Template, config: Config, key: Key) -> lambda_.Function:
    app = config.application.name
    name = names.wave_gate(app)
    log_group = LogGroup(
        template,
        "WaveGateLogGroup",
        name=names.function_log_group(name),
        retention_days=config.application.log_retention_days,
        key=key,
        fate="Delete",
    )
    role = roles.for_service(
        template,
        "WaveGateRole",
        "lambda.amazonaws.com",
        description="The rollout's gate: reads health events, stack set operations and "
        "the pipeline's executions.",
        statements=statements(app, stack_sets(config)),
    )
    log_group.grant_write(role, "WriteOwnLogGroup")
    return template.add_resource(
        lambda_.Function(
            "WaveGate",
            DependsOn=[log_group.title],
            Metadata=checkov.skip(
                NOT_REPLAYABLE, checkov.NO_VPC_RESOURCES, checkov.SHARED_CONCURRENCY
            ),
            FunctionName=name,
            Description=f"{app}: bake a wave, pass only if its regions stayed healthy",
            Runtime="python3.11",
            Handler="index.handler",
            Architectures=["arm64"],
            MemorySize=128,
            Timeout=TIMEOUT,
            Code=lambda_.Code(ZipFile=SOURCE.read_text(encoding="utf-8")),
            Role=role.arn,
            TracingConfig=lambda_.TracingConfig(Mode="Active"),
        )
    )


def statements(app: str, sets: tuple[str, ...]) -> list[Any]:
    events = names.central_event_log_group(app)
    return [
        policies.allow(
            "ReadRegionHealthEvents",
            [logs_actions.FilterLogEvents],
            [policies.arn("logs", f"log-group:{events}:*")],
        ),
        policies.allow(
            "ReadStackSetOperations",
            [cfn.ListStackSetOperations],
            policies.stack_sets(app, sets),
        ),
        # ListStackSets has no resource type in IAM.
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
        policies.wildcard_only("FindStackSetsWildcardOnly", [cfn.ListStackSets]),
        policies.allow(
            "ToldRollbackFromRelease",
            [codepipeline_actions.GetPipelineExecution],
            [policies.arn("codepipeline", names.pipeline(app))],
        ),
        policies.allow(
            "AlertOnUnhealthyWave",
            [sns_actions.Publish],
            [policies.arn("sns", names.alert_topic(app))],
        ),
        # The alert topic is encrypted with this stack's key, used through SNS.
        policies.allow(
            "EncryptAlerts",
            [kms_actions.GenerateDataKey, kms_actions.Decrypt],
            [policies.arn("kms", "key/*")],
            StringEquals({"kms:ViaService": Sub("sns.${AWS::Region}.amazonaws.com")}),
        ),
        # PutJobSuccessResult and PutJobFailureResult have no resource type in IAM.
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodepipeline.html
        policies.wildcard_only(
            "ReportJobResultWildcardOnly",
            [codepipeline_actions.PutJobSuccessResult, codepipeline_actions.PutJobFailureResult],
        ),
        policies.xray_write(),
    ]
