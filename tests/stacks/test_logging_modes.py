"""Every log group the application creates reaches the central account, in every logging
mode and subscription kind, for single-account, multi-account and organization targets.

The wiring is followed the way CloudFormation resolves it, stack by stack, in each
account and region a template is deployed to (the requirements check's placement of
every template, `generator.permissions.requirements.World`), as the application tests
follow alias → deployment group → alarms:

- Firehose path: log group → its subscription filter, or the account-level policy of its
  account and region that does not exclude it → the destination ARN → the bootstrap
  stack's destination of that region in the central account → its target stream → the
  logging stack's stream in the home region → the archive bucket, under the region;
- centralization: log group → the rule of the logging stack, whose regions, scope and
  selection take it in → a copy in the central account's home region, named after the
  source account and region, encrypted with the central key, which lets CloudWatch Logs
  use it for that copy.

The alert path and the dashboard are checked in every mode too.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import config as config_module
from generator import vocabulary as names
from generator.build import generate
from generator.permissions import requirements as rq
from generator.permissions.resolve import Resolver
from tests.conftest import REFERENCE, write_project

Raw = dict[str, Any]
ORG = "o-a1b2c3d4e5"
SINGLE, CENTRAL = "123456789012", "999999999999"
ACCOUNTS = ("111111111111", "222222222222")
MEMBERS = {"444455556666": "ou-ab12-11111111", "777788889999": "ou-ab12-22222222"}
HOME = REFERENCE["application"]["home_region"]


def _single(raw: Raw) -> rq.Accounts:
    raw["targets"]["organization_id"] = ORG
    return rq.Accounts(SINGLE, (SINGLE,), ORG, {SINGLE: (f"{ORG}/r-ab12/",)})


def _accounts(raw: Raw) -> rq.Accounts:
    raw["targets"].update(accounts=list(ACCOUNTS), central_account=CENTRAL, organization_id=ORG)
    paths = {a: (f"{ORG}/r-ab12/",) for a in (*ACCOUNTS, CENTRAL)}
    return rq.Accounts(CENTRAL, ACCOUNTS, ORG, paths)


def _organization(raw: Raw) -> rq.Accounts:
    raw["targets"].update(
        permission_model="SERVICE_MANAGED",
        organizational_units=sorted(set(MEMBERS.values())),
        organization_id=ORG,
        central_account=CENTRAL,
    )
    paths = {a: (f"{ORG}/r-ab12/{ou}/",) for a, ou in MEMBERS.items()}
    return rq.Accounts(CENTRAL, tuple(MEMBERS), ORG, paths | {CENTRAL: (f"{ORG}/r-ab12/",)})


TARGETS: dict[str, Callable[[Raw], rq.Accounts]] = {
    "single-account": _single,
    "accounts": _accounts,
    "organization": _organization,
}
LOGGING = [
    ("firehose", "log-group"),
    ("firehose", "account"),
    ("centralization", None),
    ("both", "log-group"),
    ("both", "account"),
]
CASES = [
    pytest.param(mode, subscription, targets, id=f"{mode}-{subscription or 'rule'}-{targets}")
    for mode, subscription in LOGGING
    for targets in TARGETS
]


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str | None, str], rq.World]:
    """Each shape built once and placed in its accounts and regions."""
    cache: dict[tuple[str, str | None, str], rq.World] = {}
    requirements = rq.load()

    def get(mode: str, subscription: str | None, targets: str) -> rq.World:
        key = (mode, subscription, targets)
        if key not in cache:
            raw = copy.deepcopy(REFERENCE)
            accounts = TARGETS[targets](raw)
            raw["logging"] = {
                "mode": mode,
                **({"subscription": subscription} if subscription else {}),
            }
            root = tmp_path_factory.mktemp(f"{mode}-{subscription}-{targets}")
            config = config_module.load(write_project(root, raw))
            built = generate(config)
            cache[key] = rq.World(config, built.data, built.files, accounts, requirements)
        return cache[key]

    return get


# ------------------------------------------------------------------ the Firehose path
def _subscribed_destination(app: Resolver, group: str) -> str | None:
    """The destination ARN the log group `group` (a physical name) is sent to, if any: a
    filter of its own, or its account and region's account-level policy."""
    for logical in app.of_type("AWS::Logs::SubscriptionFilter"):
        if app.text(app.properties(logical)["LogGroupName"]) == group:
            assert app.value(app.properties(logical)["FilterPattern"]) == ""
            return app.text(app.properties(logical)["DestinationArn"])
    for logical in app.of_type("AWS::Logs::AccountPolicy"):
        properties = app.properties(logical)
        if properties["PolicyType"] != "SUBSCRIPTION_FILTER_POLICY":
            continue
        assert properties["Scope"] == "ALL"
        match = re.fullmatch(r"LogGroupName NOT IN (\[.*\])", properties["SelectionCriteria"])
        assert match, properties["SelectionCriteria"]
        if group in json.loads(match[1]):
            return None
        document = json.loads(app.text(properties["PolicyDocument"]))
        assert document["FilterPattern"] == ""
        return str(document["DestinationArn"])
    return None


