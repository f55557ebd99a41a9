"""How the regional application ships its logs and events to the home region.

Log groups are encrypted with a regional key and subscribed to the central account's
CloudWatch Logs destination in the same region (a destination must be in the log
group's region; its Firehose target is in the home region). Deployment, alarm and
stack events go from this account's default bus to the central bus in the home region.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
"""

from __future__ import annotations

from awacs import events as events_actions
from troposphere import GetAtt, Ref, Template, events, kms, logs

from generator import vocabulary as naming
from generator.blocks import parameters
from generator.blocks import policies as iam
from generator.blocks.buckets import customer_key, logs_grant
from generator.config import Config

# EventBridge event types that the central bus collects.
# https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-cloudwatch-events.html
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/eventbridge-integration.html
CODEDEPLOY_STATE = "CodeDeploy Deployment State-change Notification"
ALARM_STATE = "CloudWatch Alarm State Change"
STACK_STATUS = "CloudFormation Stack Status Change"


def logs_key(template: Template, config: Config) -> kms.Key:
    """The key of this stack's log groups; CloudWatch Logs may use it for them only."""
    grant = logs_grant("CloudWatchLogsEncryptsOwnGroups")
    return customer_key(
        template,
        "LogsKey",
        description=f"{config.application.name}: encrypts this region's application log groups",
        alias=f"{config.application.name}-app-logs",
        grants=[grant],
    )


def log_group(
    template: Template,
    title: str,
    *,
    name: str,
    retention_days: int,
    key: kms.Key,
    destination: str,
) -> logs.LogGroup:
    """An encrypted log group with a subscription to the central destination."""
    group = template.add_resource(
        logs.LogGroup(
            title,
            LogGroupName=name,
            RetentionInDays=retention_days,
            KmsKeyId=GetAtt(key, "Arn"),
        )
    )
    template.add_resource(
        logs.SubscriptionFilter(
            f"{title}Subscription",
            LogGroupName=Ref(group),
            FilterPattern="",
            DestinationArn=parameters.central_arn("logs", f"destination:{destination}"),
        )
    )
    return group


def forward_events(template: Template, config: Config) -> None:
    """Send this stack's deployments, alarms and status changes to the central bus."""
    app = config.application.name
    bus = parameters.central_arn(
        "events", f"event-bus/{naming.event_bus(app)}", region=Ref(parameters.HOME_REGION)
    )
    role = template.add_resource(
        iam.role(
            "EventForwarderRole",
            iam.service_trust("events.amazonaws.com", iam.source_account()),
            [iam.allow("PutEventsOnCentralBus", [events_actions.PutEvents], [bus])],
            description="EventBridge forwards this stack's events to the central bus only.",
        )
    )
    patterns = {
        "DeploymentEvents": {
            "source": ["aws.codedeploy"],
            "detail-type": [CODEDEPLOY_STATE],
            "detail": {"application": [naming.codedeploy_application(app)]},
        },
        "AlarmEvents": {
            "source": ["aws.cloudwatch"],
            "detail-type": [ALARM_STATE],
            "detail": {"alarmName": [{"prefix": f"{app}-"}]},
        },
        "StackEvents": {
            "source": ["aws.cloudformation"],
            "detail-type": [STACK_STATUS],
            "detail": {"stack-id": [Ref("AWS::StackId")]},
        },
    }
    for title, pattern in patterns.items():
        template.add_resource(
            events.Rule(
                f"Forward{title}",
                Description=f"{app}: forward {title[:-6].lower()} events to the home region",
                EventPattern=pattern,
                State="ENABLED",
                Targets=[events.Target(Id="CentralBus", Arn=bus, RoleArn=GetAtt(role, "Arn"))],
            )
        )
