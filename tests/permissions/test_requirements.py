"""The requirements check over four deployment shapes: every documented call of every
principal (generator/permissions/requirements.toml), with the shape's accounts and regions
substituted, must be allowed by the policies of the templates as generated.

A call that is denied today is a template defect: it is listed in KNOWN_DEFECTS with
`xfail(strict=True)`, so the list is the defect report and a fix turns the entry into a
failure until it is removed. The negative tests prove the check can fail.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator import config as config_module
from generator.build import generate
from generator.permissions import requirements as rq
from generator.permissions.evaluate import EXPLICIT_DENY, IMPLICIT_DENY
from generator.permissions.resolve import Placement, Resolver, UnresolvableError
from tests.conftest import REFERENCE, write_project

Raw = dict[str, Any]
SINGLE = "123456789012"
CENTRAL = "999999999999"
ORG = "o-a1b2c3d4e5"
OU_1, OU_2 = "ou-ab12-11111111", "ou-ab12-22222222"
MEMBERS = {"444455556666": OU_1, "777788889999": OU_2}


@dataclass(frozen=True)
class Shape:
    """A config variant and who is where in it."""

    edit: Callable[[Raw], None]
    accounts: rq.Accounts


def _more_regions(raw: Raw) -> None:
    """Five regions, and a second function (its own hook, deployment group, alarms)."""
    regions = ["eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1", "us-west-2"]
    raw["targets"].update(regions=regions, waves=[regions[:1], regions[1:]])
    raw["functions"]["orders"] = {
        "source": "functions/orders",
        "routes": ["GET /orders", "GET /orders/health"],
        "health_path": "/orders/health",
    }


def _data(raw: Raw) -> None:
    """Every data block: a table, a queue a function consumes and one it does not, a
    schedule of each function."""
    raw["tables"] = {"orders": {"partition_key": "pk", "sort_key": "sk", "stream": "NEW_IMAGE"}}
    raw["functions"]["worker"] = {
        "source": "functions/worker",
        "uses": [
            {"table": "orders", "access": "read-write"},
            {"queue": "outbox", "access": "consume"},
        ],
    }
    raw["functions"]["api"]["uses"] = [
        {"table": "orders", "access": "read"},
        {"queue": "jobs", "access": "send"},
    ]
    raw["queues"] = {"jobs": {"consumer": "worker", "batch_size": 50, "batching_window_seconds": 5}}
    raw["queues"]["outbox"] = {}
    raw["schedules"] = {
        "nightly": {"function": "worker", "expression": "cron(0 3 * * ? *)"},
        "tick": {"function": "api", "expression": "rate(5 minutes)"},
    }


def _global_tables(raw: Raw) -> None:
    """A global table (the home region among the targets) that one function reads and
    another writes, beside a regional table the first reads too."""
    raw["tables"] = {
        "ledger": {"partition_key": "id", "replication": "global", "stream": "NEW_AND_OLD_IMAGES"},
        "sessions": {"partition_key": "id"},
    }
    raw["functions"]["api"]["uses"] = [
        {"table": "ledger", "access": "read"},
        {"table": "sessions", "access": "read"},
    ]
    raw["functions"]["writer"] = {
        "source": "functions/writer",
        "uses": [{"table": "ledger", "access": "write"}],
    }


def _app_account(raw: Raw) -> None:
    """The app in one account, the pipeline in another."""
    raw["targets"].update(accounts=["111111111111"], central_account=CENTRAL)


def _multi_account(raw: Raw) -> None:
    """Two target accounts, and an e-mail subscription to the alert topic."""
    raw["targets"].update(accounts=["111111111111", "222222222222"], central_account=CENTRAL)
    raw.setdefault("logging", {})["alert_email"] = "oncall@example.com"


def _organization(raw: Raw) -> None:
    raw["targets"].update(
        permission_model="SERVICE_MANAGED",
        organizational_units=[OU_1, OU_2],
        organization_id=ORG,
        central_account=CENTRAL,
    )


def _long_names(raw: Raw) -> None:
    """The longest names the config allows. CloudFormation shortens a generated role
    name's stack part (`StackSet-<app>-app-<uuid>-<LogicalId>-<suffix>`, 64 characters at
    most) until a name prefix is gone; policies that manage roles must not rely on one."""
    raw["application"]["name"] = "payments-eu-platform"
    raw["functions"]["order-reconciliation"] = {
        "source": "functions/order-reconciliation",
        "routes": ["GET /reconcile"],
        "health_path": "/reconcile",
    }


def _logging(mode: str, subscription: str | None = None) -> Callable[[Raw], None]:
    """A logging mode (and subscription kind); centralization needs the organization."""

    def edit(raw: Raw) -> None:
        raw.setdefault("logging", {})["mode"] = mode
        if subscription is not None:
            raw["logging"]["subscription"] = subscription
        raw["targets"].setdefault("organization_id", ORG)

    return edit


def _both(*edits: Callable[[Raw], None]) -> Callable[[Raw], None]:
    def edit(raw: Raw) -> None:
        for each in edits:
            each(raw)

    return edit


def _account_subscriptions(raw: Raw) -> None:
    raw.setdefault("logging", {})["subscription"] = "account"


def _api_access(raw: Raw) -> None:
    """JWT authorizers on two routes, CORS, and throttling per stage and route."""
    raw["functions"]["api"]["routes"].append("POST /orders/{proxy+}")
    raw["api"] = {
        "cors": {"allow_origins": ["https://app.example.com"]},
        "authorizers": {"users": {"issuer": "https://login.example.com", "audience": ["app"]}},
        "routes": {
            "GET /hello": {"authorizer": "users"},
            "POST /orders/{proxy+}": {"authorizer": "users", "throttle": {"rate_limit": 5.0}},
        },
    }


def _domain(raw: Raw) -> None:
    """api.example.com in every region, the zone in the one account the app runs in."""
    raw["domain"] = {
        "name": "api.example.com",
        "hosted_zone_id": "Z0123456789EXAMPLE01",
        "hosted_zone_account": SINGLE,
    }
    raw["targets"]["central_account"] = SINGLE  # the pipeline's account, the app's too


ORG_PATHS = {a: (f"{ORG}/r-ab12/{ou}/",) for a, ou in MEMBERS.items()} | {
    CENTRAL: (f"{ORG}/r-ab12/",)
}
SHAPES: dict[str, Shape] = {
    "reference": Shape(lambda raw: None, rq.Accounts(SINGLE, (SINGLE,))),
    "many-regions": Shape(_more_regions, rq.Accounts(SINGLE, (SINGLE,))),
    "data": Shape(_data, rq.Accounts(SINGLE, (SINGLE,))),
    "global-tables": Shape(_global_tables, rq.Accounts(SINGLE, (SINGLE,))),
    "global-tables-app-account": Shape(
        _both(_app_account, _global_tables), rq.Accounts(CENTRAL, ("111111111111",))
    ),
    "organization-data": Shape(
        _both(_organization, _data), rq.Accounts(CENTRAL, tuple(MEMBERS), ORG, ORG_PATHS)
    ),
    "multi-account": Shape(_multi_account, rq.Accounts(CENTRAL, ("111111111111", "222222222222"))),
    "organization": Shape(_organization, rq.Accounts(CENTRAL, tuple(MEMBERS), ORG, ORG_PATHS)),
    "long-names": Shape(_long_names, rq.Accounts(SINGLE, (SINGLE,))),
    "api-access": Shape(_api_access, rq.Accounts(SINGLE, (SINGLE,))),
    "domain": Shape(_both(_api_access, _domain), rq.Accounts(SINGLE, (SINGLE,))),
    # Every logging mode and subscription kind, in single-account, multi-account and
    # organization shapes (an organization's accounts for centralization).
    "account-subscription": Shape(_account_subscriptions, rq.Accounts(SINGLE, (SINGLE,))),
    "centralization": Shape(
        _logging("centralization"),
        rq.Accounts(SINGLE, (SINGLE,), ORG, {SINGLE: (f"{ORG}/r-ab12/",)}),
    ),
    "both-accounts": Shape(
        _logging("both", "account"),
        rq.Accounts(SINGLE, (SINGLE,), ORG, {SINGLE: (f"{ORG}/r-ab12/",)}),
    ),
    "multi-account-both-accounts": Shape(
        _both(_multi_account, _logging("both", "account")),
        rq.Accounts(
            CENTRAL,
            ("111111111111", "222222222222"),
            ORG,
            {a: (f"{ORG}/r-ab12/",) for a in (CENTRAL, "111111111111", "222222222222")},
        ),
    ),
    "organization-both-log-groups": Shape(
        _both(_organization, _logging("both")),
        rq.Accounts(CENTRAL, tuple(MEMBERS), ORG, ORG_PATHS),
    ),
    "organization-both-accounts": Shape(
        _both(_organization, _logging("both", "account")),
        rq.Accounts(CENTRAL, tuple(MEMBERS), ORG, ORG_PATHS),
    ),
}

# Calls denied by the current templates: "<shape>/<principal>/<call>" patterns (fnmatch)
# -> what is missing where. Empty: every documented call is allowed in every shape.
KNOWN_DEFECTS: dict[str, str] = {}

REQUIREMENTS = rq.load()


def _world(root: Path, shape: Shape) -> rq.World:
    raw = copy.deepcopy(REFERENCE)
    shape.edit(raw)
    config = config_module.load(write_project(root, raw))
    built = generate(config)
    return rq.World(config, built.data, built.files, shape.accounts, REQUIREMENTS)


@pytest.fixture(scope="session")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], tuple[rq.World, dict[tuple[str, str], list[rq.Outcome]]]]:
    """Each shape built once with `generate` and evaluated once, on first use."""
    cache: dict[str, tuple[rq.World, dict[tuple[str, str], list[rq.Outcome]]]] = {}

    def get(name: str) -> tuple[rq.World, dict[tuple[str, str], list[rq.Outcome]]]:
        if name not in cache:
            world = _world(tmp_path_factory.mktemp(name), SHAPES[name])
            cache[name] = (world, rq.evaluate_all(world))
        return cache[name]

    return get


def _cases() -> Iterator[Any]:
    for shape in SHAPES:
        for principal in REQUIREMENTS.principals:
            calls = [c.id for c in principal.calls] + (["derived"] if principal.derive else [])
            for call in calls:
                case = f"{shape}/{principal.id}/{call}"
                reasons = [r for p, r in KNOWN_DEFECTS.items() if fnmatch.fnmatch(case, p)]
                marks = [pytest.mark.xfail(strict=True, reason=reasons[0])] if reasons else []
                yield pytest.param(shape, principal.id, call, id=case, marks=marks)


def _collect(
    grouped: dict[tuple[str, str], list[rq.Outcome]], principal: str, call: str
) -> list[rq.Outcome]:
    """The outcomes of one call (or of all derived calls), with the principal's own
    errors (a role that no template defines fails every call it makes)."""
    own = grouped.get((principal, "principal"), [])
    if call != "derived":
        return grouped.get((principal, call), []) + own
    derived = [
        o
        for (p, c), found in grouped.items()
        if p == principal
        for o in found
        if c.startswith("derived:")
    ]
    return derived + own


def _report(failed: list[rq.Outcome], limit: int = 12) -> str:
    lines = [o.describe() for o in failed[:limit]]
    more = f"\n  ... and {len(failed) - limit} more" if len(failed) > limit else ""
    return f"{len(failed)} call(s) not allowed:\n  " + "\n  ".join(lines) + more


@pytest.mark.parametrize(("shape", "principal", "call"), list(_cases()))
def test_call_is_allowed(
    outcomes: Callable[[str], tuple[rq.World, dict[tuple[str, str], list[rq.Outcome]]]],
    shape: str,
    principal: str,
    call: str,
) -> None:
    world, grouped = outcomes(shape)
    spec = REQUIREMENTS.principal(principal)
    when = next((c.when for c in spec.calls if c.id == call), None)
    if not world.flag(spec.when) or not world.flag(when):
        pytest.skip(f"not made in the {shape} shape ({spec.when or when})")
    found = _collect(grouped, principal, call)
    assert found, f"{principal}/{call} expanded to no call: the templates lack its resources"
    failed = rq.failures(found)
    assert not failed, _report(failed)


def test_known_defects_name_real_cases() -> None:
    """A stale KNOWN_DEFECTS pattern would hide nothing and mean nothing: drop it."""
    cases = [p.id for p in _cases()]
    for pattern in KNOWN_DEFECTS:
        assert any(fnmatch.fnmatch(case, pattern) for case in cases), pattern


# ------------------------------------------------------------------ the data itself
def test_every_call_cites_an_aws_page() -> None:
    for principal in REQUIREMENTS.principals:
        for call in principal.calls:
            assert call.doc.startswith("https://docs.aws.amazon.com/"), (principal.id, call.id)


def test_the_principals_of_the_system_are_all_modelled() -> None:
    expected = {
        "stackset-administration-role",
        "stackset-execution-app",
        "stackset-execution-bootstrap",
        "stackset-execution-data-keys",
        "stackset-execution-data",
        "cloudformation-deploy-role",
        "codepipeline-role",
        "build-role",
        "publish-role",
        "codedeploy-service-role",
        "pre-traffic-hook-role",
        "function-role",
        "log-destination-role",
        "log-subscription-role",
        "firehose-delivery-role",
        "logs-encrypts-centralized-copies",
        "event-forwarding-role",
        "logs-service-encrypts-log-groups",
        "eventbridge-publishes-alerts",
        "eventbridge-writes-event-log",
        "s3-server-access-logging",
    }
    assert expected <= {p.id for p in REQUIREMENTS.principals}


def test_call_ids_are_unique_per_principal() -> None:
    for principal in REQUIREMENTS.principals:
        ids = [c.id for c in principal.calls]
        assert len(ids) == len(set(ids)), principal.id


# ------------------------------------------------------------------ opt-in regions
def test_opt_in_region_uses_the_regional_stacksets_principal(
    write_config: Callable[..., Path],
) -> None:
    """A Region disabled by default: StackSets assumes the administration role as
    cloudformation.<region>.amazonaws.com (stacksets-prereqs-self-managed.html)."""
    regions = ["eu-west-1", "ap-east-1"]

    def edit(raw: Raw) -> None:
        raw["targets"].update(regions=regions, waves=[regions[:1], regions[1:]])

    try:
        config = config_module.load(write_config(edit))
    except config_module.ConfigError as refused:
        pytest.skip(f"the generator refuses the opt-in region: {refused}")
    built = generate(config)
    world = rq.World(config, built.data, built.files, SHAPES["reference"].accounts, REQUIREMENTS)
    principal = REQUIREMENTS.principal("stackset-administration-role")
    assumed = [o for o in rq.evaluate_principal(principal, world) if o.call.startswith("assumed")]
    assert "cloudformation.ap-east-1.amazonaws.com" in {o.subject for o in assumed}
    assert not rq.failures(assumed), _report(rq.failures(assumed))


# ------------------------------------------------------------------ it can fail
@pytest.fixture
def reference_parts(
    write_config: Callable[..., Path],
) -> tuple[config_module.Config, dict[str, Any], dict[str, str]]:
    config = config_module.load(write_config())
    built = generate(config)
    return config, copy.deepcopy(built.data), dict(built.files)


def _evaluate(
    parts: tuple[config_module.Config, dict[str, Any], dict[str, str]],
    principal: str,
    accounts: rq.Accounts | None = None,
) -> dict[str, list[rq.Outcome]]:
    config, data, files = parts
    world = rq.World(config, data, files, accounts or SHAPES["reference"].accounts, REQUIREMENTS)
    grouped: dict[str, list[rq.Outcome]] = {}
    for outcome in rq.evaluate_principal(REQUIREMENTS.principal(principal), world):
        grouped.setdefault(outcome.call, []).append(outcome)
    return grouped


def _statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = template["Resources"][role]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    return statements


def test_removed_statement_is_denied(
    reference_parts: tuple[config_module.Config, dict[str, Any], dict[str, str]],
) -> None:
    """Drop the function role's log statement: Lambda can no longer write its logs."""
    app = reference_parts[1]["app.json"]
    kept = [s for s in _statements(app, "ApiRole") if "logs:PutLogEvents" not in s["Action"]]
    app["Resources"]["ApiRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"] = kept
    result = _evaluate(reference_parts, "function-role")
    denied = [o for o in result["put-log-events"] if "ApiRole" in o.subject]
    assert denied and all(o.decision and o.decision.result == IMPLICIT_DENY for o in denied)


