"""A function's third-party packages, installed for Lambda's platform, the same bytes on
every machine.

`requirements.txt` in a function's folder lists every package the function imports that
Lambda's runtime lacks, each pinned with `==` (as `pip freeze` and `pip-compile` write
them; `--hash` options are checked when given). pip installs them into a folder that
the bundle zips beside the function's code (generator/output/bundles.py):

- wheels only, for the function's architecture on Lambda's Python 3.11:
  `--only-binary=:all: --platform manylinux2014_aarch64` (or `_x86_64`) `--implementation
  cp --python-version 3.11`. Nothing is compiled on the build machine, and a package
  without such a wheel is refused by name. The `python3.11` runtime runs on Amazon Linux 2
  (not 2023, which starts with `python3.12`), whose glibc is 2.26; `manylinux2014` is
  glibc 2.17 (PEP 599), so every wheel it admits loads there. pip takes the tag with the
  older manylinux tags, never a newer one such as `manylinux_2_28`, which needs a glibc
  Amazon Linux 2 lacks. AWS's own guide installs Lambda packages the same way.
  https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html (runtimes and their OS)
  https://docs.aws.amazon.com/linux/al2023/ug/glibc-gcc-and-binutils.html (AL2: glibc 2.26)
  https://peps.python.org/pep-0599/
  https://repost.aws/knowledge-center/lambda-python-package-compatible
  https://pip.pypa.io/en/stable/cli/pip_install/#cmdoption-platform
- every package pip installs must be pinned in the file, so that a dependency of a
  dependency cannot move between two builds, or between a developer's and the pipeline's.

What pip leaves that differs between machines or runs, and what becomes of it:
- `bin/`: console scripts, whose first line names this machine's Python: dropped (Lambda
  never runs them);
- `*.dist-info/RECORD`: lists those scripts with their hashes, by a path outside the
  folder: rewritten with only the files the bundle holds;
- `*.dist-info/direct_url.json`: the path or URL a wheel came from: dropped;
- `__pycache__`: bytecode, stamped with the source's time: never written (`--no-compile`);
- file times and modes: the zip fixes them.
`INSTALLER` ("pip") and `REQUESTED` (for the packages the file names) are the same on
every run.

Installs are kept under `build/cache/dependencies/<key>`, keyed by the hash of the
requirements file and the platform, so a build whose requirements have not changed
installs nothing; a folder is complete once it has its final name (a staging folder is
renamed into place).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REQUIREMENTS = "requirements.txt"
FOLDER = Path("build/cache/dependencies")
PYTHON_VERSION = "3.11"
IMPLEMENTATION = "cp"
# Lambda's architectures and the wheel platform each runs.
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
FORMAT = 1
DROPPED_DIRS = {"bin", "__pycache__"}
DROPPED_FILES = {"direct_url.json"}
NO_WHEEL = re.compile(r"No matching distribution found for (\S+)")
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*(?P<version>[^\s;,]+)\s*$"
)


class DependencyError(Exception):
    """A requirements file that cannot become a function's packages."""


@dataclass(frozen=True)
class Pip:
    """Where pip looks for wheels besides its own configuration."""

    find_links: Sequence[Path] = ()
    no_index: bool = False


@dataclass(frozen=True)
class Installer:
    """How dependencies are installed: pip's sources, and the cache (None: a new install
    every time, in a folder removed after use)."""

    pip: Pip = field(default_factory=Pip)
    cache: Path | None = None


