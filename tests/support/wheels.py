"""Wheels the tests write themselves, so that installing a function's packages needs no
network: a wheel is a zip with a `.dist-info` folder (METADATA, WHEEL, RECORD).
https://packaging.python.org/en/latest/specifications/binary-distribution-format/"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

PURE = "py3-none-any"
ARM64 = "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64"
NEWER_GLIBC = "cp311-cp311-manylinux_2_28_aarch64"


def wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    *,
    tag: str = PURE,
    files: dict[str, str] | None = None,
    requires: tuple[str, ...] = (),
    script: bool = False,
) -> Path:
    """Write `<name>-<version>-<tag>.whl` into `folder`: a package `<name>` by default,
    with `requires` as its dependencies and, with `script`, a console script."""
    folder.mkdir(parents=True, exist_ok=True)
    info = f"{name}-{version}.dist-info"
    contents = dict(files or {f"{name}/__init__.py": f"VERSION = {version!r}\n"})
    contents[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {r}\n" for r in requires)
    )
    contents[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: {tag == PURE}\nTag: {tag}\n"
    )
    if script:
        contents[f"{info}/entry_points.txt"] = f"[console_scripts]\n{name}-cli = {name}:main\n"
    record = [
        f"{path},sha256={_digest(text)},{len(text.encode())}" for path, text in contents.items()
    ]
    contents[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    path = folder / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in contents.items():
            archive.writestr(member, text)
    return path


def _digest(text: str) -> str:
    raw = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
