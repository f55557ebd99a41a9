"""Schedules of the regional application: EventBridge Scheduler invokes a function's `live`
alias, so a release's canary takes its share of the invocations.

Every schedule of the stack is in one schedule group of the application, and has a role
of its own that may invoke only its function's alias; Scheduler assumes it with the
account and the group as `aws:SourceAccount` and `aws:SourceArn`, as its confused-deputy
guidance shows. An invocation Scheduler cannot deliver through its retries goes to the
schedules' dead-letter queue, whose depth is part of the region's health; so does one the
function fails: Scheduler invokes Lambda asynchronously, and Lambda retries a failed
asynchronous invocation itself, then sends it to the alias's on-failure destination.
https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role
https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING

from awacs import awslambda
from awacs.aws import ArnEquals
from troposphere import Ref, Sub, scheduler
from troposphere import awslambda as lambda_
from troposphere import cloudwatch as cw

from generator import vocabulary as names
from generator.blocks import policies, roles
from generator.blocks.queues import Queue

if TYPE_CHECKING:
    from generator.stacks.app import RegionalApp
    from generator.stacks.app.function import FunctionParts

# Lambda's default for asynchronous invocations, written out (0-2).
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
MAXIMUM_RETRY_ATTEMPTS = 2

# What the function receives: the schedule's name and Scheduler's context attributes,
# which Scheduler fills in for each invocation of a templated target.
# https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
SCHEDULE_EVENT = {
    "schedule": "{name}",
    "scheduleArn": "<aws.scheduler.schedule-arn>",
    "scheduledTime": "<aws.scheduler.scheduled-time>",
    "executionId": "<aws.scheduler.execution-id>",
    "attemptNumber": "<aws.scheduler.attempt-number>",
}


def schedule_event(name: str) -> str:
    return json.dumps({k: v.format(name=name) for k, v in SCHEDULE_EVENT.items()}, sort_keys=True)


class Schedules:
    """The application's schedules in this account and region."""

    def __init__(self, stack: RegionalApp) -> None:
        self.stack = stack
        self.template = stack.template
        self.app = stack.app

    @cached_property
    def group(self) -> scheduler.ScheduleGroup:
        return self.template.add_resource(
            scheduler.ScheduleGroup("ScheduleGroup", Name=names.schedule_group(self.app))
        )

    @property
    def group_arn(self) -> Sub:
        return policies.arn("scheduler", f"schedule-group/{names.schedule_group(self.app)}")

    @cached_property
    def dead_letters(self) -> Queue:
        """Invocations that failed through every retry, kept 14 days."""
        return Queue(
            self.template,
            "SchedulesDeadLetters",
            name=f"{names.schedule_group(self.app)}-dead-letters",
            key=self.stack.data_key,
            max_receive_count=1,
            retention_days=14,
            redrive=False,
        )

    @cached_property
    def alarm(self) -> cw.Alarm:
        alarms = self.stack.config.alarms
        return self.dead_letters.dead_letter_alarm(
            "SchedulesDeadLettersAlarm",
            alarm_name=names.alarm_name(self.app, "schedules", "dead-letters"),
            period=alarms.period_seconds,
            evaluation_periods=alarms.evaluation_periods,
        )

    def keep_failures(self, function: FunctionParts) -> lambda_.EventInvokeConfig:
        """The function's failed asynchronous invocations of its `live` alias (the
        schedules' among them), after Lambda's own two retries, go to the schedules'
        dead-letter queue; Lambda sends them with the function's role."""
        self.dead_letters.grant_send(function.role, "SendFailedInvocations")
        return self.template.add_resource(
            lambda_.EventInvokeConfig(
                f"{function.alias.title}FailedInvocations",
                DependsOn=[function.alias.title],
                FunctionName=Ref(function.function),
                Qualifier=names.ALIAS,
                MaximumRetryAttempts=MAXIMUM_RETRY_ATTEMPTS,
                DestinationConfig=lambda_.DestinationConfig(
                    OnFailure=lambda_.OnFailure(Destination=self.dead_letters.arn)
                ),
            )
        )

    def add(self, key: str, alias: lambda_.Alias) -> scheduler.Schedule:
        spec = self.stack.config.schedules[key]
        title = names.logical_id(key, "schedule")
        role = roles.for_service(
            self.template,
            f"{title}Role",
            "scheduler.amazonaws.com",
            conditions=[
                policies.source_account(),
                ArnEquals({"aws:SourceArn": self.group_arn}),
            ],
            description=f"EventBridge Scheduler invokes {spec.function}'s live alias only.",
            statements=[
                policies.allow("InvokeLiveAlias", [awslambda.InvokeFunction], [Ref(alias)])
            ],
        )
        self.dead_letters.grant_send(role, "SendDeadLetters")
        window = (
            scheduler.FlexibleTimeWindow(
                Mode="FLEXIBLE", MaximumWindowInMinutes=spec.flexible_window_minutes
            )
            if spec.flexible_window_minutes
            else scheduler.FlexibleTimeWindow(Mode="OFF")
        )
        return self.template.add_resource(
            scheduler.Schedule(
                title,
                Name=names.schedule_name(self.app, key),
                GroupName=Ref(self.group),
                Description=f"{self.app}: invoke {spec.function} ({spec.expression}).",
                ScheduleExpression=spec.expression,
                ScheduleExpressionTimezone=spec.timezone,
                FlexibleTimeWindow=window,
                State="ENABLED",
                Target=scheduler.Target(
                    Arn=Ref(alias),
                    RoleArn=role.arn,
                    Input=schedule_event(key),
                    RetryPolicy=scheduler.RetryPolicy(
                        MaximumEventAgeInSeconds=spec.maximum_event_age_seconds,
                        MaximumRetryAttempts=spec.maximum_retry_attempts,
                    ),
                    DeadLetterConfig=scheduler.DeadLetterConfig(Arn=self.dead_letters.arn),
                ),
            )
        )
