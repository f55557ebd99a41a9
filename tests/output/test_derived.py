"""Facts derived from the generator's code and the installed packages, kept on disk: a
kept fact is what computing it returns (coverage's templates, IAM's answers, the resource
schemas' handler permissions), a change to the generator's code or to a package misses,
and `--no-cache` derives everything afresh. Builds are the same bytes either way."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from generator import config as config_module
from generator.build import generate
from generator.output import derived, stamp
from generator.permissions import coverage, deployer, iam_data
from generator.stacks import REGISTRY


@pytest.fixture
def fresh_state() -> Iterator[None]:
    """A process's state of derived facts, as if it had just started; restored after."""
    saved = derived._state
    derived.reset()
    yield
    derived._state = saved


def never(*_: Any) -> Any:
    raise AssertionError("computed, though the fact was kept")


def test_a_kept_fact_is_what_computing_returned(tmp_path, fresh_state):
    derived.use(tmp_path)
    assert derived.fact("t.answer", lambda: {"a": [1, 2]}) == {"a": [1, 2]}
    derived.save()
    derived.reset()
    derived.use(tmp_path)
    assert derived.fact("t.answer", never) == {"a": [1, 2]}


def test_coverage_from_the_cache_is_a_fresh_build(tmp_path, fresh_state, monkeypatch):
    derived.use(None)
    fresh = coverage.build_variants()
    assert set(fresh) == {spec.file for spec in REGISTRY}
    derived.use(tmp_path)
    for file in fresh:
        assert list(coverage.templates(file)) == fresh[file]  # computed, then kept
    derived.save()
    derived.reset()
    derived.use(tmp_path)
    monkeypatch.setattr(coverage, "build_variants", never)
    for file in fresh:
        assert list(coverage.templates(file)) == fresh[file]  # read back, not built


ACTIONS = ("s3:getobject", "S3:GetObject", "lambda:InvokeFunction", "s3:NoSuchAction", "sts:x")


def test_iam_answers_from_the_cache_are_policy_sentry_s(tmp_path, fresh_state):
    from policy_sentry.querying.actions import (
        get_action_data,
        get_actions_that_support_wildcard_arns_only,
        get_actions_with_arn_type_and_access_level,
    )

    def entries(action: str) -> list[dict[str, Any]]:
        service, name = action.split(":", 1)
        found = get_action_data(service.lower(), name).get(service.lower(), [])
        return [e for e in found if e["action"].lower() == action.lower()]

    def wildcard_only(service: str) -> set[str]:
        try:
            return {w.lower() for w in get_actions_that_support_wildcard_arns_only(service)}
        except KeyError:
            return set()

    def answers() -> list[Any]:
        return [
            *(iam_data.canonical(a) for a in ACTIONS),
            *(iam_data.wildcard_only(a) for a in (*ACTIONS, "s3:ListAllMyBuckets")),
            *(iam_data.arn_formats(a) for a in ACTIONS),
            iam_data.access_level("s3:GetObject"),
            iam_data.actions_on("cloudformation", "stack"),
            iam_data.wildcard_only_actions("cloudformation"),
        ]

    expected = [
        *((entries(a)[0]["action"] if entries(a) else None) for a in ACTIONS),
        *(
            a.lower() in wildcard_only(a.split(":")[0].lower())
            for a in (*ACTIONS, "s3:ListAllMyBuckets")
        ),
        *(tuple(sorted({e["resource_arn_format"] for e in entries(a)} - {"*"})) for a in ACTIONS),
        entries("s3:GetObject")[0]["access_level"],
        tuple(
            sorted(
                {
                    action
                    for level in ("Read", "Write", "List", "Tagging", "Permissions management")
                    for action in get_actions_with_arn_type_and_access_level(
                        "cloudformation", "stack", level
                    )
                }
            )
        ),
        tuple(sorted(get_actions_that_support_wildcard_arns_only("cloudformation"))),
    ]
    derived.use(tmp_path)
    assert answers() == expected  # computed
    derived.save()
    derived.reset()
    derived.use(tmp_path)
    assert answers() == expected  # read back
    with pytest.raises(KeyError):
        iam_data.access_level("s3:NoSuchAction")


def test_handler_permissions_from_the_cache_are_the_schema_s(tmp_path, fresh_state):
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    kind = "AWS::Lambda::Function"
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
    expected = sorted(
        {p for h in deployer.HANDLERS for p in schema["handlers"].get(h, {}).get("permissions", [])}
    )
    derived.use(tmp_path)
    assert deployer._schema_actions(kind) == expected
    derived.save()
    derived.reset()
    derived.use(tmp_path)
    assert deployer._schema_actions(kind) == expected


