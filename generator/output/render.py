"""The one place templates and documents become text.

Three forms, all with sorted keys so the same data gives the same bytes:
- `indented`: what `templates/` holds and reviewers read;
- `compact`: no whitespace, the body CloudFormation receives and its size limits count;
- `digest`: the SHA-256 of the compact form, for content-addressed names and hashes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def plain(value: Any) -> Any:
    """troposphere and awacs objects resolved to plain JSON data."""
    return json.loads(json.dumps(value, default=_encode))


def _encode(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "JSONrepr"):
        return value.JSONrepr()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def indented(data: Any) -> str:
    """Two-space indent, one trailing newline."""
    return json.dumps(data, default=_encode, indent=2, sort_keys=True) + "\n"


def compact(data: Any) -> str:
    """No whitespace at all: the body as delivered, and the text that is hashed."""
    return json.dumps(data, default=_encode, sort_keys=True, separators=(",", ":"))


def size(data: Any) -> int:
    """Bytes of the compact form, which is what CloudFormation's and IAM's limits count."""
    return len(compact(data).encode())


def digest(data: Any) -> str:
    return hashlib.sha256(compact(data).encode()).hexdigest()
