"""Write `templates/` all at once, or compare it with what the code generates.

The new tree is written beside the old one and swapped in with two renames, so a reader
never sees a half-written set (at most, for an instant, none) and a failed run leaves the
old set as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def read_tree(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def write_tree(root: Path, files: dict[str, str]) -> bool:
    """Replace `root` with exactly `files`; return whether anything changed."""
    if read_tree(root) == files:
        return False
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
    return True


def stale(root: Path, files: dict[str, str]) -> list[str]:
    """Names that differ between `root` and `files`: changed, missing or extra."""
    current = read_tree(root)
    return sorted(
        name for name in set(current) | set(files) if current.get(name) != files.get(name)
    )
