"""Timing, memory and child processes: how every figure of the benchmarks is taken."""

from __future__ import annotations

import gc
import os
import resource
import statistics
import subprocess
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OWN_CODE = (str(REPO_ROOT / "generator"), str(REPO_ROOT / "functions"))


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def timed(call: Callable[[], Any]) -> tuple[Any, Timing]:
    """Run `call` once after a full collection; wall (perf_counter) and CPU (process_time)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    return value, Timing(time.perf_counter() - wall, time.process_time() - cpu)


def median_timed(call: Callable[[], Any], runs: int) -> tuple[Any, Timing]:
    """The last result, and the median wall and median CPU time of `runs` runs."""
    results = [timed(call) for _ in range(runs)]
    return results[-1][0], Timing(
        statistics.median(t.wall for _, t in results), statistics.median(t.cpu for _, t in results)
    )


def peak_bytes(call: Callable[[], Any]) -> int:
    """tracemalloc's peak while `call` runs (a separate run: tracing slows everything down)."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass(frozen=True)
class Child:
    """One finished child process: its wall time, peak resident memory and exit status."""

    wall: float
    maxrss_mb: float
    status: int
    output: str


# Variables a user's shell does not set and that change what is measured: with
# PYTHONDONTWRITEBYTECODE every process compiles every module it imports from source.
NOT_A_USER_S = ("PYTHONDONTWRITEBYTECODE",)


def user_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment as a user's shell has it, and `extra`."""
    found = {k: v for k, v in os.environ.items() if k not in NOT_A_USER_S}
    return {**found, **(extra or {})}


def child(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Child:
    """Run a command to its end; wall time and the peak RSS of the process (os.wait4)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=user_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Child(time.perf_counter() - started, usage.ru_maxrss / 1024, proc.returncode, output)


def median_child(
    command: Sequence[str], cwd: Path, runs: int, before: Callable[[int], None] | None = None
) -> Child:
    """The median wall of `runs` runs (`before(i)` runs first each time), the largest RSS."""
    done = []
    for index in range(runs):
        if before:
            before(index)
        done.append(child(command, cwd))
    ordered = sorted(done, key=lambda c: c.wall)
    middle = ordered[len(ordered) // 2]
    return Child(middle.wall, max(c.maxrss_mb for c in done), middle.status, middle.output)


def describe(exc: BaseException) -> str:
    """One short line for a failure: the exception, its first problem, where it rose."""
    problems = [str(p) for p in getattr(exc, "problems", None) or []]
    lines = problems or str(exc).strip().splitlines() or [""]
    text = f"{type(exc).__name__}: {lines[0]}"
    if len(lines) > 1:
        text += f" (+{len(lines) - 1} more)"
    ours = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(OWN_CODE)]
    if ours and not problems:
        where = Path(ours[-1].filename).relative_to(REPO_ROOT)
        text += f" (raised under {where}:{ours[-1].lineno})"
    return text if len(text) <= 300 else text[:297] + "..."


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