def test_added_deny_is_an_explicit_deny(
    reference_parts: tuple[config_module.Config, dict[str, Any], dict[str, str]],
) -> None:
    app = reference_parts[1]["app.json"]
    _statements(app, "ApiRole").append(
        {"Effect": "Deny", "Action": "xray:*", "Resource": "*", "Sid": "NoTraces"}
    )
    traced = [o for o in _evaluate(reference_parts, "function-role")["put-trace-segments"]]
    mine = [o for o in traced if "ApiRole" in o.subject]
    assert mine and all(o.decision and o.decision.result == EXPLICIT_DENY for o in mine)


def test_narrowed_trust_policy_is_denied(
    reference_parts: tuple[config_module.Config, dict[str, Any], dict[str, str]],
) -> None:
    """A trust policy naming another service: Lambda cannot assume the role."""
    role = reference_parts[1]["app.json"]["Resources"]["ApiRole"]["Properties"]
    role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {"Service": "ec2.amazonaws.com"}
    assumed = _evaluate(reference_parts, "function-role")["assumed-by-lambda"]
    assert any(not o.allowed and "ApiRole" in o.resource for o in assumed)


def test_cross_account_call_needs_the_resource_policy(
    write_config: Callable[..., Path],
) -> None:
    """Multi-account: a destination policy that no longer names the target accounts
    refuses their subscription filters, although their identity policies allow."""
    config = config_module.load(write_config(_multi_account))
    built = generate(config)
    data = copy.deepcopy(built.data)
    destination = data["bootstrap.json"]["Resources"]["LogDestination"]["Properties"]
    destination["DestinationPolicy"] = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"'
        + CENTRAL
        + '"},"Action":"logs:PutSubscriptionFilter","Resource":"*"}]}'
    )
    parts = (config, data, dict(built.files))
    result = _evaluate(parts, "stackset-execution-app", SHAPES["multi-account"].accounts)
    outcomes = result["subscribe-central-destination"]
    assert outcomes and not any(o.allowed for o in outcomes)
    assert all(o.decision and "cross-account" in o.decision.reason for o in outcomes)


