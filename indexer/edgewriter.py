"""Write the resolved edges: while resolution runs, then what is left.

Resolution is client CPU and writing edges is database work, so a run with workers overlaps
them: `EdgeWriter.stream` takes the edges resolution hands over as it finds them and keeps
one write task in a worker at a time (one writer, so no two transactions add edges around the
same nodes), while this process goes on solving. When resolution ends, `finish` writes what
is left (the last edges found, IMPORTS, INHERITS) with the staged plan of `edgeplan`, in
parallel. Sequential runs do not stream: they write everything after resolution, one task
after another.

Where the writers are threads of this process (thread, process and interpreter modes), they
share the GIL with the solver: `streaming` shortens the interpreter's switch interval while
resolution runs, so a writer whose reply has come back gets the GIL within 0.2 ms, not 5.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager

from indexer import edgeplan, runtime
from indexer.model import Counters, Edge
from indexer.store import DatabaseError
from indexer.workforce import Workforce

log = logging.getLogger(__name__)

#: Seconds a thread holds the GIL while another waits for it, while resolution streams edges to
#: writer threads (the interpreter's default is 0.005). Process mode, stdlib, 2 interleaved
#: rounds: the edges left after resolution took 2.5 s at 0.0002 against 3.2-4.0 s at 0.005.
SWITCH_INTERVAL = 0.0002


class EdgeWriter:
    def __init__(self, team: Workforce, written: set[str], batch: int) -> None:
        self.team, self.written, self.batch = team, written, batch
        self.counters = Counters()
        self.failed: list[str] = []
        self.pending: list[Edge] = []
        self.running: Future[Counters] | None = None
        self.streamed = 0

    @contextmanager
    def streaming(self) -> Iterator[Callable[[list[Edge]], None] | None]:
        """What resolution hands its edges to as it finds them: `stream`, or None in a
        sequential run (its edges are written after). The switch interval is shortened for as
        long when threads of this process write them, and restored after."""
        if self.team.mode == runtime.SEQUENTIAL:
            yield None
            return
        previous = sys.getswitchinterval()  # (process-wide: one run at a time shortens it)
        try:
            if self.team.threads_write_edges:
                sys.setswitchinterval(min(previous, SWITCH_INTERVAL))
            yield self.stream
        finally:
            sys.setswitchinterval(previous)

    def stream(self, edges: list[Edge]) -> None:
        """Edges found so far: written by one worker while resolution goes on."""
        self.pending.extend(edges)
        if self.running is not None:
            if not self.running.done():
                return
            self._collect(self.running)
            self.running = None
        if len(self.pending) >= self.batch:  # a task of one batch or more: smaller ones cost more per edge
            task, self.pending = edgeplan.batches(self.pending, self.written, self.batch), []
            self.streamed += sum(len(b.edges) for b in task)
            self.running = self.team.submit_edges(task)

    def finish(self, rest: Sequence[Edge]) -> Counters:
        """Wait for the streamed task, then write the pending and remaining edges in stages;
        the counters of every edge write. Raises DatabaseError when some could not be written."""
        if self.running is not None:
            self._collect(self.running)
            self.running = None
        edges = [*self.pending, *rest]
        self.pending = []
        stages = edgeplan.plan(edges, self.written, self.batch, self.team.workers)
        log.info("wrote %d edges during resolution; writing %d more in %d stage(s)", self.streamed, len(edges),
                 len(stages))
        for tasks in stages:
            for _, out in self.team.write_edges(tasks):
                if isinstance(out, BaseException):
                    self._failure(out)
                else:
                    self.counters.merge(out)
        if self.failed:
            raise DatabaseError(f"{len(self.failed)} edge write task(s) failed ({self.failed[0]}); run the same "
                                "command again to finish")
        return self.counters

    def _collect(self, future: Future[Counters]) -> None:
        try:
            self.counters.merge(future.result())
        except Exception as exc:  # isolated: the run goes on, and says so at the end
            self._failure(exc)

    def _failure(self, exc: BaseException) -> None:
        if isinstance(exc, DatabaseError):
            self.counters.connection_failures += 1
        self.failed.append(f"{type(exc).__name__}: {exc}")
        log.error("an edge write task failed: %s: %s", type(exc).__name__, exc)
