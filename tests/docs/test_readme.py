"""The README's config reference names every key the config accepts, and only those.

A key added to the models without a row, or a row left behind by a removed key, fails
here rather than in a newcomer's first edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import get_args, get_origin

from pydantic import BaseModel

from generator.config.models import Config

README = Path(__file__).resolve().parents[2] / "README.md"


def model_keys(model: type[BaseModel], prefix: str) -> Iterator[str]:
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from model_keys(kind, f"{prefix}{name}.")
        elif get_origin(kind) is dict and _is_model(get_args(kind)[1]):
            # `functions`, `tables`, ...: one section per name.
            yield from model_keys(get_args(kind)[1], f"{prefix}{name}.<name>.")
        else:
            yield f"{prefix}{name}"


def _is_model(kind: object) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def documented_keys() -> set[str]:
    section = README.read_text().split("## Config reference", 1)[1].split("\n## ", 1)[0]
    first_cells = (line.split("|")[1] for line in section.splitlines() if line.startswith("| `"))
    return {key for cell in first_cells for key in re.findall(r"`([^`]+)`", cell)}


def test_every_config_key_has_a_row() -> None:
    assert sorted(set(model_keys(Config, "")) - documented_keys()) == []


def test_every_row_names_a_config_key() -> None:
    assert sorted(documented_keys() - set(model_keys(Config, ""))) == []


def test_the_walk_reaches_nested_and_function_keys() -> None:
    keys = set(model_keys(Config, ""))
    assert {"targets.bake_minutes", "functions.<name>.routes", "pipeline.source"} <= keys
