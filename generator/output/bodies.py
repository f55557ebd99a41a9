"""What is deployed, derived from what was reviewed.

The release deploys whitespace-free bodies written from the COMMITTED templates (parsed,
re-serialized compact with sorted keys), not from a fresh generation: `make check` proves
the committed templates are what the code generates, and these bytes are provably theirs.
The function zips are rebuilt (they are deterministic) and each must be referenced by the
committed app template, so a zip that the reviewed template does not name never ships.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from generator.output import render
from generator.output.bundles import Asset

APP_TEMPLATE = "app.json"
# The StackSet parameter files, which the pipeline's StackSet actions read from the Build
# stage's output beside the bodies: everything a release deploys is under one folder.
PARAMETERS = "params/"


def from_committed(templates: Path) -> dict[str, str]:
    """`<name>.json` → its whitespace-free body, for every template directly in `templates`,
    and `params/<name>.json` for the parameter files (the StackSet definitions, which only
    the AWS CLI reads, stay where they are)."""
    found = [*sorted(templates.glob("*.json")), *sorted(templates.glob(f"{PARAMETERS}*.json"))]
    return {
        path.relative_to(templates).as_posix(): render.compact(
            json.loads(path.read_text(encoding="utf-8"))
        )
        + "\n"
        for path in found
    }


def unreferenced(assets: Iterable[Asset], templates: Path) -> list[str]:
    """The zip keys that the committed app template does not name."""
    app = templates / APP_TEMPLATE
    text = app.read_text(encoding="utf-8") if app.is_file() else ""
    return [asset.key for asset in assets if asset.key not in text]
