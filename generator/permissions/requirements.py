"""The requirements check: every AWS API call each principal of this system makes, evaluated
against the policies of the generated templates as deployed.

`requirements.toml` beside this module is the data: for each principal (a role wired in a
template, or an AWS service principal), the calls AWS's documentation says it makes, each
with the page that says so. A `World` places every template of one build in the accounts
and regions the config names (CloudFormation resolves intrinsics there, see `resolve`);
`evaluate_all` expands each call over those placements and decides it with the IAM
evaluator (`evaluate`). Deploy-time calls of each resource type are also derived from
CloudFormation's resource schemas (handler permissions), as `deployer` derives grants.

A call that cannot be resolved (a missing resource, property or role) is a failed call
with the reason, not a crash: a template defect is exactly what this check reports.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Final

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # type: ignore[import-untyped, unused-ignore]

from generator import vocabulary as names
from generator.config import Config
from generator.config.models import Use
from generator.config.regions import opt_in
from generator.permissions import iam_data
from generator.permissions.evaluate import Decision, Request, evaluate, like
from generator.permissions.resolve import (
    ATTACHMENTS,
    Placement,
    Resolver,
    UnresolvableError,
    stable_uuid,
)
from generator.stacks import BY_FILE, stack_sets

DATA: Final = Path(__file__).with_name("requirements.toml")
SCHEMA_REGION: Final = "us-east-1"
_PLACEHOLDER: Final = re.compile(r"\{([^{}]+)\}")
_REFERENCE_KINDS: Final = ("ref", "arn", "att", "prop", "name")


class RequirementError(ValueError):
    """A call whose principal, resource or policy this world does not have."""


# ---------------------------------------------------------------- the data
@dataclass(frozen=True)
class Call:
    """One API call, as `requirements.toml` describes it (values are expressions)."""

    id: str
    action: str
    resource: str
    doc: str
    context: Mapping[str, str | list[str]] = field(default_factory=dict)
    policy: str | None = None
    owner: str | None = None
    identity_only: bool = False
    exists_in: str | None = None
    for_each: str | None = None
    when: str | None = None
    principal: str | None = None  # a service that makes this call instead (assumptions)
    note: str = ""


@dataclass(frozen=True)
class Principal:
    """Who makes calls: a role (expression for its ARN) or a service principal, placed
    wherever its template is deployed, once per `for_each` item."""

    id: str
    description: str
    templates: tuple[str, ...]
    role: str | None
    service: str | None
    calls: tuple[Call, ...]
    derive: tuple[str, ...] = ()
    for_each: str | None = None
    when: str | None = None


@dataclass(frozen=True)
class Requirements:
    """The whole data file."""

    principals: tuple[Principal, ...]
    placements: Mapping[str, tuple[str, str]]
    handlers: tuple[str, ...]
    derived_doc: str
    service_managed_role: str
    service_managed_policy: Mapping[str, Any]

    def principal(self, principal_id: str) -> Principal:
        return next(p for p in self.principals if p.id == principal_id)


def _call(raw: Mapping[str, Any]) -> Call:
    try:
        return Call(**raw)
    except TypeError as wrong:  # an unknown or missing key in the data file
        raise RequirementError(f"requirements.toml, call {raw.get('id')!r}: {wrong}") from None


def _principal(raw: Mapping[str, Any]) -> Principal:
    calls = [_call(c) for c in raw.get("calls", [])]
    for assumption in raw.get("assumed_by", []):
        calls.append(_assumption(raw, assumption))
    templates = raw["template"]
    return Principal(
        id=raw["id"],
        description=raw["description"],
        templates=tuple(templates if isinstance(templates, list) else [templates]),
        role=raw.get("role"),
        service=raw.get("service"),
        calls=tuple(calls),
        derive=tuple(raw.get("derive", [])),
        for_each=raw.get("for_each"),
        when=raw.get("when"),
    )


def _assumption(principal: Mapping[str, Any], raw: Mapping[str, Any]) -> Call:
    """`assumed_by`: the service calls sts:AssumeRole on the role; its trust decides."""
    role = principal["role"]
    return _call(
        {"action": "sts:AssumeRole", "resource": role, "policy": role, "id": raw["id"]}
        | {k: v for k, v in raw.items() if k not in ("service", "id")}
        | {"principal": raw["service"]}
    )


def load(path: Path = DATA) -> Requirements:
    """Read requirements.toml; a malformed entry raises RequirementError."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    placements = {k: (v["account"], v["region"]) for k, v in raw["templates"].items()}
    managed = raw["service_managed_execution_role"]
    return Requirements(
        principals=tuple(_principal(p) for p in raw["principals"]),
        placements=placements,
        handlers=tuple(raw["derived"]["handlers"]),
        derived_doc=raw["derived"]["doc"],
        service_managed_role=managed["name"],
        service_managed_policy=json.loads(managed["policy"]),
    )


