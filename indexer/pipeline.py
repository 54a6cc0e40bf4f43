"""An indexing run: discover -> parse and write nodes (workers) -> resolve -> write edges -> clean up.

Files are listed before any worker starts and cut into batches. Workers (`indexer.worker`)
parse each batch, compare fingerprints with the stored graph, and write the nodes of changed
files with their DEFINES edges in one transaction; only plain facts come back. Resolution
runs once, here, over the facts of every file; its edges are written after it in a sequential
run, else as it finds them and after it (`edgewriter`), by threads of this process (worker
processes have exited by then) or by the cluster's workers, planned (`edgeplan`) so that
concurrent transactions never add edges around the same nodes.
Files that no longer exist are removed last. Each phase's wall and CPU time is recorded.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from indexer import gcpause, runtime
from indexer.config import Settings, pool_warning
from indexer.discover import UNLISTED, discover
from indexer.edgewriter import EdgeWriter
from indexer.model import (
    BatchResult,
    Counters,
    ErrorKind,
    FileError,
    ModuleFacts,
    ParsedFile,
    SourceFile,
)
from indexer.resolve import Resolution, resolve
from indexer.store import DatabaseError, GraphStore, packstream_implementation
from indexer.worker import Worker, WorkerConfig, log_levels_here, parse_batch, quiet_syntax_warnings
from indexer.workforce import Workforce

log = logging.getLogger(__name__)
T = TypeVar("T")

@dataclass
class Phase:
    """One phase of a run: seconds since the run started, and this process's CPU seconds."""

    name: str
    start: float
    end: float
    cpu: float


