"""What `plan` costs beyond generating: on the largest example (the most template bytes),
`python -m generator plan --against HEAD` and generation alone, each a whole process,
median of 3. Plan reads the committed templates at the ref with git and diffs them with
what the config generates; the goal is under one second more than generating.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bench.goals import GENERATE_ONLY
from bench.measure import REPO_ROOT, Child, median_child, progress

GOAL_S = 1.0


@dataclass(frozen=True)
class PlanCost:
    example: str
    plan: Child
    generate: Child

    @property
    def beyond(self) -> float:
        return self.plan.wall - self.generate.wall


def largest_example(root: Path = REPO_ROOT) -> Path:
    """The example config whose committed templates hold the most bytes."""

    def size(config: Path) -> int:
        folder = config.with_suffix("")
        return sum(p.stat().st_size for p in folder.rglob("*.json"))

    return max(sorted((root / "examples").glob("*.toml")), key=size)


def measure(runs: int = 3) -> PlanCost:
    config = largest_example()
    relative = str(config.relative_to(REPO_ROOT))
    plan = [sys.executable, "-m", "generator", "plan", "--config", relative, "--against", "HEAD"]
    generate = [sys.executable, "-c", GENERATE_ONLY, relative]
    median_child(plan, REPO_ROOT, 1)  # the caches of derived facts, as a user's second run
    found = PlanCost(
        relative, median_child(plan, REPO_ROOT, runs), median_child(generate, REPO_ROOT, runs)
    )
    progress(f"plan of {relative}: {found.plan.wall:.2f}s, generation {found.generate.wall:.2f}s")
    return found


def table(cost: PlanCost) -> list[str]:
    met = "yes" if cost.plan.status == 0 and cost.beyond <= GOAL_S else "no"
    status = "" if cost.plan.status == 0 else f" (exit {cost.plan.status})"
    return [
        "| example | `plan --against HEAD` | generation only | beyond generation | goal | met |",
        "| --- | ---: | ---: | ---: | --- | :---: |",
        f"| `{cost.example}` | {cost.plan.wall:.2f} s{status} | {cost.generate.wall:.2f} s "
        f"| {cost.beyond:.2f} s | < {GOAL_S:.0f} s | {met} |",
    ]
