"""What a release may change of the tables, given the templates the last one wrote.

- A global table adds or removes one replica per update: "You can add or remove replicas
  after table creation, but you can only add or remove a single replica in each update."
- A table keeps its replication: "You cannot convert a resource of type
  AWS::DynamoDB::Table into a resource of type AWS::DynamoDB::GlobalTable by changing its
  type in your template. Doing so might result in the deletion of your DynamoDB table."
  The other way, the retained global table would keep the name the new regional tables
  need, in every region.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-globaltable.html

The last release's templates are the environment's committed folder, which `make check`
keeps equal to what the config generates; a folder without them (a first release, or a
new table) allows anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator import vocabulary as names
from generator.config import Config

REGIONAL, GLOBAL = "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"
FILES = ("app.json", "data.json")


def last_release(folder: Path) -> dict[str, str]:
    """The templates of `folder` that hold tables, by file name."""
    return {n: (folder / n).read_text(encoding="utf-8") for n in FILES if (folder / n).is_file()}


def problems(config: Config, previous: Mapping[str, str], new: Mapping[str, Any]) -> list[str]:
    """`field: message` for each table the change from `previous` (file name -> text) to
    `new` (file name -> template) cannot deploy."""
    before = _tables(previous.get("app.json"), previous.get("data.json"))
    after = _tables(new.get("app.json"), new.get("data.json"))
    found = []
    app = config.application.name
    for key, spec in sorted(config.tables.items()):
        name = names.table_name(app, key)
        if name not in before or name not in after:
            continue
        (kind_before, regions_before), (kind_after, regions_after) = before[name], after[name]
        if kind_before != kind_after:
            was = "global" if kind_before == GLOBAL else "regional"
            found.append(
                f"tables.{key}.replication: {name} exists as a {was} table, which cannot "
                f'become {spec.replication!r}: keep replication = "{was}", or give the new '
                "table another name and move the items yourself (README: Tables)"
            )
        elif kind_after == GLOBAL:
            added = sorted(regions_after - regions_before)
            removed = sorted(regions_before - regions_after)
            if len(added) + len(removed) > 1:
                change = ", ".join(
                    [*(f"adds {r}" for r in added), *(f"removes {r}" for r in removed)]
                )
                found.append(
                    f"targets.regions: the global table {name} would change by "
                    f"{len(added) + len(removed)} replicas in one release ({change}), but "
                    "CloudFormation adds or removes one replica per update: change one "
                    "region per release"
                )
    return found


def _tables(app: str | Any | None, data: str | Any | None) -> dict[str, tuple[str, set[str]]]:
    """Table name -> (type, replica regions; none for a regional table)."""
    found: dict[str, tuple[str, set[str]]] = {}
    for template in (app, data):
        if template is None:
            continue
        parsed = json.loads(template) if isinstance(template, str) else template
        for resource in parsed.get("Resources", {}).values():
            properties = resource.get("Properties", {})
            name = properties.get("TableName")
            if resource.get("Type") == REGIONAL and isinstance(name, str):
                found[name] = (REGIONAL, set())
            elif resource.get("Type") == GLOBAL and isinstance(name, str):
                regions = {r["Region"] for r in properties.get("Replicas", [])}
                found[name] = (GLOBAL, regions)
    return found
