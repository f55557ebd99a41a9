"""Shared fixtures. The tests build their own configs: none reads the project's
`deployment.toml` except `test_golden.py`, which proves `templates/` is its output.

Every test, in every pytest-xdist worker, shares one lint cache and one cache of derived
facts: a template linted (or a fact derived) by one test is not linted again by the next,
nor by the next run while its bytes are the same, as `make templates` reuses the
project's. The caches are keyed by content (the template's bytes, its regions, cfn-lint's
version and rules; the generator's code and the installed packages), and their own tests
prove that a hit is what linting (or deriving) returns, in folders of their own. Under CI
(CI set, as .ci/run and the pipeline's Build stage set it) both are new for each run, so
CI lints every template afresh."""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from generator import config as config_module
from generator.build import Build, build
from generator.checks import lint
from generator.output import derived

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# A three-region application with one function: the reference the stack tests read.
REFERENCE: dict[str, Any] = {
    "application": {
        "name": "shop",
        "home_region": "eu-west-1",
        "log_retention_days": 30,
        "log_level": "INFO",
    },
    "targets": {
        "regions": ["eu-west-1", "us-east-1", "ap-southeast-2"],
        "waves": [["eu-west-1"], ["us-east-1", "ap-southeast-2"]],
    },
    "deployment": {"strategy": "CodeDeployDefault.LambdaCanary10Percent5Minutes"},
    "alarms": {"errors": 1},
    "functions": {
        "api": {
            "source": "functions/api",
            "handler": "app.handler",
            "memory": 256,
            "timeout": 10,
            "architecture": "arm64",
            "routes": ["GET /health", "GET /hello", "POST /echo"],
            "reserved_concurrency": 20,
        }
    },
    "pipeline": {
        "source": "codeconnections",
        "repository": "example-org/serverless-app",
        "branch": "main",
        "execution_mode": "QUEUED",
        "approval_between_waves": True,
    },
}


# The tests' caches, beside the project's own (build/cache/lint, build/cache/derived).
TEST_CACHES = REPO / "build" / "cache" / "tests"


@pytest.fixture(scope="session", autouse=True)
def shared_caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """GENERATOR_LINT_CACHE and GENERATOR_DERIVED_CACHE: the same folders for every xdist
    worker; under CI, folders of this run (the workers' base temp folders share a parent
    that is the run's own)."""
    if os.environ.get("CI"):
        base = tmp_path_factory.getbasetemp()
        root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    else:
        root = TEST_CACHES
    names = {lint.CACHE_VARIABLE: "lint", derived.VARIABLE: "derived"}
    before = {name: os.environ.get(name) for name in names}
    os.environ.update({name: str(root / folder) for name, folder in names.items()})
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def write_project(root: Path, data: dict[str, Any], name: str = "deployment.toml") -> Path:
    """Write `data` as a config in `root`, with a copy of the fixture function in each
    `functions/<name>` folder that the config names and that does not exist yet."""
    for key, function in data.get("functions", {}).items():
        source = root / function["source"]
        if function["source"] == f"functions/{key}" and not source.exists():
            shutil.copytree(FIXTURES / "functions" / "api", source)
    path = root / name
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def reference_raw() -> dict[str, Any]:
    return copy.deepcopy(REFERENCE)


@pytest.fixture(scope="session")
def reference_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("reference"), REFERENCE)


@pytest.fixture(scope="session")
def reference_build(reference_path: Path) -> Build:
    return build(config_module.load(reference_path))


@pytest.fixture(scope="session")
def app_template(reference_build: Build) -> dict[str, Any]:
    return json.loads(reference_build.files["app.json"])


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a variation of the reference config into tmp_path, with function folders.

    `edit` receives a deep copy of the reference config as a dict and changes it in place.
    """

    def write(
        edit: Callable[[dict[str, Any]], None] | None = None, *, text: str | None = None
    ) -> Path:
        raw = copy.deepcopy(REFERENCE)
        if edit is not None:
            edit(raw)
        path = write_project(tmp_path, raw)
        if text is not None:
            path.write_text(text, encoding="utf-8")
        return path

    return write


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}
