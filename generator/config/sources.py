"""The paths a config names, checked on disk at load time: a function's source folder
and its handler's module, the folders pip finds wheels in, the extension modules.

The generator zips the folder as it is (generator/output/bundles.py), so a folder that
holds the project would ship the checkout, `.venv` and `.git` included, and a handler
whose module is not in the zip fails every invocation with `Runtime.ImportModuleError`.
Every path is relative to the config's folder and inside the project, where the
pipeline's checkout has it.
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


def _outside(path: str, folders: Folders, what: str) -> str | None:
    """Why `path` (relative to the config's folder) is not a path inside the project."""
    where = folders.config_dir
    if PurePath(path).is_absolute():
        return (
            f"{path!r} is absolute; give the {what} relative to the config's folder "
            f"({where}), so the config works in every checkout and in the pipeline"
        )
    # The path is taken as written (a symlink inside is fine); the folders it is
    # measured against are resolved, so that symlinks above them cancel out.
    root = folders.root.resolve()
    inside = os.path.relpath(os.path.join(where.resolve(), path), root)
    if inside == os.pardir or inside.startswith(os.pardir + os.sep):
        boundary = "the config's folder" if root == where.resolve() else "the project"
        return (
            f"{path!r} is outside {boundary} ({folders.root}); it must be inside it, "
            "where the pipeline's checkout has it"
        )
    return None


def source_problem(source: str, folders: Folders) -> str | None:
    """Why `source` (relative to the config's folder) cannot be a function's folder."""
    if not source:
        return "names no folder; give the function's own folder, e.g. 'functions/api'"
    outside = _outside(source, folders, "folder")
    if outside:
        return outside
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


def find_links_problem(path: str, folders: Folders) -> str | None:
    """Why `path` cannot be a folder of wheels for pip."""
    if not path:
        return "names no folder; give a folder of wheels, e.g. 'wheels'"
    outside = _outside(path, folders, "folder")
    if outside:
        return outside
    if not folders.folder(path).is_dir():
        return f"folder {path!r} does not exist (looked in {folders.folder(path)})"
    return None


def extension_problem(path: str, folders: Folders) -> str | None:
    """Why `path` cannot be an extension module (generator/extensions.py)."""
    if not path:
        return "names no module; give a Python file, e.g. 'infra/search.py'"
    outside = _outside(path, folders, "module")
    if outside:
        return outside
    if PurePath(path).suffix != ".py":
        return f"{path!r} is not a Python module; an extension is a .py file"
    if not folders.folder(path).is_file():
        return f"module {path!r} does not exist (looked in {folders.folder(path)})"
    return None
