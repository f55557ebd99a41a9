"""Where one environment's files go.

An environment is a config file. The project's own `deployment.toml` writes `templates/`
and `build/`; any other config `<dir>/<name>.toml` writes `<dir>/<name>/` for its
templates and `build/<name>/` for its bundles and deploy bodies, so environments never
overwrite each other. Every path is relative to the project root (the folder that holds
the Makefile), which is also the root of the pipeline's source and build artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_CONFIG = Path("deployment.toml")
DEFAULT_ENVIRONMENT = "default"


@dataclass(frozen=True)
class Layout:
    """The files of one environment, relative to the project root."""

    config: Path
    environment: str
    templates: Path
    build: Path

    @property
    def assets(self) -> Path:
        """Function zips, `<function>/<sha256>.zip`, as they are keyed in S3."""
        return self.build / "assets"

    @property
    def deploy(self) -> Path:
        """Whitespace-free template bodies, the bytes CloudFormation receives."""
        return self.build / "deploy"

    @classmethod
    def of(cls, config: Path, root: Path) -> Layout:
        """The layout of `config`, which must be inside `root`."""
        relative = config.resolve().relative_to(root.resolve())
        if relative == DEFAULT_CONFIG:
            return cls(relative, DEFAULT_ENVIRONMENT, Path("templates"), Path("build"))
        name = relative.stem
        return cls(relative, name, relative.parent / name, Path("build") / name)
