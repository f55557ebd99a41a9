"""What the home region watches while a release rolls out.

- Wave health. Every region's `<app>-health` composite alarm sends its state changes to
  the central bus, which keeps them in the event log. A metric filter per wave counts the
  regions of the wave that went to ALARM, and an alarm per wave (`<app>-wave-<n>-unhealthy`)
  turns that into the signal a wave's bake watches: alarm → composite → event → metric →
  wave alarm → gate → rollback.
- StackSet operations. CloudFormation reports each stack set operation and each stack
  instance's status on this account's default bus in this region; they are forwarded to
  the central bus, and a failed instance reaches the alert topic with its account, region
  and reason.
- Drift. EventBridge Scheduler asks CloudFormation to detect drift of both stack sets every
  day, with no function of ours. Each instance's stack then reports its drift status in its
  own region ("CloudFormation Drift Detection Status Change"); the regional stacks forward
  the DRIFTED ones to the central bus, where they reach the alert topic.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-cloudformation.html
https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-drift-detection-change.html
"""

from __future__ import annotations

import json
from typing import Any

from awacs import cloudformation as cfn
from awacs import events as events_actions
from troposphere import GetAtt, Ref, Sub, Template, events, logs, scheduler
from troposphere import cloudwatch as cw

from generator import vocabulary as names
from generator.blocks import policies, roles
from generator.blocks.keys import Key
from generator.blocks.log_groups import LogGroup
from generator.config import Config
from generator.stacks.central_logging.monitoring import DeadLetters

STACK_SET_OPERATION = "CloudFormation StackSet Operation Status Change"
STACK_INSTANCE = "CloudFormation StackSet StackInstance Status Change"
DRIFT_SCHEDULE = "cron(0 3 * * ? *)"  # daily, 03:00 UTC
# The stack sets whose drift is checked daily. The data stack sets are not: drift detection
# compares each global table replica's key as the template names it (an alias here, an
# ARN alike) with the key id DynamoDB reports, so every replica would always read as
# drifted.
# https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2232
DRIFT_CHECKED = ("app", "bootstrap")
# Drift detection of every instance at once, and to the end whatever fails: the operation
# holds its stack set for as short a time as it can, so a release meets it less often.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackSetDrift.html
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html
DRIFT_PREFERENCES = {
    "FailureTolerancePercentage": 100,
    "MaxConcurrentPercentage": 100,
    "RegionConcurrencyType": "PARALLEL",
}


def wave_health(template: Template, config: Config, event_log: LogGroup) -> list[cw.Alarm]:
    """A metric filter and an alarm per wave, on the regions' health events."""
    app = config.application.name
    namespace = names.rollout_namespace(app)
    alarms = []
    for number, regions in enumerate(config.targets.wave_list, start=1):
        metric = f"Wave{number}Unhealthy"
        where = " || ".join(f'($.region = "{region}")' for region in regions)
        template.add_resource(
            logs.MetricFilter(
                f"Wave{number}HealthFilter",
                LogGroupName=event_log.ref,
                FilterPattern=(
                    f'{{ ($.detail-type = "{names.ALARM_STATE}") && '
                    f'($.detail.alarmName = "{names.health_alarm(app)}") && '
                    f'($.detail.state.value = "ALARM") && ({where}) }}'
                ),
                MetricTransformations=[
                    logs.MetricTransformation(
                        MetricNamespace=namespace, MetricName=metric, MetricValue="1"
                    )
                ],
            )
        )
        alarms.append(
            template.add_resource(
                cw.Alarm(
                    f"Wave{number}UnhealthyAlarm",
                    AlarmName=names.wave_alarm(app, number),
                    AlarmDescription=f"{app}: a region of wave {number} ({', '.join(regions)}) "
                    "went to ALARM. The wave's bake fails on it, and the rollout rolls back.",
                    Namespace=namespace,
                    MetricName=metric,
                    Statistic="Sum",
                    Period=60,
                    EvaluationPeriods=1,
                    Threshold=1,
                    ComparisonOperator="GreaterThanOrEqualToThreshold",
                    TreatMissingData="notBreaching",
                )
            )
        )
    return alarms


def forward_stack_set_events(
    template: Template, app: str, sets: tuple[str, ...], bus: events.EventBus
) -> events.Rule:
    """This region's stack set events of the application, to the central bus."""
    role = roles.for_service(
        template,
        "StackSetEventsRole",
        "events.amazonaws.com",
        description="EventBridge forwards this application's stack set events to the central bus.",
        statements=[
            policies.allow("PutOnCentralBus", [events_actions.PutEvents], [GetAtt(bus, "Arn")])
        ],
    )
    return template.add_resource(
        events.Rule(
            "ForwardStackSetEvents",
            Name=f"{app}-central-stack-set-events",
            Description=f"{app}: stack set operations and stack instances, to the central bus",
            EventPattern={
                "source": ["aws.cloudformation"],
                "detail-type": [STACK_SET_OPERATION, STACK_INSTANCE],
                "detail": {
                    "stack-set-arn": [
                        {"prefix": _stack_set_prefix(names.stack_set(app, s))} for s in sets
                    ]
                },
            },
            State="ENABLED",
            Targets=[events.Target(Id="CentralBus", Arn=GetAtt(bus, "Arn"), RoleArn=role.arn)],
        )
    )


