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


# Regions launched before March 20, 2019 are enabled in every account; every later region
# is disabled by default ("opt-in"). A StackSet administration role needs the regional
# principal `cloudformation.<region>.amazonaws.com` to deploy to an opt-in region.
# https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
DEFAULT_REGIONS = frozenset(
    {
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-north-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)


def opt_in(region: str) -> bool:
    """Whether the region is disabled by default and must be enabled in each account."""
    return region not in DEFAULT_REGIONS
