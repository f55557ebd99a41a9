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


# Regions where AWS publishes the Powertools for AWS Lambda (Python) layer's public SSM
# parameters, `/aws/service/powertools/python/<arch>/python3.11/<version>`, which every
# function's `Layers` resolves (generator/blocks/layers.py). In any other region the
# dynamic reference fails and so does the stack. Copied from the `region` matrix of the
# workflow that writes those parameters, the newest revision seen (it has python3.14):
# aws-powertools/powertools-lambda-python, .github/workflows/update_ssm.yml,
# commit 18efff775f63a805bc4b1be9e57a9445d1b07d78. The earlier revision
# cd2c626bf3bbe8ee6aa318e83f38899d397bb4a3 also listed me-central-1 and me-south-1; the
# newest one no longer writes there, so new releases' parameters are absent in them.
# https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/#using-ssm-parameter-store
POWERTOOLS_SOURCE = (
    "aws-powertools/powertools-lambda-python .github/workflows/update_ssm.yml "
    "@ 18efff775f63a805bc4b1be9e57a9445d1b07d78"
)
POWERTOOLS_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)


@cache
def target_regions() -> tuple[str, ...]:
    """Commercial regions where the functions can run: the Powertools layer is published."""
    return tuple(r for r in commercial_regions() if r in POWERTOOLS_REGIONS)


@cache
def longest_region() -> str:
    """The longest commercial region name (the first of them in sorted order): the
    worst case for names that end with a region, such as bucket names."""
    return max(commercial_regions(), key=len)


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
