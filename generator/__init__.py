"""Generate the CloudFormation of a multi-region serverless application."""

from __future__ import annotations

from pathlib import Path

DISTRIBUTION = "stackset-serverless"
SETUP_CFG = Path(__file__).resolve().parent.parent / "setup.cfg"


def _version() -> str:
    """The installed distribution's version; from a checkout (the venv installs only the
    dependencies), the one setup.cfg declares. Imported here: importlib.metadata alone
    costs more than most commands."""
    import configparser
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        parser = configparser.ConfigParser()
        parser.read(SETUP_CFG, encoding="utf-8")
        return parser.get("metadata", "version", fallback="0+unknown")


def __getattr__(name: str) -> str:
    """`generator.__version__`, computed on first use: most commands never ask."""
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
