"""The regions a deployment may target, from botocore's maintained endpoint data."""

from __future__ import annotations

from functools import cache

import boto3

# Every service the regional and home-region stacks use must exist in a target region.
REQUIRED_SERVICES = (
    "apigatewayv2",
    "cloudformation",
    "cloudwatch",
    "codedeploy",
    "events",
    "firehose",
    "kms",
    "lambda",
    "logs",
    "s3",
)


@cache
def commercial_regions() -> tuple[str, ...]:
    """Regions of the `aws` partition where every service we deploy is offered."""
    session = boto3.session.Session()
    offered = [
        set(session.get_available_regions(s, partition_name="aws")) for s in REQUIRED_SERVICES
    ]
    return tuple(sorted(set.intersection(*offered)))
