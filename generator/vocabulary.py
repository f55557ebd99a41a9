"""Every name that more than one stack, file or command uses, in one place.

Stacks import names from here, never from each other. Regional templates run in many
regions and accounts, so names that include the region or account are `Fn::Sub` patterns
built from pseudo parameters, never literals.
"""

from __future__ import annotations

from troposphere import AWSHelperFn, Sub

# --- the traffic-shifted alias ---------------------------------------------------------
ALIAS = "live"

# --- template parameters, shared by the stacks, StackSet inputs and samconfig ----------
HOME_REGION = "HomeRegion"
CENTRAL_ACCOUNT = "CentralAccountId"
LOG_LEVEL = "LogLevel"
SOURCE_ACCOUNTS = "SourceAccountIds"
ADMIN_ACCOUNT = "AdministratorAccountId"
EXECUTION_ROLE_VERSION = "ExecutionRoleVersion"

# --- roles whose names AWS fixes -------------------------------------------------------
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
STACKSET_ADMIN_ROLE = "AWSCloudFormationStackSetAdministrationRole"
STACKSET_EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"

# --- EventBridge detail types the central bus collects ---------------------------------
# https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-cloudwatch-events.html
CODEDEPLOY_STATE = "CodeDeploy Deployment State-change Notification"
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
ALARM_STATE = "CloudWatch Alarm State Change"
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/eventbridge-integration.html
STACK_STATUS = "CloudFormation Stack Status Change"
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-drift-detection-change.html
DRIFT_STATUS = "CloudFormation Drift Detection Status Change"
# https://docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html
PIPELINE_STATE = "CodePipeline Pipeline Execution State Change"
STAGE_STATE = "CodePipeline Stage Execution State Change"
# The pipeline stage that rolls the application out, wave by wave.
ROLLOUT_STAGE = "Rollout"
# After a bake, how long a gate keeps watching for the last alarm evaluation, its event
# and its log line to arrive, besides one alarm period.
BAKE_SETTLE_SECONDS = 120
# The Review stage's approval message, around the plan's risks (#{BuildVariables.PLAN_RISKS}).
# CodePipeline's console takes at most 500 characters of comments for an approval:
# https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals-action-add.html
REVIEW_MESSAGE = (
    "The plan says this release needs a person's approval: {risks}. The plan is in the "
    "Build stage's output (build/plan/)."
)
APPROVAL_MESSAGE_MAX = 500
# Sources the regional stacks and the pipeline forward to the central bus.
FORWARDED_SOURCES = ("aws.codedeploy", "aws.cloudwatch", "aws.cloudformation", "aws.codepipeline")


def logical_id(*parts: str) -> str:
    """`('api', 'version')` -> `ApiVersion`: CloudFormation logical ids are alphanumeric."""
    words = (w for part in parts for w in part.replace("_", "-").split("-") if w)
    return "".join(w[0].upper() + w[1:] for w in words)


# --- the regional application ------------------------------------------------------------
def function_name(app: str, function: str) -> str:
    return f"{app}-{function}"


def table_name(app: str, table: str) -> str:
    return f"{app}-{table}"


def global_data_key_alias(app: str) -> str:
    """The alias (without `alias/`) of each region's key for the global tables' replicas:
    the data stack and the app stacks find the key by it, in every region."""
    return f"{app}-global-data"


def queue_name(app: str, queue: str) -> str:
    return f"{app}-{queue}"


def schedule_group(app: str) -> str:
    return f"{app}-schedules"


def schedule_name(app: str, schedule: str) -> str:
    return f"{app}-{schedule}"


def hook_name(app: str, function: str) -> str:
    return f"{app}-{function}-pretraffic"


def function_log_group(name: str) -> str:
    return f"/aws/lambda/{name}"


def api_log_group(app: str) -> str:
    return f"/aws/http-api/{app}"


def codedeploy_application(app: str) -> str:
    return app


def deployment_group(app: str, function: str) -> str:
    return f"{app}-{function}"


def alarm_name(app: str, function: str, metric: str) -> str:
    return f"{app}-{function}-{metric}"


def api_alarm(app: str) -> str:
    return f"{app}-api-5xx-rate"


def health_alarm(app: str) -> str:
    """The composite alarm of a region: any alarm of the application in that region."""
    return f"{app}-health"


