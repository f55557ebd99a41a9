"""Permission grants: IAM actions, ARNs, and which resources the template must Fn::Sub."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from generator.config import Grant
from generator.config.arns import EXAMPLE as ARN_EXAMPLE
from generator.config.errors import describe

TABLE = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"


def _problems(**grant: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Grant.model_validate(grant)
    return [line for e in caught.value.errors(include_url=False) for line in describe(e, Grant)]


@pytest.mark.parametrize(
    "resource",
    [
        TABLE,
        "arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
        "arn:aws:s3:::bucket/*",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:sqs:*:123456789012:queue-*",
        "arn:aws:sqs:eu-west-1:*:queue",
        "arn:aws:s3:::bucket/${!aws:username}/*",
        "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:abc/*/GET/x",
    ],
)
def test_arns_are_accepted(resource: str) -> None:
    assert Grant(actions=["s3:GetObject"], resources=[resource]).resources == [resource]


@pytest.mark.parametrize(
    ("resource", "fragment"),
    [
        ("table/orders", "is not an ARN"),
        ("arn:aws:dynamodb", "is not an ARN"),
        ("arn:aws:dynamodb:eu-west-1:123456789012:", "is not an ARN"),
        ("arn:aws:DynamoDB:eu-west-1:123456789012:table/x", "is not an ARN"),
        ("arn:aws:dynamodb:eu-west-1:1234:table/x", "is not an ARN"),
        ("arn:aws-cn:s3:::bucket", "partition 'aws-cn' can never match here"),
        ("arn:${AWS::Partition}:s3:::${BucketName}", "${BucketName} is not filled in"),
        ("arn:aws:s3:::bucket/${AWS::Region", "without a closing"),
    ],
)
def test_bad_resources_are_named_by_index(resource: str, fragment: str) -> None:
    problems = _problems(actions=["s3:GetObject"], resources=["arn:aws:s3:::ok", resource])
    assert len(problems) == 1 and problems[0].startswith("resources.1: "), problems
    assert fragment in problems[0]


def test_an_example_is_given_for_a_non_arn() -> None:
    (problem,) = _problems(actions=["s3:GetObject"], resources=["orders"])
    assert ARN_EXAMPLE in problem and "reference-arns.html" in problem


def test_actions_are_named_by_index_and_canonical() -> None:
    assert Grant(actions=["dynamodb:getitem"], resources=[TABLE]).actions == ["dynamodb:GetItem"]
    problems = _problems(actions=["dynamodb:GetItem", "dynamodb:Nope"], resources=[TABLE])
    assert problems == ["actions.1: 'dynamodb:Nope' is not an IAM action (service:Action)"]


def test_empty_lists_are_refused() -> None:
    assert _problems(actions=[], resources=[]) == [
        "actions: name at least one action",
        f"resources: name at least one resource ARN, e.g. {ARN_EXAMPLE!r}",
    ]


@pytest.mark.parametrize(
    ("resource", "sub"),
    [
        (TABLE, True),
        ("arn:aws:dynamodb:eu-west-1:123456789012:table/orders", False),
        ("arn:aws:s3:::bucket/${!aws:username}", True),
        ("*", False),
    ],
)
def test_only_resources_with_variables_need_sub(resource: str, sub: bool) -> None:
    assert Grant.needs_sub(resource) is sub
