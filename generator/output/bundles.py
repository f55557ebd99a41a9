"""Deterministic function bundles, named by their content.

A bundle is the function's folder and, when the folder has a `requirements.txt`, the
packages it pins, installed for the function's platform (generator/output/dependencies.py).
A zip holds file names, times and permissions besides the bytes, so each is fixed:
sorted names, the zip epoch (1980-01-01), mode 0644. Entries are stored, not deflated:
compressed bytes can differ between zlib builds, and two machines must produce the same
archive (and so the same template) from the same source.

Lambda takes at most 250 MB of code, counted unzipped and with the function's layers
("Unzipped size must be smaller than 262144000 bytes"); a stored zip is its unzipped size
and a few bytes per file. The 50 MB limit on a zip applies to a direct upload only: the
templates name the zip in S3.
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
https://docs.aws.amazon.com/lambda/latest/api/API_AccountLimit.html
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from generator.output import dependencies
from generator.vocabulary import asset_key

if TYPE_CHECKING:
    from generator.config import Config

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# The pre-traffic hook ships inside the generator package, not with the application.
HOOK = "pretraffic-hook"
HOOK_SOURCE = Path(__file__).resolve().parent.parent / "hook"
EXCLUDED_DIRS = {"__pycache__", ".pytest_cache", "tests"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
# Lambda's limit on a function's code and layers, unzipped, and what the Powertools layer
# that every function carries (generator/blocks/layers.py) may take of it: AWS does not
# publish its size; the package with the extras the layer holds (pydantic, the X-Ray SDK)
# measures about 20 MB installed, so a little more is kept free.
MAX_UNZIPPED = 262_144_000
LAYER_ALLOWANCE = 32 * 1024 * 1024
MAX_BUNDLE = MAX_UNZIPPED - LAYER_ALLOWANCE


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


def _files(source: Path, excluded_dirs: set[str] = EXCLUDED_DIRS) -> dict[str, Path]:
    """Each file to ship under `source`, by its name in the zip."""
    found = {}
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if any(part in excluded_dirs for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in EXCLUDED_SUFFIXES:
            found[relative.as_posix()] = path
    return found


class BundleError(Exception):
    """A function that cannot be bundled; the message names it and says why."""


class EmptyBundleError(BundleError):
    """A function folder with nothing to ship."""


def bundle(function: str, source: Path, packages: Path | None = None) -> Asset:
    """Zip a function folder, and the packages installed for it, the same way on every
    machine. A package's test folders stay: some packages import their own."""
    files = _files(source) if source.is_dir() else {}
    if not files:
        raise EmptyBundleError(f"{function}: no files to bundle in {source}")
    if packages is not None:
        installed = _files(packages, {"__pycache__"})
        clashes = sorted(set(files) & set(installed))
        if clashes:
            raise BundleError(
                f"{function}: {', '.join(clashes)} is both in {source} and in a package "
                f"its {dependencies.REQUIREMENTS} installs; rename the function's own file"
            )
        files.update(installed)
    size = sum(path.stat().st_size for path in files.values())
    if size > MAX_BUNDLE:
        raise BundleError(
            f"{function}: {size:,} bytes unzipped, over the {MAX_BUNDLE:,} bytes a function "
            f"may have: Lambda takes {MAX_UNZIPPED:,} bytes of code and layers, and "
            f"{LAYER_ALLOWANCE:,} are kept for the Powertools layer; trim "
            f"{dependencies.REQUIREMENTS}, or split the function"
        )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # Unix, so the mode above is honoured on every platform
            archive.writestr(info, files[name].read_bytes())
    return Asset(function=function, data=buffer.getvalue())


def bundle_all(config: Config, installer: dependencies.Installer | None = None) -> dict[str, Asset]:
    """Every function of the config, with its packages, and the pre-traffic hook. Without
    an installer, packages are installed afresh and not kept."""
    installer = installer or installer_for(config, None)
    found = {}
    for name in config.function_names:
        source = config.source_dir(name)
        architecture = config.functions[name].architecture
        try:
            with dependencies.installed(name, source, architecture, installer) as packages:
                found[name] = bundle(name, source, packages)
        except dependencies.DependencyError as exc:
            raise BundleError(str(exc)) from None
    found[HOOK] = bundle(HOOK, HOOK_SOURCE)
    return found


def installer_for(config: Config, cache: Path | None) -> dependencies.Installer:
    """The config's pip sources, and where installs are kept (None: nowhere)."""
    pip = dependencies.Pip(tuple(config.find_links_dirs), config.pip.no_index)
    return dependencies.Installer(pip, cache)


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
