"""What this interpreter can do, and which executor `auto` picks.

Every function takes an optional `RuntimeFacts`, so the decision table is tested for any
Python (3.10 ... 3.14t, GIL on or off) from any interpreter.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import sysconfig
from dataclasses import dataclass

log = logging.getLogger(__name__)

SEQUENTIAL, THREAD, PROCESS, INTERPRETER, DASK = "sequential", "thread", "process", "interpreter", "dask"


@dataclass(frozen=True)
class RuntimeFacts:
    version: tuple[int, int]
    free_threading_build: bool
    gil_enabled: bool
    has_interpreter_pool: bool
    cpu_count: int
    implementation: str = "CPython"

    @classmethod
    def current(cls) -> RuntimeFacts:
        return cls(
            version=(sys.version_info.major, sys.version_info.minor),
            free_threading_build=is_free_threading_available(),
            gil_enabled=is_gil_enabled(),
            has_interpreter_pool=has_interpreter_pool(),
            cpu_count=available_cpus(),
            implementation=platform.python_implementation(),
        )

    @property
    def label(self) -> str:
        """'3.14t' for a free-threaded 3.14 build, else '3.12'."""
        return f"{self.version[0]}.{self.version[1]}{'t' if self.free_threading_build else ''}"


def is_free_threading_available() -> bool:
    """True on a build compiled without the GIL (3.13t, 3.14t)."""
    return sysconfig.get_config_var("Py_GIL_DISABLED") == 1


def is_gil_enabled() -> bool:
    """The GIL's state right now (it can be re-enabled at run time by an extension import)."""
    probe = getattr(sys, "_is_gil_enabled", None)
    return True if probe is None else bool(probe())


def has_interpreter_pool() -> bool:
    try:
        from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:
        return False
    return True


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def should_use_threads(facts: RuntimeFacts | None = None) -> bool:
    facts = facts or RuntimeFacts.current()
    return facts.free_threading_build and not facts.gil_enabled


def get_optimal_worker_count(facts: RuntimeFacts | None = None, cap: int = 8) -> int:
    facts = facts or RuntimeFacts.current()
    return max(1, min(facts.cpu_count, cap))


@dataclass(frozen=True)
class Decision:
    mode: str
    workers: int
    reason: str


@dataclass(frozen=True)
class CostModel:
    """What `auto` expects a run to cost, to go parallel only where that pays (seed 000, 9.1).

    Measured on this project's machine (2 cores, the embedded database on the same cores,
    2026-11-22): a sequential run indexes about `bytes_per_second` of source; `startup` is what
    a pool costs before it pays off — starting (0.3 s for two spawned processes, 0.06 s for two
    subinterpreters in the bench's start_workers phase) and its first batches' imports and
    tokenizer loading — set from end-to-end runs; parallel workers reach `efficiency` x
    min(workers, cores) times the sequential speed (the database shares the cores). Parallel
    is chosen when its estimate beats sequential's by `margin`.

    On 3.14 `auto` prefers subinterpreters to processes: in the reference bench
    (results/20261202T200539Z-bench, the 1,500-file corpus, 3 paired repeats) they ran 1.11x
    (0.95-1.29) sequential against 1.25x (0.85-1.83) for processes — the same within the
    intervals, as in two earlier benches that day (1.22x/1.39x against 1.16x/1.44x) — started
    in 0.09 s against 0.30 s, and the process tree peaked at 336 MiB against 500 MiB.
    """

    bytes_per_second: float = 1_300_000.0
    startup: tuple[tuple[str, float], ...] = (("thread", 0.05), ("process", 0.8), ("interpreter", 0.4))
    efficiency: float = 0.75
    margin: float = 0.15

    def seconds(self, n_bytes: int, mode: str, workers: int, cores: int) -> float:
        sequential = n_bytes / self.bytes_per_second
        if mode == SEQUENTIAL:
            return sequential
        speedup = max(1.0, self.efficiency * min(workers, cores))
        return dict(self.startup).get(mode, 1.0) + sequential / speedup


COSTS = CostModel()