# ---------------------------------------------------------------- the world
@dataclass(frozen=True)
class Accounts:
    """Who is where: the central account, the accounts the app goes to, the organization."""

    central: str
    targets: tuple[str, ...]
    org_id: str | None = None
    org_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    """The variables an expression sees, and the resources `@` and `%` stand for."""

    world: World
    home: Resolver
    variables: Mapping[str, str]
    items: Mapping[str, str] = field(default_factory=dict)

    def bind(self, name: str, value: str) -> Scope:
        if name in ("@", "%"):
            return replace(self, items={**self.items, name: value})
        return replace(self, variables={**self.variables, name: value})


class World:
    """Every template of one build, placed in the accounts and regions it deploys to."""

    def __init__(
        self,
        config: Config,
        data: Mapping[str, Mapping[str, Any]],
        files: Mapping[str, str],
        accounts: Accounts,
        requirements: Requirements,
    ) -> None:
        self.config = config
        self.data = data
        self.files = files
        self.accounts = accounts
        self.requirements = requirements
        self.app = config.application.name
        self.home = config.application.home_region
        self.regions = tuple(config.targets.regions)
        self._instances: dict[tuple[str, str, str], Resolver] = {}
        self._identity: dict[str, list[dict[str, Any]]] = {}
        self._resource: dict[str, tuple[dict[str, Any] | None, str]] = {}

    # ------------------------------------------------------------ shape
    @property
    def service_managed_app(self) -> bool:
        return self.config.targets.permission_model == "SERVICE_MANAGED"

    def flag(self, when: str | None) -> bool:
        """Whether a `when` condition (requirements.toml) holds in this world: a name, `not`
        a name, or several joined by `and`."""
        if when is None:
            return True
        if " and " in when:
            return all(self.flag(part.strip()) for part in when.split(" and "))
        negated = when.startswith("not ")
        name = when.removeprefix("not ").strip()
        logging = self.config.logging
        flags = {
            "organization": self.accounts.org_id is not None,
            "service_managed_app": self.service_managed_app,
            "self_managed_app": not self.service_managed_app,
            "multi_account": set(self.accounts.targets) != {self.accounts.central},
            # The destination admits the organization, not named accounts (bootstrap.py).
            "ou_targets": bool(self.config.targets.organizational_units),
            "firehose": logging.firehose,
            "centralized": logging.centralized,
            "log_group_subscription": logging.firehose and logging.subscription == "log-group",
            "account_subscription": logging.firehose and logging.subscription == "account",
            "jwt_authorizers": bool(self.config.api.authorizers),
            "custom_domain": self.config.domain.name is not None,
            "tables": any(not t.is_global for t in self.config.tables.values()),
            "global_tables": bool(self.config.global_tables),
            "queue_consumers": any(q.consumer for q in self.config.queues.values()),
            "schedules": bool(self.config.schedules),
            "table_readers": self._uses("table", ("read", "read-write")),
            "table_writers": self._uses("table", ("write", "read-write")),
            "replica_readers": self._uses("replica", ("read", "read-write")),
            "replica_writers": self._uses("replica", ("write", "read-write")),
            "queue_senders": self._uses("queue", ("send",)),
            "queue_receivers": self._uses("queue", ("consume",)),
        }
        if name not in flags:
            raise RequirementError(f"unknown condition {when!r}")
        return flags[name] != negated

    def _uses(self, kind: str, accesses: tuple[str, ...]) -> bool:
        return any(
            used_kind(u, self.config) == kind and u.access in accesses
            for f in self.config.functions.values()
            for u in f.uses
        )

    def stack_name(self, file: str, account: str, region: str) -> str:
        """Home stacks by name; StackSet instances `StackSet-<set>-<uuid>` (StackSets
        names the stacks it creates so: stacksets-drift example ARNs), for every template
        the registry deploys by a stack set (`<app>-<stack_set>`)."""
        spec = BY_FILE.get(file)
        if spec is not None and spec.stack_set is not None:
            stack_set = names.stack_set(self.app, spec.stack_set)
            return f"StackSet-{stack_set}-{stable_uuid(self.app, spec.stack_set, account, region)}"
        return f"{self.app}-{file.removesuffix('.json')}"

    def placements(self, file: str) -> list[tuple[str, str]]:
        central, targets = self.accounts.central, self.accounts.targets
        if file == "app.json":
            return [(a, r) for a in targets for r in self.regions]
        if file == "bootstrap.json":
            return [(central, r) for r in self.regions]
        # Global tables: the app's one account (config checks), each region's key, and
        # the tables in the home region (generator/stacks/data.py).
        if file == "data-keys.json":
            return [(a, r) for a in targets for r in self.regions]
        if file == "data.json":
            return [(a, self.home) for a in targets]
        if file == "stackset-execution-role.json":
            return [(a, self.home) for a in self.execution_role_accounts]
        if file in self.data:
            return [(central, self.home)]
        raise RequirementError(f"no template {file}")

    @property
    def execution_role_accounts(self) -> list[str]:
        """Where the self-managed execution role is deployed: the central account (the
        bootstrap StackSet) and, for a self-managed app StackSet, every target."""
        central = [self.accounts.central]
        if self.service_managed_app:
            return central
        return central + [a for a in self.accounts.targets if a != self.accounts.central]

    @property
    def self_managed_stacksets(self) -> list[str]:
        """The stack sets StackSets deploys with the self-managed roles: every one the
        config has (the registry's), but the app's when it is service-managed."""
        return [
            names.stack_set(self.app, s)
            for s in stack_sets(self.config)
            if not (s == "app" and self.service_managed_app)
        ]

    def parameters(self, file: str, account: str, region: str) -> dict[str, str]:
        """The values a stack gets: the StackSet input files the build writes (params/),
        and for the execution role its one documented parameter (README)."""
        stem = file.removesuffix(".json")
        values: dict[str, str] = {}
        for name in (f"params/{stem}.json", f"params/{stem}.{region}.json"):
            if name in self.files:
                values |= {
                    p["ParameterKey"]: p["ParameterValue"] for p in json.loads(self.files[name])
                }
        if file == "stackset-execution-role.json":
            values.setdefault("AdministratorAccountId", self.accounts.central)
        return values

    def instance(self, file: str, account: str, region: str) -> Resolver:
        """The template's stack in that account and region (one Resolver each)."""
        key = (file, account, region)
        if key not in self._instances:
            if (account, region) not in self.placements(file):
                raise RequirementError(f"{file} is not deployed in {account}:{region}")
            stack = self.stack_name(file, account, region)
            params = self.parameters(file, account, region)
            placement = Placement(account, region, stack, params)
            self._instances[key] = Resolver(file, self.data[file], placement)
        return self._instances[key]

    def instances(self) -> Iterator[Resolver]:
        for file in sorted(self.data):
            for account, region in self.placements(file):
                yield self.instance(file, account, region)

    @cached_property
    def _by_arn(self) -> dict[str, tuple[Resolver, str]]:
        found: dict[str, tuple[Resolver, str]] = {}
        for resolver in self.instances():
            for logical in resolver.resources:
                if resolver.type_of(logical) in ATTACHMENTS:
                    continue  # their ARN is the resource they attach to
                try:
                    found.setdefault(resolver.arn(logical), (resolver, logical))
                except UnresolvableError:
                    continue  # types without an ARN modelled
        return found

    def find(self, arn: str) -> tuple[Resolver, str]:
        if arn not in self._by_arn:
            raise RequirementError(f"no template defines {arn}")
        return self._by_arn[arn]

    def service_managed_role_arn(self, account: str) -> str:
        return f"arn:aws:iam::{account}:role/{self.requirements.service_managed_role}"

    def identity_policies(self, role_arn: str) -> list[dict[str, Any]]:
        if role_arn not in self._identity:
            if role_arn == self.service_managed_role_arn(account_of(role_arn)):
                found = [dict(self.requirements.service_managed_policy)]
            else:
                resolver, logical = self.find(role_arn)
                found = resolver.identity_policies(logical)
            self._identity[role_arn] = found
        return self._identity[role_arn]

    def resource_policy(self, arn: str) -> tuple[dict[str, Any] | None, str]:
        """(policy, owning account) of the resource with this ARN."""
        if arn not in self._resource:
            resolver, logical = self.find(arn)
            self._resource[arn] = resolver.resource_policy(logical), resolver.placement.account
        return self._resource[arn]

    # ------------------------------------------------------------ expressions
    def scope(self, resolver: Resolver) -> Scope:
        p = resolver.placement
        accounts = self.accounts
        variables = {
            "partition": p.partition,
            "account": p.account,
            "region": p.region,
            "home": self.home,
            "central": accounts.central,
            "app": self.app,
            "stack": p.stack_name,
            "stack_arn": resolver.pseudo("AWS::StackId"),
            "org": accounts.org_id or "",
        }
        return Scope(self, resolver, variables)

    def lists(self, name: str, scope: Scope) -> list[str]:
        """The values a `for_each` runs over (see requirements.toml, `for_each`)."""
        fixed = {
            "regions": list(self.regions),
            "targets": list(self.accounts.targets),
            "self_managed_accounts": self.execution_role_accounts,
            "self_managed_stacksets": self.self_managed_stacksets,
        }
        if name in fixed:
            return fixed[name]
        return _template_list(name, scope)


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _template_list(name: str, scope: Scope) -> list[str]:
    """Lists read from a template: resources of a type (`[file.json:]AWS::X::Y`), or one of
    the wiring lists below, from the scope's own template."""
    file, _, kind = name.partition(":") if ".json:" in name else ("", "", name)
    resolver = _instance_for(scope, file) if file else scope.home
    if kind.startswith("AWS::"):
        return resolver.of_type(kind)
    readers: dict[str, Callable[[Resolver, Scope], list[str]]] = {
        "hooks": _hooks,
        "hook_deployment_groups": _hook_deployment_groups,
        "group_aliases": _group_aliases,
        "group_hooks": _group_hooks,
        "layer_parameters": _layer_parameters,
        "logged_buckets": _logged_buckets,
        "encrypted_log_groups": _encrypted_log_groups,
        "rules_with_role": _rules_with_role,
        "account_policy_destinations": lambda r, s: _account_policies(r, "DestinationArn"),
        "account_policy_roles": lambda r, s: _account_policies(r, "RoleArn"),
        "deployment_group_alarms": _deployment_group_alarms,
        "consumed_queues": _consumed_queues,
        "read_tables": _used("table", ("read", "read-write")),
        "written_tables": _used("table", ("write", "read-write")),
        "sent_queues": _used("queue", ("send",)),
        "received_queues": _used("queue", ("consume",)),
        "read_replicas": _used_replicas(("read", "read-write")),
        "written_replicas": _used_replicas(("write", "read-write")),
        "replica_regions": _replica_regions,
        "cloudformation_stacks": lambda r, s: _pipeline_actions(r, "CloudFormation", "StackName"),
        "stacksets": lambda r, s: _pipeline_actions(r, "CloudFormationStackSet", "StackSetName"),
        "approval_topics": lambda r, s: _pipeline_actions(r, "Manual", "NotificationArn"),
    }
    if kind not in readers:
        raise RequirementError(f"unknown for_each list {name!r}")
    return readers[kind](resolver, scope)


