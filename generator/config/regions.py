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


# The home region also runs the pipeline; a CodeConnections source needs its endpoint.
HOME_SERVICES = ("codepipeline", "codebuild", "sns")
CONNECTION_SERVICE = "codestar-connections"


@cache
def home_regions(with_connection: bool) -> tuple[str, ...]:
    """Target-capable regions that can also host the pipeline (and its connection)."""
    session = boto3.session.Session()
    services = HOME_SERVICES + ((CONNECTION_SERVICE,) if with_connection else ())
    offered = [set(session.get_available_regions(s, partition_name="aws")) for s in services]
    return tuple(r for r in commercial_regions() if all(r in o for o in offered))