def decide(
    requested: str,
    n_files: int,
    workers: int,
    *,
    parallel_enabled: bool = True,
    min_files: int = 50,
    facts: RuntimeFacts | None = None,
    n_bytes: int | None = None,
    costs: CostModel = COSTS,
) -> Decision:
    """The executor to use. Explicit modes are honoured (except `interpreter` where the
    interpreter lacks it); `auto` follows the seeds' table, and on GIL builds goes parallel
    only when the cost model expects it to pay for its start-up (given `n_bytes`)."""
    facts = facts or RuntimeFacts.current()
    if requested == INTERPRETER and not facts.has_interpreter_pool:
        fallback = decide("auto", n_files, workers, parallel_enabled=parallel_enabled, min_files=min_files, facts=facts,
                          n_bytes=n_bytes, costs=costs)
        return Decision(fallback.mode, fallback.workers,
                        f"interpreter pools need Python 3.14+ (this is {facts.label}); {fallback.reason}")
    if requested == SEQUENTIAL:
        return Decision(SEQUENTIAL, 1, "sequential requested")
    if requested in (THREAD, PROCESS, INTERPRETER, DASK):
        return Decision(requested, workers, f"{requested} requested")
    if not parallel_enabled:
        return Decision(SEQUENTIAL, 1, "PARALLEL_INDEXING_ENABLED=false")
    if workers <= 1:
        return Decision(SEQUENTIAL, 1, "one worker configured")
    if n_files < min_files:
        return Decision(SEQUENTIAL, 1, f"{n_files} files is below MIN_FILES_FOR_PARALLEL={min_files}")
    if facts.free_threading_build:
        mode, why = THREAD, (f"free-threaded {facts.label} with the GIL disabled" if not facts.gil_enabled else
                             f"free-threaded {facts.label} but the GIL is enabled (PYTHON_GIL=1 or an extension); "
                             "keeping threads")
    else:
        mode, why = PROCESS, f"{facts.label} has the GIL: processes give parallelism"
        if facts.has_interpreter_pool:
            mode, why = INTERPRETER, (f"{facts.label} has the GIL and subinterpreters (each with its own GIL): "
                                      "measured against processes, as fast, a fifth of their start-up and "
                                      "about 30% less peak memory")
    if n_bytes is None:
        return Decision(mode, workers, why)
    alone = costs.seconds(n_bytes, SEQUENTIAL, 1, facts.cpu_count)
    together = costs.seconds(n_bytes, mode, workers, facts.cpu_count)
    estimate = (f"{n_bytes / 1e6:.1f} MB of code: about {alone:.1f}s sequential, {together:.1f}s with {workers} "
                f"{mode} workers on {facts.cpu_count} cores")
    if together < alone * (1 - costs.margin):
        return Decision(mode, workers, f"{why}; {estimate}")
    return Decision(SEQUENTIAL, 1, f"{estimate}: too little work to pay for the workers' start-up")


def gil_reenabled_warning(at_start: RuntimeFacts, now: RuntimeFacts | None = None) -> str | None:
    """Warning text when the GIL came back on after start (e.g. an incompatible C extension)."""
    now = now or RuntimeFacts.current()
    if at_start.free_threading_build and not at_start.gil_enabled and now.gil_enabled:
        culprit = find_gil_culprit()
        hint = f" (first module built without free-threading support: {culprit})" if culprit else ""
        return ("the GIL was re-enabled at run time by an extension module import" + hint +
                "; threads keep working but no longer run Python code in parallel")
    return None


def find_gil_culprit() -> str | None:
    """Best effort: an imported extension module whose ABI tag lacks the free-threaded 't'."""
    for name, module in sorted(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if path.endswith((".so", ".pyd")) and ".cpython-" in path and "t-" not in path.rsplit(".cpython-", 1)[1]:
            return name
    return None


def describe_runtime(facts: RuntimeFacts | None = None) -> dict[str, object]:
    facts = facts or RuntimeFacts.current()
    return {
        "python": platform.python_version(),
        "implementation": facts.implementation,
        "build": "free-threaded" if facts.free_threading_build else "gil",
        "gil_enabled": facts.gil_enabled,
        "label": facts.label,
        "interpreter_pool": facts.has_interpreter_pool,
        "cpus": facts.cpu_count,
    }
