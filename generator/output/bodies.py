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


def from_committed(templates: Path) -> dict[str, str]:
    """`<name>.json` → its whitespace-free body, for every template directly in `templates`
    (the StackSet and parameter files live in subfolders and are not templates)."""
    return {
        path.name: render.compact(json.loads(path.read_text(encoding="utf-8"))) + "\n"
        for path in sorted(templates.glob("*.json"))
    }


def unreferenced(assets: Iterable[Asset], templates: Path) -> list[str]:
    """The zip keys that the committed app template does not name."""
    app = templates / APP_TEMPLATE
    text = app.read_text(encoding="utf-8") if app.is_file() else ""
    return [asset.key for asset in assets if asset.key not in text]
