"""Target regions: known to botocore, and where AWS publishes the Powertools layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import config
from generator.config.regions import (
    POWERTOOLS_REGIONS,
    commercial_regions,
    home_regions,
    target_regions,
)
from tests.config.support import minimal, write_toml

# The newest update_ssm.yml dropped these two; botocore knows two more without the layer.
WITHOUT_LAYER = sorted(set(commercial_regions()) - POWERTOOLS_REGIONS)


def test_the_layer_data_is_the_thirty_regions_of_the_workflow() -> None:
    assert len(POWERTOOLS_REGIONS) == 30
    assert {"me-central-1", "me-south-1"}.isdisjoint(POWERTOOLS_REGIONS)


def test_target_regions_are_the_commercial_ones_with_the_layer() -> None:
    assert set(target_regions()) == set(commercial_regions()) & POWERTOOLS_REGIONS
    assert set(home_regions(True)) <= set(target_regions())


@pytest.mark.parametrize("region", WITHOUT_LAYER)
def test_a_region_without_the_layer_is_refused_with_the_reason(project: Path, region: str) -> None:
    data = {"targets": {"regions": ["eu-west-1", region]}, **minimal()}
    with pytest.raises(config.ConfigError) as caught:
        config.load(write_toml(project / "deployment.toml", data))
    (problem,) = caught.value.problems
    assert problem.startswith(
        f"targets.regions.1: {region!r}: AWS does not publish the Powertools for AWS Lambda "
        "(Python) layer there"
    )
    assert "Remove it from targets.regions and targets.waves" in problem


@pytest.mark.parametrize("region", sorted(POWERTOOLS_REGIONS & set(commercial_regions())))
def test_every_region_with_the_layer_is_a_valid_target(project: Path, region: str) -> None:
    data = {"targets": {"regions": [region]}, **minimal()}
    loaded = config.load(write_toml(project / "deployment.toml", data))
    assert loaded.targets.regions == [region]


def test_wave_and_override_regions_stay_commercial_checks(project: Path) -> None:
    data = {
        "targets": {"regions": ["eu-west-1"], "log_level_overrides": {"eu-wset-1": "DEBUG"}},
        **minimal(),
    }
    with pytest.raises(config.ConfigError) as caught:
        config.load(write_toml(project / "deployment.toml", data))
    (problem,) = caught.value.problems
    assert problem.startswith(
        "targets.log_level_overrides: unknown region 'eu-wset-1'; the nearest valid ones: "
        "eu-west-1, "
    )


SERVICES = (
    "lambda",
    "cloudwatch",
    "apigatewayv2",
    "codestar-connections",
    "ec2",
    "no-such-service",
)


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_the_endpoint_data_is_read_as_a_boto3_session_reads_it(partition: str) -> None:
    """regions.py reads botocore's data files itself (no boto3 import, no session): each
    service's regions are what boto3's Session answers."""
    import boto3

    from generator.config.regions import available_regions

    session = boto3.session.Session()
    for service in SERVICES:
        expected = session.get_available_regions(service, partition_name=partition)
        assert available_regions(service, partition) == expected, service


def test_the_region_lists_are_boto3_s(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from generator.config import regions

    session = boto3.session.Session()

    def offered(services: tuple[str, ...]) -> list[set[str]]:
        return [set(session.get_available_regions(s, partition_name="aws")) for s in services]

    commercial = tuple(sorted(set.intersection(*offered(regions.REQUIRED_SERVICES))))
    assert commercial_regions() == commercial
    for with_connection in (True, False):
        services = regions.HOME_SERVICES + (
            (regions.CONNECTION_SERVICE,) if with_connection else ()
        )
        expected = tuple(r for r in commercial if all(r in o for o in offered(services)))
        assert home_regions(with_connection) == expected


def test_aws_data_path_comes_first_as_for_botocore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder on AWS_DATA_PATH with its own endpoints.json overrides botocore's."""
    from generator.config import regions

    endpoints = {
        "partitions": [
            {
                "partition": "aws",
                "regions": {"xx-test-1": {}},
                "services": {"lambda": {"endpoints": {"xx-test-1": {}, "fips-xx": {}}}},
            }
        ]
    }
    (tmp_path / "endpoints.json").write_text(__import__("json").dumps(endpoints))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    for cached in (regions._search_paths, regions._endpoints, regions._endpoint_prefix):
        cached.cache_clear()
    try:
        import boto3

        expected = boto3.session.Session().get_available_regions("lambda")
        assert regions.available_regions("lambda") == expected == ["xx-test-1"]
    finally:
        monkeypatch.delenv("AWS_DATA_PATH")
        for cached in (regions._search_paths, regions._endpoints, regions._endpoint_prefix):
            cached.cache_clear()
