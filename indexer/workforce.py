"""Who does a run's work in each execution mode: the pools and what runs in them.

- sequential, thread: this process's `Worker` (threads share its driver);
- process: worker processes, each with a `Worker` of its own (`worker.start_process_worker`),
  parse and write the files; once every file is written they are let go (`files_done`), so
  their memory is free before resolution, and threads of this process write the edges;
- dask: the same tasks on a Dask cluster's worker processes (`cluster`), edges included;
- interpreter: subinterpreters parse (stdlib-only code: tiktoken, numpy and the neo4j Rust
  extension cannot load there), and threads of this interpreter count tokens and write — as
  the parse results arrive, so both run at once. Edges are written by those threads too.

Every pool falls back to this process when it breaks (`pool.ProcessingPoolManager`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from types import TracebackType
from typing import Any

from indexer import runtime
from indexer.model import BatchResult, Counters, EdgeBatch, ParsedBatch, SourceFile
from indexer.pool import ProcessingPoolManager
from indexer.worker import (
    Worker,
    WorkerConfig,
    index_batch_in_process,
    new_worker,
    parse_batch,
    quiet_syntax_warnings,
    start_process_worker,
)

Outcome = tuple[int, Any]  # (task index, its result or the exception it raised)


class Workforce:
    def __init__(self, mode: str, workers: int, config: WorkerConfig, local: Worker) -> None:
        self.mode, self.local, self.config = mode, local, config
        self.writers: ProcessingPoolManager[Any, Any] | None = None
        self.released = False  # files_done() let the worker processes go
        if mode == runtime.PROCESS:
            self.pool = ProcessingPoolManager[Any, Any](mode, workers, initializer=start_process_worker,
                                                        initargs=(config,), purpose="parsing and writing files")
            self.writers = ProcessingPoolManager[Any, Any](runtime.THREAD, workers, purpose="writing edges")
        elif mode == runtime.DASK:  # each Dask worker keeps a Worker on its plugin
            self.pool = ProcessingPoolManager[Any, Any](mode, workers, initializer=new_worker, initargs=(config,),
                                                        finalizer=Worker.close, scheduler=config.settings.scheduler)
        elif mode == runtime.INTERPRETER:
            self.pool = ProcessingPoolManager[Any, Any](mode, workers, initializer=quiet_syntax_warnings,
                                                        purpose="parsing")
            self.writers = ProcessingPoolManager[Any, Any](runtime.THREAD, workers, purpose="writing")
        else:
            self.pool = ProcessingPoolManager[Any, Any](mode, workers)

    @property
    def workers(self) -> int:
        return self.pool.workers

    @property
    def separate(self) -> bool:
        """Workers that are not threads of this process, and take a moment to start."""
        return self.mode in (runtime.PROCESS, runtime.INTERPRETER, runtime.DASK)

    @property
    def threads_write_edges(self) -> bool:
        """Edges are written by threads of this process (that resolution shares the GIL with)."""
        return self.writers is not None or self.mode == runtime.THREAD

    @property
    def fallback_reason(self) -> str | None:
        return self.pool.fallback_reason or (self.writers.fallback_reason if self.writers else None)

    @property
    def stragglers(self) -> int:
        return self.pool.stragglers + (self.writers.stragglers if self.writers else 0)

    def __enter__(self) -> Workforce:
        self.pool.__enter__()
        if self.writers:
            self.writers.__enter__()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self.writers:
                self.writers.__exit__(t, e, tb)
        finally:
            self.pool.__exit__(t, e, tb)

    def start_workers(self) -> None:
        self.pool.start_workers()

    def _task(self, method: str) -> Callable[[Any], Any]:
        """What the pool's workers run for the Worker's `method`: a method of the Worker on each
        Dask worker's plugin, else our Worker's (threads, or this process after a pool broke)."""
        if self.mode == runtime.DASK and self.pool.cluster is not None:  # (None: it broke at start)
            return self.pool.remote(method)
        return getattr(self.local, method)  # type: ignore[no-any-return]

    # -- work ----------------------------------------------------------------------------------
    def index(self, batches: Sequence[Sequence[SourceFile]]) -> Iterator[Outcome]:
        """Parse and write each batch; yields (batch index, BatchResult or exception)."""
        if self.released:
            raise RuntimeError("files_done() let the worker processes go: no more files can be indexed")
        if self.mode != runtime.INTERPRETER or self.writers is None:
            # worker processes run a module-level function: their Worker is a process global
            remote = index_batch_in_process if self.mode == runtime.PROCESS else self._task("index_batch")
            yield from self.pool.map_unordered(remote, batches, local=self.local.index_batch)
            return
        settings = self.config.settings
        parse = functools.partial(parse_batch, max_bytes=settings.max_file_bytes, salt=self.config.salt,
                                  keep_text=settings.embed.mode != "none")
        writing: dict[int, Future[BatchResult]] = {}
        for index, parsed in self.pool.map_unordered(parse, batches):
            if isinstance(parsed, BaseException):
                yield index, parsed
                continue
            assert isinstance(parsed, ParsedBatch)
            writing[index] = self.writers.submit(self.local.write_batch, parsed)
            yield from self._finished(writing)
        yield from self._finished(writing, wait=True)

    @staticmethod
    def _finished(writing: dict[int, Future[BatchResult]], wait: bool = False) -> Iterator[Outcome]:
        for index in [i for i, f in writing.items() if wait or f.done()]:
            future = writing.pop(index)
            try:
                yield index, future.result()
            except Exception as exc:  # isolated per batch, as in the pools
                yield index, exc

    def files_done(self) -> None:
        """Every file is written: worker processes exit, freeing their memory (about 140 MiB
        each on the stdlib) before resolution needs this process's; threads write the edges."""
        if self.mode == runtime.PROCESS:
            self.released = True
            self.pool.shutdown()

    def _edge_task(self) -> tuple[ProcessingPoolManager[Any, Any], Callable[[Any], Any]]:
        """The pool that writes edges, and what its workers run."""
        if self.writers is not None:
            return self.writers, self.local.write_edges
        return self.pool, self._task("write_edges")

    def write_edges(self, tasks: Sequence[Sequence[EdgeBatch]]) -> Iterator[Outcome]:
        """Write tasks of edge batches; yields (task index, Counters or exception)."""
        pool, remote = self._edge_task()
        # a task run here after a pool broke may have committed there first: MERGE only
        yield from pool.map_unordered(remote, [self._safe(t) for t in tasks], local=self.local.write_edges_again)

    def submit_edges(self, task: Sequence[EdgeBatch]) -> Future[Counters]:
        """One task of edge batches, started now in a worker (at once here in sequential mode)."""
        pool, remote = self._edge_task()
        return pool.submit(remote, self._safe(task), local=self.local.write_edges_again)

    def _safe(self, task: Sequence[EdgeBatch]) -> Sequence[EdgeBatch]:
        if self.mode == runtime.DASK:  # the cluster may run a task twice (a lost worker): nothing may be CREATEd
            return [EdgeBatch(b.edges, False) for b in task]
        return task