def _traffic_shifting(resolver: Resolver) -> list[tuple[str, str, str | None]]:
    """(alias, deployment group, hook function) of each alias whose UpdatePolicy
    CodeDeployLambdaAliasUpdate shifts its traffic (aws-attribute-updatepolicy.html)."""
    by_name = {resolver.ref(f): f for f in resolver.of_type("AWS::Lambda::Function")}
    groups = {resolver.ref(g): g for g in resolver.of_type("AWS::CodeDeploy::DeploymentGroup")}
    found = []
    for alias in resolver.of_type("AWS::Lambda::Alias"):
        policy = resolver.resource(alias).get("UpdatePolicy", {})
        update = policy.get("CodeDeployLambdaAliasUpdate")
        if update is None:
            continue
        group = groups.get(resolver.text(update["DeploymentGroupName"]))
        hook = update.get("BeforeAllowTrafficHook")
        hook_function = by_name.get(resolver.text(hook)) if hook is not None else None
        if group is None:
            raise RequirementError(f"{alias}: its deployment group is not in {resolver!r}")
        found.append((alias, group, hook_function))
    return found


def _hooks(resolver: Resolver, scope: Scope) -> list[str]:
    """Functions an alias names as its BeforeAllowTraffic hook."""
    return sorted({hook for _, _, hook in _traffic_shifting(resolver) if hook})


