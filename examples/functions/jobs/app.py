"""A queue consumer and scheduled function for the examples.

Lambda's SQS event source mapping invokes it with batches of messages, and it reports the
messages it failed (`ReportBatchItemFailures`), so only those are received again; its
schedule invokes it with the schedule's event.
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html

The pre-traffic check (README, "The pre-traffic check of each trigger"): a message with the
`preTrafficCheck` message attribute, or a schedule event with the `preTrafficCheck` key, is
answered at once and does nothing.
"""

from __future__ import annotations

import json
from typing import Any

CHECK = "preTrafficCheck"


def _process(body: dict[str, Any]) -> None:
    if "job" not in body:
        raise ValueError("a job message names its job")


def _is_check(record: dict[str, Any]) -> bool:
    return CHECK in record.get("messageAttributes", {})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" not in event:
        # A schedule's event; its pre-traffic check returns at once.
        if CHECK in event:
            return {"checked": True}
        return {"cleaned": event.get("schedule")}
    failures = []
    for record in event["Records"]:
        if _is_check(record):
            continue
        try:
            _process(json.loads(record["body"]))
        except (ValueError, KeyError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
