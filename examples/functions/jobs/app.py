"""A queue consumer for the examples: Lambda's SQS event source mapping invokes it with
batches of messages, and it reports the messages it failed (`ReportBatchItemFailures`), so
only those are received again.
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

from __future__ import annotations

import json
from typing import Any


def _process(body: dict[str, Any]) -> None:
    if "job" not in body:
        raise ValueError("a job message names its job")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event.get("Records", []):
        try:
            _process(json.loads(record["body"]))
        except (ValueError, KeyError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