def _hook_deployment_groups(resolver: Resolver, scope: Scope) -> list[str]:
    """The deployment groups whose deployments run the hook `@`."""
    hook = scope.items["@"]
    return sorted({group for _, group, h in _traffic_shifting(resolver) if h == hook})


def _group_aliases(resolver: Resolver, scope: Scope) -> list[str]:
    """The aliases the deployment group `@` shifts."""
    group = scope.items["@"]
    return sorted({alias for alias, g, _ in _traffic_shifting(resolver) if g == group})


def _group_hooks(resolver: Resolver, scope: Scope) -> list[str]:
    """The hooks the deployment group `@` invokes."""
    group = scope.items["@"]
    return sorted({h for _, g, h in _traffic_shifting(resolver) if g == group and h})


def _layer_parameters(resolver: Resolver, scope: Scope) -> list[str]:
    """SSM parameters the template resolves with `{{resolve:ssm:...}}`."""
    text = json.dumps(resolver.template.get("Resources", {}))
    return sorted(set(re.findall(r"\{\{resolve:ssm:([^}:]+)(?::\d+)?\}\}", text)))


def _logged_buckets(resolver: Resolver, scope: Scope) -> list[str]:
    buckets = resolver.of_type("AWS::S3::Bucket")
    return [b for b in buckets if "LoggingConfiguration" in resolver.properties(b)]


def _encrypted_log_groups(resolver: Resolver, scope: Scope) -> list[str]:
    groups = resolver.of_type("AWS::Logs::LogGroup")
    return [g for g in groups if "KmsKeyId" in resolver.properties(g)]


def _rules_with_role(resolver: Resolver, scope: Scope) -> list[str]:
    rules = resolver.of_type("AWS::Events::Rule")
    return [r for r in rules if any("RoleArn" in t for t in resolver.properties(r)["Targets"])]


def _account_policies(resolver: Resolver, key: str) -> list[str]:
    """`key` of each account-level subscription filter policy's document (JSON text)."""
    found = []
    for policy in resolver.of_type("AWS::Logs::AccountPolicy"):
        properties = resolver.properties(policy)
        if properties.get("PolicyType") != "SUBSCRIPTION_FILTER_POLICY":
            continue
        document = json.loads(resolver.text(properties["PolicyDocument"]))
        if key in document:
            found.append(str(document[key]))
    return sorted(found)


