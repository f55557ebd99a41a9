"""Every checkov skip in the committed templates names a real check id and says why.

checkov (`make scan`) reads resource-level skips from
``Metadata: {"checkov": {"skip": [{"id": "CKV_AWS_116", "comment": "why"}]}}``. It accepts an
empty or missing comment without a word, and silently ignores an id it does not know (a typo,
or ``ckv_aws_116`` in lower case), so both mistakes are caught here instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest

REPO = Path(__file__).resolve().parent.parent
# Top level only: templates/stacksets/ and templates/params/ are CLI inputs, not templates.
TEMPLATES = sorted((REPO / "templates").glob("*.json"))
CHECK_ID = re.compile(r"CKV2?_AWS_\d+")


class Skip(NamedTuple):
    """One `Metadata.checkov.skip` entry, keyed by (template, resource, check_id)."""

    template: str
    resource: str
    check_id: Any
    comment: Any


def collect_skips(name: str, template: dict[str, Any]) -> tuple[list[Skip], list[str]]:
    """Every checkov skip in `template` (in order), and what is wrong with any of them."""
    skips: list[Skip] = []
    problems: list[str] = []
    seen: set[tuple[str, str, Any]] = set()
    for logical_id, resource in template.get("Resources", {}).items():
        metadata = resource.get("Metadata") if isinstance(resource, dict) else None
        checkov = metadata.get("checkov") if isinstance(metadata, dict) else None
        if checkov is None:
            continue
        where = f"{name}: {logical_id}: Metadata.checkov"
        entries = checkov.get("skip") if isinstance(checkov, dict) else None
        if not isinstance(entries, list):
            problems.append(f"{where}.skip is not a list of {{id, comment}} objects")
            continue
        for index, entry in enumerate(entries):
            at = f"{where}.skip[{index}]"
            if not isinstance(entry, dict):
                problems.append(f"{at} is not an {{id, comment}} object: {entry!r}")
                continue
            skip = Skip(name, logical_id, entry.get("id"), entry.get("comment"))
            skips.append(skip)
            if not isinstance(skip.check_id, str) or not CHECK_ID.fullmatch(skip.check_id):
                problems.append(f"{at}: id {skip.check_id!r} is not CKV_AWS_<n> or CKV2_AWS_<n>")
            if not isinstance(skip.comment, str) or not skip.comment.strip():
                problems.append(f"{at}: skipping {skip.check_id!r} needs a comment saying why")
            key = skip[:3]
            if key in seen:
                problems.append(f"{at}: {skip.check_id!r} is skipped twice on {logical_id}")
            seen.add(key)
    return skips, problems


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _lambda(metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {"Type": "AWS::Lambda::Function", "Properties": {}}
    if metadata is not None:
        resource["Metadata"] = metadata
    return resource


def _with_skips(*entries: Any) -> dict[str, Any]:
    return {"Resources": {"Fn": _lambda({"checkov": {"skip": list(entries)}})}}


def test_there_are_templates_to_check() -> None:
    assert TEMPLATES, "no templates/*.json found"


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_committed_skips_have_a_check_id_and_a_reason(path: Path) -> None:
    _, problems = collect_skips(path.name, _load(path))
    assert problems == []


def test_committed_skips_are_one_per_template_resource_and_check() -> None:
    skips = [s for path in TEMPLATES for s in collect_skips(path.name, _load(path))[0]]
    keys = [(s.template, s.resource, s.check_id) for s in skips]
    # Not vacuous: the access-log buckets carry a reasoned CKV_AWS_18 skip.
    assert skips, "found no Metadata.checkov.skip entries at all: is the collector broken?"
    assert len(keys) == len(set(keys))
    assert all(isinstance(s, Skip) and s.template.endswith(".json") for s in skips)


def test_good_skips_are_returned_per_template_resource_and_id() -> None:
    template = {
        "Resources": {
            "Plain": _lambda(),
            "Other": _lambda({"cfn-lint": {"config": {}}}),
            "Fn": _lambda(
                {
                    "checkov": {
                        "skip": [
                            {"id": "CKV_AWS_116", "comment": "Synchronous only; no DLQ."},
                            {"id": "CKV2_AWS_75", "comment": "No function URL."},
                        ]
                    }
                }
            ),
        }
    }
    skips, problems = collect_skips("app.json", template)
    assert problems == []
    assert skips == [
        Skip("app.json", "Fn", "CKV_AWS_116", "Synchronous only; no DLQ."),
        Skip("app.json", "Fn", "CKV2_AWS_75", "No function URL."),
    ]


@pytest.mark.parametrize("comment", ["", "   ", None, 7], ids=["empty", "blank", "null", "int"])
def test_a_skip_without_a_reason_fails(comment: Any) -> None:
    entry = {"id": "CKV_AWS_117", "comment": comment}
    skips, problems = collect_skips("bad.json", _with_skips(entry))
    assert skips == [Skip("bad.json", "Fn", "CKV_AWS_117", comment)]
    assert len(problems) == 1
    assert "bad.json: Fn:" in problems[0]
    assert "'CKV_AWS_117' needs a comment" in problems[0]


def test_a_skip_with_no_comment_key_fails() -> None:
    _, problems = collect_skips("bad.json", _with_skips({"id": "CKV_AWS_117"}))
    assert len(problems) == 1
    assert "needs a comment" in problems[0]


@pytest.mark.parametrize(
    "check_id",
    ["ckv_aws_116", "CKV_AWS_", "CKV_AWS_11a", "CKV3_AWS_1", "CKV_AZURE_1", " CKV_AWS_1", 1, None],
)
def test_a_skip_with_a_malformed_id_fails(check_id: Any) -> None:
    _, problems = collect_skips("bad.json", _with_skips({"id": check_id, "comment": "why"}))
    assert len(problems) == 1
    assert "is not CKV_AWS_<n> or CKV2_AWS_<n>" in problems[0]


@pytest.mark.parametrize(
    ("checkov", "message"),
    [
        ({"skip": {"id": "CKV_AWS_116", "comment": "why"}}, "is not a list"),
        ({"skip": ["CKV_AWS_116"]}, "is not an {id, comment} object"),
        ({}, "is not a list"),
        ("CKV_AWS_116", "is not a list"),
    ],
    ids=["skip-is-object", "entry-is-string", "no-skip-key", "checkov-is-string"],
)
def test_a_malformed_skip_block_fails(checkov: Any, message: str) -> None:
    template = {"Resources": {"Fn": _lambda({"checkov": checkov})}}
    _, problems = collect_skips("bad.json", template)
    assert len(problems) == 1
    assert message in problems[0]


def test_the_same_check_skipped_twice_on_one_resource_fails() -> None:
    entry = {"id": "CKV_AWS_116", "comment": "why"}
    skips, problems = collect_skips("bad.json", _with_skips(entry, dict(entry)))
    assert len(skips) == 2
    assert problems == [
        "bad.json: Fn: Metadata.checkov.skip[1]: 'CKV_AWS_116' is skipped twice on Fn"
    ]
