"""Each environment's files go to folders of their own, whatever the working folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.output.layout import Layout, LayoutError, committed, layout_of, project_root


def project(root: Path, *configs: str) -> Path:
    (root / "Makefile").write_text("")
    for name in configs:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    return root


def test_the_default_environment_writes_templates_and_build(tmp_path):
    layout = Layout.of(tmp_path / "deployment.toml", tmp_path)
    assert (layout.environment, layout.templates, layout.assets, layout.deploy) == (
        "default",
        Path("templates"),
        Path("build/assets"),
        Path("build/deploy"),
    )
    assert layout.deployable


def test_environments_of_the_same_name_in_two_folders_do_not_collide(tmp_path):
    root = project(tmp_path, "envs/prod.toml", "examples/prod.toml")
    prod = layout_of(root / "envs/prod.toml")
    example = layout_of(root / "examples/prod.toml")
    assert (prod.templates, prod.deploy) == (Path("envs/prod"), Path("build/envs/prod/deploy"))
    assert example.deploy == Path("build/examples/prod/deploy")
    assert prod.deployable and example.deployable
    assert prod.at(prod.deploy) == root / "build/envs/prod/deploy"


@pytest.mark.parametrize("name", ["assets/x.toml", "cache/x.toml", "envs/default.toml"])
def test_a_config_that_would_shadow_the_default_is_refused(tmp_path, name):
    root = project(tmp_path, name)
    with pytest.raises(LayoutError, match="overlap"):
        layout_of(root / name)


def test_the_root_is_the_folder_with_the_makefile(tmp_path):
    (tmp_path / "project").mkdir()
    root = project(tmp_path / "project", "envs/prod.toml")
    assert project_root(root / "envs/prod.toml") == root.resolve()
    assert project_root(tmp_path / "elsewhere" / "x.toml") == (tmp_path / "elsewhere").resolve()


def test_committed_lists_every_environment(tmp_path):
    root = project(tmp_path, "deployment.toml", "envs/b.toml", "envs/a.toml", "examples/c.toml")
    assert [p.relative_to(root).as_posix() for p in committed(root)] == [
        "deployment.toml",
        "envs/a.toml",
        "envs/b.toml",
        "examples/c.toml",
    ]
