"""S3's bucket naming rules, on names and on the names a config produces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import config
from generator.config import bucket_names
from generator.config.regions import commercial_regions, longest_region
from tests.config.support import minimal, write_toml

# name: the fragment of the rule it breaks
BROKEN = {
    "ab": "has 2 characters; S3 allows 3 to 63",
    "a" * 64: "has 64 characters",
    "My-bucket": "contains 'M'",
    "my_bucket": "contains '_'",
    "my.bucket": "contains '.'",
    "-bucket": "must begin and end with a lowercase letter or a digit",
    "bucket-": "must begin and end with a lowercase letter or a digit",
    "xn--bucket": "starts with 'xn--'",
    "sthree-bucket": "starts with 'sthree-'",
    "amzn-s3-demo-bucket": "starts with 'amzn-s3-demo-'",
    "bucket-s3alias": "ends with '-s3alias'",
    "bucket--ol-s3": "ends with '--ol-s3'",
    "bucket--x-s3": "ends with '--x-s3'",
    "bucket--table-s3": "ends with '--table-s3'",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_rule_is_enforced(name: str) -> None:
    assert any(BROKEN[name] in p for p in bucket_names.problems(name)), bucket_names.problems(name)


def test_mrap_suffix_is_reserved() -> None:
    assert "ends with '.mrap', a suffix S3 reserves" in bucket_names.problems("bucket.mrap")


@pytest.mark.parametrize("name", ["abc", "a" * 63, "shop-artifacts-123456789012-eu-west-1", "1a2"])
def test_good_names_pass(name: str) -> None:
    assert bucket_names.problems(name) == []


def test_the_longest_region_comes_from_the_region_data() -> None:
    assert len(longest_region()) == max(len(r) for r in commercial_regions())


def _problems(project: Path, application: dict[str, Any]) -> list[str]:
    path = write_toml(project / "deployment.toml", {"application": application, **minimal()})
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    return caught.value.problems


def test_a_prefix_that_fits_the_longest_name_is_accepted(project: Path) -> None:
    room = 63 - len(f"-123456789012-{longest_region()}")
    path = write_toml(
        project / "deployment.toml",
        {"application": {"artifact_bucket_prefix": "a" * room}, **minimal()},
    )
    assert config.load(path).application.bucket_prefix == "a" * room


def test_a_prefix_one_character_too_long_is_refused(project: Path) -> None:
    room = 63 - len(f"-123456789012-{longest_region()}")
    (problem,) = _problems(project, {"artifact_bucket_prefix": "a" * (room + 1)})
    assert problem.startswith("application.artifact_bucket_prefix: the artifact bucket name")
    assert f"so artifact_bucket_prefix may have at most {room}" in problem


def test_the_default_prefix_is_blamed_on_the_name(project: Path) -> None:
    """Without artifact_bucket_prefix the bucket is `<name>-artifacts-...`: name the name."""
    problems = _problems(project, {"name": "sthree"})
    assert problems == [
        "application.name: the artifact bucket name 'sthree-artifacts-<account>-<region>' "
        "starts with 'sthree-', a prefix S3 reserves "
        f"({bucket_names.NAMING_RULES})",
        "application.name: the central log bucket name "
        "'sthree-central-logs-<account>-<region>' starts with 'sthree-', a prefix S3 reserves "
        f"({bucket_names.NAMING_RULES})",
    ]


def test_a_prefix_that_only_becomes_reserved_with_the_account_is_refused(project: Path) -> None:
    """`sthree` passes as a word; `sthree-<account>-<region>` is what S3 sees."""
    (problem,) = _problems(project, {"artifact_bucket_prefix": "sthree"})
    assert problem.startswith("application.artifact_bucket_prefix: ")
    assert "starts with 'sthree-'" in problem