def test_account_policies_need_put_account_policy_on_the_destination(
    write_config: Callable[..., Path],
) -> None:
    """The destination policy of a filter per log group (PutSubscriptionFilter alone)
    refuses the target accounts' account-level policies."""
    config = config_module.load(write_config(_both(_multi_account, _account_subscriptions)))
    built = generate(config)
    data = copy.deepcopy(built.data)
    destination = data["bootstrap.json"]["Resources"]["LogDestination"]["Properties"]
    both = json.dumps(
        ["logs:PutSubscriptionFilter", "logs:PutAccountPolicy"], separators=(",", ":")
    )
    (tail,) = [
        part["Fn::Sub"]
        for part in destination["DestinationPolicy"]["Fn::Join"][1]
        if "Fn::Sub" in part
    ]
    assert both in tail[0]
    tail[0] = tail[0].replace(both, '"logs:PutSubscriptionFilter"')
    parts = (config, data, dict(built.files))
    result = _evaluate(parts, "stackset-execution-app", SHAPES["multi-account"].accounts)
    outcomes = result["account-policy-to-central-destination"]
    assert len(outcomes) == 6 and not any(o.allowed for o in outcomes)


def test_no_account_policy_where_the_copies_land(
    outcomes: Callable[[str], tuple[rq.World, dict[tuple[str, str], list[rq.Outcome]]]],
) -> None:
    """Logs both centralized and sent down the Firehose path by account-level policies, in
    one account: the central account's home region has no policy (its copies of every
    region would travel the path again), the other regions have one."""
    _, grouped = outcomes("both-accounts")
    where = sorted(
        o.where
        for o in grouped[("stackset-execution-app", "account-policy-to-central-destination")]
    )
    assert where == [f"{SINGLE}:ap-southeast-2", f"{SINGLE}:us-east-1"]


