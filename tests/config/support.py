"""Helpers of the config tests: write configs with tomli_w, run the CLI, fingerprint a tree."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from generator import cli


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` with its SHA-256: equal digests, untouched tree."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    """The one way tests write a config: tomli_w escapes what TOML needs escaped."""
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def run_cli(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(
        ["--config", str(path), "--out", str(out), "--assets", str(out.parent / "assets")]
    )
    return code, capsys.readouterr().err


def refused(
    project: Path, out_dir: Path, capsys: pytest.CaptureFixture[str], raw: dict[str, Any]
) -> str:
    """The CLI's errors for `raw` written as the project's deployment.toml: exit 2, and the
    output folder exactly as it was."""
    before = tree_digest(out_dir)
    code, err = run_cli(write_toml(project / "deployment.toml", raw), out_dir, capsys)
    assert code == 2, err
    assert tree_digest(out_dir) == before
    return err


def minimal(**function: Any) -> dict[str, Any]:
    """The smallest valid config: one function in `functions/api`, every other key defaulted."""
    return {"functions": {"api": {"source": "functions/api", **function}}}
