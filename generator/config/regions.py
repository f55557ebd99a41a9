"""The regions a deployment may target, from botocore's maintained endpoint data.

The data is read from botocore's data files as a boto3 Session reads them (the same
search path: AWS_DATA_PATH, ~/.aws/models, botocore's own data; the newest API version of
each service), without importing boto3 or botocore: `Session().get_available_regions`
costs a second of imports and model loading, these functions a few milliseconds.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

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


PARTITION = "aws"
# How botocore names its data files: plain JSON first, then gzipped.
_OPENERS = ((".json", open), (".json.gz", gzip.open))


@cache
def _search_paths() -> tuple[Path, ...]:
    """botocore's Loader search path: AWS_DATA_PATH's folders, ~/.aws/models, its data."""
    extra = os.environ.get("AWS_DATA_PATH")
    paths = (
        [Path(os.path.expanduser(os.path.expandvars(p))) for p in extra.split(os.pathsep)]
        if extra
        else []
    )
    spec = importlib.util.find_spec("botocore")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed: its endpoint data names the regions")
    builtin = Path(next(iter(spec.submodule_search_locations))) / "data"
    return (*paths, Path.home() / ".aws" / "models", builtin)


def _data_file(stem: Path) -> Path | None:
    for suffix, _ in _OPENERS:
        path = stem.with_name(stem.name + suffix)
        if path.is_file():
            return path
    return None


def _open(path: Path) -> Any:
    return (
        gzip.open(path, "rt", encoding="utf-8")
        if path.suffix == ".gz"
        else path.open(encoding="utf-8")
    )


def _locations(name: str) -> Iterator[Path]:
    for folder in _search_paths():
        if folder.is_dir():
            yield folder / name


@cache
def _endpoints() -> dict[str, Any]:
    """botocore's endpoints.json: the first one on the search path."""
    for stem in _locations("endpoints"):
        found = _data_file(stem)
        if found is not None:
            with _open(found) as stream:
                data: dict[str, Any] = json.load(stream)
            return data
    raise RuntimeError("botocore's endpoints.json was not found")


@cache
def _endpoint_prefix(service: str) -> str | None:
    """The service's endpoint prefix from the metadata of its newest service model (None
    for a service botocore does not know), as `Session.get_service_data` finds it."""
    versions = {
        version.name
        for folder in _locations(service)
        if folder.is_dir()
        for version in folder.iterdir()
        if _data_file(version / "service-2") is not None
    }
    if not versions:
        return None
    newest = max(versions)
    for folder in _locations(service):
        found = _data_file(folder / newest / "service-2")
        if found is not None:
            metadata = _metadata(found)
            return str(metadata.get("endpointPrefix", service))
    return None


def _metadata(path: Path) -> dict[str, Any]:
    """A service model's `metadata`, which comes first: read from the head of the file
    when it is there whole, else from the whole model."""
    with _open(path) as stream:
        head = stream.read(16384)
        start = head.find('"metadata"')
        if start >= 0:
            try:
                value, _ = json.JSONDecoder().raw_decode(head, head.index("{", start))
            except ValueError:
                pass  # cut off within the head: read all of it
            else:
                return value if isinstance(value, dict) else {}
        model = json.loads(head + stream.read())
    metadata: dict[str, Any] = model.get("metadata", {})
    return metadata


def available_regions(service: str, partition: str = PARTITION) -> list[str]:
    """The regional endpoints of `service` in `partition`: what boto3's
    `Session().get_available_regions(service, partition_name=partition)` returns."""
    prefix = _endpoint_prefix(service)
    if prefix is None:
        return []
    found: list[str] = []
    for data in _endpoints()["partitions"]:
        if data["partition"] != partition or prefix not in data["services"]:
            continue
        endpoints = data["services"][prefix]["endpoints"]
        found += [name for name in endpoints if name in data["regions"]]
    return found


@cache
def commercial_regions() -> tuple[str, ...]:
    """Regions of the `aws` partition where every service we deploy is offered."""
    offered = [set(available_regions(s)) for s in REQUIRED_SERVICES]
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
    services = HOME_SERVICES + ((CONNECTION_SERVICE,) if with_connection else ())
    offered = [set(available_regions(s)) for s in services]
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