def used_kind(use: Use, config: Config) -> str:
    """What a function's use names: a `queue`, a regional `table` (a resource of its own
    stack) or a global table's `replica` in its region (data.json's, found by name)."""
    if use.table is None:
        return "queue"
    return "replica" if config.tables[use.table].is_global else "table"


def _uses_of(scope: Scope, kind: str, accesses: tuple[str, ...]) -> list[str]:
    """The names of the tables or queues that the function `@` uses with one of
    `accesses` (`functions.<name>.uses`)."""
    config = scope.world.config
    for key, spec in config.functions.items():
        if names.logical_id(key, "Function") == scope.items["@"]:
            return sorted(
                str(u.table if u.table is not None else u.queue)
                for u in spec.uses
                if used_kind(u, config) == kind and u.access in accesses
            )
    return []


def _used(kind: str, accesses: tuple[str, ...]) -> Callable[[Resolver, Scope], list[str]]:
    """The regional tables or queues of the function `@`'s uses, by logical id."""

    def read(resolver: Resolver, scope: Scope) -> list[str]:
        return [names.logical_id(name, kind) for name in _uses_of(scope, kind, accesses)]

    return read


def _used_replicas(accesses: tuple[str, ...]) -> Callable[[Resolver, Scope], list[str]]:
    """The global tables of the function `@`'s uses, by their logical id in data.json:
    the one whose TableName is the name the function reaches (`Replica` in
    blocks/tables.py), which must have a replica in the function's region."""

    def read(resolver: Resolver, scope: Scope) -> list[str]:
        data = _instance_for(scope, "data.json")
        by_name = {data.ref(t): t for t in data.of_type("AWS::DynamoDB::GlobalTable")}
        region = scope.variables["region"]
        found = []
        for used in _uses_of(scope, "replica", accesses):
            name = names.table_name(scope.world.app, used)
            if name not in by_name:
                raise RequirementError(f"{data!r} defines no global table {name}")
            if region not in _replicas(data, by_name[name]):
                raise RequirementError(f"{data!r}: {name} has no replica in {region}")
            found.append(by_name[name])
        return found

    return read


def _replicas(resolver: Resolver, table: str) -> dict[str, str]:
    """Region -> the key (ARN or alias ARN) of each replica of a global table."""
    replicas = resolver.value(resolver.properties(table)["Replicas"])
    return {r["Region"]: r.get("SSESpecification", {}).get("KMSMasterKeyId", "") for r in replicas}


def _replica_regions(resolver: Resolver, scope: Scope) -> list[str]:
    """The regions of the global table `@`'s replicas, each checked to name by its
    KMSMasterKeyId a key or alias that data-keys.json defines in that region."""
    account = scope.variables["account"]
    found = []
    for region, key in sorted(_replicas(resolver, scope.items["@"]).items()):
        owner, _ = scope.world.find(key)
        if owner.name != "data-keys.json" or owner.placement.account != account:
            raise RequirementError(f"{key} (replica in {region}) is not data-keys.json's")
        if owner.placement.region != region:
            raise RequirementError(f"{key} (replica in {region}) is in another region")
        found.append(region)
    return found


def _consumed_queues(resolver: Resolver, scope: Scope) -> list[str]:
    """The queues whose event source mappings invoke an alias of the function `@`."""
    function = scope.items["@"]
    found = []
    for mapping in resolver.of_type("AWS::Lambda::EventSourceMapping"):
        properties = resolver.properties(mapping)
        alias = properties["FunctionName"].get("Ref")
        if resolver.properties(alias)["FunctionName"] != {"Ref": function}:
            continue
        source = properties["EventSourceArn"].get("Fn::GetAtt", [None])[0]
        if source in resolver.of_type("AWS::SQS::Queue"):
            found.append(source)
    return sorted(found)


def _deployment_group_alarms(resolver: Resolver, scope: Scope) -> list[str]:
    group = scope.items["@"]
    alarms = resolver.value(resolver.properties(group).get("AlarmConfiguration", {}))
    return [a["Name"] for a in alarms.get("Alarms", [])]


def _pipeline_actions(resolver: Resolver, provider: str, key: str) -> list[str]:
    found: set[str] = set()
    for pipeline in resolver.of_type("AWS::CodePipeline::Pipeline"):
        for stage in resolver.value(resolver.properties(pipeline)["Stages"]):
            for action in stage["Actions"]:
                if (
                    action["ActionTypeId"]["Provider"] == provider
                    and key in action["Configuration"]
                ):
                    found.add(action["Configuration"][key])
    return sorted(found)


def _instance_for(scope: Scope, spec: str) -> Resolver:
    """`file.json[@accountvar[:regionvar]]`: that template's instance for this scope."""
    file, _, where = spec.partition("@")
    account_var, region_var = scope.world.requirements.placements[file]
    if where:
        account_var, _, region = where.partition(":")
        region_var = region or region_var
    try:
        account, region = scope.variables[account_var], scope.variables[region_var]
    except KeyError as missing:
        raise RequirementError(f"no variable {missing} for {spec}") from None
    return scope.world.instance(file, account, region)