def _archived(world: rq.World, app: Resolver, group: str) -> bool:
    """Whether the group's lines reach the archive bucket, under its region."""
    destination = _subscribed_destination(app, group)
    if destination is None:
        return False
    region = app.placement.region
    boot, logical = world.find(destination)
    assert (boot.name, boot.placement.account, boot.placement.region) == (
        "bootstrap.json",
        world.accounts.central,
        region,
    ), "a destination must be in the log group's region, in the central account"
    assert boot.type_of(logical) == "AWS::Logs::Destination"
    central, stream = world.find(boot.text(boot.properties(logical)["TargetArn"]))
    assert (central.name, central.placement.region) == ("logging.json", world.home)
    s3 = central.properties(stream)["ExtendedS3DestinationConfiguration"]
    bucket_owner, bucket = world.find(central.text(s3["BucketARN"]))
    assert bucket_owner is central and bucket == "CentralLogBucket"
    assert central.text(s3["Prefix"]).startswith(f"logs/{region}/")
    return True


# ------------------------------------------------------------------ centralization
def _selected(criteria: str, group: str) -> bool:
    """The OAM filter subset the rule uses: `=` and `LIKE '<prefix>%'`, joined by OR."""
    for term in criteria.split(" OR "):
        match = re.fullmatch(r"LogGroupName (=|LIKE) '([^']*)'", term.strip())
        assert match, term
        operator, value = match.groups()
        if operator == "=" and group == value:
            return True
        if operator == "LIKE" and value.endswith("%") and group.startswith(value[:-1]):
            return True
    return False


def _in_scope(world: rq.World, scope: str, account: str) -> bool:
    for term in scope.split(" OR "):
        key, value = re.fullmatch(r"(AccountId|OrganizationUnitId) = '([^']+)'", term).groups()
        if key == "AccountId" and value == account:
            return True
        paths = world.accounts.org_paths.get(account, ())
        if key == "OrganizationUnitId" and any(f"/{value}/" in p for p in paths):
            return True
    return False


