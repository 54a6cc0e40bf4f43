"""An indexing run: discover -> parse and write nodes in workers -> resolve -> write edges.

Workers get batches of files. Each batch is parsed with the worker's own parser state, its
files are compared with the fingerprints stored in the graph (unchanged files are not
rewritten), and the nodes plus their DEFINES edges go to the database in one managed
transaction on a session of the worker's own. Only plain facts travel back. Cross-file
edges are resolved afterwards, in this process, and written in batches.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import neo4j

from indexer import graphdb, runtime
from indexer.config import Settings, pool_warning
from indexer.discovery import discover
from indexer.embedding import Embedder, EmbeddingError, make_embedder
from indexer.model import BatchResult, ErrorKind, FileError, ModuleFacts, NodeRecord, ParsedFile, SourceFile
from indexer.parsing import parse_file
from indexer.pool import ProcessingPoolManager
from indexer.resolve import resolve

log = logging.getLogger(__name__)


# -- per-process worker state ----------------------------------------------------------------
@dataclass(frozen=True)
class WorkerConfig:
    settings: Settings
    salt: str


_lock = threading.Lock()
_config: WorkerConfig | None = None
_driver: neo4j.Driver | None = None
_embedder: Embedder | None = None


def worker_init(config: WorkerConfig) -> None:
    """Runs once per worker process (and once in this process for threads/sequential)."""
    global _config
    # Compile-time warnings about the code being indexed (invalid escapes...) are not ours.
    warnings.filterwarnings("ignore", category=SyntaxWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning, message="invalid escape sequence")
    with _lock:
        _config = config


def shared_driver(settings: Settings) -> neo4j.Driver:
    """The one Driver of this process, shared by all its threads."""
    global _driver
    with _lock:
        if _driver is None:
            _driver = graphdb.open_driver(settings)
            try:
                import multiprocessing.util as mp_util

                mp_util.Finalize(None, close_shared_driver, exitpriority=10)
            except ImportError:  # pragma: no cover
                pass
        return _driver


def close_shared_driver() -> None:
    global _driver, _embedder
    with _lock:
        driver, _driver, _embedder = _driver, None, None
    if driver is not None:
        try:
            driver.close()
        except Exception as exc:  # e.g. a connection left mid-message by an interrupt
            log.warning("closing the database driver failed (%s: %s); its sockets close with the process",
                        type(exc).__name__, exc)


def _shared_embedder(config: WorkerConfig) -> Embedder | None:
    global _embedder
    if config.settings.embed.mode == "none":
        return None
    with _lock:
        if _embedder is None:
            _embedder = make_embedder(config.settings.embed)
        return _embedder


# -- the worker task -------------------------------------------------------------------------
def index_batch(batch: list[SourceFile]) -> BatchResult:
    config = _config
    if config is None:
        raise RuntimeError("worker used before worker_init")
    settings = config.settings
    result = BatchResult()
    keep_text = settings.embed.mode != "none"
    parsed: list[ParsedFile] = []
    for src in batch:
        try:
            out = parse_file(src, max_bytes=settings.max_file_bytes, fingerprint_salt=config.salt,
                             keep_text=keep_text)
        except Exception as exc:  # a bug or interpreter fault must cost one file, not the batch
            log.exception("unexpected failure parsing %s", src.relpath)
            out = FileError(src.relpath, ErrorKind.WORKER, f"unexpected {type(exc).__name__}: {exc}")
        if isinstance(out, FileError):
            result.errors.append(out)
        else:
            parsed.append(out)
    if not parsed:
        return result
    driver = shared_driver(settings)
    stats = graphdb.WriteStats()
    try:
        stored = graphdb.stored_fingerprints(driver, settings, [p.facts.module_id for p in parsed], stats)
        fresh = [p for p in parsed if stored.get(p.facts.module_id) != p.fingerprint]
        changed = [p.relpath for p in fresh if p.facts.module_id in stored]
        fresh = _embed(fresh, config, result)
        nodes = [n for p in fresh for n in p.nodes]
        defines = [e for p in fresh for e in p.defines]

        def work(tx: neo4j.ManagedTransaction) -> int:
            if changed:
                graphdb.tx_delete_paths(tx, changed)
            graphdb.tx_write_nodes(tx, nodes)
            return graphdb.tx_write_edges(tx, defines)

        matched = 0
        if fresh:
            matched = graphdb.write(driver, settings, stats, f"writing {len(fresh)} files ({fresh[0].relpath} ...)",
                                    work)
        written = {p.relpath for p in fresh}
        result.nodes_written = len(nodes)
        result.edges_written = matched
        result.edges_dangling = len(defines) - matched
        result.files_unchanged = sum(1 for p in parsed if p.relpath not in written)
        kept = [p for p in parsed if p.relpath in written or stored.get(p.facts.module_id) == p.fingerprint]
    except graphdb.DatabaseError as exc:
        result.connection_failures += 1
        result.errors.extend(FileError(p.relpath, ErrorKind.WRITE, str(exc)) for p in parsed)
        kept = []
    result.facts = [p.facts for p in kept]
    result.files_done = len(kept)
    result.lines = sum(p.lines for p in kept)
    result.retries = stats.retries
    result.acquisition_timeouts = stats.acquisition_timeouts
    result.connection_errors = stats.connection_errors
    result.session_waits = stats.session_waits
    return result


def _embed(fresh: list[ParsedFile], config: WorkerConfig, result: BatchResult) -> list[ParsedFile]:
    embedder = _shared_embedder(config)
    if embedder is None:
        return fresh
    ok: list[ParsedFile] = []
    for p in fresh:
        targets: list[NodeRecord] = [n for n in p.nodes if n.id in p.chunks]
        try:
            vectors = embedder.embed([p.chunks[n.id] for n in targets]) if targets else []
        except EmbeddingError as exc:
            result.errors.append(FileError(p.relpath, ErrorKind.EMBED, str(exc)))
            continue
        for node, vec in zip(targets, vectors, strict=True):
            node.props["embedding"] = vec
            node.props["embedding_model"] = embedder.model_name
        ok.append(p)
    return ok


# -- the run ---------------------------------------------------------------------------------
@dataclass
class Summary:
    root: str
    mode: str
    reason: str
    workers: int
    pool_size: int
    server: dict[str, str] = field(default_factory=dict)
    files_total: int = 0
    files_indexed: int = 0
    files_unchanged: int = 0
    files_failed: int = 0
    files_removed: int = 0
    errors_by_type: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    lines: int = 0
    nodes_written: int = 0
    edges_written: int = 0
    edges_dangling: int = 0
    edges_resolved: dict[str, int] = field(default_factory=dict)
    unresolved: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    acquisition_timeouts: int = 0
    connection_errors: int = 0  # lost connections that were retried and recovered
    connection_failures: int = 0  # still failing after every retry
    session_wait_p50: float = 0.0
    session_wait_p95: float = 0.0
    session_wait_max: float = 0.0
    wall_time: float = 0.0
    files_per_s: float = 0.0
    lines_per_s: float = 0.0
    gil_enabled_at_start: bool = True
    gil_enabled_at_end: bool = True
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_index(
    root: str,
    settings: Settings,
    *,
    clear: bool = False,
    progress: Callable[[int, int], None] | None = None,
    facts: runtime.RuntimeFacts | None = None,
) -> Summary:
    started = time.perf_counter()
    at_start = facts or runtime.RuntimeFacts.current()
    files, discovery_errors = discover(root)
    decision = runtime.decide(settings.mode, len(files), settings.max_workers,
                              parallel_enabled=settings.parallel_enabled,
                              min_files=settings.min_files_for_parallel, facts=at_start)
    summary = Summary(root=str(root), mode=decision.mode, reason=decision.reason, workers=decision.workers,
                      pool_size=settings.effective_pool_size, files_total=len(files) + len(discovery_errors),
                      gil_enabled_at_start=at_start.gil_enabled)
    log.info("%d files under %s; executor %s x%d (%s)", len(files), root, decision.mode, decision.workers,
             decision.reason)
    warning = pool_warning(settings, decision.workers)
    if warning:
        log.warning(warning)
        summary.warnings.append(warning)

    driver = shared_driver(settings)
    info = graphdb.verify(driver, settings)
    summary.server = {"flavour": info.flavour, "version": info.version, "agent": info.agent}
    dims = settings.embed.dims if settings.embed.mode == "hash" else None
    graphdb.ensure_schema(driver, settings, info, dims)
    if clear:
        removed = graphdb.clear(driver, settings)
        log.info("cleared %d nodes", removed)

    errors: list[FileError] = list(discovery_errors)
    all_facts: list[ModuleFacts] = []
    waits: list[float] = []
    batches = make_batches(files, settings.batch_files, settings.batch_bytes)
    config = WorkerConfig(settings, settings.embed.fingerprint())
    done = 0
    pool = ProcessingPoolManager[list[SourceFile], BatchResult](
        decision.mode, decision.workers, initializer=worker_init, initargs=(config,))
    try:
        with pool:
            for index, out in pool.map_unordered(index_batch, batches):
                if isinstance(out, BaseException):
                    log.error("worker failed on batch %d: %s: %s", index, type(out).__name__, out)
                    errors.extend(FileError(f.relpath, ErrorKind.WORKER, f"{type(out).__name__}: {out}")
                                  for f in batches[index])
                else:
                    _merge(summary, out, waits)
                    errors.extend(out.errors)
                    all_facts.extend(out.facts)
                done += len(batches[index])
                if progress:
                    progress(done, len(files))
            if pool.fallback_reason:
                summary.warnings.append("worker pool broke; remaining files were indexed sequentially")
        now = runtime.RuntimeFacts.current() if facts is None else facts
        summary.gil_enabled_at_end = now.gil_enabled
        gil_warning = runtime.gil_reenabled_warning(at_start, now)
        if gil_warning:
            log.warning(gil_warning)
            summary.warnings.append(gil_warning)

        resolution = resolve(sorted(all_facts, key=lambda m: m.module_id))
        summary.edges_resolved = dict(resolution.resolved)
        summary.unresolved = dict(resolution.unresolved)
        stats = graphdb.WriteStats()
        log.info("writing %d cross-file edges", len(resolution.edges))
        matched = graphdb.write_edges(driver, settings, resolution.edges, stats)
        summary.edges_written += matched
        summary.edges_dangling += len(resolution.edges) - matched
        if summary.edges_dangling:
            text = (f"{summary.edges_dangling} edges were not written because an endpoint is missing from the "
                    "graph (a bug: please report it with the summary)")
            log.warning(text)
            summary.warnings.append(text)
        present = {f.relpath for f in files} | {e.relpath for e in discovery_errors}
        gone = sorted(graphdb.stored_module_paths(driver, settings, stats) - present)
        if gone:
            graphdb.delete_paths(driver, settings, gone, stats)
            summary.files_removed = len(gone)
        summary.retries += stats.retries
        summary.acquisition_timeouts += stats.acquisition_timeouts
        summary.connection_errors += stats.connection_errors
        waits.extend(stats.session_waits)
    except KeyboardInterrupt:
        summary.interrupted = True
        _finish(summary, errors, waits, started)
        raise IndexInterrupted(summary, pool.stragglers) from None
    except graphdb.DatabaseError:
        summary.connection_failures += 1
        raise
    _finish(summary, errors, waits, started)
    return summary


def _merge(summary: Summary, out: BatchResult, waits: list[float]) -> None:
    summary.files_indexed += out.files_done - out.files_unchanged
    summary.files_unchanged += out.files_unchanged
    summary.lines += out.lines
    summary.nodes_written += out.nodes_written
    summary.edges_written += out.edges_written
    summary.edges_dangling += out.edges_dangling
    summary.retries += out.retries
    summary.acquisition_timeouts += out.acquisition_timeouts
    summary.connection_errors += out.connection_errors
    summary.connection_failures += out.connection_failures
    waits.extend(out.session_waits)


def _finish(summary: Summary, errors: list[FileError], waits: list[float], started: float) -> None:
    errors.sort(key=lambda e: (e.relpath, e.kind))
    summary.errors = [{"path": e.relpath, "type": e.kind, "message": e.message} for e in errors]
    summary.errors_by_type = dict(sorted(Counter(e.kind for e in errors).items()))
    summary.files_failed = len(errors)
    summary.session_wait_p50 = round(_percentile(waits, 50), 6)
    summary.session_wait_p95 = round(_percentile(waits, 95), 6)
    summary.session_wait_max = round(max(waits, default=0.0), 6)
    summary.wall_time = round(time.perf_counter() - started, 3)
    processed = summary.files_indexed + summary.files_unchanged
    summary.files_per_s = round(processed / summary.wall_time, 1) if summary.wall_time else 0.0
    summary.lines_per_s = round(summary.lines / summary.wall_time, 1) if summary.wall_time else 0.0