def _reference(kind: str, spec: str, scope: Scope) -> str:
    """`{ref:...}`, `{arn:...}`, `{name:...}`, `{att:...Attr}`, `{prop:...Path}`."""
    where, _, target = spec.rpartition("#")
    resolver = _instance_for(scope, where) if where else scope.home
    logical, _, path = target.partition(".")
    logical = scope.items.get(logical, logical)
    handlers: dict[str, Callable[[], Any]] = {
        "ref": lambda: resolver.ref(logical),
        "arn": lambda: resolver.arn(logical),
        "name": lambda: resolver.physical_name(logical),
        "att": lambda: resolver.get_att(logical, path),
        "prop": lambda: resolver.prop(logical, path),
    }
    value = handlers[kind]()
    if not isinstance(value, str):
        raise RequirementError(f"{{{kind}:{spec}}} is not a string: {value!r}")
    return value


def expand(expression: str, scope: Scope) -> str:
    """Fill `{variable}` and `{kind:reference}` placeholders (requirements.toml, header)."""

    def fill(match: re.Match[str]) -> str:
        token = match.group(1)
        kind, _, spec = token.partition(":")
        if spec and kind in _REFERENCE_KINDS:
            return _reference(kind, spec, scope)
        if token in scope.items:
            return scope.items[token]
        if token in _COMPUTED:
            return _COMPUTED[token](scope.variables)
        if token not in scope.variables:
            raise RequirementError(f"unknown variable {{{token}}}")
        return scope.variables[token]

    return _PLACEHOLDER.sub(fill, expression)


def _cloudformation_principal(variables: Mapping[str, str]) -> str:
    """The principal CloudFormation StackSets uses in a region: regions disabled by default
    have their own regional principal (stacksets-prereqs-self-managed.html, "you will also
    need to include the regional service principal for that Region")."""
    region = variables["region"]
    return (
        f"cloudformation.{region}.amazonaws.com"
        if opt_in(region)
        else "cloudformation.amazonaws.com"
    )


# Variables computed from others when read, so a `for_each` rebinding counts.
_COMPUTED: Final[dict[str, Callable[[Mapping[str, str]], str]]] = {
    "cloudformation_principal": _cloudformation_principal,
}


def _for_each(spec: str | None, scope: Scope) -> Iterator[Scope]:
    """`name in list`: the scope once per value, `name` bound (`@`, `%` or a variable)."""
    if spec is None:
        yield scope
        return
    name, _, source = spec.partition(" in ")
    for value in scope.world.lists(source.strip(), scope):
        yield scope.bind(name.strip(), value)


# ---------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class Outcome:
    """One call, in one place, decided (or not resolvable)."""

    principal: str
    call: str
    where: str
    action: str = ""
    resource: str = ""
    subject: str = ""
    decision: Decision | None = None
    error: str | None = None

    @property
    def allowed(self) -> bool:
        return self.decision is not None and self.decision.allowed

    def describe(self) -> str:
        why = self.error or (self.decision.reason if self.decision else "")
        verdict = "ERROR" if self.error else self.decision.result if self.decision else "?"
        return f"{verdict}: {self.subject} {self.action} {self.resource} @ {self.where}: {why}"


def global_context(subject: str, action: str, accounts: Accounts) -> dict[str, Any]:
    """Keys AWS adds to every request from its principal (IAM global condition keys:
    aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID and aws:PrincipalOrgPaths
    for members of an organization, aws:SecureTransport for TLS requests; KMS adds
    kms:CallerAccount, kms/latest/developerguide/conditions-kms.html)."""
    context: dict[str, Any] = {"aws:SecureTransport": "true"}
    if not subject.startswith("arn:"):
        return context
    account = account_of(subject)
    context |= {"aws:PrincipalArn": subject, "aws:PrincipalAccount": account}
    if accounts.org_id is not None and account in accounts.org_paths:
        context["aws:PrincipalOrgID"] = accounts.org_id
        context["aws:PrincipalOrgPaths"] = list(accounts.org_paths[account])
    if action.lower().startswith("kms:"):
        context["kms:CallerAccount"] = account
    return context


def source_org_context(context: Mapping[str, Any], accounts: Accounts) -> dict[str, Any]:
    """aws:SourceOrgID and aws:SourceOrgPaths go with aws:SourceAccount when that account
    is in an organization (IAM global condition keys, "aws:SourceOrgID")."""
    source = context.get("aws:SourceAccount")
    if accounts.org_id is None or not isinstance(source, str):
        return {}
    if source not in accounts.org_paths:
        return {}
    return {
        "aws:SourceOrgID": accounts.org_id,
        "aws:SourceOrgPaths": list(accounts.org_paths[source]),
    }


