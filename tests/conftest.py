"""Shared fixtures: the shipped config, and a factory for variations of it."""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import config as config_module
from generator.build import Build, build

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "deployment.toml"


def to_toml(data: dict[str, Any]) -> str:
    """A minimal TOML writer for test configs (tables, arrays, strings, numbers, bools)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(type(v))

    lines: list[str] = []

    def table(prefix: str, body: dict[str, Any]) -> None:
        scalars = {k: v for k, v in body.items() if not isinstance(v, dict) or k == "environment"}
        tables = {k: v for k, v in body.items() if k not in scalars}
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{json.dumps(k)} = {value(v)}" for k, v in scalars.items())
        for key, sub in tables.items():
            table(f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key), sub)

    table("", data)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def shipped_raw() -> dict[str, Any]:
    return tomllib.loads(SHIPPED.read_text())


@pytest.fixture(scope="session")
def shipped_build() -> Build:
    return build(config_module.load(SHIPPED))


@pytest.fixture(scope="session")
def app_template(shipped_build: Build) -> dict[str, Any]:
    return json.loads(shipped_build.files["app.json"])


@pytest.fixture
def write_config(tmp_path: Path, shipped_raw: dict[str, Any]) -> Callable[..., Path]:
    """Write a variation of the shipped config into tmp_path, with function folders copied.

    `edit` receives a deep copy of the shipped config as a dict and changes it in place.
    """

    def write(
        edit: Callable[[dict[str, Any]], None] | None = None, *, text: str | None = None
    ) -> Path:
        raw = copy.deepcopy(shipped_raw)
        for name, fn in raw["functions"].items():
            source = REPO / fn["source"]
            target = tmp_path / "functions" / name
            if not target.exists() and source.is_dir():
                target.mkdir(parents=True)
                for file in source.glob("*.py"):
                    (target / file.name).write_bytes(file.read_bytes())
            fn["source"] = f"functions/{name}"
        if edit is not None:
            edit(raw)
        path = tmp_path / "deployment.toml"
        path.write_text(text if text is not None else to_toml(raw))
        return path

    return write


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}
