"""The config's tags on every resource that takes tags, in the form its type wants.

Which types take tags, under which property, and whether as a list of Key/Value pairs or
as a map, comes from CloudFormation's resource schemas as cfn-lint ships them (their
`tagging` section), not from a list kept here. A tag a resource sets itself wins over the
config's of the same key.
https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html#schema-properties-tagging
"""

from __future__ import annotations

from functools import cache
from typing import Any

from troposphere import Tags, Template

from generator.output import derived

SCHEMA_REGION = "us-east-1"


@cache
def tag_form(resource_type: str) -> str | None:
    """`list`, `map`, or None for a type that takes no tags (or not as `Tags`); kept with
    the derived facts, so that cfn-lint's schemas load only for a type not seen before."""
    form: str | None = derived.fact(
        f"schema.tag_form:{resource_type}", lambda: _tag_form(resource_type)
    )
    return form


def _tag_form(resource_type: str) -> str | None:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # type: ignore[import-untyped, unused-ignore]

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    tagging = schema.get("tagging", {})
    prop = schema.get("properties", {}).get("Tags")
    if prop is None or not tagging.get("taggable", True):
        return None
    if tagging.get("tagProperty", "/properties/Tags") != "/properties/Tags":
        return None
    if "$ref" in prop:
        prop = schema["definitions"][prop["$ref"].rsplit("/", 1)[1]]
    return {"array": "list", "object": "map"}.get(prop.get("type", ""))


def _own(value: Any) -> dict[str, Any]:
    if isinstance(value, Tags):
        return {t["Key"]: t["Value"] for t in value.to_dict()}
    if isinstance(value, list):
        return {t["Key"]: t["Value"] for t in value}
    return dict(value or {})


def apply(template: Template, tags: dict[str, str]) -> None:
    for resource in template.resources.values():
        form = tag_form(resource.resource_type)
        if form is None:
            continue
        merged = {**tags, **_own(resource.properties.get("Tags"))}
        ordered = dict(sorted(merged.items()))
        resource.Tags = Tags(**ordered) if form == "list" else ordered