def _centralized(world: rq.World, app: Resolver, group: str) -> bool:
    """Whether the rule copies the group, and where the copy goes, encrypted how."""
    central = world.instance("logging.json", world.accounts.central, world.home)
    rules = central.of_type("AWS::ObservabilityAdmin::OrganizationCentralizationRule")
    if not rules:
        return False
    (rule,) = rules
    spec = central.value(central.properties(rule)["Rule"])
    source, destination = spec["Source"], spec["Destination"]
    logs = source["SourceLogsConfiguration"]
    account, region = app.placement.account, app.placement.region
    if not (
        region in source["Regions"]
        and _in_scope(world, source["Scope"], account)
        and _selected(logs["LogGroupSelectionCriteria"], group)
    ):
        return False
    # The application's groups have a customer key: ALLOW, or the rule would skip them.
    assert logs["EncryptedLogGroupStrategy"] == "ALLOW"
    assert (destination["Account"], destination["Region"]) == (world.accounts.central, world.home)
    settings = destination["DestinationLogsConfiguration"]
    pattern = settings["LogGroupNameConfiguration"]["LogGroupNamePattern"]
    copy_name = (
        pattern.replace("${source.accountId}", account)
        .replace("${source.region}", region)
        .replace("${source.logGroup}", group)
    )
    assert copy_name == names.centralized_log_group(world.app, account, region, group)
    assert not _selected(logs["LogGroupSelectionCriteria"], copy_name), "copied again"
    encryption = settings["LogsEncryptionConfiguration"]
    assert encryption["EncryptionStrategy"] == "CUSTOMER_MANAGED"
    assert encryption["EncryptionScope"] == "NEW_DESTINATION_LOG_GROUPS"
    key_owner, key = world.find(encryption["KmsKeyArn"])
    assert key_owner is central and key == "LogsKey"
    copy_arn = f"arn:aws:logs:{world.home}:{world.accounts.central}:log-group:{copy_name}"
    statement = _key_statement(central, "CloudWatchLogsEncryptsCentralizedCopies")
    assert statement["Principal"] == {"Service": f"logs.{world.home}.amazonaws.com"}
    allowed = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert fnmatch.fnmatchcase(copy_arn, allowed)
    assert {"Key": "LogsManaged", "Value": "true"} in central.properties("LogsKey")["Tags"]
    return True


def _key_statement(central: Resolver, sid: str) -> dict[str, Any]:
    policy = central.value(central.properties("LogsKey")["KeyPolicy"])
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == sid]
    return dict(statement)


# ------------------------------------------------------------------ every log group
def _expected(world: rq.World, app: Resolver) -> set[str]:
    logging = world.config.logging
    found = set()
    if logging.centralized:
        found.add("centralized")
    # Everywhere, the central account's home region included: there, with both paths,
    # filters of their own stand in for the account-level policy that would resend the
    # copies.
    if logging.firehose:
        found.add("archive")
    return found


@pytest.mark.parametrize(("mode", "subscription", "targets"), CASES)
def test_every_log_group_reaches_the_central_account(
    worlds: Callable[[str, str | None, str], rq.World],
    mode: str,
    subscription: str | None,
    targets: str,
) -> None:
    world = worlds(mode, subscription, targets)
    placements = world.placements("app.json")
    assert placements and {a for a, _ in placements} == set(world.accounts.targets)
    kinds: set[str] = set()
    for account, region in placements:
        app = world.instance("app.json", account, region)
        groups = [app.physical_name(g) for g in app.of_type("AWS::Logs::LogGroup")]
        kinds |= {_kind(g) for g in groups}
        for group in groups:
            reached = set()
            if _archived(world, app, group):
                reached.add("archive")
            if _centralized(world, app, group):
                reached.add("centralized")
            assert reached == _expected(world, app), (account, region, group)
    # The function's, its hook's and the API's log groups were all followed.
    assert kinds == {"function", "hook", "api"}


def _kind(group: str) -> str:
    if group.endswith("-pretraffic"):
        return "hook"
    return "function" if group.startswith("/aws/lambda/") else "api"


