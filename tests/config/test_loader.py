"""Reading the file: what is not a UTF-8 TOML file is named as such, exit 2, nothing written."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
import tomli_w

from generator import config
from tests.config.support import minimal, run_cli, tree_digest, write_toml

TEXT = tomli_w.dumps(minimal())


def _refused(path: Path) -> str:
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    assert caught.value.path == path
    (problem,) = caught.value.problems
    return problem


def test_a_directory_is_named_with_the_file_to_give(project: Path) -> None:
    assert _refused(project) == (
        f"is a directory; give the config file, e.g. {project / 'deployment.toml'}"
    )


def test_a_directory_exits_2_and_writes_nothing(
    project: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_digest(out_dir)
    code, err = run_cli(project, out_dir, capsys)  # the CLI may name it before load() does
    assert code == 2 and f"{project}: is a " in err and "Traceback" not in err
    assert tree_digest(out_dir) == before


def test_missing_file(tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(tmp_path / "absent.toml", out_dir, capsys)
    assert code == 2 and "absent.toml: file not found" in err


@pytest.mark.parametrize(
    ("encoding", "bom", "named"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16 (big-endian)"),
        ("utf-32-le", codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"),
        ("utf-32-be", codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
    ],
)
def test_a_byte_order_mark_names_the_encoding(
    project: Path, encoding: str, bom: bytes, named: str
) -> None:
    path = project / "deployment.toml"
    path.write_bytes(bom + TEXT.encode(encoding))
    assert _refused(path) == (
        f"is {named}, by its byte-order mark; TOML files must be UTF-8: save it as UTF-8"
    )


@pytest.mark.parametrize(("encoding", "named"), [("utf-16-le", "little"), ("utf-16-be", "big")])
def test_utf16_without_a_byte_order_mark_is_recognised(
    project: Path, encoding: str, named: str
) -> None:
    path = project / "deployment.toml"
    path.write_bytes(TEXT.encode(encoding))
    assert f"looks like UTF-16 ({named}-endian) without a byte-order mark" in _refused(path)


def test_a_binary_file_is_named_binary(project: Path) -> None:
    path = project / "deployment.toml"
    path.write_bytes(bytes(range(256)) * 4)
    assert _refused(path) == "is a binary file (it holds NUL bytes), not a TOML config"


def test_a_legacy_encoding_names_the_byte_and_its_place(project: Path) -> None:
    path = project / "deployment.toml"
    text = TEXT + tomli_w.dumps({"application": {"name": "café"}})
    path.write_bytes(text.encode("cp1252"))
    line = text.splitlines().index('name = "café"') + 1
    assert _refused(path).startswith(
        f"is not UTF-8: byte 0xe9 at line {line}, column 12 is not valid UTF-8"
    )


def test_a_utf8_byte_order_mark_is_accepted(project: Path) -> None:
    path = project / "deployment.toml"
    path.write_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    assert config.load(path).functions["api"].source == "functions/api"


def test_defaults_fill_a_minimal_config(project: Path) -> None:
    loaded = config.load(write_toml(project / "deployment.toml", minimal()))
    assert loaded.application.home_region == "eu-west-1"
    assert loaded.deployment.strategy == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert loaded.deployment.hook_reserved_concurrency is None
    assert loaded.pipeline.execution_mode == "QUEUED"
    assert loaded.functions["api"].architecture == "arm64"
    assert loaded.targets.wave_list == [["eu-west-1"], ["us-east-1", "ap-southeast-2"]]
    assert loaded.path == project / "deployment.toml"


def test_a_dict_without_a_file_skips_the_disk_checks() -> None:
    """Config.model_validate (generator/permissions/coverage.py) has no folder to look in."""
    loaded = config.Config.model_validate({"functions": {"api": {"source": "nowhere"}}})
    assert loaded.functions["api"].source == "nowhere"


def test_an_unreadable_file_is_named(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_toml(project / "deployment.toml", minimal())

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert _refused(path) == "cannot be read: Permission denied"