def test_a_change_to_the_generator_s_code_misses(tmp_path, fresh_state, monkeypatch):
    """The key follows the generator's files (a copy of them, changed by one line): a fact
    kept under one version of the code is not found under another."""
    copy = tmp_path / "generator"
    shutil.copytree(stamp.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    digest = stamp._code.__wrapped__  # uncached: this process's own key stays as it is
    before = digest(copy)
    with (copy / "vocabulary.py").open("a") as module:
        module.write("\n# a change\n")
    after = digest(copy)
    assert before != after and derived._key(before) != derived._key(after)
    kept = tmp_path / "kept"
    monkeypatch.setattr(stamp, "code", lambda: before)
    derived.use(kept)
    derived.fact("t.answer", lambda: 1)
    derived.save()
    derived.reset()
    monkeypatch.setattr(stamp, "code", lambda: after)
    derived.use(kept)
    assert derived.fact("t.answer", lambda: 2) == 2  # missed: computed again
    derived.save()
    assert len(list(kept.iterdir())) == 2  # one file per key


def test_a_change_of_package_versions_misses(monkeypatch):
    code = stamp.code()
    before = derived._key.__wrapped__(code)
    monkeypatch.setattr(stamp, "packages", lambda: ["cfn_lint-0.0.0.dist-info"])
    assert derived._key.__wrapped__(code) != before


def test_no_cache_derives_afresh(tmp_path, fresh_state):
    derived.use(tmp_path)
    derived.fact("t.answer", lambda: 1)
    derived.save()
    derived.reset()
    with derived.using(None):
        assert derived.fact("t.answer", lambda: 2) == 2  # the kept 1 is not read
        derived.save()  # and nothing is written
    derived.reset()
    derived.use(tmp_path)
    assert derived.fact("t.answer", never) == 1


def test_a_torn_or_foreign_file_is_a_miss(tmp_path, fresh_state):
    derived.use(tmp_path)
    path = tmp_path / f"{derived.key()}.json"
    for text in ("{not json", '{"format": 0, "facts": {"t.answer": 3}}', "[]"):
        path.write_text(text)
        derived.reset()
        derived.use(tmp_path)
        assert derived.fact("t.answer", lambda: 4) == 4


def test_builds_are_the_same_bytes_with_kept_and_fresh_facts(reference_path, tmp_path, fresh_state):
    config = config_module.load(reference_path)
    with derived.using(None):
        fresh = generate(config).files
    with derived.using(tmp_path):
        computed = generate(config).files
    derived.reset()
    with derived.using(tmp_path):
        kept = generate(config).files
    assert fresh == computed == kept


def test_the_plans_schema_facts_from_the_cache_are_cfn_lints(tmp_path, fresh_state, monkeypatch):
    """Create-only properties and stateful types, kept, are what cfn-lint's data says;
    read back, cfn-lint's schemas are not consulted."""
    from generator.plan import resources

    types = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Nothing::Here")
    derived.use(None)
    resources.create_only.cache_clear()
    resources.stateful_types.cache_clear()
    fresh = [resources._create_only(t) for t in types]
    assert "TableName" in fresh[0] and "BucketName" in fresh[1] and fresh[2] == []
    derived.use(tmp_path)
    assert [list(resources.create_only(t)) for t in types] == fresh
    stateful = resources.stateful_types()
    assert {"AWS::DynamoDB::Table", "AWS::S3::Bucket"} <= stateful
    derived.save()
    derived.reset()
    derived.use(tmp_path)
    resources.create_only.cache_clear()
    resources.stateful_types.cache_clear()
    monkeypatch.setattr(resources, "_create_only", never)
    monkeypatch.setattr(
        "cfnlint.schema.PROVIDER_SCHEMA_MANAGER.get_resource_schema", never, raising=False
    )
    assert [list(resources.create_only(t)) for t in types] == fresh
    assert resources.stateful_types() == stateful
    resources.create_only.cache_clear()
    resources.stateful_types.cache_clear()


def test_where_the_centralization_rule_is_offered_from_the_cache_is_cfn_lints(
    tmp_path, fresh_state, monkeypatch
):
    """Kept, the answer is what cfn-lint's schemas say; read back, they are not loaded;
    under --no-cache a kept answer is not read."""
    import cfnlint.helpers

    from generator.config import centralization

    regions = ["eu-west-1", "af-south-1", "xx-nowhere-1"]
    derived.use(None)
    centralization.offered.cache_clear()
    fresh = [centralization.offered(r) for r in regions]
    assert fresh == [True, False, False]
    centralization.offered.cache_clear()
    derived.reset()
    derived.use(tmp_path)
    assert [centralization.offered(r) for r in regions] == fresh
    derived.save()
    derived.reset()
    derived.use(tmp_path)
    centralization.offered.cache_clear()

    class Unread(list[str]):
        def __contains__(self, _: object) -> bool:
            raise AssertionError("cfn-lint's regions read, though the fact was kept")

    monkeypatch.setattr(cfnlint.helpers, "REGIONS", Unread())
    monkeypatch.setattr("cfnlint.schema.PROVIDER_SCHEMA_MANAGER.get_resource_types", never)
    assert centralization.unavailable(regions) == ["af-south-1", "xx-nowhere-1"]
    monkeypatch.undo()
    kept = next(tmp_path.glob("*.json"))
    stored = json.loads(kept.read_text())
    stored["facts"][f"cfnlint.offers:{centralization.RULE_TYPE}:eu-west-1"] = False
    kept.write_text(json.dumps(stored))
    derived.reset()
    centralization.offered.cache_clear()
    with derived.using(None):
        assert centralization.offered("eu-west-1") is True  # computed, not the kept False
    centralization.offered.cache_clear()
