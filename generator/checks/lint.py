"""cfn-lint, in process: rules loaded once, results cached by content, work spread over
the machine's cores.

Loading cfn-lint costs about a second and linting a large template several; most runs
lint templates that have not changed since the last one. So:
- a result is cached under the hash of everything it depends on (the template's bytes,
  its regions, cfn-lint's version, the rule configuration): a hit is what linting would
  return, and any change of those misses;
- what is not cached is linted in worker processes forked after the rules are loaded, so
  each has them without loading them again. A template whose regions outweigh the rest is
  split into region chunks: cfn-lint shares work across the regions of one call, so a
  template is split only as far as it keeps the cores busy.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib import metadata
from math import ceil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cfnlint.rules import Match, RulesCollection

# What `rules()` passes to cfn-lint's get_rules: part of every cache key. Every level,
# informational included (I), but I3010 ("approaching the limit of 500 resources"): the
# quota check counts resources exactly and refuses a template only past the limit.
RULE_CONFIGURATION: dict[str, list[str]] = {
    "append_rules": [],
    "ignore_rules": ["I3010"],
    "include": ["I"],
}
CACHE_FORMAT = 1
# cfn-lint's cost of one more region in the same call, relative to the first (measured:
# about 1.3 s per region on a template that takes 7.5 s in one).
EXTRA_REGION_COST = 0.2


@dataclass(frozen=True, order=True)
class Finding:
    """One cfn-lint match, as a line a person can act on."""

    template: str
    rule: str
    message: str
    path: str

    def __str__(self) -> str:
        return f"{self.template}: {self.rule} {self.message} (at {self.path})"


@dataclass(frozen=True)
class Job:
    """One template body and the regions it runs in."""

    name: str
    body: str
    regions: tuple[str, ...]

    @classmethod
    def of(cls, name: str, body: str, regions: Iterable[str]) -> Job:
        return cls(name, body, tuple(sorted(set(regions))))

    def cost(self) -> float:
        return len(self.body) * (1 + EXTRA_REGION_COST * (len(self.regions) - 1))


@cache
def rules() -> RulesCollection:
    from cfnlint.core import get_rules

    return get_rules(
        RULE_CONFIGURATION["append_rules"],
        RULE_CONFIGURATION["ignore_rules"],
        RULE_CONFIGURATION["include"],
    )


@cache
def cfn_lint_version() -> str:
    """From the package metadata, which does not import cfn-lint."""
    return metadata.version("cfn-lint")


def _finding(name: str, match: Match) -> Finding:
    where = "/".join(str(p) for p in (getattr(match, "path", None) or []))
    return Finding(name, match.rule.id, match.message, where or f"line {match.linenumber}")


def lint(name: str, body: str, regions: Sequence[str]) -> list[Finding]:
    """Every cfn-lint error, warning and informational finding for one template body."""
    from cfnlint.api import lint as cfn_lint

    matches = cfn_lint(body, rules=rules(), regions=sorted(set(regions)))
    return sorted({_finding(name, m) for m in matches})


# --- the cache ------------------------------------------------------------------------


def cache_key(body: str, regions: Sequence[str], version: str | None = None) -> str:
    """The SHA-256 of everything a lint result depends on."""
    facts = {
        "format": CACHE_FORMAT,
        "body": hashlib.sha256(body.encode()).hexdigest(),
        "regions": sorted(set(regions)),
        "cfn-lint": version or cfn_lint_version(),
        "rules": RULE_CONFIGURATION,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Cache:
    """Lint results as JSON files named by their key; a folder of None caches nothing."""

    folder: Path | None

    def get(self, job: Job) -> list[Finding] | None:
        path = self._path(job)
        if path is None or not path.is_file():
            return None
        try:
            stored: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a torn or foreign file is a miss, and is overwritten
        return [Finding(job.name, f["rule"], f["message"], f["path"]) for f in stored]

    def put(self, job: Job, findings: list[Finding]) -> None:
        path = self._path(job)
        if path is None:
            return
        stored = [{k: v for k, v in asdict(f).items() if k != "template"} for f in findings]
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(f".{os.getpid()}.tmp")
        staging.write_text(json.dumps(stored, sort_keys=True), encoding="utf-8")
        staging.replace(path)

    def _path(self, job: Job) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{cache_key(job.body, job.regions)}.json"


# --- many templates at once -----------------------------------------------------------


def lint_all(
    jobs: Sequence[Job], cache: Cache | None = None, workers: int | None = None
) -> list[Finding]:
    """Every finding of every job, sorted; cached results reused, the rest linted."""
    cache = cache or Cache(None)
    found: list[Finding] = []
    missing: list[Job] = []
    for job in jobs:
        hit = cache.get(job)
        if hit is None:
            missing.append(job)
        else:
            found += hit
    for job, findings in zip(missing, _lint_jobs(missing, workers), strict=True):
        cache.put(job, findings)
        found += findings
    return sorted(found)


def default_workers() -> int:
    """The machine's cores; one inside a pytest-xdist worker, which is already one of many."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return 1
    return os.cpu_count() or 1


def _lint_jobs(jobs: Sequence[Job], workers: int | None) -> list[list[Finding]]:
    """Findings per job, in order, linted in worker processes when that is worth it."""
    workers = min(workers or default_workers(), sum(len(j.regions) for j in jobs))
    units = split(jobs, workers)
    if workers <= 1 or len(units) <= 1:
        return [lint(job.name, job.body, job.regions) for job in jobs]
    rules()  # loaded once here; forked workers inherit it
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        parts = pool.map(_lint_unit, units, chunksize=1)
    merged: dict[int, set[Finding]] = {}
    for (index, _), findings in zip(units, parts, strict=True):
        merged.setdefault(index, set()).update(findings)
    return [sorted(merged.get(i, set())) for i in range(len(jobs))]


def split(jobs: Sequence[Job], workers: int) -> list[tuple[int, Job]]:
    """(job index, unit) pairs, costliest first: a job that outweighs a worker's share is
    split into chunks of its regions, so that every worker has work."""
    share = sum(j.cost() for j in jobs) / max(workers, 1)
    units: list[tuple[int, Job]] = []
    for index, job in enumerate(jobs):
        chunks = min(len(job.regions), ceil(job.cost() / share) if share else 1)
        size = ceil(len(job.regions) / max(chunks, 1))
        for start in range(0, len(job.regions), size):
            units.append((index, Job(job.name, job.body, job.regions[start : start + size])))
    return sorted(units, key=lambda u: -u[1].cost())


def _lint_unit(unit: tuple[int, Job]) -> list[Finding]:
    job = unit[1]
    return lint(job.name, job.body, job.regions)
