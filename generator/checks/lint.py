"""cfn-lint, in process: rules loaded once, results cached by content, work spread over
the machine's cores.

Loading cfn-lint costs about a second and linting a large template several; most runs
lint templates that have not changed since the last one. So:
- a result is cached under the hash of everything it depends on (the template's bytes,
  its regions, cfn-lint's version, the rule configuration): a hit is what linting would
  return, and any change of those misses;
- a template is linted in all its regions in one call: cfn-lint shares the work of a
  call across its regions (the 28-function app.json takes about as long in 30 regions as
  in 15, four fifths of that in 1), so calls of fewer regions would only repeat it. The
  findings are that call's: cfn-lint reports a region-dependent value only if it fails in
  every region of the call;
- the command line forks a worker process (`Workers`) before it builds anything: it
  loads the rules while the templates are built, then lints what the cache does not
  hold; more work than one unit forks more workers (up to the cores), each taking the
  next unit as it is free. Without them (a library call, a pytest-xdist worker) what
  misses is linted in this process, or in processes forked after the rules are loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.output import stamp

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue

    from cfnlint.rules import Match, RulesCollection

# What `rules()` passes to cfn-lint's get_rules: part of every cache key. Every level,
# informational included (I), but I3010 ("approaching the limit of 500 resources"): the
# quota check counts resources exactly and refuses a template only past the limit.
# Tuples: get_rules appends to the lists it is given ("W" and "E" to `include`), so it
# gets copies, and the key is the same before and after the rules are loaded.
RULE_CONFIGURATION: dict[str, tuple[str, ...]] = {
    "append_rules": (),
    "ignore_rules": ("I3010",),
    "include": ("I",),
}
CACHE_FORMAT = 3
# Names a folder for the lint cache: the command line's instead of build/cache/lint, and
# the library's (generator.build.build) when it is given none, e.g. one that every test
# of a run shares.
CACHE_VARIABLE = "GENERATOR_LINT_CACHE"
# cfn-lint's cost of one more region in the same call, relative to the first: what
# orders the work, costliest first (measured on the 28-function app.json: 12 s in one
# region, 14.5 s in 30).
EXTRA_REGION_COST = 0.01


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

    _keep_getatts()
    return get_rules(
        list(RULE_CONFIGURATION["append_rules"]),
        list(RULE_CONFIGURATION["ignore_rules"]),
        list(RULE_CONFIGURATION["include"]),
    )


def _keep_getatts() -> None:
    """cfn-lint builds a template's valid GetAtts (each resource's attributes in each of
    its regions) anew for every Fn::GetAtt it checks, though they depend only on the
    template's resources and regions, which do not change while it is linted: a third
    of the time of a large template in 15 regions. Each template keeps the first it
    builds, so the same object answers every later question, as a new one would."""
    from cfnlint.template.template import Template

    built = Template.get_valid_getatts
    if hasattr(built, "__wrapped__"):
        return

    @wraps(built)
    def kept(self: Template) -> Any:
        facts = (self.context, tuple(self.regions))
        held = self.__dict__.get(_KEPT_GETATTS)
        if held is None or held[0][0] is not facts[0] or held[0][1] != facts[1]:
            held = (facts, built(self))
            self.__dict__[_KEPT_GETATTS] = held
        return held[1]

    Template.get_valid_getatts = kept


_KEPT_GETATTS = "_generator_kept_getatts"


@cache
def cfn_lint_version() -> str:
    """From the name of its dist-info folder, which neither imports cfn-lint nor
    importlib.metadata (40 ms); from the package metadata if that is not found."""
    for name in stamp.packages():
        distribution, _, version = name.removesuffix(".dist-info").partition("-")
        if distribution.lower().replace("-", "_") == "cfn_lint" and version:
            return version
    from importlib import metadata

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
    jobs: Sequence[Job],
    cache: Cache | None = None,
    workers: int | None = None,
    pool: Workers | None = None,
) -> list[Finding]:
    """Every finding of every job, sorted; cached results reused, the rest linted: by
    `pool` when given (workers that loaded the rules while the templates were built),
    else in this process or, for more than one unit of work, in `workers` processes."""
    cache = cache or Cache(None)
    found: list[Finding] = []
    missing: list[Job] = []
    for job in jobs:
        hit = cache.get(job)
        if hit is None:
            missing.append(job)
        else:
            found += hit
    for job, findings in zip(missing, _lint_jobs(missing, workers, pool), strict=True):
        cache.put(job, findings)
        found += findings
    return sorted(found)


def default_workers() -> int:
    """The machine's cores; one inside a pytest-xdist worker, which is already one of many."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return 1
    return os.cpu_count() or 1