def _stack_set_prefix(stack_set: str) -> Sub:
    """A stack set's ARN is `...:stackset/<name>:<id>`: the colon ends the name, so the
    prefix matches this stack set and no other whose name merely starts the same way.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stackset-stack-instance-status-change.html
    """
    return Sub(
        "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:"
        f"stackset/{stack_set}:"
    )


def failed_instances_rule(
    template: Template, app: str, bus: events.EventBus, topic: Any
) -> events.Rule:
    """A failed stack instance, with its stack (account and region) and reason.

    The template is a JSON object whose placeholders stand bare, so EventBridge inserts each
    value as a JSON string: a reason with quotes in it (CloudFormation's often has) cannot
    break the message, as it would inside a quoted template string.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
    """
    return template.add_resource(
        events.Rule(
            "AlertOnFailedStackInstances",
            Name=f"{app}-central-failed-instances",
            Description=f"{app}: a stack instance failed, with its account, region and reason",
            EventBusName=Ref(bus),
            EventPattern={
                "source": ["aws.cloudformation"],
                "detail-type": [STACK_INSTANCE],
                "detail": {"status-details": {"detailed-status": ["FAILED"]}},
            },
            State="ENABLED",
            Targets=[
                events.Target(
                    Id="AlertTopic",
                    Arn=Ref(topic),
                    InputTransformer=events.InputTransformer(
                        InputPathsMap={
                            "stack": "$.detail.stack-id",
                            "set": "$.detail.stack-set-arn",
                            "action": "$.detail.action",
                            "reason": "$.detail.status-details.status-reason",
                        },
                        InputTemplate=FAILED_INSTANCE_TEMPLATE,
                    ),
                )
            ],
        )
    )


# Bare placeholders: EventBridge fills each in as a JSON value.
FAILED_INSTANCE_TEMPLATE = (
    '{"alert":"stack instance failed","stack":<stack>,"stackSet":<set>,'
    '"action":<action>,"reason":<reason>,'
    '"note":"The stack ARN names the region and account of the instance."}'
)


def drift_checks(
    template: Template, app: str, dead_letters: DeadLetters, key: Key
) -> scheduler.ScheduleGroup:
    """A daily drift detection of both stack sets, by Scheduler calling CloudFormation.

    The schedules have their own group, whose metrics the drift alarm watches, and send
    what they cannot start (after the retries) to the stack's dead-letter queue.
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
    """
    stack_sets = [names.stack_set(app, s) for s in DRIFT_CHECKED]
    group = template.add_resource(
        scheduler.ScheduleGroup("DriftScheduleGroup", Name=f"{app}-drift")
    )
    role = roles.for_service(
        template,
        "DriftCheckRole",
        "scheduler.amazonaws.com",
        description="EventBridge Scheduler starts drift detection of the application's stack sets.",
        statements=[
            policies.allow(
                "DetectStackSetDrift",
                [cfn.DetectStackSetDrift],
                [policies.arn("cloudformation", f"stackset/{s}:*") for s in stack_sets],
            )
        ],
    )
    dead_letters.grant_send(role, key)
    for stack_set in stack_sets:
        template.add_resource(
            scheduler.Schedule(
                names.logical_id("drift", stack_set, "schedule"),
                Name=f"{stack_set}-drift",
                GroupName=Ref(group),
                Description=f"Detect drift of the {stack_set} stack set daily.",
                ScheduleExpression=DRIFT_SCHEDULE,
                FlexibleTimeWindow=scheduler.FlexibleTimeWindow(
                    Mode="FLEXIBLE", MaximumWindowInMinutes=60
                ),
                State="ENABLED",
                Target=scheduler.Target(
                    Arn=Sub(
                        "arn:${AWS::Partition}:scheduler:::aws-sdk:cloudformation:detectStackSetDrift"
                    ),
                    RoleArn=role.arn,
                    Input=json.dumps(
                        {"OperationPreferences": DRIFT_PREFERENCES, "StackSetName": stack_set},
                        sort_keys=True,
                    ),
                    # A stack set runs one operation at a time: a release's operation makes
                    # the call fail, and the retries (an hour at most) wait for it to end.
                    RetryPolicy=scheduler.RetryPolicy(
                        MaximumEventAgeInSeconds=3600, MaximumRetryAttempts=3
                    ),
                    DeadLetterConfig=scheduler.DeadLetterConfig(Arn=dead_letters.arn),
                ),
            )
        )
    return group
