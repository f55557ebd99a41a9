"""Where one environment's files go.

An environment is a config file. The project's own `deployment.toml` writes `templates/`
and `build/`; any other config `<dir>/<name>.toml` writes `<dir>/<name>/` for its
templates and `build/<dir>/<name>/` for its bundles and deploy bodies, so environments
never overwrite each other (`envs/prod.toml` and `examples/prod.toml` included). Every
path is relative to the project root (the folder that holds the Makefile), which is also
the root of the pipeline's source and build artifacts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG = Path("deployment.toml")
DEFAULT_ENVIRONMENT = "default"
# Configs in these folders are environments, each a section of samconfig.toml; every one
# is what `--check --all` covers, besides deployment.toml.
ENVIRONMENTS_DIR = "envs"
EXAMPLES_DIR = "examples"
CONFIG_GLOBS = (f"{ENVIRONMENTS_DIR}/*.toml", f"{EXAMPLES_DIR}/*.toml")
# The default environment's own folders under build/, which no other may shadow.
RESERVED = frozenset({"assets", "deploy", "cache", "reports"})
# A folder holding one of these is a project root.
ROOT_MARKERS = ("Makefile", ".git")


class LayoutError(ValueError):
    """A config whose files would land on another environment's."""


@dataclass(frozen=True)
class Layout:
    """The files of one environment, relative to the project root."""

    config: Path
    environment: str
    templates: Path
    build: Path
    root: Path = field(default=Path("."), compare=False)

    @property
    def assets(self) -> Path:
        """Function zips, `<function>/<sha256>.zip`, as they are keyed in S3."""
        return self.build / "assets"

    @property
    def deploy(self) -> Path:
        """Whitespace-free template bodies, the bytes CloudFormation receives."""
        return self.build / "deploy"

    @property
    def deployable(self) -> bool:
        """Whether `samconfig.toml` has a section for it: every committed environment."""
        return self.environment == DEFAULT_ENVIRONMENT or self.config.parent.as_posix() in (
            ENVIRONMENTS_DIR,
            EXAMPLES_DIR,
        )

    def at(self, path: Path) -> Path:
        """A path of this layout on disk."""
        return self.root / path

    @classmethod
    def of(cls, config: Path, root: Path) -> Layout:
        """The layout of `config`, which must be inside `root`."""
        relative = config.resolve().relative_to(root.resolve())
        if relative == DEFAULT_CONFIG:
            return cls(relative, DEFAULT_ENVIRONMENT, Path("templates"), Path("build"), root)
        if relative.parts[0] in RESERVED or relative.stem == DEFAULT_ENVIRONMENT:
            raise LayoutError(
                f"{relative}: its output would overlap deployment.toml's; rename it "
                f"(not {DEFAULT_ENVIRONMENT!r}, nor under {', '.join(sorted(RESERVED))})"
            )
        name = relative.with_suffix("")
        return cls(relative, relative.stem, name, Path("build") / name, root)


def project_root(config: Path) -> Path:
    """The nearest folder above `config` with a Makefile or .git, else its own folder."""
    folder = config.resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return folder


def layout_of(config: Path) -> Layout:
    """The layout of a config given on the command line, from any working folder."""
    return Layout.of(config, project_root(config))


def committed(root: Path) -> Iterator[Path]:
    """Every environment's config under `root`: deployment.toml, envs/*, examples/*."""
    if (root / DEFAULT_CONFIG).is_file():
        yield root / DEFAULT_CONFIG
    for pattern in CONFIG_GLOBS:
        yield from sorted(root.glob(pattern))