@pytest.mark.parametrize(("mode", "subscription", "targets"), CASES)
def test_the_log_path_holds_only_what_the_mode_uses(
    worlds: Callable[[str, str | None, str], rq.World],
    mode: str,
    subscription: str | None,
    targets: str,
) -> None:
    world = worlds(mode, subscription, targets)
    logging = world.config.logging
    count = {
        file: {t: len([1 for r in data["Resources"].values() if r["Type"] == t]) for t in TYPES}
        for file, data in world.data.items()
    }
    firehose, per_group = logging.firehose, logging.firehose and subscription != "account"
    # With both paths and account-level policies, filters for the central account's home
    # region only (made under a condition).
    both_by_account = logging.centralized and firehose and not per_group
    assert count["app.json"]["AWS::Logs::SubscriptionFilter"] == (
        3 if per_group or both_by_account else 0
    )
    assert count["app.json"]["AWS::Logs::AccountPolicy"] == (1 if firehose and not per_group else 0)
    assert count["bootstrap.json"]["AWS::Logs::Destination"] == (1 if firehose else 0)
    assert count["logging.json"]["AWS::KinesisFirehose::DeliveryStream"] == (3 if firehose else 0)
    assert count["logging.json"]["AWS::S3::Bucket"] == (2 if firehose else 0)
    rule = "AWS::ObservabilityAdmin::OrganizationCentralizationRule"
    assert count["logging.json"][rule] == (1 if logging.centralized else 0)
    # A role for the subscriptions exactly when the destination admits the organization.
    role = "LogSubscriptionRole" in world.data["app.json"]["Resources"]
    assert role == (firehose and targets == "organization")


TYPES = (
    "AWS::Logs::SubscriptionFilter",
    "AWS::Logs::AccountPolicy",
    "AWS::Logs::Destination",
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::S3::Bucket",
    "AWS::ObservabilityAdmin::OrganizationCentralizationRule",
)


def test_the_account_policy_never_sends_the_log_path_itself(
    worlds: Callable[[str, str | None, str], rq.World],
) -> None:
    """In the central account's home region, the Firehose streams log their delivery
    errors to a log group; sent down the path, a failing delivery would feed itself."""
    world = worlds("firehose", "account", "single-account")
    app = world.instance("app.json", SINGLE, HOME)
    central = world.instance("logging.json", SINGLE, HOME)
    errors = central.physical_name("FirehoseErrorLogGroup")
    assert errors == names.firehose_error_log_group("shop")
    assert _subscribed_destination(app, errors) is None
    assert _subscribed_destination(app, "/aws/lambda/any-other-function") is not None


def test_the_account_policy_names_a_role_with_an_organizations_destination(
    worlds: Callable[[str, str | None, str], rq.World],
) -> None:
    world = worlds("firehose", "account", "organization")
    account = next(iter(MEMBERS))
    app = world.instance("app.json", account, HOME)
    (policy,) = app.of_type("AWS::Logs::AccountPolicy")
    document = json.loads(app.text(app.properties(policy)["PolicyDocument"]))
    assert document["RoleArn"] == app.get_att("LogSubscriptionRole", "Arn")
    (statement,) = [
        s
        for p in app.identity_policies("LogSubscriptionRole")
        for s in p["Statement"]
        if s["Sid"] == "PutSubscribedLogEvents"
    ]
    assert statement["Resource"] == [f"arn:aws:logs:{HOME}:{account}:log-group:*"]


# ------------------------------------------------------------------ alerts, dashboard
@pytest.mark.parametrize("mode", ["firehose", "centralization", "both"])
def test_alerts_and_dashboard_work_in_every_mode(
    worlds: Callable[[str, str | None, str], rq.World], mode: str
) -> None:
    world = worlds(mode, None if mode == "centralization" else "log-group", "accounts")
    central = world.data["logging.json"]["Resources"]
    # Events: every region forwards to the central bus, whose alert rule publishes.
    forwards = [
        r for r in world.data["app.json"]["Resources"].values() if r["Type"] == "AWS::Events::Rule"
    ]
    assert len(forwards) == 3
    assert central["AlertOnFailures"]["Properties"]["Targets"][0]["Arn"] == {"Ref": "AlertTopic"}
    assert {"CentralEventBus", "CentralEventLogGroup", "WaveGate"} <= set(central)
    body = central["Dashboard"]["Properties"]["DashboardBody"]
    text = body["Fn::Sub"] if isinstance(body, dict) else body
    widgets = json.loads(text)["widgets"]
    regions = world.config.targets.regions
    by_region = {w["properties"]["region"] for w in widgets if w["type"] == "metric"}
    assert set(regions) <= by_region
    (markdown,) = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    assert ("s3://" in markdown) == world.config.logging.firehose
    assert ("/central/shop/<account>/<region><log group>" in markdown) == (
        world.config.logging.centralized
    )
    copied = [
        w
        for w in widgets
        if w["type"] == "metric" and "CentralizationError" in json.dumps(w["properties"])
    ]
    assert len(copied) == (1 if world.config.logging.centralized else 0)
    if copied:
        assert copied[0]["properties"]["region"] == world.home


