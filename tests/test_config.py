"""Bad config gets one clear message naming the file, the field and what is allowed;
exit status 2; and templates/ stays exactly as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from generator import cli, config


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    out = tmp_path / "templates"
    (out / "stacksets").mkdir(parents=True)
    (out / "app.json").write_text('{"previous": "run"}\n')
    (out / "stacksets" / "app.json").write_text("{}\n")
    return out


def run_cli(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(
        ["--config", str(path), "--out", str(out), "--assets", str(out.parent / "assets")]
    )
    return code, capsys.readouterr().err


BAD_INPUTS = {
    "wrong type": (
        lambda raw: raw["functions"]["api"].update(memory="lots"),
        ["functions.api.memory", "valid integer", "'lots'"],
    ),
    "out of range": (
        lambda raw: raw["functions"]["api"].update(memory=64),
        ["functions.api.memory", "greater than or equal to 128"],
    ),
    "unknown key": (
        lambda raw: raw["application"].update(colour="blue"),
        ["application.colour", "unknown key", "allowed keys: name, home_region"],
    ),
    "unknown function key": (
        lambda raw: raw["functions"]["api"].update(memroy=512),
        ["functions.api.memroy", "unknown key", "memory"],
    ),
    "unknown region": (
        lambda raw: raw["targets"].update(
            regions=["eu-west-1", "mars-north-1"], waves=[["eu-west-1"], ["mars-north-1"]]
        ),
        ["targets.regions", "unknown region 'mars-north-1'", "allowed:", "us-east-1"],
    ),
    "unknown home region": (
        lambda raw: raw["application"].update(home_region="eu-wset-1"),
        ["unknown region 'eu-wset-1'", "allowed:"],
    ),
    "bad strategy": (
        lambda raw: raw["deployment"].update(strategy="CodeDeployDefault.LambdaCanary50Percent"),
        [
            "deployment.strategy",
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            "CodeDeployDefault.LambdaAllAtOnce",
        ],
    ),
    "missing function folder": (
        lambda raw: raw["functions"]["api"].update(source="functions/nowhere"),
        ["functions.api.source", "'functions/nowhere' does not exist"],
    ),
    "bad retention": (
        lambda raw: raw["application"].update(log_retention_days=31),
        ["application.log_retention_days", "31 is not a CloudWatch Logs retention", "30"],
    ),
    "bad route": (
        lambda raw: raw["functions"]["api"].update(routes=["FETCH /x"]),
        ["functions.api.routes", "'FETCH /x' is not a route key"],
    ),
    "reserved environment name": (
        lambda raw: raw["functions"]["api"].update(environment={"AWS_REGION": "x"}),
        ["functions.api.environment", "'AWS_REGION' is not allowed", "reserved"],
    ),
    "empty wave": (
        lambda raw: raw["targets"].update(
            waves=[["eu-west-1"], [], ["us-east-1", "ap-southeast-2"]]
        ),
        ["targets", "wave 2 is empty"],
    ),
    "duplicate region in waves": (
        lambda raw: raw["targets"].update(
            waves=[["eu-west-1", "us-east-1"], ["us-east-1", "ap-southeast-2"]]
        ),
        ["targets", "'us-east-1' appears in more than one wave"],
    ),
    "region missing from waves": (
        lambda raw: raw["targets"].update(waves=[["eu-west-1"], ["us-east-1"]]),
        ["targets", "regions missing from the waves: ap-southeast-2"],
    ),
    "unknown action in a grant": (
        lambda raw: raw["functions"]["api"].update(
            permissions=[{"actions": ["dynamodb:GetItems"], "resources": ["arn:aws:x"]}]
        ),
        ["functions.api.permissions.0.actions", "'dynamodb:GetItems' is not an IAM action"],
    ),
    "wildcard action in a grant": (
        lambda raw: raw["functions"]["api"].update(
            permissions=[{"actions": ["dynamodb:Get*"], "resources": ["arn:aws:x"]}]
        ),
        ["functions.api.permissions.0.actions", "without wildcards"],
    ),
    "star resource for a scoped action": (
        lambda raw: raw["functions"]["api"].update(
            permissions=[{"actions": ["dynamodb:GetItem"], "resources": ["*"]}]
        ),
        ["functions.api.permissions.0", "dynamodb:GetItem", "name them"],
    ),
    "bad account id": (
        lambda raw: raw["targets"].update(accounts=["12345"]),
        ["targets.accounts", "'12345' is not a 12-digit AWS account id"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_named_and_nothing_is_written(case, write_config, out_dir, capsys):
    edit, expected = BAD_INPUTS[case]
    path = write_config(edit)
    before = tree_digest(out_dir)

    code, err = run_cli(path, out_dir, capsys)

    assert code == 2
    assert str(path) in err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} missing from:\n{err}"
    assert "Traceback" not in err
    assert tree_digest(out_dir) == before
    assert not (out_dir.parent / "assets").exists()


def test_invalid_toml_names_the_line(write_config, out_dir, capsys):
    path = write_config(text='[application]\nname = "shop\n')
    code, err = run_cli(path, out_dir, capsys)
    assert code == 2
    assert str(path) in err and "not valid TOML" in err and "line 2" in err


def test_missing_file(tmp_path, out_dir, capsys):
    code, err = run_cli(tmp_path / "absent.toml", out_dir, capsys)
    assert code == 2 and "absent.toml: file not found" in err


def test_every_problem_is_reported_at_once(write_config):
    def edit(raw):
        raw["functions"]["api"]["memory"] = "x"
        raw["functions"]["api"]["timeout"] = 0

    with pytest.raises(config.ConfigError) as caught:
        config.load(write_config(edit))
    fields = " ".join(caught.value.problems)
    assert "functions.api.memory" in fields and "functions.api.timeout" in fields


def test_defaults_fill_a_minimal_config(tmp_path):
    (tmp_path / "src").mkdir()
    path = tmp_path / "deployment.toml"
    path.write_text('[functions.api]\nsource = "src"\n')
    loaded = config.load(path)
    assert loaded.application.home_region == "eu-west-1"
    assert loaded.deployment.strategy == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert loaded.functions["api"].architecture == "arm64"
    assert loaded.targets.wave_list == [["eu-west-1"], ["us-east-1", "ap-southeast-2"]]
