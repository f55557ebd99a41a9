"""The pipeline's buildspecs, the Makefile and the pre-commit hooks: the release ships the
bytes that were reviewed, for the environment the pipeline names, installed by hash."""

from __future__ import annotations

import json
import re

import yaml

from tests.conftest import REPO


def make_recipes() -> dict[str, list[str]]:
    """Recipe lines of each Makefile target."""
    recipes: dict[str, list[str]] = {}
    current = None
    for line in (REPO / "Makefile").read_text().splitlines():
        target = re.match(r"^([a-z-]+):", line)
        if target:
            current = target.group(1)
            recipes[current] = []
        elif line.startswith("\t") and current:
            recipes[current].append(line.strip())
    return recipes


def test_the_build_stage_checks_then_ships_the_committed_templates():
    spec = yaml.safe_load((REPO / "buildspec.yml").read_text())
    commands = spec["phases"]["build"]["commands"]
    assert commands == [
        "make test CONFIG=$CONFIG",
        "make check CONFIG=$CONFIG",
        "make artifacts CONFIG=$CONFIG",
        "make plan-release CONFIG=$CONFIG",
        ". build/plan/gate.env && export PLAN_GATE PLAN_RISKS",
    ]
    recipes = make_recipes()
    assert recipes["artifacts"] == ["$(GENERATOR) bodies", "$(GENERATOR) bundles"]
    assert recipes["check"] == ["$(GENERATOR) --check --all $(NO_CACHE)"]
    assert recipes["plan-release"][0].startswith("$(GENERATOR) plan --live")
    assert spec["env"]["variables"]["CI"] == "true"  # lint afresh
    assert spec["phases"]["install"]["runtime-versions"]["python"] == "3.11"
    assert spec["reports"]["pytest"]["file-format"] == "JUNITXML"
    assert "--junitxml=build/reports/pytest.xml" in spec["env"]["variables"]["PYTEST_ARGS"]
    assert {"templates/**/*", "envs/**/*", "build/**/*"} <= set(spec["artifacts"]["files"])


def test_the_pipeline_names_the_config_the_buildspecs_pass(reference_build):
    pipeline = json.loads(reference_build.files["pipeline.json"])
    for project in ("BuildProject", "PublishProject"):
        env = pipeline["Resources"][project]["Properties"]["Environment"]
        variables = {v["Name"]: v["Value"] for v in env["EnvironmentVariables"]}
        assert variables["CONFIG"] == "deployment.toml"


def test_the_publish_stage_uploads_what_the_build_stage_tested():
    spec = yaml.safe_load((REPO / "buildspec-publish.yml").read_text())
    (command,) = spec["phases"]["build"]["commands"]
    assert "for region in $TARGET_REGIONS" in command and "|| exit 1" in command
    assert "make publish CONFIG=$CONFIG REGION=$region" in command
    assert "BUILT=$CODEBUILD_SRC_DIR_BuildOutput" in command
    assert any("--built $(BUILT)" in line for line in make_recipes()["publish"])


def test_every_install_is_by_hash():
    makefile = (REPO / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "$(PIP_INSTALL) -r" in line]
    assert len(installs) == 2 and "--require-hashes --no-deps" in makefile
    for lock in ("requirements.lock", "requirements-checkov.lock"):
        text = (REPO / lock).read_text()
        pins = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\$", text, re.MULTILINE)
        blocks = re.split(r"^(?=[A-Za-z0-9_.-]+==)", text, flags=re.MULTILINE)[1:]
        assert pins and len(pins) == len(blocks), lock
        assert all("--hash=sha256:" in block for block in blocks), lock


def test_regional_templates_come_from_the_registry_not_from_lists():
    makefile = (REPO / "Makefile").read_text()
    hooks = (REPO / ".pre-commit-config.yaml").read_text()
    for text in (makefile, hooks):
        assert "app.json" not in text and "bootstrap.json" not in text
    assert "templates --regional" in makefile and "templates --home" in makefile


def test_hooks_set_up_what_they_need():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    for hook in config["repos"][0]["hooks"]:
        entry = hook["entry"]
        assert entry.startswith("make ") or entry.startswith("bash -c 'make -s venv &&"), entry