def test_missing_resource_is_a_failed_call_not_a_crash(
    reference_parts: tuple[config_module.Config, dict[str, Any], dict[str, str]],
) -> None:
    """The destination's target stream is gone from logging.json: the put is refused
    with the reason, and every other call is still evaluated."""
    logging_template = reference_parts[1]["logging.json"]
    streams = [
        k
        for k, v in logging_template["Resources"].items()
        if v["Type"] == "AWS::KinesisFirehose::DeliveryStream"
    ]
    for stream in streams:
        del logging_template["Resources"][stream]
    result = _evaluate(reference_parts, "log-destination-role")
    assert all(o.error and "no template defines" in o.error for o in result["put-record"])
    assert all(o.allowed for o in result["assumed-by-logs-delivery"])


# ------------------------------------------------------------------ global tables can fail
Parts = tuple[config_module.Config, dict[str, Any], dict[str, str]]


@pytest.fixture
def global_parts(write_config: Callable[..., Path]) -> Parts:
    config = config_module.load(write_config(_global_tables))
    built = generate(config)
    return config, copy.deepcopy(built.data), dict(built.files)


def _key_statements(parts: Parts) -> list[dict[str, Any]]:
    key = parts[1]["data-keys.json"]["Resources"]["GlobalDataKey"]["Properties"]
    statements: list[dict[str, Any]] = key["KeyPolicy"]["Statement"]
    return statements


