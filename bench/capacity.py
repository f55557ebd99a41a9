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
