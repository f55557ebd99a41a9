"""One layer answers every question about IAM's actions: `generator.permissions.iam_data`."""

from __future__ import annotations

import ast
from pathlib import Path

from generator.permissions import iam_data

GENERATOR = Path(__file__).resolve().parents[2] / "generator"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_only_iam_data_reads_policy_sentry():
    readers = sorted(
        path.relative_to(GENERATOR).as_posix()
        for path in GENERATOR.rglob("*.py")
        if any(name.split(".")[0] == "policy_sentry" for name in _imports(path))
    )
    assert readers == ["permissions/iam_data.py"]


def test_services_and_actions_are_known_in_any_case():
    assert {"s3", "cloudformation", "logs"} <= iam_data.services()
    assert iam_data.exists("s3:getobject") and iam_data.exists("S3:GetObject")
    assert not iam_data.exists("s3:GetObjects")
    assert not iam_data.exists("nosuchservice:GetObject")
