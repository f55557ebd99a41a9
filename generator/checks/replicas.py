"""What a release may change of the tables, given the templates the last one wrote.

- A global table adds or removes one replica per update: "You can add or remove replicas
  after table creation, but you can only add or remove a single replica in each update."
- A replica leaves only unprotected: DynamoDB refuses to delete a table (a replica too)
  while its deletion protection is on, and a replica no longer in the template cannot be
  unprotected by the same update, so the release before must turn it off.
- A table keeps its replication: "You cannot convert a resource of type
  AWS::DynamoDB::Table into a resource of type AWS::DynamoDB::GlobalTable by changing its
  type in your template. Doing so might result in the deletion of your DynamoDB table."
  The other way, the retained global table would keep the name the new regional tables
  need, in every region.
- A table's expiry attribute does not change in one release: that is TTL off then on, and
  "Any additional UpdateTimeToLive calls for the same table during this one hour duration
  result in a ValidationException".
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-globaltable.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html

The last release's templates are the environment's committed folder, which `make check`
keeps equal to what the config generates; a folder without them (a first release, or a
new table) allows anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import vocabulary as names

if TYPE_CHECKING:
    from generator.config import Config

REGIONAL, GLOBAL = "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"
FILES = ("app.json", "data.json")


@dataclass(frozen=True)
class Seen:
    """A table as a release's templates declare it."""

    kind: str
    ttl: str | None
    protected: dict[str, bool] = field(default_factory=dict)  # replica region -> protection


def last_release(folder: Path) -> dict[str, str]:
    """The templates of `folder` that hold tables, by file name."""
    return {n: (folder / n).read_text(encoding="utf-8") for n in FILES if (folder / n).is_file()}


def problems(config: Config, previous: Mapping[str, str], new: Mapping[str, Any]) -> list[str]:
    """`field: message` for each table the change from `previous` (file name -> text) to
    `new` (file name -> template) cannot deploy."""
    before, after = _tables(previous), _tables(new)
    found: list[str] = []
    for key, spec in sorted(config.tables.items()):
        name = names.table_name(config.application.name, key)
        if name in before and name in after:
            found += _changes(key, name, spec.replication, before[name], after[name])
    return found


def _changes(key: str, name: str, replication: str, was: Seen, now: Seen) -> Iterator[str]:
    if was.kind != now.kind:
        kind = "global" if was.kind == GLOBAL else "regional"
        yield (
            f"tables.{key}.replication: {name} exists as a {kind} table, which cannot become "
            f'{replication!r}: keep replication = "{kind}", or give the new table another '
            "name and move the items yourself (README: Tables)"
        )
        return
    if was.ttl is not None and now.ttl is not None and was.ttl != now.ttl:
        yield (
            f"tables.{key}.ttl_attribute: changing {was.ttl!r} to {now.ttl!r} turns TTL off "
            "and on in one update, and DynamoDB refuses a second change within an hour: "
            "remove ttl_attribute in one release, set the new one in a later release"
        )
    added = sorted(set(now.protected) - set(was.protected))
    removed = sorted(set(was.protected) - set(now.protected))
    if len(added) + len(removed) > 1:
        change = ", ".join([*(f"adds {r}" for r in added), *(f"removes {r}" for r in removed)])
        yield (
            f"targets.regions: the global table {name} would change by "
            f"{len(added) + len(removed)} replicas in one release ({change}), but "
            "CloudFormation adds or removes one replica per update: change one region per "
            "release"
        )
    for region in removed:
        if was.protected[region]:
            yield (
                f"tables.{key}.deletion_protection: the replica of {name} in {region} is "
                "protected, so it cannot be removed: release once with deletion_protection "
                f"= false, then remove {region} from targets.regions"
            )


def _tables(templates: Mapping[str, str | Any]) -> dict[str, Seen]:
    """Table name -> how the templates declare it."""
    found: dict[str, Seen] = {}
    for file in FILES:
        template = templates.get(file)
        if template is None:
            continue
        parsed = json.loads(template) if isinstance(template, str) else template
        for resource in parsed.get("Resources", {}).values():
            properties = resource.get("Properties", {})
            name, kind = properties.get("TableName"), resource.get("Type")
            if kind not in (REGIONAL, GLOBAL) or not isinstance(name, str):
                continue
            ttl = properties.get("TimeToLiveSpecification", {}).get("AttributeName")
            protected = {
                r["Region"]: bool(r.get("DeletionProtectionEnabled"))
                for r in properties.get("Replicas", [])
            }
            found[name] = Seen(kind, ttl, protected)
    return found
