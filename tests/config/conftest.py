"""Config tests. Hypothesis runs derandomized by default (profile "ci": the same examples
on every run and machine, no example database), so a red run is the code's doing; the
exploring tests, marked `slow`, draw new examples (profile "explore") and run only when
selected:

    .venv/bin/python -m pytest -m slow tests/config
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import FIXTURES

_QUIET = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("explore", deadline=None, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SLOW = "slow: explores with new random examples (hypothesis); deselected unless -m selects it"


def pytest_configure(config: pytest.Config) -> None:
    # Also to be registered in pyproject.toml; registering twice is harmless.
    config.addinivalue_line("markers", SLOW)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip `slow` tests unless the run's -m expression names them."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="exploring run: select it with -m slow")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A templates/ folder from an earlier run, which a refused config must not touch."""
    out = tmp_path / "templates"
    (out / "stacksets").mkdir(parents=True)
    (out / "app.json").write_text('{"previous": "run"}\n')
    (out / "stacksets" / "app.json").write_text("{}\n")
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with one function, `functions/api` (the fixture handler `app.handler`)."""
    shutil.copytree(FIXTURES / "functions" / "api", tmp_path / "functions" / "api")
    return tmp_path
