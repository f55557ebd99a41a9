"""What a CloudWatch Logs centralization rule may hold, checked when the config loads.

The rule (`AWS::ObservabilityAdmin::OrganizationCentralizationRule`) copies log groups of
the organization's accounts and regions into one account and region. Its string fields
have their own small languages, built here so that the config check and the logging
stack read the same text:

- `Scope` names the source accounts or OUs with the keys and operators the CloudWatch Logs
  guide lists ("Supported Keys: OrganizationId | OrganizationUnitId | AccountId | * ...
  Supported Operators: = | IN | OR"); only `=` and `OR` are used, since no AWS example
  shows the list form of IN;
- `LogGroupSelectionCriteria` "uses the same format as OAM link filters": single quotes
  around names, `LIKE` as a prefix search ending in `%`, at most five conditional
  operands;

The resource type is missing from some regions: which ones is read from the resource
schemas cfn-lint ships, the same data its E3006 check uses.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatchLogs_Centralization.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-observabilityadmin-organizationcentralizationrule-centralizationrulesource.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-observabilityadmin-organizationcentralizationrule-sourcelogsconfiguration.html
https://docs.aws.amazon.com/OAM/latest/APIReference/API_LogGroupConfiguration.html
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from generator.output import derived

if TYPE_CHECKING:
    from generator.config.models import Targets

RULE_TYPE = "AWS::ObservabilityAdmin::OrganizationCentralizationRule"
# CentralizationRuleSource.Scope: 1 to 2,000 characters (the resource schema).
MAX_SCOPE_CHARS = 2_000
# The destination account, as CloudFormation fills it in (Fn::Sub) when the config names
# no target accounts: the central account is then the one target.
THIS_ACCOUNT = "${AWS::AccountId}"


def scope(targets: Targets) -> str:
    """The source accounts: the target OUs, the target accounts, or (neither configured)
    the central account itself, where the application then runs. An `Fn::Sub` pattern in
    the last case."""
    if targets.organizational_units:
        return " OR ".join(f"OrganizationUnitId = '{ou}'" for ou in targets.organizational_units)
    accounts = targets.accounts or [THIS_ACCOUNT]
    return " OR ".join(f"AccountId = '{account}'" for account in accounts)


def scope_problem(targets: Targets) -> str | None:
    text = scope(targets).replace(THIS_ACCOUNT, "0" * 12)
    if len(text) <= MAX_SCOPE_CHARS:
        return None
    what = "organizational units" if targets.organizational_units else "accounts"
    return (
        f"the centralization rule's Scope names each of the {what} and would have "
        f"{len(text):,} characters, over the {MAX_SCOPE_CHARS:,} the rule takes: target "
        "fewer, or split the application into several configs"
    )


def selection(function_prefix: str, api_log_group: str) -> str:
    """The application's log groups and nothing else: its functions and hooks by prefix,
    its API's access log by name. One OR, of the five operands a filter may have; the
    copies the rule writes (under `/central/`) never match, so nothing is copied twice."""
    return f"LogGroupName LIKE '{function_prefix}%' OR LogGroupName = '{api_log_group}'"


@cache
def offered(region: str) -> bool:
    """Whether cfn-lint's schemas list the rule's type in `region` (not for a region they
    do not know: cfn-lint would fall back to us-east-1's). A fact of the installed
    cfn-lint, kept on disk: a config's check need not load its schemas."""

    def compute() -> bool:
        from cfnlint.helpers import REGIONS
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        return region in REGIONS and RULE_TYPE in PROVIDER_SCHEMA_MANAGER.get_resource_types(region)

    return bool(derived.fact(f"cfnlint.offers:{RULE_TYPE}:{region}", compute))


def unavailable(regions: Iterable[str]) -> list[str]:
    """The regions, of `regions`, where CloudFormation does not offer the rule's type."""
    return [r for r in regions if not offered(r)]


def schema_source() -> str:
    """Which data said so, for the message: cfn-lint's version."""
    from importlib.metadata import version

    return f"the resource schemas of cfn-lint {version('cfn-lint')}"
