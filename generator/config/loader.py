"""Read `deployment.toml` into a validated `Config`, or raise ConfigError naming every problem."""

from __future__ import annotations

import codecs
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.config.errors import ConfigError, describe
from generator.config.models import DEFAULT_CONFIG, Config
from generator.config.sources import Folders

# Byte-order marks of encodings other than UTF-8; UTF-32's come first, since UTF-32-LE's
# begins with UTF-16-LE's. TOML files must be UTF-8: https://toml.io/en/v1.0.0#spec
FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"),
    (codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
    (codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"),
    (codecs.BOM_UTF16_BE, "UTF-16 (big-endian)"),
)
SAVE_AS_UTF8 = "TOML files must be UTF-8: save it as UTF-8"


def load(path: Path | str = DEFAULT_CONFIG, *, root: Path | None = None) -> Config:
    """Read and validate a deployment config; raise ConfigError naming every problem.

    Function folders are relative to the config's folder and must stay inside `root`
    (by default that same folder).
    """
    path = Path(path)
    raw = _parse(path, _text(path))
    try:
        config = Config.model_validate(raw, context={"folders": Folders.of(path, root)})
    except ValidationError as exc:
        problems = [
            line for error in exc.errors(include_url=False) for line in describe(error, Config)
        ]
        raise ConfigError(path, problems) from None
    config._path = path
    return config


def _text(path: Path) -> str:
    """The file as text: UTF-8, with or without a byte-order mark; anything else is named."""
    if path.is_dir():
        raise ConfigError(
            path, [f"is a directory; give the config file, e.g. {path / DEFAULT_CONFIG}"]
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except OSError as exc:
        raise ConfigError(path, [f"cannot be read: {exc.strerror or exc}"]) from None
    for bom, encoding in FOREIGN_BOMS:
        if data.startswith(bom):
            raise ConfigError(path, [f"is {encoding}, by its byte-order mark; {SAVE_AS_UTF8}"])
    if b"\x00" in data:
        # NUL is valid UTF-8 but never in TOML text: this is UTF-16 without a mark, or binary.
        raise ConfigError(path, [_with_nul(data)])
    try:
        # A UTF-8 byte-order mark (some Windows editors write one) is dropped, not an error.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [_not_utf8(data, exc)]) from None


def _with_nul(data: bytes) -> str:
    # ASCII text in UTF-16 without a byte-order mark has a NUL in every other byte.
    for start, encoding in ((1, "UTF-16 (little-endian)"), (0, "UTF-16 (big-endian)")):
        half = data[start::2]
        if half.count(0) >= 0.9 * len(half):
            return f"looks like {encoding} without a byte-order mark; {SAVE_AS_UTF8}"
    return "is a binary file (it holds NUL bytes), not a TOML config"


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return (
        f"is not UTF-8: byte 0x{data[exc.start]:02x} at line {line}, column {column} is "
        f"not valid UTF-8 (a legacy encoding such as Windows-1252?); {SAVE_AS_UTF8}"
    )


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"not valid TOML: {exc}"]) from None
