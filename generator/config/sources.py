"""A function's source folder and its handler's module, checked on disk at load time.

The generator zips the folder as it is (generator/output/bundles.py), so a folder that
holds the project would ship the checkout, `.venv` and `.git` included, and a handler
whose module is not in the zip fails every invocation with `Runtime.ImportModuleError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePath


@dataclass(frozen=True)
class Folders:
    """The config file, whose folder relative sources start from, and the folder they
    must stay inside (by default, the config's own)."""

    config: Path
    root: Path

    @classmethod
    def of(cls, config: Path, root: Path | None = None) -> Folders:
        return cls(config, config.parent if root is None else root)

    @property
    def config_dir(self) -> Path:
        return self.config.parent

    def folder(self, source: str) -> Path:
        return (self.config_dir / source).resolve()


def source_problem(source: str, folders: Folders) -> str | None:
    """Why `source` (relative to the config's folder) cannot be a function's folder."""
    where = folders.config_dir
    if not source:
        return "names no folder; give the function's own folder, e.g. 'functions/api'"
    if PurePath(source).is_absolute():
        return (
            f"{source!r} is absolute; give the folder relative to the config's folder "
            f"({where}), so the config works in every checkout and in the pipeline"
        )
    # The source is taken as written (a symlinked function folder inside is fine); the
    # folders it is measured against are resolved, so that symlinks above them cancel out.
    root = folders.root.resolve()
    inside = os.path.relpath(os.path.join(where.resolve(), source), root)
    if inside == os.pardir or inside.startswith(os.pardir + os.sep):
        boundary = "the config's folder" if root == where.resolve() else "the project"
        return (
            f"{source!r} is outside {boundary} ({folders.root}); function folders must be "
            "inside it, where the pipeline's checkout has them"
        )
    folder = folders.folder(source)
    if folders.config.resolve().is_relative_to(folder):
        return (
            f"{source!r} is {folder}, which holds the config file itself: the bundle "
            "would zip the whole project (.venv and .git included); give the function's "
            "own folder, e.g. 'functions/api'"
        )
    if not folder.is_dir():
        return f"folder {source!r} does not exist (looked in {folder})"
    return None


def handler_problem(handler: str, folder: Path) -> str | None:
    """Why the Python runtime could not import `handler`'s module from `folder`, or None.

    The handler is `<module>.<function>`; the runtime imports the module from the root of
    the deployment package, so `app.handler` needs `app.py` and `pkg.app.handler`
    `pkg/app.py` (or a package `pkg/app/__init__.py`).
    https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html
    """
    module = handler.rsplit(".", 1)[0].split(".")
    candidates = (Path(*module[:-1], f"{module[-1]}.py"), Path(*module, "__init__.py"))
    if any((folder / c).is_file() for c in candidates):
        return None
    return (
        f"module file {candidates[0].as_posix()!r} of handler {handler!r} is not in "
        f"{folder}; Lambda imports it from the function's zip, so every invocation would "
        "fail with Runtime.ImportModuleError"
    )
