"""Every checkov skip names a real check id and says why: the build refuses one that
does not (checkov itself accepts an empty reason and ignores an unknown id)."""

from __future__ import annotations

from typing import Any

import pytest

from generator.checks import checkov_skips


def function(metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {"Type": "AWS::Lambda::Function", "Properties": {}}
    if metadata is not None:
        resource["Metadata"] = metadata
    return resource


def skipping(*entries: Any) -> dict[str, Any]:
    return {"Resources": {"Fn": function({"checkov": {"skip": list(entries)}})}}


def messages(template: dict[str, Any]) -> list[str]:
    return [f.message for f in checkov_skips.check(template)]


def test_the_reference_templates_skip_with_reasons(reference_build) -> None:
    skips = [
        entry
        for template in reference_build.data.values()
        for resource in template["Resources"].values()
        for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips, "no skips at all: is the reference build missing its reasoned skips?"
    for template in reference_build.data.values():
        assert checkov_skips.check(template) == []


def test_good_skips_pass() -> None:
    template = {
        "Resources": {
            "Plain": function(),
            "Other": function({"cfn-lint": {"config": {}}}),
            "Fn": function(
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
    assert messages(template) == []


@pytest.mark.parametrize("comment", ["", "   ", None, 7], ids=["empty", "blank", "null", "int"])
def test_a_skip_without_a_reason_fails(comment: Any) -> None:
    assert messages(skipping({"id": "CKV_AWS_117", "comment": comment})) == [
        "Metadata.checkov.skip[0]: skipping 'CKV_AWS_117' needs a comment saying why"
    ]


@pytest.mark.parametrize(
    "check_id",
    ["ckv_aws_116", "CKV_AWS_", "CKV_AWS_11a", "CKV3_AWS_1", "CKV_AZURE_1", " CKV_AWS_1", 1, None],
)
def test_a_malformed_id_fails(check_id: Any) -> None:
    (message,) = messages(skipping({"id": check_id, "comment": "why"}))
    assert "is not CKV_AWS_<n> or CKV2_AWS_<n>" in message


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
def test_a_malformed_block_fails(checkov: Any, message: str) -> None:
    (found,) = messages({"Resources": {"Fn": function({"checkov": checkov})}})
    assert message in found


def test_the_same_check_twice_fails() -> None:
    entry = {"id": "CKV_AWS_116", "comment": "why"}
    assert messages(skipping(entry, dict(entry))) == [
        "Metadata.checkov.skip[1]: 'CKV_AWS_116' is skipped twice"
    ]
