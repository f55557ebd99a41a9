"""CloudFormation's and IAM's quotas, checked before anything is written.

A config that grows (more functions, regions, waves) crosses these long before AWS
says so at deploy time; here the message names the template, the limit and the count.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StackSets.html
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from generator.output.render import size

MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_MAPPINGS = 200
# All inline policies of a role, and one managed policy, whitespace excluded.
MAX_ROLE_INLINE_POLICY_CHARS = 10_240
MAX_MANAGED_POLICY_CHARS = 6_144
# A composite alarm's rule: at most 100 child alarms and 10,240 characters.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html
MAX_COMPOSITE_CHILDREN = 100
MAX_ALARM_RULE_CHARS = 10_240
# Actions in one stage of a pipeline ("Number of actions in a stage: maximum of 50"); the
# Rollout stage holds every wave's ready, deploy, bake and approval actions.
# https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html
MAX_STAGE_ACTIONS = 50
# A metric filter's pattern: at most 1,024 characters. A wave's health filter names each
# of its regions, so a wide wave (or a long application name) can cross it.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html
MAX_FILTER_PATTERN_CHARS = 1_024
WAVE_FILTER = re.compile(r"Wave(\d+)HealthFilter")
# How many functions with one route each the application stack holds, measured by
# tests/checks/test_quotas.py: a subscription filter per log group costs a function 2
# of its 17 resources; with one account-level policy per account and region (or
# centralization alone) a function takes 15.
FUNCTIONS_WITH_FILTERS = 28
FUNCTIONS_WITHOUT_FILTERS = 32


@dataclass(frozen=True)
class Delivery:
    """How a template reaches CloudFormation, which decides its size limit."""

    limit: int
    how: str


# A template a CodePipeline action reads from its input artifact (the StackSet action's
# TemplatePath, the CloudFormation action's). CloudFormation takes 1 MB from S3, but the
# CloudFormation action was reported to stop at 512 KB; the limit here is the one
# CloudFormation documented for a template in S3 before it rose, below both.
# https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1023
PIPELINE_PATH = Delivery(460_800, "a CodePipeline action's TemplatePath")
INLINE = Delivery(51_200, "an inline TemplateBody")


def problems(name: str, template: dict[str, Any], delivery: Delivery) -> list[str]:
    """Each quota `template` crosses, as a sentence naming template, limit and count."""
    found = []
    for section, limit in (
        ("Resources", MAX_RESOURCES),
        ("Parameters", MAX_PARAMETERS),
        ("Outputs", MAX_OUTPUTS),
        ("Mappings", MAX_MAPPINGS),
    ):
        count = len(template.get(section, {}))
        if count > limit:
            advice = _functions_advice(template) if section == "Resources" else ""
            found.append(
                f"{name}: {count} {section.lower()}, over CloudFormation's limit of "
                f"{limit} per template{advice}"
            )
    body = size(template)
    if body > delivery.limit:
        found.append(
            f"{name}: {body:,} bytes, over the {delivery.limit:,}-byte limit of {delivery.how}"
        )
    for logical_id, resource in template.get("Resources", {}).items():
        found += _policy_sizes(name, logical_id, resource)
        found += _alarm_rule(name, logical_id, resource)
        found += _stage_actions(name, resource)
        found += _filter_pattern(name, logical_id, resource)
    return found


def _functions_advice(template: dict[str, Any]) -> str:
    """For the application stack (one deployment group per function): how many functions
    fit with the template's kind of log subscription, what the data blocks take, and what
    makes room."""
    kinds = [r.get("Type") for r in template.get("Resources", {}).values()]
    functions = kinds.count("AWS::CodeDeploy::DeploymentGroup")
    if not functions:
        return ""
    what = f"{functions} functions"
    data = _data_resources(template)
    if data:
        what += (
            f", and {data} resources of tables, queues and schedules: a table costs "
            f"{TABLE_COST}, a queue {QUEUE_COST} and {TRIGGER_COST} more with a consumer, a "
            f"schedule {SCHEDULE_COST} and a scheduled function {SCHEDULED_FUNCTION_COST}, "
            f"and once {DATA_KEY_COST} for the data key and {SCHEDULES_SHARED_COST} for the "
            "schedules' group and dead letters"
        )
    if "AWS::Logs::SubscriptionFilter" in kinds:
        return (
            f" ({what}): a subscription filter per log group costs each "
            f"function 2 resources, so {FUNCTIONS_WITH_FILTERS} functions with one route "
            f'each fit; logging.subscription = "account" (one policy per account and '
            f"region) fits {FUNCTIONS_WITHOUT_FILTERS}; or split the application into "
            "several configs"
        )
    return (
        f" ({what}): without a subscription filter per log group, "
        f"{FUNCTIONS_WITHOUT_FILTERS} functions with one route each fit; split the "
        "application into several configs"
    )


# What each data block adds to app.json (README: Tables, Queues, Schedules).
TABLE_COST, QUEUE_COST, TRIGGER_COST, SCHEDULE_COST = 1, 3, 1, 2
DATA_KEY_COST, SCHEDULES_SHARED_COST = 2, 3
SCHEDULED_FUNCTION_COST = 1  # where its failed invocations go
DATA_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Scheduler::Schedule",
        "AWS::Scheduler::ScheduleGroup",
    }
)
DATA_KEY = ("DataKey", "DataKeyAlias")


def _is_data(logical_id: str, resource: dict[str, Any]) -> bool:
    """A resource of a table, queue or schedule: its own type, the data key, a dead-letter
    alarm (SQS's namespace) or a schedule's role (trusted by Scheduler for a group)."""
    kind = resource.get("Type")
    if kind in DATA_TYPES or logical_id in DATA_KEY:
        return True
    properties = resource.get("Properties", {})
    if kind == "AWS::CloudWatch::Alarm":
        return bool(properties.get("Namespace") == "AWS/SQS")
    if kind == "AWS::IAM::Role":
        trust = json.dumps(properties.get("AssumeRolePolicyDocument", {}))
        return "scheduler.amazonaws.com" in trust and "schedule-group/" in trust
    return False


def _data_resources(template: dict[str, Any]) -> int:
    return sum(_is_data(k, r) for k, r in template.get("Resources", {}).items())


def _filter_pattern(name: str, logical_id: str, resource: dict[str, Any]) -> list[str]:
    if resource.get("Type") != "AWS::Logs::MetricFilter":
        return []
    pattern = resource.get("Properties", {}).get("FilterPattern", "")
    if not isinstance(pattern, str) or len(pattern) <= MAX_FILTER_PATTERN_CHARS:
        return []
    wave = WAVE_FILTER.fullmatch(logical_id)
    what = f"wave {wave[1]}'s health filter {logical_id}" if wave else f"metric filter {logical_id}"
    advice = " (one term per region: split the wave into smaller waves)" if wave else ""
    return [
        f"{name}: {what} has a {len(pattern):,}-character pattern, over CloudWatch Logs' "
        f"limit of {MAX_FILTER_PATTERN_CHARS:,}{advice}"
    ]


def _stage_actions(name: str, resource: dict[str, Any]) -> list[str]:
    if resource.get("Type") != "AWS::CodePipeline::Pipeline":
        return []
    return [
        f"{name}: stage {stage['Name']} has {len(stage['Actions'])} actions, over "
        f"CodePipeline's limit of {MAX_STAGE_ACTIONS} (fewer waves, or bakes of 0 minutes)"
        for stage in resource.get("Properties", {}).get("Stages", [])
        if len(stage["Actions"]) > MAX_STAGE_ACTIONS
    ]


def _alarm_rule(name: str, logical_id: str, resource: dict[str, Any]) -> list[str]:
    if resource.get("Type") != "AWS::CloudWatch::CompositeAlarm":
        return []
    rule = resource.get("Properties", {}).get("AlarmRule", "")
    if not isinstance(rule, str):
        return []
    found = []
    children = rule.count("ALARM(")
    if children > MAX_COMPOSITE_CHILDREN:
        found.append(
            f"{name}: composite alarm {logical_id} has {children} child alarms, over "
            f"CloudWatch's limit of {MAX_COMPOSITE_CHILDREN}"
        )
    if len(rule) > MAX_ALARM_RULE_CHARS:
        found.append(
            f"{name}: composite alarm {logical_id} has a {len(rule):,}-character rule, over "
            f"CloudWatch's limit of {MAX_ALARM_RULE_CHARS:,}"
        )
    return found


def _policy_sizes(name: str, logical_id: str, resource: dict[str, Any]) -> list[str]:
    props = resource.get("Properties", {})
    if resource.get("Type") == "AWS::IAM::Role" and props.get("Policies"):
        chars = sum(size(p["PolicyDocument"]) for p in props["Policies"])
        if chars > MAX_ROLE_INLINE_POLICY_CHARS:
            return [
                f"{name}: role {logical_id} has {chars:,} characters of inline policy, over "
                f"IAM's limit of {MAX_ROLE_INLINE_POLICY_CHARS:,}"
            ]
    if resource.get("Type") == "AWS::IAM::ManagedPolicy":
        chars = size(props.get("PolicyDocument", {}))
        if chars > MAX_MANAGED_POLICY_CHARS:
            return [
                f"{name}: managed policy {logical_id} has {chars:,} characters, over IAM's "
                f"limit of {MAX_MANAGED_POLICY_CHARS:,}"
            ]
    return []