def _expand_context(context: Mapping[str, str | list[str]], scope: Scope) -> dict[str, Any]:
    return {
        key: [expand(v, scope) for v in value] if isinstance(value, list) else expand(value, scope)
        for key, value in context.items()
    }


def _decide(
    world: World,
    subject: str,
    action: str,
    resource: str,
    context: Mapping[str, Any],
    policy_arn: str | None,
    owner: str | None,
) -> Decision:
    service = not subject.startswith("arn:")
    identity = [] if service else world.identity_policies(subject)
    policy = None
    if policy_arn is not None:
        policy, owner = world.resource_policy(policy_arn)
    owning = owner or account_of(resource)
    if owning:  # always present: "the account that owns the resource" (global keys)
        context = {"aws:ResourceAccount": owning, **context}
    request = Request(subject, action, resource, context, owner)
    return evaluate(request, identity, policy)


def _run(principal: Principal, call: Call, scope: Scope, subject: str) -> Outcome:
    where = f"{scope.variables['account']}:{scope.variables['region']}"
    outcome = Outcome(principal.id, call.id, where, call.action, subject=subject)
    try:
        who = expand(call.principal, scope) if call.principal else subject
        resource = expand(call.resource, scope)
        outcome = replace(outcome, resource=resource, subject=who)
        if call.exists_in:
            _must_exist(resource, call.exists_in, scope)
        context = global_context(who, call.action, scope.world.accounts)
        context |= _expand_context(call.context, scope)
        context |= source_org_context(context, scope.world.accounts)
        policy = expand(call.policy, scope) if call.policy else None
        owner = expand(call.owner, scope) if call.owner else None
        if call.identity_only:  # the resource's policy is AWS's; its owner may be too
            context.setdefault("aws:ResourceAccount", owner or account_of(resource))
            policy, owner = None, account_of(who)
        decision = _decide(scope.world, who, call.action, resource, context, policy, owner)
        return replace(outcome, decision=decision)
    except (ValueError, NotImplementedError) as problem:  # includes Unresolvable, Requirement
        return replace(outcome, error=str(problem))


def _run_each(principal: Principal, call: Call, scope: Scope, subject: str) -> Iterator[Outcome]:
    """The call once per `for_each` item; a list that cannot be read (wiring a template
    lacks) is one failed call with the reason."""
    try:
        scopes = list(_for_each(call.for_each, scope))
    except (UnresolvableError, RequirementError) as problem:
        where = f"{scope.variables['account']}:{scope.variables['region']}"
        yield Outcome(
            principal.id, call.id, where, call.action, subject=subject, error=str(problem)
        )
        return
    for inner in scopes:
        yield _run(principal, call, inner, subject)


def _must_exist(resource: str, file: str, scope: Scope) -> None:
    """The call's target is a resource the named template defines (cross-stack wiring);
    for an S3 object, its bucket."""
    if resource.split(":")[2] == "s3":
        resource = resource.split("/", 1)[0]
    resolver, _ = scope.world.find(resource)
    if resolver.name != file:
        raise RequirementError(f"{resource} is defined by {resolver.name}, not {file}")


# ---------------------------------------------------------------- derived deploy calls
@cache
def handler_actions(resource_type: str, handlers: tuple[str, ...]) -> tuple[str, ...]:
    """The IAM actions CloudFormation's handlers of a type call (resource schema
    `handlers.<h>.permissions`), in IAM's spelling; unknown actions are left out."""
    from generator.permissions.deployer import EXTRA_ACTIONS, UNUSED_ACTIONS

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    listed = {
        action
        for handler in handlers
        for action in schema.get("handlers", {}).get(handler, {}).get("permissions", [])
    }
    listed |= set(EXTRA_ACTIONS.get(resource_type, ()))
    listed -= set(UNUSED_ACTIONS.get(resource_type, ()))
    return tuple(sorted({c for c in map(iam_data.canonical, listed) if c}))


def _arn_shapes(action: str) -> list[str]:
    return [re.sub(r"\$\{[^}]+\}", "*", shape) for shape in iam_data.arn_formats(action)]


def derived_resource(action: str, arn: str) -> str | None:
    """The resource a handler's call is authorized on: `*` for actions IAM authorizes on
    nothing narrower, the resource's own ARN when it has one of the action's ARN shapes,
    else None (the call acts on another resource; hand-listed calls cover those)."""
    if iam_data.wildcard_only(action):
        return "*"
    return arn if any(like(shape, arn) for shape in _arn_shapes(action)) else None


def _derived(principal: Principal, file: str, scope: Scope, subject: str) -> Iterator[Outcome]:
    world = scope.world
    try:
        target = _instance_for(scope, file)
    except RequirementError as problem:
        yield Outcome(principal.id, f"derived:{file}", "", subject=subject, error=str(problem))
        return
    where = f"{target.placement.account}:{target.placement.region}"
    for logical in target.resources:
        kind = target.type_of(logical)
        call = f"derived:{kind}"
        try:
            arn = target.arn(logical)
            actions = handler_actions(kind, world.requirements.handlers)
        except (UnresolvableError, KeyError, AttributeError) as problem:
            yield Outcome(principal.id, call, where, subject=subject, error=str(problem))
            continue
        yield from _derived_calls(principal.id, call, where, subject, arn, actions, scope)


