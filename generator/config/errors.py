"""Config errors as the user reads them: `<file>: <field>: <what is wrong and what is allowed>`."""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]


class ConfigError(Exception):
    """A deployment config that cannot be used, with every problem found in it."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


class FieldErrors(ValueError):
    """Problems a model-level check finds, each in a named field below that model.

    Raised from a `model_validator`, whose errors pydantic places at the model itself;
    `describe` appends each problem's own path, so the user reads
    `functions.api.health_path: ...` rather than `functions.api: ...`.
    """

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(message for _, message in self.problems))

    @classmethod
    def one(cls, loc: Loc, message: str) -> FieldErrors:
        return cls([(loc, message)])


def nearest(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The choices closest to `word`, ignoring case (difflib's ratio), best first."""
    by_folded = {choice.casefold(): choice for choice in choices}
    found = difflib.get_close_matches(word.casefold(), list(by_folded), n=n, cutoff=cutoff)
    return [by_folded[f] for f in found]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """`did you mean 'memory'?` for a close miss of one of the choices, else None."""
    close = nearest(word, choices)
    return f"did you mean {close[0]!r}?" if close else None


def field_name(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


def describe(error: ErrorDetails, root: type[BaseModel]) -> Iterator[str]:
    """Readable lines for one pydantic error: the field, what is wrong, what is allowed."""
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldErrors):
        for sub, message in cause.problems:
            yield _line(loc + sub, message)
        return
    if kind == "extra_forbidden":
        yield _line(loc, _unknown_key(loc, root))
        return
    if kind == "missing":
        yield _line(loc, "required but missing")
        return
    message = error["msg"].removeprefix("Value error, ")
    if kind not in ("value_error", "assertion_error") and "input" in error:
        message = f"{message} (got {error['input']!r})"
    if kind == "literal_error" and isinstance(error.get("input"), str):
        hint = did_you_mean(error["input"], _literal_values(annotation_at(root, loc)))
        message += f"; {hint}" if hint else ""
    yield _line(loc, message)


def _line(loc: Loc, message: str) -> str:
    # Checks across sections name their fields in the message itself.
    return f"{field_name(loc)}: {message}" if loc else message


def _unknown_key(loc: Loc, root: type[BaseModel]) -> str:
    parent = annotation_at(root, loc[:-1])
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return "unknown key"
    allowed = list(parent.model_fields)
    hint = did_you_mean(str(loc[-1]), allowed)
    return f"unknown key{f' ({hint})' if hint else ''}; allowed keys: {', '.join(allowed)}"


def annotation_at(root: type[BaseModel], loc: Loc) -> Any:
    """The declared type at `loc` below `root`, following models, lists, dicts and
    optionals (`functions.api.architecture` -> `Literal['arm64', 'x86_64']`); None when
    the path leads nowhere."""
    node: Any = root
    for part in loc:
        node = _step(_unwrap(node), part)
        if node is None:
            return None
    return _unwrap(node)


def _step(node: Any, part: str | int) -> Any:
    if isinstance(node, type) and issubclass(node, BaseModel):
        field = node.model_fields.get(str(part))
        return None if field is None else field.annotation
    origin, args = get_origin(node), get_args(node)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is list and len(args) == 1:
        return args[0]
    return None


def _unwrap(node: Any) -> Any:
    """`Annotated[X, ...]` -> X; `X | None` -> X."""
    while True:
        origin = get_origin(node)
        if origin is Annotated:
            node = get_args(node)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(node) if a is not type(None)]
            if len(rest) != 1:
                return node
            node = rest[0]
        else:
            return node


def _literal_values(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(value) for value in get_args(annotation)]
    return []
