"""A run whose inputs and files are the last passing run's rebuilds nothing; any change
of a config, a function's code, the generator or a written file rebuilds."""

from __future__ import annotations

from generator import cli
from generator.output import stamp


def run(path, capsys, *extra: str) -> str:
    assert cli.main(["--config", str(path), *extra]) == cli.EXIT_OK
    return capsys.readouterr().out


def test_an_unchanged_project_is_not_rebuilt(write_config, tmp_path, capsys):
    path = write_config()
    assert "resources" in run(path, capsys)
    assert "unchanged (" in run(path, capsys)  # stamped: no build
    (tmp_path / "functions/api/app.py").write_text("def handler(e, c):\n    return 2\n")
    rebuilt = run(path, capsys)
    assert "templates/app.json" in rebuilt and "1 changed" in rebuilt
    (tmp_path / "templates/app.json").write_text("{}\n")
    assert "resources" in run(path, capsys)  # a hand edit is undone by a build
    assert (tmp_path / "templates/app.json").read_text() != "{}\n"
    assert "resources" in run(path, capsys, "--no-cache")


def test_check_is_stamped_apart_from_writes(write_config, capsys):
    path = write_config()
    run(path, capsys)
    first = run(path, capsys, "--check")  # built and compared
    assert "is up to date (" in first and "same inputs" not in first
    assert "same inputs" in run(path, capsys, "--check")  # stamped


def test_the_inputs_follow_configs_sources_and_options(write_config, tmp_path):
    path = write_config()
    key = stamp.inputs([path], {"mode": "write"})
    assert key == stamp.inputs([path], {"mode": "write"})
    assert key != stamp.inputs([path], {"mode": "check"})
    (tmp_path / "functions/api/extra.py").write_text("X = 1\n")
    assert key != stamp.inputs([path], {"mode": "write"})
    path.write_text("not = [toml")
    assert stamp.inputs([path], {"mode": "write"}) is None


def test_a_source_the_build_refuses_is_not_hashed(write_config, tmp_path, monkeypatch):
    """An absolute or outside source makes the config always built (and refused), without
    reading that folder: `/usr/lib` is not hashed first."""
    read: list[object] = []
    real = stamp._files
    monkeypatch.setattr(stamp, "_files", lambda folder: read.append(folder) or real(folder))
    for source in ("/usr/lib", "../..", ""):
        path = write_config(lambda raw, s=source: raw["functions"]["api"].update(source=s))
        assert stamp.inputs([path], {"mode": "write"}) is None
    assert read == []
    path = write_config()
    assert stamp.inputs([path], {"mode": "write"}) is not None
    assert (tmp_path / "functions" / "api").resolve() in read
