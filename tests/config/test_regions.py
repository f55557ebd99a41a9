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