@dataclass
class Summary:
    root: str
    mode: str
    reason: str
    workers: int
    pool_size: int
    server: dict[str, str] = field(default_factory=dict)
    packstream: str = ""
    files_total: int = 0
    files_failed: int = 0
    files_removed: int = 0
    errors_by_type: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    edges_resolved: dict[str, int] = field(default_factory=dict)
    unresolved: dict[str, int] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    phases: list[Phase] = field(default_factory=list)
    started_at: float = 0.0  # epoch seconds; phases are relative to it
    wall_time: float = 0.0
    files_per_s: float = 0.0
    lines_per_s: float = 0.0
    gil_enabled_at_start: bool = True
    gil_enabled_at_end: bool = True
    gil_culprit: str | None = None  # the extension module that turned the GIL back on, when known
    runtime: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the counters appear as top-level keys (files_indexed, retries, ...)."""
        data = asdict(self)
        data.pop("counters")
        return {**data, **self.counters.to_dict()}


class WrongFolder(ValueError):
    """The folder given cannot be indexed into the graph as it is: it cannot be listed, or most of
    what the graph holds is not under it (the wrong folder, another codebase), which the end of
    the run would remove. Said before anything is written."""


class IndexInterrupted(KeyboardInterrupt):
    def __init__(self, summary: Summary, workers_running: int = 0) -> None:
        super().__init__("interrupted")
        self.summary = summary
        self.workers_running = workers_running  # threads still inside the driver: do not close it


def make_batches(files: list[SourceFile], max_files: int, max_bytes: int) -> list[list[SourceFile]]:
    """Consecutive files (same package, so fewer write conflicts) up to a count or size."""
    batches: list[list[SourceFile]] = []
    current: list[SourceFile] = []
    size = 0
    for f in files:
        if current and (len(current) >= max_files or size + f.size > max_bytes):
            batches.append(current)
            current, size = [], 0
        current.append(f)
        size += f.size
    if current:
        batches.append(current)
    return batches


class _Clock:
    """Records the phases of a run, and says when each starts (`on_phase`)."""

    def __init__(self, on_phase: Callable[[str], None] | None = None) -> None:
        self.started = time.perf_counter()
        self.epoch = time.time()
        self.phases: list[Phase] = []
        self.on_phase = on_phase

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            if self.on_phase is not None:
                self.on_phase(name)
            yield
        finally:
            self.phases.append(Phase(name, round(start - self.started, 3), round(time.perf_counter() - self.started, 3),
                                     round(time.process_time() - cpu, 3)))

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def run_index(
    root: str,
    settings: Settings,
    *,
    clear: bool = False,
    prune: bool = False,
    progress: Callable[[int, int], None] | None = None,
    facts: runtime.RuntimeFacts | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> Summary:
    """Index the Python files under `root` into the graph database of `settings`.

    `progress(done, total)` is called as files are written; `on_phase(name)` as each phase
    starts (the names of `Summary.phases`: discover, connect, start_workers with separate
    worker processes, subinterpreters or a cluster, parse_write, resolve, edges, cleanup), so
    that what comes after the files can be shown too."""
    clock = _Clock(on_phase)
    at_start = facts or runtime.RuntimeFacts.current()
    with clock.phase("discover"):
        files, discovery_errors = discover(root)
    unlisted = next((e for e in discovery_errors if e.relpath == "." and e.message.startswith(UNLISTED)), None)
    if unlisted is not None:  # (before connecting: not even --clear may touch the graph then)
        raise WrongFolder(f"{root}: {unlisted.message}; nothing was written and the graph is left as it is: "
                          "check the folder's permissions")
    decision = runtime.decide(settings.mode, len(files), settings.max_workers,
                              parallel_enabled=settings.parallel_enabled, min_files=settings.min_files_for_parallel,
                              facts=at_start, n_bytes=sum(f.size for f in files))
    if decision.mode == runtime.DASK:  # say now, before connecting, when the 'dask' extra is missing
        import indexer.cluster  # noqa: F401  (raises ConfigError naming the extra)
    summary = Summary(root=str(root), mode=decision.mode, reason=decision.reason, workers=decision.workers,
                      pool_size=settings.effective_pool_size, files_total=len(files) + len(discovery_errors),
                      gil_enabled_at_start=at_start.gil_enabled, packstream=packstream_implementation(),
                      started_at=round(clock.epoch, 3), runtime=runtime.describe_runtime(at_start))
    log.info("%d files under %s; executor %s x%d (%s)", len(files), root, decision.mode, decision.workers,
             decision.reason)
    warnings = [pool_warning(settings, decision.workers)]
    if settings.scheduler and decision.mode != runtime.DASK:
        warnings.append(f"a Dask scheduler is given (--scheduler / DASK_SCHEDULER_ADDRESS) but the mode is "
                        f"{decision.mode}: it is not used; pass --mode dask to use it")
    for warning in warnings:
        if warning:
            log.warning(warning)
            summary.warnings.append(warning)
    errors: list[FileError] = list(discovery_errors)
    quiet_syntax_warnings()
    config = WorkerConfig(settings, settings.embed.fingerprint(), log_levels_here())
    try:
        with GraphStore(settings) as store:
            local = Worker(config, store)
            team = Workforce(decision.mode, decision.workers, config, local)
            try:
                with clock.phase("connect"):
                    info = store.verify()
                    summary.server = {"flavour": info.flavour, "version": info.version, "agent": info.agent}
                    store.ensure_schema(info, settings.embed.dims if settings.embed.mode == "hash" else None)
                    if clear:
                        log.info("cleared %d nodes", store.clear())
                    stored = set() if clear else store.stored_module_paths()
                    present = {f.relpath for f in files} | {e.relpath for e in discovery_errors}
                    gone = _gone(stored - present, discovery_errors, summary)
                    if not prune:
                        _check_folder(root, stored, gone, len(files), store.where)
                with ExitStack() as running:
                    with clock.phase("start_workers") if team.separate else nullcontext():
                        running.enter_context(team)  # (a LocalCluster starts here)
                        team.start_workers()
                    with clock.phase("parse_write"):
                        all_facts, written = _index_files(team, files, settings, summary, errors, progress)
                        team.files_done()  # worker processes exit: their memory is free for resolution
                    _check_gil(summary, at_start, facts)
                    writer = EdgeWriter(team, written, settings.edge_batch)
                    try:
                        # with workers, edges are written as they are found (the writer sorts them)
                        with clock.phase("resolve"), gcpause.paused_gc(), writer.streaming() as stream:
                            resolution = resolve(all_facts, stream, consume=True, ordered=False)
                            gcpause.keep_out()  # the edges stay until written: no collection rescans them
                        summary.edges_resolved = dict(resolution.resolved)
                        summary.unresolved = dict(resolution.unresolved)
                        with clock.phase("edges"):
                            writer.finish(resolution.edges)
                    finally:
                        summary.counters.merge(writer.counters)
                    _warn_dangling(summary)
                with clock.phase("cleanup"):
                    if gone:
                        store.delete_paths(gone)
                        summary.files_removed = len(gone)
            except KeyboardInterrupt:
                summary.interrupted = True
                summary.counters.merge(store.counters)
                _finish(summary, errors, clock)
                if team.stragglers:  # threads are still inside the driver: closing it under them would crash
                    store.abandon()
                raise IndexInterrupted(summary, team.stragglers) from None
            except DatabaseError:
                summary.counters.connection_failures += 1
                raise
            summary.counters.merge(store.counters)
        _finish(summary, errors, clock)
        return summary
    finally:
        gcpause.thaw()  # what the run kept out of the collector's sight is collectable again


def _index_files(team: Workforce, files: list[SourceFile], settings: Settings, summary: Summary,
                 errors: list[FileError], progress: Callable[[int, int], None] | None
                 ) -> tuple[list[ModuleFacts], set[str]]:
    """Parse and write every file; the facts to resolve and the modules written."""
    batches = make_batches(files, settings.batch_files, settings.batch_bytes)
    all_facts: list[ModuleFacts] = []
    written: set[str] = set()
    done = 0
    for index, out in team.index(batches):
        if isinstance(out, BaseException):
            log.error("worker failed on batch %d: %s: %s", index, type(out).__name__, out)
            errors.extend(FileError(f.relpath, ErrorKind.WORKER, f"{type(out).__name__}: {out}")
                          for f in batches[index])
        else:
            assert isinstance(out, BatchResult)
            summary.counters.merge(out.counters)
            errors.extend(out.errors)
            all_facts.extend(out.facts)
            gcpause.keep_out()  # the facts stay until resolution: no collection rescans them
            written.update(out.written)
        done += len(batches[index])
        if progress:
            progress(done, len(files))
    if team.fallback_reason:
        summary.warnings.append(f"the {team.mode} pool broke ({team.fallback_reason}); the remaining files were "
                                "indexed in this process")
    return all_facts, written


def _check_folder(root: str, stored: set[str], gone: list[str], found: int, where: str) -> None:
    """Refuse a run that would remove what the graph holds: all of it (no file found), or half
    of it or more (at least 2 modules) -- the wrong folder, another codebase sharing a few names."""
    if stored and gone and (not found or (2 * len(gone) >= len(stored) and len(gone) >= 2)):
        there = "no Python files" if not found else f"{found} Python files"
        raise WrongFolder(
            f"the graph at {where} holds {len(stored)} modules and {len(gone)} of them are not under {root} "
            f"({there} there): the wrong folder, another codebase, or most files moved (paths are relative to "
            "the folder indexed); nothing was written. If they are gone indeed, pass --prune to remove them; "
            "or --clear to replace what the graph holds, or index into another database (NEO4J_DATABASE)")


def _gone(missing: set[str], discovery_errors: list[FileError], summary: Summary) -> list[str]:
    """The stored modules to remove: those not found, except under a directory that could not be
    listed (they may well be there still: they are kept, and the summary says so)."""
    unlisted = [e.relpath for e in discovery_errors if e.message.startswith(UNLISTED)]
    if not unlisted:
        return sorted(missing)
    kept = {p for p in missing for d in unlisted if p.startswith(d.rstrip("/") + "/")}
    if kept:
        text = (f"{len(kept)} stored modules under directories that could not be listed ({', '.join(unlisted[:3])}"
                f"{', ...' if len(unlisted) > 3 else ''}) were kept; fix their permissions and run again")
        log.warning(text)
        summary.warnings.append(text)
    return sorted(missing - kept)


def _warn_dangling(summary: Summary) -> None:
    if summary.counters.edges_dangling:
        text = (f"{summary.counters.edges_dangling} edges were not written because an endpoint is missing from the "
                "graph (a bug: please report it with the summary)")
        log.warning(text)
        summary.warnings.append(text)


def _check_gil(summary: Summary, at_start: runtime.RuntimeFacts, facts: runtime.RuntimeFacts | None) -> None:
    now = runtime.RuntimeFacts.current() if facts is None else facts
    summary.gil_enabled_at_end = now.gil_enabled
    gil_warning = runtime.gil_reenabled_warning(at_start, now)
    if gil_warning:
        summary.gil_culprit = runtime.find_gil_culprit()
        log.warning(gil_warning)
        summary.warnings.append(gil_warning)


def _finish(summary: Summary, errors: list[FileError], clock: _Clock) -> None:
    errors.sort(key=lambda e: (e.relpath, e.kind))
    summary.errors = [{"path": e.relpath, "type": e.kind, "message": e.message} for e in errors]
    summary.errors_by_type = dict(sorted(Counter(e.kind for e in errors).items()))
    summary.files_failed = len(errors)
    summary.phases = clock.phases
    summary.wall_time = round(clock.elapsed, 3)
    c = summary.counters
    processed = c.files_indexed + c.files_unchanged
    summary.files_per_s = round(processed / summary.wall_time, 1) if summary.wall_time else 0.0
    summary.lines_per_s = round(c.lines / summary.wall_time, 1) if summary.wall_time else 0.0


def parse_and_resolve(root: str, *, max_bytes: int = 5_000_000, count_tokens: bool = False
                      ) -> tuple[list[ParsedFile], list[FileError], Resolution]:
    """The graph of a codebase without a database: every file parsed (tokens counted if
    asked) and resolved. For measuring the graph itself, e.g. `codegraph accuracy`."""
    from indexer.tokens import count_nodes

    quiet_syntax_warnings()
    files, errors = discover(root)
    batch = parse_batch(files, max_bytes, "", False)
    if count_tokens:
        for p in batch.parsed:
            count_nodes(p)
    return batch.parsed, errors + batch.errors, resolve([p.facts for p in batch.parsed])
