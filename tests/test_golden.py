"""The shipped config generates exactly the committed templates (troposphere's
golden-file approach): a diff in templates/ is the review of an infrastructure change."""

from __future__ import annotations

from pathlib import Path

from generator.output.tree import read_tree

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_committed_templates_match_the_generator(shipped_build):
    committed = read_tree(TEMPLATES)
    assert sorted(committed) == sorted(shipped_build.files)
    for name, body in shipped_build.files.items():
        assert committed[name] == body, f"templates/{name} is stale: run `make templates`"


def test_generation_is_deterministic(shipped_build):
    from generator import config
    from generator.build import build

    again = build(config.load(TEMPLATES.parent / "deployment.toml"), run_lint=False)
    assert again.files == shipped_build.files
    assert [a.data for a in again.assets] == [a.data for a in shipped_build.assets]