def test_a_backup_region_and_key_reach_the_rule(tmp_path: Path) -> None:
    raw = copy.deepcopy(REFERENCE)
    _accounts(raw)
    key = f"arn:aws:kms:eu-central-1:{CENTRAL}:key/00000000-0000-0000-0000-000000000000"
    raw["logging"] = {
        "mode": "centralization",
        "backup_region": "eu-central-1",
        "backup_key_arn": key,
    }
    built = generate(config_module.load(write_project(tmp_path, raw)))
    rule = built.data["logging.json"]["Resources"]["LogsCentralizationRule"]["Properties"]
    backup = rule["Rule"]["Destination"]["DestinationLogsConfiguration"]["BackupConfiguration"]
    assert backup == {"Region": "eu-central-1", "KmsKeyArn": key}


@pytest.mark.parametrize("mode", ["firehose", "centralization", "both"])
def test_the_logging_stack_alarms_on_each_path_it_runs(
    worlds: Callable[[str, str | None, str], rq.World], mode: str
) -> None:
    """The rule's copy errors where there is a rule; throttled records on each stream."""
    world = worlds(mode, None if mode == "centralization" else "log-group", "accounts")
    central = world.data["logging.json"]["Resources"]
    alarm = central.get("CentralizationErrorsAlarm")
    assert (alarm is not None) == world.config.logging.centralized
    if alarm is not None:
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == [{"Ref": "AlertTopic"}]
        (query,) = properties["Metrics"]
        assert query["Expression"] == 'SELECT SUM(CentralizationError) FROM "AWS/Logs"'
        assert query["ReturnData"] is True and query["Period"] == 300
    streams = [
        r["Properties"]
        for r in central.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and "delivery" in r["Properties"]["AlarmName"]
    ]
    assert len(streams) == (3 if world.config.logging.firehose else 0)
    for properties in streams:
        names_ = {
            q["MetricStat"]["Metric"]["MetricName"]: q["Id"]
            for q in properties["Metrics"]
            if "MetricStat" in q
        }
        (expression,) = [q["Expression"] for q in properties["Metrics"] if q.get("ReturnData")]
        assert f"IF(FILL({names_['ThrottledRecords']}, 0) > 0, 1, 0)" in expression


def test_the_copies_key_serves_the_account_through_cloudwatch_logs_only(
    worlds: Callable[[str, str | None, str], rq.World],
) -> None:
    world = worlds("centralization", None, "accounts")
    central = world.instance("logging.json", world.accounts.central, world.home)
    statement = _key_statement(central, "CentralizationEncryptsCentralizedCopies")
    assert statement["Condition"]["StringEquals"] == {
        "kms:ViaService": f"logs.{world.home}.amazonaws.com"
    }


def test_the_deployer_may_manage_the_applications_rule_only(
    worlds: Callable[[str, str | None, str], rq.World],
) -> None:
    """Of an organization's centralization rules, the pipeline's deploy role may touch
    the one its logging stack owns."""
    world = worlds("centralization", None, "accounts")
    resources = world.data["pipeline.json"]["Resources"]
    found = [
        statement["Resource"]
        for r in resources.values()
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
        if any(str(a).startswith("observabilityadmin:") for a in statement["Action"])
        and statement["Resource"] != ["*"]  # the actions IAM authorizes on * only
    ]
    rule = names.centralization_rule(world.app)
    assert found == [
        [
            {
                "Fn::Sub": "arn:${AWS::Partition}:observabilityadmin:*:${AWS::AccountId}:"
                f"organization-centralization-rule/{rule}"
            }
        ]
    ]
