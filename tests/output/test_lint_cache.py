"""cfn-lint results are cached by content: a hit returns exactly what linting returns,
and a changed byte, region or cfn-lint version misses. Parallel linting finds what one
process finds, and the templates are the same bytes with and without the cache."""

from __future__ import annotations

import json

import pytest

from generator import config as config_module
from generator.build import build
from generator.checks import lint

BAD = {
    "Resources": {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"Bogus": 1}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": "soon"}},
    }
}
BODY = json.dumps(BAD, indent=2)
REGIONS = ("eu-west-1", "us-east-1")


@pytest.fixture
def counted(monkeypatch):
    """Count the real lint calls lint_all makes (one process)."""
    calls: list[tuple[str, tuple[str, ...]]] = []
    real = lint.lint

    def counting(name, body, regions):
        calls.append((body, tuple(regions)))
        return real(name, body, regions)

    monkeypatch.setattr(lint, "lint", counting)
    return calls


def run(cache, body=BODY, regions=REGIONS):
    return lint.lint_all([lint.Job.of("t.json", body, regions)], cache, workers=1)


def test_a_hit_returns_exactly_what_linting_returns(tmp_path, counted):
    cache = lint.Cache(tmp_path)
    fresh = lint.lint("t.json", BODY, REGIONS)
    assert fresh, "the fixture must have findings, or equality proves little"
    assert run(cache) == fresh and len(counted) == 2  # the direct call and the miss
    assert run(cache) == fresh and len(counted) == 2  # the hit lints nothing
    renamed = lint.lint_all([lint.Job.of("other.json", BODY, REGIONS)], cache, workers=1)
    assert [f.template for f in renamed] == ["other.json"] * len(fresh)


def test_a_changed_byte_region_or_version_misses(tmp_path, counted, monkeypatch):
    cache = lint.Cache(tmp_path)
    run(cache)
    run(cache, body=BODY + " ")
    run(cache, regions=("eu-west-1",))
    assert len(counted) == 3
    monkeypatch.setattr(lint, "cfn_lint_version", lambda: "0.0.0-other")
    run(cache)
    assert len(counted) == 4


def test_the_key_ignores_region_order_and_repeats():
    key = lint.cache_key(BODY, ["us-east-1", "eu-west-1"], "1.0")
    assert key == lint.cache_key(BODY, ["eu-west-1", "us-east-1", "eu-west-1"], "1.0")
    assert key != lint.cache_key(BODY, ["eu-west-1"], "1.0")
    assert key != lint.cache_key(BODY, ["us-east-1", "eu-west-1"], "1.1")


def test_no_cache_lints_every_time(counted):
    run(lint.Cache(None))
    run(lint.Cache(None))
    assert len(counted) == 2


def test_a_torn_cache_file_is_a_miss(tmp_path, counted):
    cache = lint.Cache(tmp_path)
    expected = run(cache)
    for entry in tmp_path.iterdir():
        entry.write_text("{not json")
    assert run(cache) == expected and len(counted) == 2


def test_workers_find_what_one_process_finds():
    jobs = [
        lint.Job.of("a.json", BODY, REGIONS),
        lint.Job.of("b.json", BODY, ("ap-southeast-2", "eu-central-1", "us-west-2")),
    ]
    assert lint.lint_all(jobs, workers=2) == lint.lint_all(jobs, workers=1)


def test_split_gives_every_worker_work():
    big = lint.Job.of("big.json", "x" * 1000, [f"r{i}" for i in range(6)])
    small = lint.Job.of("small.json", "x", ["r0"])
    units = lint.split([big, small], 2)
    assert sorted(r for i, u in units if i == 0 for r in u.regions) == list(big.regions)
    assert len([u for i, u in units if i == 0]) == 2


def test_templates_are_the_same_bytes_with_and_without_the_cache(
    reference_path, reference_build, tmp_path
):
    config = config_module.load(reference_path)
    first = build(config, lint_cache=tmp_path)
    second = build(config, lint_cache=tmp_path)  # every lint a hit
    assert any(tmp_path.iterdir())
    assert first.files == second.files == reference_build.files
