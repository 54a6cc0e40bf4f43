"""The work of one worker: parse a batch of files, then write what changed.

`parse_batch` reads files and returns plain data, importing only the stdlib and stdlib-only
modules of this package, so it runs in a subinterpreter as well as anywhere else.
`Worker` holds what a worker keeps between tasks — its graph store and its embedder — and
does the database side: token counts, embeddings, fingerprint comparison, one managed
transaction per batch for the nodes and their DEFINES edges, and cross-file edge batches.
Only plain data (`indexer.model`) comes back.

Threads of one process share one `Worker` (and the run's driver). A process pool can only
call module-level functions, so a worker process keeps its own `Worker` in `_process_worker`,
created by `start_process_worker` (the pool's initializer) and closed when the process exits;
a Dask worker keeps its `Worker` on a worker plugin (`indexer.cluster`).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from indexer.gcpause import paused_gc
from indexer.model import BatchResult, Counters, EdgeBatch, ErrorKind, FileError, ParsedBatch, ParsedFile, SourceFile
from indexer.parse import parse_file
from indexer.redact import RedactingFilter, redacting

if TYPE_CHECKING:
    import neo4j

    from indexer.config import Settings
    from indexer.embed import Embedder
    from indexer.store import GraphStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs to know; sent once to each worker process."""

    settings: Settings
    salt: str  # part of every file's fingerprint: what else changes the stored graph (embeddings)
    log_levels: tuple[int, int] = (logging.WARNING, logging.ERROR)  # the parent's (root, neo4j): log_levels_here()


def log_levels_here() -> tuple[int, int]:
    """This process's log levels (everything, and the neo4j driver), for its worker processes."""
    return logging.getLogger().getEffectiveLevel(), logging.getLogger("neo4j").getEffectiveLevel()


class _WorkerHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `log_like_parent` installs (so that a later run on the same process finds it)."""


def log_like_parent(config: WorkerConfig) -> None:
    """A worker process logs as the process that started it: the same format, secrets redacted,
    the driver's level (its warning on every retried transaction stays hidden unless asked for:
    the run counts retries), and its own lines from WARNING up unless the run is verbose (they
    print straight to stderr, through a progress bar). Without this, Python printed every
    warning raw on stderr. A process whose root logger has handlers of someone else's is left
    as it is; a Dask worker that outlives a run gets the next run's levels, and the secrets of
    both runs are redacted."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, _WorkerHandler)]
    if len(ours) != len(root.handlers):
        return
    secrets = config.settings.secrets()
    for handler in ours:
        root.removeHandler(handler)
        secrets += next((f.secrets for f in handler.filters if isinstance(f, RedactingFilter)), ())
    root.addHandler(redacting(_WorkerHandler(sys.stderr), secrets))
    level, driver = config.log_levels
    root.setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
    logging.getLogger("neo4j").setLevel(driver)


def quiet_syntax_warnings() -> None:
    """Compile-time warnings about the code being indexed (invalid escapes...) are not ours.

    Also the initializer of every subinterpreter (3.14+). There, a filter with a `message`
    pattern made each subinterpreter's memory outlive it (measured: +8.7 MiB per run of a
    2-subinterpreter pool, run after run: the bench's leak check caught it); before 3.12 the
    invalid-escape warning was a DeprecationWarning and needs that pattern, later it is a
    SyntaxWarning."""
    warnings.filterwarnings("ignore", category=SyntaxWarning)
    if sys.version_info < (3, 12):
        warnings.filterwarnings("ignore", category=DeprecationWarning, message="invalid escape sequence")


def parse_batch(batch: Sequence[SourceFile], max_bytes: int, salt: str, keep_text: bool) -> ParsedBatch:
    """Parse every file of a batch; a failure costs one file, never the batch. The cyclic GC
    stays paused for the whole batch (re-enabling it after each file let it rescan what the
    process holds once per file)."""
    started = time.perf_counter()
    with paused_gc():
        out = _parse_batch(batch, max_bytes, salt, keep_text)
    out.seconds = time.perf_counter() - started
    return out


def _parse_batch(batch: Sequence[SourceFile], max_bytes: int, salt: str, keep_text: bool) -> ParsedBatch:
    out = ParsedBatch()
    for src in batch:
        try:
            parsed = parse_file(src, max_bytes=max_bytes, fingerprint_salt=salt, keep_text=keep_text)
        except Exception as exc:  # a bug or interpreter fault must cost one file, not the batch
            log.exception("unexpected failure parsing %s", src.relpath)
            parsed = FileError(src.relpath, ErrorKind.WORKER, f"unexpected {type(exc).__name__}: {exc}")
        if isinstance(parsed, FileError):
            out.errors.append(parsed)
        else:
            out.parsed.append(parsed)
    return out


