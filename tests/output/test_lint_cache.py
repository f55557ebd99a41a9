"""cfn-lint results are cached by content: a hit returns exactly what linting returns,
and a changed byte, region or cfn-lint version misses. Parallel linting finds what one
process finds, and the templates are the same bytes with and without the cache."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from generator import config as config_module
from generator.build import build
from generator.checks import lint
from generator.config.regions import target_regions

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


def test_the_costliest_template_is_handed_out_first(monkeypatch):
    """Each template is linted in one call of all its regions; the largest (by bytes, then
    regions) goes first, so that it never starts last; findings come back per template."""
    many = sorted(target_regions())
    jobs = [
        lint.Job.of("small.json", BODY, REGIONS),
        lint.Job.of("large.json", BODY + " " * 10_000, REGIONS),
        lint.Job.of("wide.json", BODY, many),
    ]
    order: list[str] = []

    def recorded(name: str, body: str, regions: tuple[str, ...]) -> list[lint.Finding]:
        order.append(name)
        return [lint.Finding(name, "E0000", f"{len(regions)} regions", "")]

    monkeypatch.setattr(lint, "lint", recorded)
    found = lint.lint_all(jobs, workers=1)
    assert order == ["large.json", "wide.json", "small.json"]
    assert [f.message for f in found] == ["2 regions", "2 regions", f"{len(many)} regions"]
    assert [f.template for f in found] == ["large.json", "small.json", "wide.json"]


def test_findings_do_not_depend_on_the_number_of_workers():
    regions = sorted(target_regions())
    jobs = [lint.Job.of("a.json", BODY, regions), lint.Job.of("b.json", BODY, REGIONS)]
    one = lint.lint_all(jobs, workers=1)
    assert one == lint.lint_all(jobs, workers=2)
    with lint.Workers(2) as workers:
        assert one == lint.lint_all(jobs, pool=workers)


def test_workers_forked_before_the_build_find_what_this_process_finds():
    units = [lint.Job.of("t.json", BODY, REGIONS), lint.Job.of("u.json", BODY, ("us-west-2",))]
    with lint.Workers(2) as workers:
        found = workers.run(units)
    assert found == [lint.lint(u.name, u.body, u.regions) for u in units]
    assert all(found)


def test_a_worker_s_failure_is_raised_not_waited_for():
    with lint.Workers(1) as workers, pytest.raises(RuntimeError, match="cfn-lint failed"):
        workers.run([lint.Job("t.json", BODY, None)])  # type: ignore[arg-type]


def test_the_key_is_the_same_before_and_after_the_rules_load():
    """cfn-lint's get_rules appends to the lists it is given: the configuration in the key
    must not change when the rules are loaded, or a new process never hits."""
    before = lint.cache_key(BODY, REGIONS)
    lint.rules()
    assert lint.cache_key(BODY, REGIONS) == before
    assert lint.RULE_CONFIGURATION["include"] == ("I",)


def test_a_new_process_hits_what_another_cached(tmp_path, counted):
    """The lint cache across processes, as two `make templates` runs use it: this one
    lints (after loading the rules) and caches; a new one, whose rules are not loaded
    when it computes the key, finds that result without linting."""
    cache = lint.Cache(tmp_path)
    found = lint.lint_all([lint.Job.of("t.json", BODY, REGIONS)], cache, workers=1)
    assert found and len(counted) == 1
    code = (
        "import sys; from pathlib import Path; from generator.checks import lint; "
        "lint.lint = None; "  # a call would fail: every result must come from the cache
        "job = lint.Job.of('t.json', sys.argv[1], sys.argv[3:]); "
        "print(len(lint.lint_all([job], lint.Cache(Path(sys.argv[2])), workers=1)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, BODY, str(tmp_path), *REGIONS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, str(len(found))), done.stderr
    assert "cfnlint" not in done.stderr


def test_templates_are_the_same_bytes_with_and_without_the_cache(
    reference_path, reference_build, tmp_path
):
    config = config_module.load(reference_path)
    first = build(config, lint_cache=tmp_path)
    second = build(config, lint_cache=tmp_path)  # every lint a hit
    assert any(tmp_path.iterdir())
    assert first.files == second.files == reference_build.files


# Every way a template names an attribute: Fn::GetAtt (both forms, a wrong attribute, a
# resource that does not exist), a Sub of attributes, and one outside of a Sub.
GETATTS = {
    "Resources": {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
        },
        "Queue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": {"Fn::Sub": "${Role.Arn}-${Role.Bogus}-${AWS::Region}"}},
        },
        "Topic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "DisplayName": {"Fn::GetAtt": ["Role", "Bogus"]},
                "TopicName": {"Fn::GetAtt": ["Nowhere", "Arn"]},
                "KmsMasterKeyId": "${Queue.Arn}",
            },
        },
    },
    "Outputs": {"Id": {"Value": {"Fn::GetAtt": "Role.RoleId"}}},
}


def test_kept_getatts_find_what_cfn_lint_finds_building_them_each_time(monkeypatch):
    from cfnlint.template.template import Template

    body = json.dumps(GETATTS, indent=2)
    regions = ("ap-southeast-2", "eu-west-1", "us-east-1")
    lint.rules()
    kept = lint.lint("t.json", body, regions)
    assert {"E1010", "E1019", "E1029"} <= {f.rule for f in kept}
    assert hasattr(Template.get_valid_getatts, "__wrapped__")
    monkeypatch.setattr(Template, "get_valid_getatts", Template.get_valid_getatts.__wrapped__)
    assert lint.lint("t.json", body, regions) == kept
