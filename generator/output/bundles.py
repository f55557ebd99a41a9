"""Deterministic function bundles, named by their content.

A zip holds file names, times and permissions besides the bytes, so each is fixed:
sorted names, the zip epoch (1980-01-01), mode 0644. Entries are stored, not deflated:
compressed bytes can differ between zlib builds, and two machines must produce the same
archive (and so the same template) from the same source.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from generator.vocabulary import asset_key

if TYPE_CHECKING:
    from generator.config import Config

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# The pre-traffic hook ships inside the generator package, not with the application.
HOOK = "pretraffic-hook"
HOOK_SOURCE = Path(__file__).resolve().parent.parent / "hook"
EXCLUDED_DIRS = {"__pycache__", ".pytest_cache", "tests"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}


@dataclass(frozen=True)
class Asset:
    """A bundled function: its bytes and the names CloudFormation and S3 know it by."""

    function: str
    data: bytes

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def code_sha256(self) -> str:
        """What Lambda reports as CodeSha256: the base64 of the package's SHA-256."""
        return base64.b64encode(hashlib.sha256(self.data).digest()).decode()

    @property
    def key(self) -> str:
        return asset_key(self.function, self.sha256_hex)


def _files(source: Path) -> list[Path]:
    found = []
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if any(part in EXCLUDED_DIRS for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in EXCLUDED_SUFFIXES:
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(source).as_posix())


class EmptyBundleError(Exception):
    """A function folder with nothing to ship."""


def bundle(function: str, source: Path) -> Asset:
    """Zip a function folder the same way on every machine."""
    files = _files(source) if source.is_dir() else []
    if not files:
        raise EmptyBundleError(f"{function}: no files to bundle in {source}")
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=ZIP_EPOCH)
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # Unix, so the mode above is honoured on every platform
            archive.writestr(info, path.read_bytes())
    return Asset(function=function, data=buffer.getvalue())


def bundle_all(config: Config) -> dict[str, Asset]:
    """Every function of the config, and the pre-traffic hook."""
    found = {name: bundle(name, config.source_dir(name)) for name in config.function_names}
    found[HOOK] = bundle(HOOK, HOOK_SOURCE)
    return found


def write(assets: list[Asset], out_dir: Path) -> list[Path]:
    """Write zips as `<out_dir>/<function>/<sha256>.zip`, the key they have in S3."""
    written = []
    for asset in assets:
        target = out_dir / asset.key
        if not target.exists() or target.read_bytes() != asset.data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(asset.data)
        written.append(target)
    return written


def read(out_dir: Path) -> list[Asset]:
    """Zips that `write` wrote, checked against their names: the bytes a build tested."""
    found = []
    for path in sorted(out_dir.glob("*/*.zip")):
        asset = Asset(function=path.parent.name, data=path.read_bytes())
        if asset.key != path.relative_to(out_dir).as_posix():
            raise ValueError(f"{path}: content does not match its name (sha256 differs)")
        found.append(asset)
    return found
