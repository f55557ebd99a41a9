"""templates/ is replaced all at once; a build says what it added, changed and removed,
and --check shows what differs."""

from __future__ import annotations

import os

from generator import cli
from generator.output.tree import Changes, diff, read_tree, stale, write_tree


def test_write_replaces_the_whole_tree(tmp_path):
    root = tmp_path / "templates"
    write_tree(root, {"a.json": "1\n", "sub/b.json": "2\n"})
    changes = write_tree(root, {"a.json": "3\n", "c.json": "4\n"})
    assert changes == Changes(added=["c.json"], changed=["a.json"], removed=["sub/b.json"])
    assert read_tree(root) == {"a.json": "3\n", "c.json": "4\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["templates"]  # no staging left behind
    assert changes.lines() == ["~ a.json", "+ c.json", "- sub/b.json"]


def test_unchanged_tree_is_not_rewritten(tmp_path):
    root = tmp_path / "templates"
    write_tree(root, {"a.json": "1\n"})
    mtime = (root / "a.json").stat().st_mtime_ns
    assert not write_tree(root, {"a.json": "1\n"})
    assert (root / "a.json").stat().st_mtime_ns == mtime


def test_stale_names_changed_missing_and_extra(tmp_path):
    root = tmp_path / "templates"
    write_tree(root, {"same.json": "x", "changed.json": "old", "extra.json": "e"})
    assert stale(root, {"same.json": "x", "changed.json": "new", "missing.json": "m"}) == [
        "changed.json",
        "extra.json",
        "missing.json",
    ]


def test_diff_is_unified_and_short():
    old = "".join(f"line {i}\n" for i in range(100))
    new = old.replace("line 5\n", "line five\n")
    lines = diff("app.json", old, new)
    assert lines[:2] == ["--- a/app.json", "+++ b/app.json"]
    assert "-line 5" in lines and "+line five" in lines
    long = diff("app.json", old, "")
    assert len(long) == 2 + 12 + 1 and long[-1].endswith("more diff lines")
    assert diff("new.json", None, "x\n")[:2] == ["--- /dev/null", "+++ b/new.json"]


def test_check_mode_fails_on_stale_and_passes_after_generate(write_config, tmp_path, capsys):
    path = write_config()
    out = tmp_path / "templates"
    args = ["--config", str(path), "--out", str(out), "--assets", str(tmp_path / "assets")]
    assert cli.main([*args, "--check"]) == cli.EXIT_STALE
    err = capsys.readouterr().err
    assert "is stale" in err and "+++ b/app.json" in err
    assert not out.exists()
    assert cli.main(args) == cli.EXIT_OK
    summary = capsys.readouterr().out
    assert "+ templates/app.json" in summary or f"+ {out}/app.json" in summary
    assert "B indented" in summary and "B whitespace-free" in summary
    assert cli.main([*args, "--check"]) == cli.EXIT_OK
    zips = sorted(
        p.relative_to(tmp_path / "assets").as_posix() for p in (tmp_path / "assets").rglob("*.zip")
    )
    assert [z.split("/")[0] for z in zips] == ["api", "pretraffic-hook"]


def test_written_tree_is_readable_like_any_new_folder(tmp_path):
    root = tmp_path / "templates"
    write_tree(root, {"a.json": "1\n"})
    umask = os.umask(0)
    os.umask(umask)
    assert root.stat().st_mode & 0o777 == 0o777 & ~umask
