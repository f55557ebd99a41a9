"""How the regional application ships its logs and events to the home region.

Log groups are encrypted with a regional key and subscribed to the central account's
CloudWatch Logs destination in the same region (a destination must be in the log
group's region; its Firehose target is in the home region). Deployment, alarm, stack and
drift events go from this account's default bus to the central bus in the home region.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
"""

from __future__ import annotations

from functools import cached_property

from awacs import events as events_actions
from awacs import logs as logs_actions
from awacs.aws import ArnLike
from troposphere import Parameter, Ref, Sub, Template, events, logs

from generator import vocabulary as names
from generator.blocks import parameters, policies, roles
from generator.blocks.keys import Key
from generator.blocks.log_groups import LogGroup
from generator.blocks.roles import Role
from generator.config import Config


def logs_key(template: Template, app: str) -> Key:
    """The key of this stack's log groups; CloudWatch Logs may use it for them only."""
    key = Key(
        template,
        "LogsKey",
        description=f"{app}: encrypts this region's application log groups",
        alias=f"{app}-app-logs",
    )
    key.allow_logs("CloudWatchLogsEncryptsOwnGroups")
    return key


class CentralLogs:
    """Subscribes log groups to the central account's destination in this region.

    When the destination admits an organization (OU targets), CloudWatch Logs requires a
    role of the sender's account on each subscription filter, which it assumes to check
    that the sender may send: "The role must exist in the sender account, and you specify
    the ARN of this role in the subscription filter." Its one permission is PutLogEvents on
    the subscribed log groups. With account targets the destination names the accounts
    and no role is needed.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateSubscriptionFilter-IAMrole.html
    """

    def __init__(
        self, template: Template, config: Config, key: Key, central: parameters.CentralAccount
    ) -> None:
        self.template = template
        self.config = config
        self.key = key
        self.central = central
        self.destination = central.arn(
            "logs", f"destination:{names.logs_destination(config.application.name)}"
        )
        # The subscription role's one statement; each subscribed group adds itself.
        self.put_events = policies.allow("PutSubscribedLogEvents", [logs_actions.PutLogEvents], [])

    @cached_property
    def role(self) -> Role | None:
        if not self.config.targets.organizational_units:
            return None
        # CloudWatch Logs' confused-deputy guidance: "aws:SourceArn must limit the
        # permissions to only the accounts that are writing and receiving data", and it
        # acts on the recipient's behalf as well as the sender's, so both are named.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Subscriptions-confused-deputy.html
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateFirehoseStreamDestination.html
        return roles.for_service(
            self.template,
            "LogSubscriptionRole",
            "logs.amazonaws.com",
            conditions=[
                ArnLike(
                    {
                        "aws:SourceArn": [
                            Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"),
                            self.central.arn("logs", "*"),
                        ]
                    }
                )
            ],
            description="CloudWatch Logs checks this account's subscriptions to the "
            "organization's central destination.",
            statements=[self.put_events],
        )

    def log_group(self, title: str, name: str) -> LogGroup:
        """An encrypted log group whose every line also reaches the central archive, so the
        group itself goes with its stack."""
        group = LogGroup(
            self.template,
            title,
            name=name,
            retention_days=self.config.application.log_retention_days,
            key=self.key,
            fate="Delete",
        )
        subscription = logs.SubscriptionFilter(
            f"{title}Subscription",
            LogGroupName=group.ref,
            FilterPattern="",
            DestinationArn=self.destination,
        )
        if self.role is not None:
            self.put_events.Resource.append(group.arn)
            subscription.RoleArn = self.role.arn
        self.template.add_resource(subscription)
        return group


def forward_events(
    template: Template, app: str, central: parameters.CentralAccount, home_region: Parameter
) -> None:
    """Send this stack's deployments, alarms, status changes and drift to the central bus."""
    bus = central.arn("events", f"event-bus/{names.event_bus(app)}", region=Ref(home_region))
    role = roles.for_service(
        template,
        "EventForwarderRole",
        "events.amazonaws.com",
        description="EventBridge forwards this stack's events to the central bus only.",
    )
    role.allow("PutEventsOnCentralBus", [events_actions.PutEvents], [bus])
    patterns = {
        "deployment": {
            "source": ["aws.codedeploy"],
            "detail-type": [names.CODEDEPLOY_STATE],
            "detail": {"application": [names.codedeploy_application(app)]},
        },
        "alarm": {
            "source": ["aws.cloudwatch"],
            "detail-type": [names.ALARM_STATE],
            "detail": {"alarmName": [{"prefix": f"{app}-"}]},
        },
        # This stack's status changes, and its drift. One rule with `$or` rather than two:
        # every resource counts against the 500 of the template, whose functions need them.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-complex-example-or
        "stack": {
            "source": ["aws.cloudformation"],
            "$or": [
                {
                    "detail-type": [names.STACK_STATUS],
                    "detail": {"stack-id": [Ref("AWS::StackId")]},
                },
                {
                    "detail-type": [names.DRIFT_STATUS],
                    "detail": {
                        "stack-id": [Ref("AWS::StackId")],
                        "status-details": {"stack-drift-status": ["DRIFTED"]},
                    },
                },
            ],
        },
    }
    for kind, pattern in patterns.items():
        template.add_resource(
            events.Rule(
                names.logical_id("forward", kind, "events"),
                Description=f"{app}: forward {kind} events to the home region",
                EventPattern=pattern,
                State="ENABLED",
                Targets=[events.Target(Id="CentralBus", Arn=bus, RoleArn=role.arn)],
            )
        )
