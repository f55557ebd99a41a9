"""The project's own config generates exactly the committed templates (troposphere's
golden-file approach): a diff in templates/ is the review of an infrastructure change.

This is the one test that reads `deployment.toml`: whatever it says, `make templates`
makes this test pass. Every other test builds a config of its own."""

from __future__ import annotations

from pathlib import Path

from generator import config
from generator.build import generate
from generator.output.tree import stale
from tests.conftest import REPO


def test_committed_templates_match_the_generator() -> None:
    built = generate(config.load(REPO / "deployment.toml"))
    assert stale(REPO / "templates", built.files) == [], "run `make templates` and commit"


def test_generation_is_deterministic(reference_build, reference_path: Path) -> None:
    again = generate(config.load(reference_path))
    assert again.files == reference_build.files
    assert [a.data for a in again.assets] == [a.data for a in reference_build.assets]
