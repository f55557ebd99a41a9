"""HTTP API route keys: their syntax, and which requests a route serves.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
A route key is a method (or ANY) and a path. A path segment is a literal, a path
variable `{name}` (one segment), or a greedy path variable `{name+}`, which "catches all
child resources of a route" and must be the path's last segment.
"""

from __future__ import annotations

import re

METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_SEGMENT = r"([A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\+?\})"
ROUTE_RE = re.compile(rf"^({'|'.join(METHODS)}) /{_SEGMENT}?(/{_SEGMENT})*$")
_VARIABLE = re.compile(r"^\{[A-Za-z0-9_]+\}$")
_GREEDY = re.compile(r"^\{[A-Za-z0-9_]+\+\}$")


def route_problem(route: str) -> str | None:
    """Why `route` is not a route key API Gateway accepts, or None."""
    if not ROUTE_RE.match(route):
        return (
            f"{route!r} is not a route key; use 'METHOD /path' with METHOD one of "
            f"{' '.join(METHODS)}, e.g. 'GET /hello'"
        )
    segments = _segments(route.split(" ", 1)[1])
    if any(_GREEDY.match(s) for s in segments[:-1]):
        return f"{route!r}: a greedy path variable ({{name+}}) must be the last segment"
    return None


def serves(route: str, method: str, path: str) -> bool:
    """Whether the route key `route` matches a `method` request for `path`.

    `ANY` matches every method; `{name}` matches one non-empty segment; a final `{name+}`
    matches one or more segments (so `/{proxy+}` does not match `/`).
    """
    route_method, route_path = route.split(" ", 1)
    if route_method not in ("ANY", method):
        return False
    pattern, wanted = _segments(route_path), _segments(path)
    for index, segment in enumerate(pattern):
        if _GREEDY.match(segment):
            rest = wanted[index:]
            return bool(rest) and all(rest)
        if index >= len(wanted):
            return False
        if _VARIABLE.match(segment):
            if not wanted[index]:
                return False
        elif segment != wanted[index]:
            return False
    return len(pattern) == len(wanted)


def _segments(path: str) -> list[str]:
    """`/a/b` -> ['a', 'b']; `/` -> ['']; a trailing slash keeps an empty last segment."""
    return path.split("/")[1:]


def chosen(route_keys: list[str], method: str, path: str) -> str | None:
    """The route key API Gateway picks for a `method` request to `path`, or None.

    "API Gateway selects the most-specific match": a route whose path is all literals
    before one with path variables, and one without a greedy variable before one with;
    a route of the request's own method before an `ANY` route of the same path.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    """
    serving = [r for r in route_keys if serves(r, method, path)]
    if not serving:
        return None

    def rank(route: str) -> tuple[int, int, int]:
        route_method, route_path = route.split(" ", 1)
        segments = _segments(route_path)
        greedy = sum(1 for s in segments if _GREEDY.match(s))
        variables = sum(1 for s in segments if _VARIABLE.match(s))
        return (greedy, variables, route_method == "ANY")

    return min(serving, key=rank)
