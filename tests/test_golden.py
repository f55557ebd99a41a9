"""Every committed environment generates exactly its committed files (troposphere's
golden-file approach): a diff in templates/ is the review of an infrastructure change.

These are the tests that read the project's own configs (deployment.toml, envs/*,
examples/*): whatever they say, `make templates-all` makes these tests pass. Every other
test builds a config of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import config
from generator.build import generate
from generator.cli import load_config
from generator.output import samconfig
from generator.output.layout import committed, layout_of
from generator.output.tree import stale
from tests.conftest import REPO

ENVIRONMENTS = list(committed(REPO))


@pytest.mark.parametrize(
    "path", ENVIRONMENTS, ids=[p.relative_to(REPO).as_posix() for p in ENVIRONMENTS]
)
def test_committed_templates_match_the_generator(path: Path) -> None:
    layout = layout_of(path)
    built = generate(load_config(path), layout)
    assert stale(REPO / layout.templates, built.files) == [], "run `make templates-all` and commit"


def test_samconfig_matches_the_environments() -> None:
    deployable = [(load_config(p), layout_of(p)) for p in ENVIRONMENTS if layout_of(p).deployable]
    expected = samconfig.render(deployable)
    assert (REPO / samconfig.FILE).read_text(encoding="utf-8") == expected, "run `make templates`"


def test_generation_is_deterministic(reference_build, reference_path: Path) -> None:
    again = generate(config.load(reference_path))
    assert again.files == reference_build.files
    assert [a.data for a in again.assets] == [a.data for a in reference_build.assets]
