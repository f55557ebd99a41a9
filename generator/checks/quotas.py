"""CloudFormation's and IAM's quotas, checked before anything is written.

A config that grows (more functions, regions, waves) crosses these long before AWS
says so at deploy time; here the message names the template, the limit and the count.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StackSets.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_MAPPINGS = 200
MAX_TEMPLATE_URL_BYTES = 1_048_576  # a template read from S3
MAX_TEMPLATE_BODY_BYTES = 51_200  # a template sent inline (TemplateBody)
MAX_TEMPLATE_PATH_BYTES = 460_800  # a CodePipeline StackSet action's TemplatePath
MAX_ROLE_INLINE_POLICY_CHARS = 10_240  # all inline policies of a role, whitespace excluded
MAX_MANAGED_POLICY_CHARS = 6_144


@dataclass(frozen=True)
class Delivery:
    """How a template reaches CloudFormation, which decides its size limit."""

    limit: int
    how: str


# Every template is delivered from build/deploy/, whitespace-free. The pipeline's
# StackSet actions read app and bootstrap there (TemplatePath); the logging stack goes
# through S3 (its streams and dashboard grow with the regions); the pipeline and the
# execution role are deployed inline once, by hand, with `aws cloudformation deploy`.
PIPELINE_PATH = "a CodePipeline StackSet TemplatePath"
INLINE = "an inline TemplateBody"
FROM_S3 = "a template read from S3"
DELIVERY = {
    "app.json": Delivery(MAX_TEMPLATE_PATH_BYTES, PIPELINE_PATH),
    "bootstrap.json": Delivery(MAX_TEMPLATE_PATH_BYTES, PIPELINE_PATH),
    "logging.json": Delivery(MAX_TEMPLATE_URL_BYTES, FROM_S3),
    "pipeline.json": Delivery(MAX_TEMPLATE_BODY_BYTES, INLINE),
    "stackset-execution-role.json": Delivery(MAX_TEMPLATE_BODY_BYTES, INLINE),
}
DEFAULT_DELIVERY = Delivery(MAX_TEMPLATE_URL_BYTES, FROM_S3)


def _chars(document: Any) -> int:
    return len(json.dumps(document, separators=(",", ":")))


def problems(name: str, template: dict[str, Any]) -> list[str]:
    """Each quota `template` crosses, as a sentence naming template, limit and count."""
    found = []
    for section, limit in (
        ("Resources", MAX_RESOURCES),
        ("Parameters", MAX_PARAMETERS),
        ("Outputs", MAX_OUTPUTS),
        ("Mappings", MAX_MAPPINGS),
    ):
        count = len(template.get(section, {}))
        if count > limit:
            found.append(
                f"{name}: {count} {section.lower()}, over CloudFormation's limit of "
                f"{limit} per template"
            )
    delivery = DELIVERY.get(name, DEFAULT_DELIVERY)
    size = len(minify(template).encode())
    if size > delivery.limit:
        found.append(
            f"{name}: {size:,} bytes, over the {delivery.limit:,}-byte limit of {delivery.how}"
        )
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::IAM::Role" and props.get("Policies"):
            chars = sum(_chars(p["PolicyDocument"]) for p in props["Policies"])
            if chars > MAX_ROLE_INLINE_POLICY_CHARS:
                found.append(
                    f"{name}: role {logical_id} has {chars:,} characters of inline "
                    f"policy, over IAM's limit of {MAX_ROLE_INLINE_POLICY_CHARS:,}"
                )
        if resource.get("Type") == "AWS::IAM::ManagedPolicy":
            chars = _chars(props.get("PolicyDocument", {}))
            if chars > MAX_MANAGED_POLICY_CHARS:
                found.append(
                    f"{name}: managed policy {logical_id} has {chars:,} characters, "
                    f"over IAM's limit of {MAX_MANAGED_POLICY_CHARS:,}"
                )
    return found


def minify(template: dict[str, Any]) -> str:
    """The body as delivered: sorted keys, no whitespace."""
    return json.dumps(template, sort_keys=True, separators=(",", ":"))
