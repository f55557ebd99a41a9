"""A function's folder and handler, checked on disk: nothing outside the project is
zipped, and the handler's module is in the zip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import config
from generator.config.sources import Folders, handler_problem, source_problem
from tests.config.support import minimal, write_toml


def _problems(project: Path, **function: object) -> list[str]:
    with pytest.raises(config.ConfigError) as caught:
        config.load(write_toml(project / "deployment.toml", minimal(**function)))
    return caught.value.problems


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("", "names no folder"),
        (".", "holds the config file itself"),
        ("./", "holds the config file itself"),
        ("functions/..", "holds the config file itself"),
        ("..", "is outside the config's folder"),
        ("functions/../../elsewhere", "is outside the config's folder"),
        ("/tmp", "is absolute"),
        ("functions/nowhere", "does not exist"),
    ],
)
def test_bad_sources_are_refused(project: Path, source: str, fragment: str) -> None:
    (problem,) = _problems(project, source=source)
    assert problem.startswith("functions.api.source: ") and fragment in problem, problem


def test_a_symlinked_folder_inside_is_accepted(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("shared") / "api"
    (project / "functions" / "api").rename(elsewhere)
    os.symlink(elsewhere, project / "functions" / "api")
    loaded = config.load(write_toml(project / "deployment.toml", minimal()))
    assert loaded.source_dir("api") == elsewhere.resolve()


def test_a_wider_root_admits_a_folder_beside_the_config(project: Path) -> None:
    """An environment config in envs/ with its functions in ../functions, given the root."""
    (project / "envs").mkdir()
    path = write_toml(project / "envs" / "prod.toml", minimal(source="../functions/api"))
    with pytest.raises(config.ConfigError):
        config.load(path)
    assert config.load(path, root=project).source_dir("api") == project / "functions" / "api"


def test_a_wider_root_still_refuses_the_project_itself(project: Path) -> None:
    folders = Folders.of(project / "envs" / "prod.toml", root=project)
    (project / "envs").mkdir()
    problem = source_problem("..", folders)
    assert problem is not None and "holds the config file itself" in problem
    outside = source_problem("../../x", folders)
    assert outside is not None and "is outside the project" in outside


@pytest.mark.parametrize(
    ("handler", "files"),
    [
        ("app.handler", ["app.py"]),
        ("pkg.app.handler", ["pkg/app.py"]),
        ("pkg.app.handler", ["pkg/app/__init__.py"]),
    ],
)
def test_handler_modules_found(tmp_path: Path, handler: str, files: list[str]) -> None:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("def handler(event, context): ...\n")
    assert handler_problem(handler, tmp_path) is None


def test_a_missing_handler_module_is_named(project: Path) -> None:
    (problem,) = _problems(project, handler="orders.main.handler")
    assert problem == (
        "functions.api.handler: module file 'orders/main.py' of handler 'orders.main.handler' "
        f"is not in {(project / 'functions' / 'api').resolve()}; Lambda imports it from the "
        "function's zip, so every invocation would fail with Runtime.ImportModuleError"
    )


def test_a_symlink_above_the_project_changes_nothing(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The config reached through a symlinked folder, the root given resolved (the CLI's)."""
    link = tmp_path_factory.mktemp("links") / "project"
    os.symlink(project, link)
    path = write_toml(link / "deployment.toml", minimal())
    assert config.load(path, root=project.resolve()).functions["api"].source == "functions/api"