def _denied(outcomes: list[rq.Outcome]) -> bool:
    return bool(outcomes) and not any(o.allowed for o in outcomes)


def test_key_policy_without_dynamodb_use_denies_replicas_and_functions(
    global_parts: Parts,
) -> None:
    """data-keys.json's key policy that no longer lets the account use the key through
    DynamoDB: neither the deployer (creating each replica) nor a function can use it,
    although their identity policies allow (DescribeKey stays: the account administers
    the key)."""
    statements = _key_statements(global_parts)
    statements[:] = [s for s in statements if "DynamoDB" not in s["Sid"]]
    deployer = _evaluate(global_parts, "stackset-execution-data")
    functions = _evaluate(global_parts, "function-role")
    for outcomes in (
        deployer["replica-key-create-grant"],
        deployer["replica-key-generate-data-key"],
        functions["decrypt-used-replica"],
        functions["encrypt-used-replica"],
    ):
        assert _denied(outcomes)
        assert all(o.decision and "key policy" in o.decision.reason for o in outcomes)
    assert all(o.allowed for o in functions["read-used-replica"])


def test_function_policy_for_another_alias_is_denied(global_parts: Parts) -> None:
    """A function's key statement that matches another alias (kms:ResourceAliases, a
    multivalued key): the key policy delegates to the account, so the identity policy
    decides, and it no longer allows; the table's items still are."""
    role = global_parts[1]["app.json"]["Resources"]["ApiRole"]["Properties"]
    (statement,) = [
        s
        for s in role["Policies"][0]["PolicyDocument"]["Statement"]
        if s["Sid"] == "UsesLedgerTableKey"
    ]
    statement["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"] = "alias/other"
    result = _evaluate(global_parts, "function-role")
    mine = [o for o in result["decrypt-used-replica"] if "ApiRole" in o.subject]
    assert _denied(mine)
    assert all(o.decision and o.decision.result == IMPLICIT_DENY for o in mine)
    assert all(o.allowed for o in result["read-used-replica"] if "ApiRole" in o.subject)


