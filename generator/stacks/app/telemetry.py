"""How the regional application ships its logs and events to the home region.

Log groups are encrypted with a regional key. On the Firehose path they are subscribed to
the central account's CloudWatch Logs destination in the same region (a destination must
be in the log group's region; its Firehose target is in the home region), one filter per
group or one account-level policy; with centralization, the organization's rule copies
them. Deployment, alarm, stack and drift events go from this account's default bus to the
central bus in the home region.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property

from awacs import events as events_actions
from awacs import logs as logs_actions
from awacs.aws import ArnLike
from troposphere import And, Condition, Equals, Not, Or, Parameter, Ref, Sub, Template, events, logs

from generator import vocabulary as names
from generator.blocks import parameters, policies, roles
from generator.blocks.keys import Key
from generator.blocks.log_groups import LogGroup
from generator.blocks.roles import Role
from generator.config import Config
from generator.output.render import compact

# The central account's home region: where the centralization rule writes its copies.
CENTRAL_HOME_REGION = "CentralAccountHomeRegion"
ACCOUNT_SUBSCRIPTION_HERE = "AccountSubscriptionHere"


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
    """How this stack's log groups reach the central account, by `logging.mode`.

    - Firehose path (`firehose`, `both`): each log group is subscribed to the central
      account's CloudWatch Logs destination in this region, by a filter of its own
      (`subscription = "log-group"`) or by one account-level subscription filter policy
      of this account and region (`"account"`), which covers every log group but those
      it excludes.
    - Centralization (`centralization`, `both`): the organization's rule in the logging
      stack copies the log groups; nothing here takes part.

    When the destination admits an organization (OU targets), CloudWatch Logs requires a
    role of the sender's account on each subscription, which it assumes to check that the
    sender may send: "The role must exist in the sender account, and you specify the ARN
    of this role in the subscription filter." Its one permission is PutLogEvents on the
    subscribed log groups (every group of the region, for an account-level policy). With
    account targets the destination names the accounts and no role is needed.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateSubscriptionFilter-IAMrole.html
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters-AccountLevel.html
    """

    def __init__(
        self,
        template: Template,
        config: Config,
        key: Key,
        central: parameters.CentralAccount,
        home_region: Parameter,
    ) -> None:
        self.template = template
        self.config = config
        self.key = key
        self.central = central
        self.home_region = home_region
        self.app = config.application.name
        self.destination = central.arn("logs", f"destination:{names.logs_destination(self.app)}")
        # The subscription role's one statement; each subscribed group adds itself.
        self.put_events = policies.allow("PutSubscribedLogEvents", [logs_actions.PutLogEvents], [])

    @property
    def per_log_group(self) -> bool:
        logging = self.config.logging
        return logging.firehose and logging.subscription == "log-group"

    @property
    def per_account(self) -> bool:
        logging = self.config.logging
        return logging.firehose and logging.subscription == "account"

    @property
    def central_home_region_by_filter(self) -> bool:
        """With both paths and account-level policies, the central account's home region
        has no policy (see `account_subscription`), so this stack's own log groups there
        reach the archive by filters of their own, made there only."""
        return self.per_account and self.config.logging.centralized

    @cached_property
    def role(self) -> Role | None:
        if not (self.config.targets.organizational_units and self.config.logging.firehose):
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
        """An encrypted log group whose every line also reaches the central account, so
        the group itself goes with its stack."""
        group = LogGroup(
            self.template,
            title,
            name=name,
            retention_days=self.config.application.log_retention_days,
            key=self.key,
            fate="Delete",
        )
        if self.per_log_group or self.central_home_region_by_filter:
            subscription = logs.SubscriptionFilter(
                f"{title}Subscription",
                LogGroupName=group.ref,
                FilterPattern="",
                DestinationArn=self.destination,
            )
            if self.role is not None:
                if self.per_log_group:  # an account-level policy's role covers every group
                    self.put_events.Resource.append(group.arn)
                subscription.RoleArn = self.role.arn
            if not self.per_log_group:
                subscription.Condition = self.central_home_region
            self.template.add_resource(subscription)
        return group

    @cached_property
    def account_subscription(self) -> logs.AccountPolicy | None:
        """One account-level subscription filter policy for this account and region.

        Account-level policies are per region, one of each type per account: "Each account
        can have one account-level subscription filter policy per Region". It sends every
        log group of the account and region, this stack's and any other's, but those that
        `SelectionCriteria` excludes ("the only supported selectionCriteria filter is
        LogGroupName NOT IN []", names in double quotes): the log groups of the log path
        itself, which CloudWatch Logs' recursion guidance says to exclude, since a line
        they hold would travel the path again and log once more on the way.
        The policy's name carries a digest of the selection: an update of the criteria
        alone is not applied to an existing policy (aws-cloudformation-resource-providers-
        logs#111), and a new name replaces it (delete first, create then).
        https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutAccountPolicy.html
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Subscriptions-recursion-prevention.html
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateSubscriptionFilterFirehose-Account.html
        """
        if not self.per_account:
            return None
        excluded = json.dumps(sorted(excluded_log_groups(self.app)))
        selection = f"LogGroupName NOT IN {excluded}"
        digest = hashlib.sha256(selection.encode()).hexdigest()[:8]
        document: dict[str, str] = {"DestinationArn": "${Destination}", "FilterPattern": ""}
        variables: dict[str, object] = {"Destination": self.destination}
        if self.role is not None:
            # The page's organization case: "you will need to use the ARN of the IAM role".
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateSubscriptionFilter-Account.html
            self.put_events.Resource.append(policies.arn("logs", "log-group:*"))
            document["RoleArn"] = "${Role}"
            variables["Role"] = self.role.arn
        policy = logs.AccountPolicy(
            "AccountSubscriptionPolicy",
            PolicyName=f"{names.account_subscription_policy(self.app)}-{digest}",
            PolicyType="SUBSCRIPTION_FILTER_POLICY",
            Scope="ALL",
            # PascalCase keys, as every AWS example writes them (aws-cdk#31266: camelCase
            # was refused as an invalid request).
            PolicyDocument=Sub(compact(document), **variables),
            SelectionCriteria=selection,
        )
        if self.config.logging.centralized:
            # The copies of every account and region are log groups of the central
            # account's home region, whose own account-level policy would send them all
            # down the Firehose path a second time: no policy there.
            self.template.add_condition(
                ACCOUNT_SUBSCRIPTION_HERE, Not(Condition(self.central_home_region))
            )
            policy.Condition = ACCOUNT_SUBSCRIPTION_HERE
        return self.template.add_resource(policy)

    @cached_property
    def central_home_region(self) -> str:
        """The condition that holds in the central account's home region only."""
        central_here = Or(
            Condition(parameters.CENTRAL_IS_HERE),
            Equals(Ref(self.central.parameter), Ref("AWS::AccountId")),
        )
        home_here = Equals(Ref("AWS::Region"), Ref(self.home_region))
        self.template.add_condition(CENTRAL_HOME_REGION, And(central_here, home_here))
        return CENTRAL_HOME_REGION


def excluded_log_groups(app: str) -> list[str]:
    """The log groups an account-level subscription must never send: the Firehose streams'
    delivery errors (which exist in the central account's home region only)."""
    return [names.firehose_error_log_group(app)]


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
