"""samconfig.toml follows the configs: one section per environment, the whitespace-free
body, resolve_s3 and never s3_bucket beside it; two environments live side by side."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

from generator import cli
from generator.cli import load_config
from generator.output import samconfig
from generator.output.layout import layout_of
from tests.conftest import REFERENCE, write_project


def two_environments(root: Path) -> tuple[Path, Path]:
    (root / "Makefile").write_text("")
    default = write_project(root, REFERENCE)
    prod = copy.deepcopy(REFERENCE)
    prod["application"].update(name="shop-prod", log_level="WARNING")
    prod["targets"].update(regions=["us-east-1", "eu-west-1"], waves=[["us-east-1"], ["eu-west-1"]])
    prod["targets"]["accounts"] = ["111111111111"]
    prod["targets"]["central_account"] = "222222222222"
    (root / "envs").mkdir()
    for function in prod["functions"].values():
        function["source"] = "../functions/api"
    return default, write_project(root, prod, "envs/prod.toml")


def test_one_section_per_environment(tmp_path):
    paths = two_environments(tmp_path)
    text = samconfig.render([(load_config(p), layout_of(p)) for p in paths])
    parsed = tomllib.loads(text)
    default = parsed["default"]["deploy"]["parameters"]
    prod = parsed["prod"]["deploy"]["parameters"]
    assert default["stack_name"] == "shop-dev" and prod["stack_name"] == "shop-prod-prod-dev"
    assert default["template_file"] == "build/deploy/app.json"
    assert prod["template_file"] == "build/envs/prod/deploy/app.json"
    assert prod["region"] == "us-east-1"  # the first region of the first wave
    assert prod["parameter_overrides"] == (
        "HomeRegion=eu-west-1 CentralAccountId=222222222222 LogLevel=WARNING"
    )
    assert default["parameter_overrides"].split()[1] == 'CentralAccountId=""'
    for section in (default, prod):
        assert section["resolve_s3"] is True and "s3_bucket" not in section


def test_two_environments_side_by_side_and_checked_together(tmp_path, capsys):
    default, prod = two_environments(tmp_path)
    assert cli.main(["--config", str(prod)]) == cli.EXIT_OK
    assert cli.main(["--config", str(default)]) == cli.EXIT_OK
    for folder in ("templates", "envs/prod", "build/deploy", "build/envs/prod/deploy"):
        assert (tmp_path / folder / "app.json").is_file(), folder
    assert (tmp_path / "build/envs/prod/assets/api").is_dir()
    sections = tomllib.loads((tmp_path / samconfig.FILE).read_text())
    assert set(sections) == {"version", "default", "prod"}
    capsys.readouterr()
    assert cli.main(["--config", str(default), "--check", "--all"]) == cli.EXIT_OK
    (tmp_path / samconfig.FILE).write_text("version = 0.1\n")
    assert cli.main(["--config", str(default), "--check", "--all"]) == cli.EXIT_STALE
    assert "samconfig.toml is stale" in capsys.readouterr().err