def _lint_jobs(
    jobs: Sequence[Job], workers: int | None, pool: Workers | None
) -> list[list[Finding]]:
    """Findings per job, in order; the costliest jobs are handed out first."""
    if not jobs:
        return []
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].cost())
    units = [jobs[i] for i in order]
    if pool is not None:
        parts = pool.run(units)
    else:
        workers = min(workers or default_workers(), len(units))
        if workers <= 1:
            parts = [_lint_unit(unit) for unit in units]
        else:
            import multiprocessing

            rules()  # loaded once here; forked workers inherit it
            context = multiprocessing.get_context("fork")
            with context.Pool(workers) as forked:
                parts = forked.map(_lint_unit, units, chunksize=1)
    found: list[list[Finding]] = [[] for _ in jobs]
    for index, findings in zip(order, parts, strict=True):
        found[index] = findings
    return found


def _lint_unit(job: Job) -> list[Finding]:
    return lint(job.name, job.body, job.regions)


# --- workers started before the build ---------------------------------------------------


class Workers:
    """cfn-lint in processes that load its rules (about a second) while this process
    builds the templates; `run` hands them units of work, which each takes as it is free.

    One is forked at once, before anything is built or imported: it is all that a build
    of one changed template needs. The others (up to `most`) are forked by the first `run`
    that has more than one unit, before anything is put on a queue, so that no process is
    ever forked while this one has a queue's feeder thread."""

    def __init__(self, most: int) -> None:
        import multiprocessing

        self._context = multiprocessing.get_context("fork")
        self._most = max(most, 1)
        self._tasks: Queue[tuple[int, Job]] = self._context.Queue()
        self._results: Queue[tuple[int, list[Finding] | str]] = self._context.Queue()
        self._processes: list[BaseProcess] = []
        self._fixed = False  # once something was put on a queue, no more forks
        self._fork(1)

    def _fork(self, count: int) -> None:
        for _ in range(count):
            process = self._context.Process(
                target=_serve, args=(self._tasks, self._results), daemon=True
            )
            process.start()
            self._processes.append(process)

    def run(self, units: Sequence[Job]) -> list[list[Finding]]:
        """Each unit's findings, in order; a worker's failure is raised here."""
        from queue import Empty

        if not self._fixed:
            self._fork(min(self._most, len(units)) - len(self._processes))
            self._fixed = True
        for index, unit in enumerate(units):
            self._tasks.put((index, unit))
        found: dict[int, list[Finding]] = {}
        while len(found) < len(units):
            try:
                index, result = self._results.get(timeout=1)
            except Empty:
                if not any(p.is_alive() for p in self._processes):
                    raise RuntimeError("every cfn-lint worker process died") from None
                continue
            if isinstance(result, str):
                self.close()
                raise RuntimeError(f"cfn-lint failed in a worker process:\n{result}")
            found[index] = result
        return [found[i] for i in range(len(units))]

    def close(self) -> None:
        """Stop the workers, whether or not they had work: whatever they still do (load
        the rules) is of no use once the build is done."""
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join()
        self._processes = []

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _serve(tasks: Queue[tuple[int, Job]], results: Queue[tuple[int, Any]]) -> None:
    """A worker: load the rules, then lint units until the parent stops it."""
    rules()
    while True:
        index, unit = tasks.get()
        try:
            findings = _lint_unit(unit)
        except Exception:  # the parent raises it, with the worker's traceback
            import traceback

            results.put((index, traceback.format_exc()))
        else:
            results.put((index, findings))
