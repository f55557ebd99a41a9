"""Write `templates/` all at once, or compare it with what the code generates.

The new tree is written beside the old one and swapped in with two renames, so a reader
never sees a half-written set (at most, for an instant, none) and a failed run leaves the
old set as it was.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

DIFF_LINES = 12  # per file: enough to see what moved, short enough to read in a CI log


@dataclass(frozen=True)
class Changes:
    """What a write did, or what a check found, by file name."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def names(self) -> list[str]:
        return sorted([*self.added, *self.changed, *self.removed])

    def lines(self, prefix: Path | None = None) -> list[str]:
        """`+ added`, `~ changed`, `- removed`, one a line, sorted by name."""
        marks = {n: "+" for n in self.added} | {n: "~" for n in self.changed}
        marks |= {n: "-" for n in self.removed}
        where = f"{prefix.as_posix()}/" if prefix else ""
        return [f"{marks[n]} {where}{n}" for n in sorted(marks)]


def read_tree(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def compare(current: dict[str, str], files: dict[str, str]) -> Changes:
    """What writing `files` over `current` would add, change and remove."""
    return Changes(
        added=sorted(set(files) - set(current)),
        changed=sorted(n for n in set(files) & set(current) if files[n] != current[n]),
        removed=sorted(set(current) - set(files)),
    )


def write_tree(root: Path, files: dict[str, str]) -> Changes:
    """Replace `root` with exactly `files`; return what changed (falsy: nothing)."""
    changes = compare(read_tree(root), files)
    if changes:
        _swap_in(root, files)
    return changes


def _swap_in(root: Path, files: dict[str, str]) -> None:
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp's 0700 would otherwise become templates/'s mode
    try:
        for name, body in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        retired = None
        if root.exists():
            retired = root.with_name(f".{root.name}-old-{staging.name[-8:]}")
            root.rename(retired)
        staging.rename(root)
        if retired is not None:
            shutil.rmtree(retired)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def write_file(path: Path, body: str) -> bool:
    """Write one file atomically (a rename) if its text differs; return whether it did."""
    if path.is_file() and path.read_text(encoding="utf-8") == body:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(body, encoding="utf-8")
    staging.replace(path)
    return True


def stale(root: Path, files: dict[str, str]) -> list[str]:
    """Names that differ between `root` and `files`: changed, missing or extra."""
    return compare(read_tree(root), files).names


def diff(name: str, old: str | None, new: str | None, limit: int = DIFF_LINES) -> list[str]:
    """A short unified diff of one file (`a/` on disk, `b/` generated), cut at `limit`."""
    lines = list(
        difflib.unified_diff(
            (old or "").splitlines(),
            (new or "").splitlines(),
            f"a/{name}" if old is not None else "/dev/null",
            f"b/{name}" if new is not None else "/dev/null",
            n=1,
            lineterm="",
        )
    )
    if len(lines) > limit + 2:  # the two header lines are free
        rest = len(lines) - limit - 2
        lines = [*lines[: limit + 2], f"... {rest} more diff lines"]
    return lines