# --- the regional bootstrap (central account, every region) ---------------------------------
def artifact_bucket(prefix: str, account: AWSHelperFn | None = None) -> Sub:
    """`<prefix>-<account>-<region>`: Lambda reads code only from a bucket in its own region.

    `account` is the central account that owns the bucket; by default, this stack's own.
    """
    if account is None:
        return Sub(artifact_bucket_name(prefix, "${AWS::AccountId}", "${AWS::Region}"))
    return Sub(artifact_bucket_name(prefix, "${Account}", "${AWS::Region}"), Account=account)


def artifact_bucket_name(prefix: str, account: str, region: str) -> str:
    return f"{prefix}-{account}-{region}"


def asset_key(function: str, sha256_hex: str) -> str:
    """Content-addressed: the same code has the same key in every region and release."""
    return f"{function}/{sha256_hex}.zip"


def logs_destination(app: str) -> str:
    return f"{app}-central-logs"


# --- central logging (home region) ------------------------------------------------------------
def delivery_stream(app: str, region: str) -> str:
    """One stream per source region: CloudWatch Logs records do not carry their region."""
    return f"{app}-logs-{region}"


def central_log_bucket(app: str) -> str:
    """The archive bucket's name, as an `Fn::Sub` pattern (it holds the account id)."""
    return f"{app}-central-logs-${{AWS::AccountId}}-${{AWS::Region}}"


def central_event_log_group(app: str) -> str:
    return f"/aws/events/{app}-central"


def firehose_error_log_group(app: str) -> str:
    """Where the Firehose streams log their delivery errors: on the log path itself, so
    no subscription may read it (it would feed the streams their own errors)."""
    return f"/aws/kinesisfirehose/{app}-central-logs"


def account_subscription_policy(app: str) -> str:
    """The account-level subscription filter policy of a target account and region."""
    return f"{app}-central-logs"


def centralization_rule(app: str) -> str:
    """The organization's centralization rule of this application ([0-9A-Za-z-] only)."""
    return f"{app}-logs"


def centralized_prefix(app: str) -> str:
    """Where the centralization rule writes its copies in the central account."""
    return f"/central/{app}/"


def centralized_log_group(app: str, account: str, region: str, source: str) -> str:
    """The copy of `source` (of `account` and `region`): the rule's LogGroupNamePattern
    with its variables filled in."""
    return f"{centralized_prefix(app)}{account}/{region}{source}"


def event_bus(app: str) -> str:
    return f"{app}-central"


def rollout_namespace(app: str) -> str:
    """The CloudWatch namespace of the rollout's own metrics, in the home region."""
    return f"{app}/Rollout"


def wave_alarm(app: str, wave: int | str) -> str:
    """In the home region: a region of the wave went to ALARM."""
    return f"{app}-wave-{wave}-unhealthy"


def alert_topic(app: str) -> str:
    return f"{app}-alerts"


def approvals_topic(app: str) -> str:
    """The pipeline's own topic for approval requests: it exists from the pipeline's
    first run, before the logging stack (and its alert topic) does."""
    return f"{app}-approvals"


def dashboard(app: str) -> str:
    return f"{app}-all-regions"


# --- stacks and stack sets --------------------------------------------------------------------
def stack_set(app: str, stack: str) -> str:
    return f"{app}-{stack}"


def role_path(app: str) -> str:
    """The IAM path of every role (and managed policy) the application's stacks create
    without a name. CloudFormation shortens a generated name's stack part to fit IAM's
    64 characters, so a name prefix can vanish; the path never does, and policies that
    manage the application's roles name them by it: `role/<app>/*`."""
    return f"/{app}/"


def stack_set_instances(app: str) -> str:
    """The prefix of the stacks StackSets create for instances of this application's sets:
    `StackSet-<stack set name>-<id>`."""
    return f"StackSet-{app}-"


def home_stack(app: str, stack: str) -> str:
    """The home-region stacks, by name: the pipeline updates itself and the logging stack."""
    return f"{app}-{stack}"


def wave_gate(app: str) -> str:
    """The function the pipeline's bake and ready actions invoke (in the logging stack)."""
    return f"{app}-wave-gate"


def pipeline(app: str) -> str:
    return f"{app}-release"