class Worker:
    """A worker's graph store and embedder, and the database side of a batch."""

    def __init__(self, config: WorkerConfig, store: GraphStore | None = None) -> None:
        from indexer.store import GraphStore

        self.config = config
        self._owns_store = store is None
        self.store = GraphStore(config.settings) if store is None else store
        self._embedder: Embedder | None = None
        self._embedder_lock = threading.Lock()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    @property
    def embedder(self) -> Embedder | None:
        embed = self.config.settings.embed
        if embed.mode == "none":
            return None
        with self._embedder_lock:
            if self._embedder is None:
                from indexer.embed import make_embedder

                self._embedder = make_embedder(embed)
            return self._embedder

    # -- tasks -----------------------------------------------------------------------------
    def index_batch(self, batch: Sequence[SourceFile]) -> BatchResult:
        settings = self.config.settings
        parsed = parse_batch(batch, settings.max_file_bytes, self.config.salt, settings.embed.mode != "none")
        return self.write_batch(parsed)

    def write_batch(self, batch: ParsedBatch) -> BatchResult:
        """Write the files of a parsed batch whose stored fingerprint differs, in one transaction."""
        from indexer import tokens, write
        from indexer.store import DatabaseError

        result = BatchResult(errors=list(batch.errors))
        parsed = batch.parsed
        if not parsed:
            result.counters.parse_seconds += batch.seconds
            return result
        store = self.store.child()
        c = store.counters
        c.parse_seconds += batch.seconds
        started = time.perf_counter()
        try:
            stored = store.stored_fingerprints([p.facts.module_id for p in parsed])
            fresh = [p for p in parsed if stored.get(p.facts.module_id) != p.fingerprint]
            counting = time.perf_counter()
            for p in fresh:
                tokens.count_nodes(p)
            fresh = self._embed(fresh, result)
            changed = [p.relpath for p in fresh if p.facts.module_id in stored]  # (a file that failed keeps its graph)
            counted = time.perf_counter() - counting
            c.tokens_seconds += counted
            nodes = [n for p in fresh for n in p.nodes]
            defines = [e for p in fresh for e in p.defines]

            def replace(tx: neo4j.ManagedTransaction, gone: list[str]) -> int:
                """Delete what is stored of these files, then CREATE their nodes and edges."""
                if gone:
                    write.tx_delete_paths(tx, gone)
                write.tx_write_nodes(tx, nodes, create=True)
                return write.tx_write_edges(tx, defines, create=True)

            matched = 0
            if fresh:  # a later attempt deletes every file of the batch: the first may have committed
                matched = store.write_first_then_safe(
                    f"writing {len(fresh)} files ({fresh[0].relpath} ...)",
                    lambda tx: replace(tx, changed), lambda tx: replace(tx, [p.relpath for p in fresh]))
        except DatabaseError as exc:
            c.write_seconds += time.perf_counter() - started
            c.connection_failures += 1
            result.errors.extend(FileError(p.relpath, ErrorKind.WRITE, str(exc)) for p in parsed)
            result.counters = c
            return result
        c.write_seconds += time.perf_counter() - started - counted
        written = {p.relpath for p in fresh}
        c.nodes_written += len(nodes)
        c.edges_written += matched
        c.edges_dangling += len(defines) - matched
        c.files_indexed += len(written)
        same = [p for p in parsed if p.relpath not in written and stored.get(p.facts.module_id) == p.fingerprint]
        c.files_unchanged += len(same)  # (not a file that failed: its error is counted)
        unchanged = {p.relpath for p in same}
        kept = [p for p in parsed if p.relpath in written or p.relpath in unchanged]
        result.facts = [p.facts for p in kept]
        result.written = sorted(p.facts.module_id for p in fresh)
        c.lines += sum(len(p.lines) for p in kept)
        result.counters = c
        return result

    def _embed(self, fresh: list[ParsedFile], result: BatchResult) -> list[ParsedFile]:
        embedder = self.embedder
        if embedder is None:
            return fresh
        from indexer.embed import EmbeddingError

        ok: list[ParsedFile] = []
        for p in fresh:
            targets = [n for n in p.nodes if n.id in p.chunks]
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

    def write_edges_again(self, task: Sequence[EdgeBatch]) -> Counters:
        """`write_edges` for a task that may have run elsewhere already: MERGE, never CREATE."""
        return self.write_edges([EdgeBatch(b.edges, False) for b in task])

    def write_edges(self, task: Sequence[EdgeBatch]) -> Counters:
        """Write batches of resolved edges, one after another."""
        store = self.store.child()
        started = time.perf_counter()
        for batch in task:
            matched = store.write_edges(batch.edges, create=batch.create)
            store.counters.edges_written += matched
            store.counters.edges_dangling += len(batch.edges) - matched
        store.counters.edges_seconds += time.perf_counter() - started
        return store.counters


# -- worker processes -----------------------------------------------------------------------------
# A process pool can only run module-level functions, and its initializer can only leave state
# in the process: each worker process keeps its one Worker here (Dask workers keep theirs on a
# worker plugin instead: `indexer.cluster`).
_process_worker: Worker | None = None


def new_worker(config: WorkerConfig) -> Worker:
    """A worker of a separate process (a pool's or a Dask cluster's): its own store and driver."""
    log_like_parent(config)
    quiet_syntax_warnings()
    return Worker(config)


def start_process_worker(config: WorkerConfig) -> None:
    """The initializer of a worker process: its one Worker, closed when the process exits."""
    global _process_worker
    _process_worker = new_worker(config)
    try:
        import multiprocessing.util as mp_util

        mp_util.Finalize(None, _process_worker.close, exitpriority=10)
    except ImportError:  # pragma: no cover
        pass


def _current() -> Worker:
    if _process_worker is None:
        raise RuntimeError("worker task run before start_process_worker")
    return _process_worker


def index_batch_in_process(batch: Sequence[SourceFile]) -> BatchResult:
    return _current().index_batch(batch)