def canonical(name: str) -> str:
    """A distribution's name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: Path, label: str) -> dict[str, str]:
    """Every package the file pins, by canonical name; a line that does not pin one exact
    version (or an option other than `--hash`) raises DependencyError."""
    text = requirements.read_text(encoding="utf-8-sig")
    found: dict[str, str] = {}
    for number, line in _logical_lines(text):
        requirement = re.sub(r"\s--hash[=\s]\S+", "", f" {line}").strip()
        if not requirement:
            continue
        if requirement.startswith("-"):
            raise DependencyError(
                f"{label}:{number}: {requirement.split()[0]} is not allowed here; list "
                "pinned packages only, and say where pip finds them with pip.find_links, "
                "pip.no_index or pip's own configuration"
            )
        if ";" in requirement:
            # pip evaluates a marker against the machine it runs on, not against
            # --platform and --python-version: "those do not affect the marker evaluation
            # environment" (pypa/pip#11664), so two build machines would install different
            # packages for the same Lambda.
            raise DependencyError(
                f"{label}:{number}: {requirement!r} has an environment marker, which pip "
                "evaluates on the build machine, not for Lambda; list the packages the "
                "function needs on Lambda, without markers"
            )
        match = PIN.match(requirement)
        if match is None:
            raise DependencyError(
                f"{label}:{number}: {requirement!r} does not pin one version; pin every "
                "package with == (pip freeze or pip-compile writes such a file), so that "
                "every build installs the same bytes"
            )
        found[canonical(match["name"])] = match["version"]
    return found


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each requirement, comments removed and lines that end
    with a backslash joined, as pip reads them."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def cache_key(requirements: bytes, platform: str) -> str:
    digest = hashlib.sha256(
        f"{FORMAT}\0{platform}\0{IMPLEMENTATION}{PYTHON_VERSION}\0".encode() + requirements
    )
    return digest.hexdigest()


@contextlib.contextmanager
def installed(
    function: str, source: Path, architecture: str, installer: Installer
) -> Iterator[Path | None]:
    """The folder of the function's installed dependencies, or None when its folder has
    no requirements file. Without a cache, the folder is removed on leaving the block."""
    requirements = source / REQUIREMENTS
    if not requirements.is_file():
        yield None
        return
    label = f"{function}: {REQUIREMENTS}"
    pinned = pins(requirements, label)
    if not pinned:
        yield None
        return
    platform = PLATFORMS[architecture]
    if installer.cache is None:
        with tempfile.TemporaryDirectory(prefix="dependencies-") as scratch:
            target = Path(scratch) / "site"
            _install(requirements, platform, installer.pip, target, label, pinned)
            yield target
        return
    final = installer.cache / cache_key(requirements.read_bytes(), platform)
    if not final.is_dir():
        installer.cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name[:16]}-", dir=installer.cache))
        try:
            _install(requirements, platform, installer.pip, staging / "site", label, pinned)
            with contextlib.suppress(OSError):  # another build put it there first
                (staging / "site").rename(final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    yield final


def _install(
    requirements: Path,
    platform: str,
    pip: Pip,
    target: Path,
    label: str,
    pinned: dict[str, str],
) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",
        "--no-warn-script-location",
        # pip would check what it installs against the environment it runs in, which
        # says nothing of a --target folder for another platform, and reads every
        # installed package's metadata to do so: half the time of an install.
        # https://pip.pypa.io/en/stable/cli/pip_install/#cmdoption-no-warn-conflicts
        "--no-warn-conflicts",
        "--only-binary=:all:",
        "--platform",
        platform,
        "--implementation",
        IMPLEMENTATION,
        "--python-version",
        PYTHON_VERSION,
        "--target",
        str(target),
        "--requirement",
        str(requirements),
        *[f"--find-links={folder}" for folder in pip.find_links],
        *(["--no-index"] if pip.no_index else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DependencyError(_pip_failure(done.stderr, label, platform))
    _normalise(target)
    _all_pinned(target, pinned, label)


def _pip_failure(stderr: str, label: str, platform: str) -> str:
    missing = NO_WHEEL.findall(stderr)
    if missing:
        return (
            f"{label}: no wheel of {', '.join(missing)} for CPython {PYTHON_VERSION} on "
            f"{platform} where pip looked; bundles take wheels only and never compile on "
            "this machine: choose a version that publishes such a wheel, or build one on "
            "Amazon Linux 2 and put it in a pip.find_links folder"
        )
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR")] or [
        line for line in stderr.splitlines() if line.strip()
    ][-5:]
    return f"{label}: pip could not install it for {platform}:\n    " + "\n    ".join(errors)


def _normalise(target: Path) -> None:
    """Remove what differs between machines and runs (see the module's docstring)."""
    for path in sorted(target.rglob("*"), reverse=True):
        relative = path.relative_to(target)
        if DROPPED_DIRS & set(relative.parts) or (
            path.name in DROPPED_FILES and relative.parent.name.endswith(".dist-info")
        ):
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()
    for record in sorted(target.glob("*.dist-info/RECORD")):
        kept = []
        for line in record.read_text(encoding="utf-8").splitlines():
            name = line.rsplit(",", 2)[0]
            if name.startswith(".."):
                continue
            if os.path.normpath(target / name) == str(record) or (target / name).is_file():
                kept.append(line)
        record.write_text("".join(f"{line}\n" for line in sorted(kept)), encoding="utf-8")


def distributions(target: Path) -> dict[str, str]:
    """Each installed distribution's version, by canonical name, from its METADATA."""
    found = {}
    for metadata in sorted(target.glob("*.dist-info/METADATA")):
        fields = dict(
            line.split(": ", 1)
            for line in metadata.read_text(encoding="utf-8").splitlines()
            if line.startswith(("Name: ", "Version: "))
        )
        found[canonical(fields["Name"])] = fields["Version"]
    return found


def _all_pinned(target: Path, pinned: dict[str, str], label: str) -> None:
    loose = sorted(
        f"{name}=={version}"
        for name, version in distributions(target).items()
        if pinned.get(name) != version
    )
    if loose:
        raise DependencyError(
            f"{label}: pip also installed {', '.join(loose)}, which the file does not pin; "
            "add them, so that a dependency of a dependency cannot change between builds"
        )