def test_key_policy_pinned_to_its_own_region_denies_replicas_made_from_home(
    global_parts: Parts,
) -> None:
    """DynamoDB in the home region uses every replica's key: a key policy that admits
    only its own region's DynamoDB refuses the other regions' replicas."""
    for statement in _key_statements(global_parts):
        if "DynamoDB" in statement["Sid"]:
            statement["Condition"]["StringLike"]["kms:ViaService"] = {
                "Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"
            }
    home = global_parts[0].application.home_region
    grants = _evaluate(global_parts, "stackset-execution-data")["replica-key-create-grant"]
    assert {o.where.split(":")[1] for o in grants if o.allowed} == {home}
    assert len([o for o in grants if not o.allowed]) == len(grants) - 1


def test_replica_without_its_region_key_fails(global_parts: Parts) -> None:
    """A replica whose key names an alias data-keys.json does not define: the table's
    key calls fail once, with the reason, rather than crash the check."""
    table = global_parts[1]["data.json"]["Resources"]["LedgerGlobalTable"]["Properties"]
    table["Replicas"][0]["SSESpecification"]["KMSMasterKeyId"] = {
        "Fn::Sub": "arn:${AWS::Partition}:kms:us-east-1:${AWS::AccountId}:alias/other"
    }
    result = _evaluate(global_parts, "stackset-execution-data")["replica-key-create-grant"]
    assert len(result) == 1 and result[0].error and "alias/other" in result[0].error


