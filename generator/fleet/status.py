"""`python -m generator status`: every account and region of the fleet, as it runs.

For each stack instance of both stack sets: its status, the operation (and so the release)
that last touched it, and its last drift check; for the app, the version its `live` aliases
point at, where the caller can read the account (its own, or one it may assume a role in).
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackInstances.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator import vocabulary as names
from generator.config import Config
from generator.stacks import stack_sets

COLUMNS = (
    "stack set",
    "account",
    "region",
    "status",
    "detail",
    "drift",
    "last operation",
    "live versions",
)


@dataclass(frozen=True)
class Row:
    stack_set: str
    account: str
    region: str
    status: str
    detail: str
    drift: str
    operation: str
    versions: str = "-"

    def cells(self) -> tuple[str, ...]:
        return (
            self.stack_set,
            self.account,
            self.region,
            self.status,
            self.detail,
            self.drift,
            self.operation,
            self.versions,
        )


def rows(
    config: Config, cloudformation: Any, lambdas: Callable[[str, str], Any | None]
) -> list[Row]:
    """`lambdas(account, region)` gives a Lambda client there, or None when the caller
    cannot read that account."""
    found = []
    for stack in stack_sets(config):
        name = names.stack_set(config.application.name, stack)
        pages = cloudformation.get_paginator("list_stack_instances").paginate(StackSetName=name)
        for page in pages:
            for summary in page["Summaries"]:
                row = Row(
                    name,
                    summary["Account"],
                    summary["Region"],
                    summary["Status"],
                    summary.get("StackInstanceStatus", {}).get("DetailedStatus", ""),
                    summary.get("DriftStatus", "NOT_CHECKED"),
                    summary.get("LastOperationId", ""),
                )
                if stack == "app":
                    row = _with_versions(config, row, lambdas(row.account, row.region))
                found.append(row)
    return found


def _with_versions(config: Config, row: Row, client: Any | None) -> Row:
    if client is None:
        return row
    versions = []
    for function in config.function_names:
        name = names.function_name(config.application.name, function)
        alias = client.get_alias(FunctionName=name, Name=names.ALIAS)
        versions.append(f"{function}:{alias['FunctionVersion']}")
    return dataclasses.replace(row, versions=" ".join(versions))


def table(found: list[Row]) -> str:
    """Plain columns, wide enough for their longest cell."""
    cells = [COLUMNS, *[r.cells() for r in found]]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    return (
        "\n".join(
            "  ".join(c[i].ljust(widths[i]) for i in range(len(COLUMNS))).rstrip() for c in cells
        )
        + "\n"
    )
