"""Stack set operations, driven one at a time with boto3: start one, wait for it, read
what happened in each account and region.

A stack set runs one operation at a time; a second one is refused with
OperationInProgressException, so starting waits for the running one and tries again with
the same operation id, which CloudFormation treats as an idempotency token. Throttling is
retried the same way.
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStackSet.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackSetOperation.html
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

DONE = {"SUCCEEDED", "FAILED", "STOPPED"}
BUSY = {"OperationInProgressException", "Throttling", "ThrottlingException"}
POLL_SECONDS = 15
MAX_WAITS = 240  # an hour of 15-second polls before giving up on a busy stack set


@dataclass(frozen=True)
class Result:
    """One account and region of an operation."""

    account: str
    region: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class Outcome:
    operation: str
    status: str
    reason: str
    results: list[Result]

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status in ("FAILED", "CANCELLED")]


class Operations:
    """Operations on one stack set, with a clock and a printer the tests control."""

    def __init__(
        self,
        client: Any,
        stack_set: str,
        say: Callable[[str], None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.stack_set = stack_set
        self.say = say
        self.sleep = sleep

    def start(self, call: str, **arguments: Any) -> str:
        """Call `update_stack_set` (or another operation), waiting while the stack set is
        busy; `arguments` must hold the OperationId."""
        for _ in range(MAX_WAITS):
            try:
                response = getattr(self.client, call)(StackSetName=self.stack_set, **arguments)
                return str(response.get("OperationId", arguments["OperationId"]))
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code == "OperationIdAlreadyExistsException":
                    return str(arguments["OperationId"])  # accepted by an earlier try
                if code not in BUSY:
                    raise
                self.say(f"  {self.stack_set} is busy ({code}); waiting")
                self.sleep(POLL_SECONDS)
        raise TimeoutError(f"{self.stack_set} stayed busy for {MAX_WAITS * POLL_SECONDS} s")

    def wait(self, operation: str) -> Outcome:
        """Poll until the operation ends, printing each region as it finishes."""
        reported: set[tuple[str, str]] = set()
        while True:
            described = self.client.describe_stack_set_operation(
                StackSetName=self.stack_set, OperationId=operation
            )["StackSetOperation"]
            results = self.results(operation)
            for result in results:
                key = (result.account, result.region)
                if result.status not in ("PENDING", "RUNNING") and key not in reported:
                    reported.add(key)
                    reason = f": {result.reason}" if result.reason else ""
                    self.say(f"  {result.region} {result.account} {result.status}{reason}")
            if described["Status"] in DONE:
                return Outcome(
                    operation, described["Status"], described.get("StatusReason", ""), results
                )
            self.sleep(POLL_SECONDS)

    def results(self, operation: str) -> list[Result]:
        found = []
        pages = self.client.get_paginator("list_stack_set_operation_results").paginate(
            StackSetName=self.stack_set, OperationId=operation
        )
        for page in pages:
            for summary in page["Summaries"]:
                found.append(
                    Result(
                        summary["Account"],
                        summary["Region"],
                        summary["Status"],
                        summary.get("StatusReason", ""),
                    )
                )
        return found
