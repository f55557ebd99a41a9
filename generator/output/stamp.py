"""Skip a build whose inputs and outputs are those of the last one.

A build is a pure function of its inputs: the config files, the function folders they
name (with their requirements files), the folders of wheels and the extension modules
they name, the generator's own files, the installed packages (troposphere, cfn-lint and their
data) and the command line. After a build that passed every check, the hash of those
inputs is stamped beside the hashes of the files it wrote. When a later run finds the same
inputs and the same files on disk, every check would pass again on the same bytes, so it
reports that and stops, without importing troposphere or cfn-lint. `--no-cache` (and CI)
builds and checks everything afresh.

Reading these inputs must stay cheap: no config validation, no imports beyond the
standard library.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
import tomllib
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from generator.output.layout import project_root

STAMPS = Path("build/cache/stamps")
PACKAGE = Path(__file__).resolve().parent.parent  # generator/
SKIPPED_PARTS = {"__pycache__", ".pytest_cache"}
FORMAT = 2


def _files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not SKIPPED_PARTS & set(path.parts) and path.suffix != ".pyc":
            yield path


def _hash_files(paths: Iterable[Path], digest: Any) -> None:
    for path in paths:
        digest.update(path.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def _sources(config: Path) -> list[Path]:
    """The function folders, folders of wheels and extension modules a config names, read
    without validating it. A path that validation refuses (empty, absolute, outside the
    project, a folder holding the config) raises ValueError, so such a config is always
    built (and refused) without hashing, say, /usr/lib first. An extension's own file is
    watched, not the modules it imports from elsewhere (`--no-cache` rebuilds)."""
    raw = tomllib.loads(config.read_text(encoding="utf-8-sig"))
    root = project_root(config)
    named = [str(f.get("source", "")) for f in raw.get("functions", {}).values()]
    named += [str(p) for p in raw.get("pip", {}).get("find_links", [])]
    named += [str(p) for p in raw.get("extensions", [])]
    found = []
    for path in named:
        resolved = (config.parent / path).resolve()
        outside = not resolved.is_relative_to(root) or config.resolve().is_relative_to(resolved)
        if not path or Path(path).is_absolute() or outside:
            raise ValueError(f"{config}: {path!r} is not a path inside the project")
        found.append(resolved)
    return found


@cache
def packages() -> list[str]:
    """Installed distributions with their versions (names of the dist-info folders)."""
    found: set[str] = set()
    for key in ("purelib", "platlib"):
        folder = Path(sysconfig.get_path(key))
        if folder.is_dir():
            found |= {n for n in os.listdir(folder) if n.endswith(".dist-info")}
    return sorted(found)


def code() -> str:
    """The SHA-256 of the generator's own files (generator/), names and contents."""
    return _code(PACKAGE)


@cache
def _code(folder: Path) -> str:
    digest = hashlib.sha256()
    _hash_files(_files(folder), digest)
    return digest.hexdigest()


def inputs(configs: Iterable[Path], options: dict[str, str]) -> str | None:
    """The hash of everything the build of `configs` reads; None when it cannot be read
    cheaply (a config that is not TOML), which always builds."""
    digest = hashlib.sha256(json.dumps([FORMAT, sys.version, options, packages()]).encode())
    try:
        for config in sorted(set(configs)):
            _hash_files([config], digest)
            for source in _sources(config):
                _hash_files([source] if source.is_file() else _files(source), digest)
    except (OSError, ValueError, AttributeError):
        return None
    digest.update(code().encode())
    return digest.hexdigest()


def outputs(paths: Iterable[Path]) -> dict[str, str]:
    """SHA-256 of every file under `paths` (folders or files), by path."""
    found: dict[str, str] = {}
    for path in paths:
        for file in [path] if path.is_file() else _files(path):
            found[file.as_posix()] = hashlib.sha256(file.read_bytes()).hexdigest()
    return found


def _path(root: Path, name: str) -> Path:
    return root / STAMPS / f"{hashlib.sha256(name.encode()).hexdigest()[:16]}.json"


def fresh(root: Path, name: str, key: str | None, paths: Iterable[Path]) -> list[str] | None:
    """The stamped report when `key` and the files under `paths` are the stamped ones."""
    stamp = _path(root, name)
    if key is None or not stamp.is_file():
        return None
    try:
        stored = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("inputs") != key or stored.get("outputs") != outputs(paths):
        return None
    report: list[str] = stored.get("report", [])
    return report


def save(root: Path, name: str, key: str | None, paths: Iterable[Path], report: list[str]) -> None:
    """Stamp a build that passed every check, with the files it left."""
    if key is None:
        return
    stamp = _path(root, name)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    body = {"inputs": key, "outputs": outputs(paths), "report": report}
    staging = stamp.with_suffix(f".{os.getpid()}.tmp")
    staging.write_text(json.dumps(body, sort_keys=True), encoding="utf-8")
    staging.replace(stamp)