def _derived_calls(
    principal: str,
    call: str,
    where: str,
    subject: str,
    arn: str,
    actions: Sequence[str],
    scope: Scope,
) -> Iterator[Outcome]:
    world = scope.world
    for action in actions:
        resource = derived_resource(action, arn)
        if resource is None:
            continue
        context = global_context(subject, action, world.accounts)
        policy = arn if resource != "*" and _governed(arn) else None
        outcome = Outcome(principal, call, where, action, resource, subject)
        try:
            decision = _decide(world, subject, action, resource, context, policy, None)
            yield replace(outcome, decision=decision)
        except (ValueError, NotImplementedError) as problem:
            yield replace(outcome, error=str(problem))


def _governed(arn: str) -> bool:
    """Resources whose own policy also decides management calls: keys (not aliases,
    which IAM policies alone govern: kms/latest/developerguide/alias-access.html) and
    buckets."""
    service, resource = arn.split(":")[2], arn.split(":", 5)[5]
    return (service == "kms" and resource.startswith("key/")) or (
        service == "s3" and "/" not in resource
    )


# ---------------------------------------------------------------- running it all
def _subjects(principal: Principal, world: World) -> Iterator[tuple[Scope, str | None, str]]:
    """(scope, subject or None, error) for each place the principal exists."""
    for file in principal.templates:
        for account, region in world.placements(file):
            base = world.scope(world.instance(file, account, region))
            for scope in _for_each(principal.for_each, base):
                try:
                    expression = principal.role or principal.service or ""
                    if "{execution_role}" in expression:
                        scope = scope.bind("execution_role", _execution_role(world, scope))
                    yield scope, expand(expression, scope), ""
                except (UnresolvableError, RequirementError) as problem:
                    yield scope, None, str(problem)


def _execution_role(world: World, scope: Scope) -> str:
    """The role StackSets deploys app.json with: the service-managed `stacksets-exec-*`
    role (AdministratorAccess, stacksets-custom-execution-role.html) or, self-managed,
    the role of stackset-execution-role.json in the same account."""
    if world.service_managed_app and scope.home.name == "app.json":
        return world.service_managed_role_arn(scope.variables["account"])
    return _reference("arn", "stackset-execution-role.json#ExecutionRole", scope)


def evaluate_principal(principal: Principal, world: World) -> Iterator[Outcome]:
    if not world.flag(principal.when):
        return
    for scope, subject, error in _subjects(principal, world):
        if subject is None:
            where = f"{scope.variables['account']}:{scope.variables['region']}"
            yield Outcome(principal.id, "principal", where, error=error)
            continue
        for call in principal.calls:
            if world.flag(call.when):
                yield from _run_each(principal, call, scope, subject)
        for file in principal.derive:
            yield from _derived(principal, file, scope, subject)


def evaluate_all(world: World) -> dict[tuple[str, str], list[Outcome]]:
    """Every call of every principal, grouped by (principal id, call id)."""
    grouped: dict[tuple[str, str], list[Outcome]] = {}
    for principal in world.requirements.principals:
        for outcome in evaluate_principal(principal, world):
            grouped.setdefault((outcome.principal, outcome.call), []).append(outcome)
    return grouped


def failures(outcomes: Sequence[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if not o.allowed]


def report(grouped: Mapping[tuple[str, str], Sequence[Outcome]]) -> list[str]:
    """One line per call that is not allowed: the defect report."""
    return [o.describe() for key in sorted(grouped) for o in failures(grouped[key])]


def accounts_of(config: Config, placeholder: str = "123456789012") -> Accounts:
    """Accounts for a config as written: its central account and targets, or one
    placeholder account; each organizational unit gets one placeholder member."""
    targets = config.targets
    central = targets.central_account or placeholder
    if not targets.organizational_units:
        return Accounts(central, tuple(targets.accounts) or (central,))
    members = {f"{100000000000 + i:012d}": ou for i, ou in enumerate(targets.organizational_units)}
    org = targets.organization_id or "o-0000000000"
    paths = {a: (f"{org}/r-0000/{ou}/",) for a, ou in members.items()}
    return Accounts(central, tuple(members), org, paths | {central: (f"{org}/r-0000/",)})


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m generator.permissions.requirements [deployment.toml]`: print every call
    the generated templates do not allow; exit 1 if there is any."""
    import sys

    from generator.build import generate
    from generator.config import load as load_config

    args = list(sys.argv[1:] if argv is None else argv)
    config = load_config(args[0] if args else "deployment.toml")
    built = generate(config)
    world = World(config, built.data, built.files, accounts_of(config), load())
    lines = report(evaluate_all(world))
    print("\n".join(lines) or "every documented call is allowed")
    return 1 if lines else 0


if __name__ == "__main__":
    raise SystemExit(main())