def test_region_without_a_replica_fails_its_functions(global_parts: Parts) -> None:
    """data.json without the us-east-1 replica: that region's functions cannot reach
    the table, which the check reports as failed calls there."""
    table = global_parts[1]["data.json"]["Resources"]["LedgerGlobalTable"]["Properties"]
    table["Replicas"] = [r for r in table["Replicas"] if r["Region"] != "us-east-1"]
    result = _evaluate(global_parts, "function-role")
    failed = rq.failures(result["read-used-replica"])
    assert failed and {o.where for o in failed} == {f"{SINGLE}:us-east-1"}
    assert all(o.error and "no replica in us-east-1" in o.error for o in failed)


# ------------------------------------------------------------------ the resolver
def _resolver(template: dict[str, Any], **parameters: str) -> Resolver:
    placement = Placement(SINGLE, "us-east-1", "StackSet-shop-app-0000", parameters)
    return Resolver("t.json", template, placement)


def test_resolver_names_and_arns_as_aws_does() -> None:
    template = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/service/"}},
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/a/b"}},
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "central"}},
            "Rule": {"Type": "AWS::Events::Rule", "Properties": {"EventBusName": {"Ref": "Bus"}}},
            "Global": {"Type": "AWS::DynamoDB::GlobalTable", "Properties": {"TableName": "t"}},
        }
    }
    r = _resolver(template)
    # A global table's ARN is its replica's in the stack's region.
    assert (
        r.arn("Global") == f"arn:aws:dynamodb:us-east-1:{SINGLE}:table/t" and r.ref("Global") == "t"
    )
    role = r.get_att("Role", "Arn")
    assert role.startswith(f"arn:aws:iam::{SINGLE}:role/service/StackSet-shop-app-0000-Role-")
    assert r.ref("Bucket") == r.ref("Bucket").lower() and len(r.ref("Bucket")) <= 63
    assert r.get_att("Group", "Arn") == f"arn:aws:logs:us-east-1:{SINGLE}:log-group:/a/b:*"
    assert r.get_att("Rule", "Arn").startswith(f"arn:aws:events:us-east-1:{SINGLE}:rule/central/")


def test_resolver_intrinsics() -> None:
    template = {
        "Parameters": {
            "Central": {"Type": "String", "Default": ""},
            "Ids": {"Type": "CommaDelimitedList"},
        },
        "Conditions": {"Here": {"Fn::Equals": [{"Ref": "Central"}, ""]}},
        "Resources": {},
    }
    r = _resolver(template, Ids="111111111111,222222222222")
    account = {"Fn::If": ["Here", {"Ref": "AWS::AccountId"}, {"Ref": "Central"}]}
    assert (
        r.value({"Fn::Sub": ["x-${A}-${AWS::Region}", {"A": account}]}) == f"x-{SINGLE}-us-east-1"
    )
    assert r.value({"Fn::Select": [1, {"Ref": "Ids"}]}) == "222222222222"
    assert r.value({"Fn::Join": [",", [{"Ref": "AWS::Partition"}, "b"]]}) == "aws,b"
    assert r.value([{"Ref": "AWS::NoValue"}, "kept"]) == ["kept"]
    assert r.value({"Fn::Sub": "${!Literal}"}) == "${Literal}"


@pytest.mark.parametrize(
    "node",
    [
        {"Ref": "Missing"},
        {"Fn::GetAtt": ["Missing", "Arn"]},
        {"Fn::ImportValue": "x"},
        {"Fn::Sub": "${Undeclared}"},
        {"Condition": "Unknown"},
    ],
    ids=["ref", "getatt", "import", "sub", "condition"],
)
def test_resolver_refuses_what_it_cannot_resolve(node: dict[str, Any]) -> None:
    with pytest.raises(UnresolvableError):
        _resolver({"Resources": {}}).value(node)


def test_resolver_needs_parameter_values() -> None:
    template = {"Parameters": {"HomeRegion": {"Type": "String"}}, "Resources": {}}
    with pytest.raises(UnresolvableError, match="HomeRegion"):
        _resolver(template).value({"Ref": "HomeRegion"})
