"""How many functions one application stack holds, in each logging mode and kind of log
subscription: each function with one route (and its health path), as the quota tests
build them. Measured by generating app.json (no lint) and counting its resources against
CloudFormation's 500; the most that fit is then generated and checked, and one more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.measure import progress

GOAL = 32
ORGANIZATION = "o-a1b2c3d4e5"
# (logging mode and subscription, its config, the goal): at least 32 functions with
# account-level subscriptions, up from 28 with a filter per log group.
SHAPES: tuple[tuple[str, dict[str, str], int | None], ...] = (
    ("firehose, a subscription filter per log group", {}, None),
    ("firehose, an account-level subscription policy", {"subscription": "account"}, GOAL),
    ("centralization", {"mode": "centralization"}, None),
    ("both, a subscription filter per log group", {"mode": "both"}, None),
    # The goal is the Firehose path's: with both, the central account's home region takes
    # a filter per log group in place of the policy, and each costs a resource anywhere.
    (
        "both, an account-level subscription policy",
        {"mode": "both", "subscription": "account"},
        None,
    ),
)


@dataclass(frozen=True)
class Capacity:
    shape: str
    per_function: int
    shared: int
    fit: int
    over: int  # resources with one function more than fit
    goal: int | None


def _config(functions: int, logging: dict[str, str]) -> Any:
    from generator.config import Config

    raw: dict[str, Any] = {
        "application": {"name": "bench"},
        "logging": logging,
        "functions": {
            f"f{i:02d}": {
                "source": "src",
                "routes": [f"GET /f{i:02d}"],
                "health_path": f"/f{i:02d}",
            }
            for i in range(1, functions + 1)
        },
    }
    if logging.get("mode", "firehose") != "firehose":
        raw["targets"] = {"organization_id": ORGANIZATION}
    return Config.model_validate(raw)


def _resources(functions: int, logging: dict[str, str]) -> int:
    from generator.build import generate_without_checks

    templates = generate_without_checks(_config(functions, logging), coverage=False)
    return len(templates["app.json"]["Resources"])


def measure() -> list[Capacity]:
    from generator.checks.quotas import MAX_RESOURCES

    found = []
    for shape, logging, goal in SHAPES:
        one, two = _resources(1, logging), _resources(2, logging)
        per_function = two - one
        shared = one - per_function
        fit = (MAX_RESOURCES - shared) // per_function
        at, over = _resources(fit, logging), _resources(fit + 1, logging)
        assert at <= MAX_RESOURCES < over, (shape, fit, at, over)
        found.append(Capacity(shape, per_function, shared, fit, over, goal))
    progress("measured the functions one application stack holds")
    return found


def table(found: list[Capacity]) -> list[str]:
    lines = [
        "| logging | resources per function | shared resources | functions that fit "
        "| one more | goal | met |",
        "| --- | ---: | ---: | ---: | ---: | --- | :---: |",
    ]
    for row in found:
        goal, met = (
            ("—", "—")
            if row.goal is None
            else (f"≥ {row.goal}", "yes" if row.fit >= row.goal else "no")
        )
        lines.append(
            f"| {row.shape} | {row.per_function} | {row.shared} | {row.fit} "
            f"| {row.over} resources | {goal} | {met} |"
        )
    return lines


# --- what each building block costs ---------------------------------------------------------
ACCOUNT = "111122223333"
BASE: dict[str, Any] = {
    "application": {"name": "bench"},
    "targets": {"regions": ["eu-west-1", "us-east-1"], "central_account": ACCOUNT},
    "functions": {
        "api": {"source": "src", "routes": ["GET /health", "GET /orders"]},
        "worker": {"source": "src"},
    },
}
AUTHORIZER = {"issuer": "https://login.example.com", "audience": ["bench"]}
GLOBAL = {"partition_key": "pk", "replication": "global", "stream": "KEYS_ONLY"}
# (block, the config's additions for one of it, and for two): the first may bring what
# every block of its kind shares (a key, a schedule group).
BLOCKS: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...] = (
    (
        "regional table",
        {"tables": {"one": {"partition_key": "pk"}}},
        {"tables": {"one": {"partition_key": "pk"}, "two": {"partition_key": "pk"}}},
    ),
    ("global table", {"tables": {"one": GLOBAL}}, {"tables": {"one": GLOBAL, "two": GLOBAL}}),
    ("queue", {"queues": {"one": {}}}, {"queues": {"one": {}, "two": {}}}),
    (
        "consumed queue",
        {"queues": {"one": {"consumer": "worker"}}},
        {"queues": {"one": {"consumer": "worker"}, "two": {"consumer": "worker"}}},
    ),
    (
        "schedule",
        {"schedules": {"one": {"function": "worker", "expression": "rate(1 day)"}}},
        {
            "schedules": {
                "one": {"function": "worker", "expression": "rate(1 day)"},
                "two": {"function": "worker", "expression": "rate(2 days)"},
            }
        },
    ),
    (
        "JWT authorizer",
        {"api": {"authorizers": {"one": AUTHORIZER}}},
        {"api": {"authorizers": {"one": AUTHORIZER, "two": AUTHORIZER}}},
    ),
    (
        "custom domain",
        {
            "domain": {
                "name": "api.example.com",
                "hosted_zone_id": "Z0123456789EXAMPLE01",
                "hosted_zone_account": ACCOUNT,
            }
        },
        {},
    ),
)


@dataclass(frozen=True)
class BlockCost:
    block: str
    first: dict[str, int]  # template -> resources the first of its kind adds
    each_more: dict[str, int]  # ... and each further one (empty: one per application)


def _counts(additions: dict[str, Any]) -> dict[str, int]:
    from generator.build import generate_without_checks
    from generator.config import Config

    raw = {**BASE, **additions}
    templates = generate_without_checks(Config.model_validate(raw), coverage=False)
    return {name: len(t.get("Resources", {})) for name, t in templates.items() if "Resources" in t}


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    """Resources added per template, for the templates the blocks live in."""
    found = {n: after[n] - before.get(n, 0) for n in after}
    return {
        n: d for n, d in found.items() if d and n in ("app.json", "data.json", "data-keys.json")
    }


def block_costs() -> list[BlockCost]:
    base = _counts({})
    found = []
    for block, one, two in BLOCKS:
        first = _counts(one)
        more = _delta(_counts(two), first) if two else {}
        found.append(BlockCost(block, _delta(first, base), more))
    progress("measured what each building block costs")
    return found


def block_table(found: list[BlockCost]) -> list[str]:
    def shown(counts: dict[str, int]) -> str:
        return ", ".join(f"{n} +{d}" for n, d in sorted(counts.items())) or "—"

    lines = ["| block | the first | each more |", "| --- | --- | --- |"]
    lines += [f"| {c.block} | {shown(c.first)} | {shown(c.each_more)} |" for c in found]
    return lines
