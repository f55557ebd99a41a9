"""A minimal function without routes, for the examples: it is invoked directly.

Before a new version takes traffic, the pre-traffic hook invokes it with
`{"preTrafficCheck": {...}}`; it answers at once and does nothing else.
"""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "preTrafficCheck" in event:
        return {"healthy": True}
    return {"processed": len(event)}
