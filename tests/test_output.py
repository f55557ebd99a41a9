"""templates/ is replaced all at once, and --check reports what differs."""

from __future__ import annotations

from generator import cli
from generator.output.tree import read_tree, stale, write_tree


def test_write_replaces_the_whole_tree(tmp_path):
    root = tmp_path / "templates"
    write_tree(root, {"a.json": "1\n", "sub/b.json": "2\n"})
    assert write_tree(root, {"a.json": "3\n"}) is True
    assert read_tree(root) == {"a.json": "3\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["templates"]  # no staging left behind


def test_unchanged_tree_is_not_rewritten(tmp_path):
    root = tmp_path / "templates"
    write_tree(root, {"a.json": "1\n"})
    mtime = (root / "a.json").stat().st_mtime_ns
    assert write_tree(root, {"a.json": "1\n"}) is False
    assert (root / "a.json").stat().st_mtime_ns == mtime


def test_stale_names_changed_missing_and_extra(tmp_path):
    root = tmp_path / "templates"
    write_tree(root, {"same.json": "x", "changed.json": "old", "extra.json": "e"})
    assert stale(root, {"same.json": "x", "changed.json": "new", "missing.json": "m"}) == [
        "changed.json",
        "extra.json",
        "missing.json",
    ]


def test_check_mode_fails_on_stale_and_passes_after_generate(write_config, tmp_path, capsys):
    path = write_config()
    out = tmp_path / "templates"
    args = ["--config", str(path), "--out", str(out), "--assets", str(tmp_path / "assets")]
    assert cli.main([*args, "--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(args) == 0
    summary = capsys.readouterr().out
    assert "app.json" in summary and "resources" in summary and "B deployed" in summary
    assert cli.main([*args, "--check"]) == 0
    zips = sorted(
        p.relative_to(tmp_path / "assets").as_posix() for p in (tmp_path / "assets").rglob("*.zip")
    )
    assert [z.split("/")[0] for z in zips] == ["api", "pretraffic-hook"]


def test_written_tree_is_readable_like_any_new_folder(tmp_path):
    import os

    root = tmp_path / "templates"
    write_tree(root, {"a.json": "1\n"})
    umask = os.umask(0)
    os.umask(umask)
    assert root.stat().st_mode & 0o777 == 0o777 & ~umask
