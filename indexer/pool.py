"""ProcessingPoolManager: run one function over a list of tasks with the chosen executor.

- Per-task exceptions are isolated: they come back as values, the run goes on.
- A broken pool — a worker process killed, or a worker initializer that raised, in any kind
  of pool — falls back to running the unfinished tasks sequentially in this process (with
  the `local` function), with the reason logged and kept in `fallback_reason`.
- KeyboardInterrupt cancels pending work, stops worker processes, and propagates.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Generic, TypeVar

from indexer.runtime import DASK, INTERPRETER, PROCESS, SEQUENTIAL, THREAD

try:  # 3.14+
    from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the interpreter
    InterpreterPoolExecutor = None

try:
    from concurrent.futures import BrokenExecutor
except ImportError:  # pragma: no cover
    BrokenExecutor = BrokenProcessPool  # type: ignore[misc,assignment]

log = logging.getLogger(__name__)


class ClusterUnreachable(RuntimeError):
    """The Dask scheduler asked for cannot be reached (here, not in `indexer.cluster`: the command
    line catches it without importing Dask)."""


THREAD_GRACE = 5.0  # seconds running thread tasks get to finish after an interrupt
T = TypeVar("T")
R = TypeVar("R")


def _child_init(initializer: Callable[..., Any] | None, initargs: tuple[Any, ...]) -> None:
    # Ctrl+C reaches the whole process group; only the parent handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


def _ready() -> None:
    """A task that only proves its worker has started."""


class ProcessingPoolManager(Generic[T, R]):
    def __init__(self, mode: str, workers: int, *, initializer: Callable[..., Any] | None = None,
                 initargs: tuple[Any, ...] = (), finalizer: Callable[[Any], None] | None = None,
                 scheduler: str | None = None, purpose: str = "") -> None:
        """`purpose`: what the pool is for, when not all of a run's work (for its log line)."""
        if mode not in (SEQUENTIAL, THREAD, PROCESS, INTERPRETER, DASK):
            raise ValueError(f"unknown execution mode {mode!r}")
        if mode == INTERPRETER and InterpreterPoolExecutor is None:
            raise ValueError("the interpreter mode needs concurrent.futures.InterpreterPoolExecutor (Python 3.14+)")
        self.mode = mode
        self.workers = 1 if mode == SEQUENTIAL else max(1, workers)
        self.initializer = initializer
        self.initargs = initargs
        self.finalizer = finalizer
        self.scheduler = scheduler
        self.executor: Executor | None = None
        self.cluster: Any = None  # dask: the DaskCluster the executor belongs to
        self.fallback_reason: str | None = None
        self.stragglers = 0  # worker threads still running after an interrupt
        log.info("executor: %s with %d worker%s%s", mode, self.workers, "" if self.workers == 1 else "s",
                 f" ({purpose})" if purpose else "")

    def __enter__(self) -> ProcessingPoolManager[T, R]:
        if self.mode == THREAD:
            self.executor = ThreadPoolExecutor(self.workers, thread_name_prefix="codegraph",
                                               initializer=self.initializer, initargs=self.initargs)
        elif self.mode == PROCESS:
            self.executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_child_init,
                                                initargs=(self.initializer, self.initargs))
        elif self.mode == INTERPRETER:
            self.executor = InterpreterPoolExecutor(self.workers, initializer=self.initializer,
                                                    initargs=self.initargs)
        elif self.mode == DASK:  # the initializer builds each Dask worker's state; finalizer(state) ends it
            from indexer.cluster import DaskCluster, WorkerSetupFailed

            if self.initializer is None:
                raise ValueError("the dask mode needs an initializer that builds each worker's state")
            self.cluster = DaskCluster(self.workers, self.scheduler, initializer=self.initializer,
                                       initargs=self.initargs, finalizer=self.finalizer)
            try:
                self.executor = self.cluster.start()
            except WorkerSetupFailed as exc:  # as a broken pool: the work is done here instead
                self.cluster.close()
                self.cluster = None
                self.fallback_reason = f"{type(exc).__name__}: {exc}"
                log.error("the dask pool broke (%s); running the tasks sequentially in this process", exc)
            except BaseException:
                self.cluster.close()
                raise
        elif self.initializer is not None:
            self.initializer(*self.initargs)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown(interrupted=exc_type is not None and issubclass(exc_type, (KeyboardInterrupt, SystemExit)))

    def shutdown(self, interrupted: bool = False) -> None:
        executor, self.executor = self.executor, None
        cluster, self.cluster = self.cluster, None
        if executor is None:
            return
        if cluster is not None:  # dask: cancel what is pending, then close the client (and a LocalCluster)
            try:
                executor.shutdown(wait=not interrupted)  # wait=False cancels its futures
            finally:
                cluster.close()
            return
        if not interrupted:
            try:
                executor.shutdown(wait=True)
                return
            except BaseException:  # interrupted while waiting (in the middle of a run: files_done)
                _stop(executor)
                raise
        _stop(executor)
        if isinstance(executor, ThreadPoolExecutor):  # threads cannot be killed: let their task end
            deadline = time.monotonic() + THREAD_GRACE
            threads = list(getattr(executor, "_threads", ()))
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            self.stragglers = sum(1 for t in threads if t.is_alive())

    def start_workers(self) -> None:
        """Wait until each worker of a process or interpreter pool has started (imports and
        initializer done), so a run's timeline shows start-up as its own phase. A pool that
        breaks here is handled by the next `map_unordered`."""
        if self.executor is None or self.mode not in (PROCESS, INTERPRETER, DASK):
            return
        try:
            futures = [self.executor.submit(_ready) for _ in range(self.workers)]
            for future in futures:
                future.exception()
        except BrokenExecutor:
            pass

    def remote(self, method: str) -> Callable[[T], R]:
        """dask: a task function that calls `method` of the state each worker's initializer built."""
        if self.cluster is None:
            raise RuntimeError("remote() needs a started dask pool")
        task: Callable[[T], R] = self.cluster.task(method)
        return task

    def submit(self, fn: Callable[[T], R], task: T, *, local: Callable[[T], R] | None = None) -> Future[R]:
        """One task: in the pool, or at once in this process when there is none (sequential:
        `fn`; after the pool broke: `local`, default `fn`)."""
        if self.executor is not None:
            try:
                return self.executor.submit(fn, task)
            except BrokenExecutor as exc:
                self.fallback_reason = f"{type(exc).__name__}: {exc}"
                log.error("the %s pool broke (%s); running the rest in this process", self.mode, exc)
                self.shutdown(interrupted=True)
        here = (local or fn) if self.fallback_reason else fn
        future: Future[R] = Future()
        try:
            future.set_result(here(task))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T], *, local: Callable[[T], R] | None = None
                      ) -> Iterator[tuple[int, R | BaseException]]:
        """Yield (task index, result or the exception it raised) as tasks finish.

        `fn` runs in the pool's workers (in this process for the sequential mode); `local`
        (default `fn`) runs the tasks left when the pool breaks, here.
        """
        here = local or fn
        if self.executor is None:  # sequential by design runs `fn`; after a break, `local`
            yield from self._sequential(here if self.fallback_reason else fn, tasks, range(len(tasks)))
            return
        futures: dict[Future[R], int] = {}
        done: set[int] = set()
        try:
            for i, task in enumerate(tasks):
                futures[self.executor.submit(fn, task)] = i
            for future in as_completed(futures):
                index = futures[future]
                try:
                    result: R | BaseException = future.result()
                except BrokenExecutor:
                    raise
                except Exception as exc:  # isolated per task
                    result = self._again_here(local, tasks[index], exc) if self.mode == DASK and local else exc
                done.add(index)
                yield index, result
        except BrokenExecutor as exc:
            self.fallback_reason = f"{type(exc).__name__}: {exc}"
            log.error("the %s pool broke (%s); finishing the remaining %d tasks sequentially in this process:\n%s",
                      self.mode, self.fallback_reason, len(tasks) - len(done), traceback.format_exc())
            self.shutdown(interrupted=True)
            remaining = [i for i in range(len(tasks)) if i not in done]
            yield from self._sequential(here, tasks, remaining)
        except BaseException:
            for future in futures:
                future.cancel()
            raise

    @staticmethod
    def _again_here(local: Callable[[T], R], task: T, exc: Exception) -> R | BaseException:
        """A task that failed on a Dask cluster, run once more here (tasks are idempotent).
        When a worker is lost just after finishing a task, distributed's executor can fail the
        task with a TypeError (it reads the future's status after its result, and unpacks the
        result as an error): the run recorded the batch's files as failed, though written, and
        resolved without their facts."""
        log.warning("dask: a task failed on the cluster (%s: %s); running it again in this process",
                    type(exc).__name__, exc)
        try:
            return local(task)
        except Exception as again:
            return again

    @staticmethod
    def _sequential(fn: Callable[[T], R], tasks: Sequence[T], indexes: Sequence[int] | range
                    ) -> Iterator[tuple[int, R | BaseException]]:
        for i in indexes:
            try:
                result: R | BaseException = fn(tasks[i])
            except Exception as exc:
                result = exc
            yield i, result


def _stop(executor: Executor) -> None:
    """Cancel what has not started. Worker processes finish the task they are running (a batch
    of files: seconds at most) and exit; terminating them under the executor made a run's exit
    hang once in six fresh-clone CI runs (its manager thread), so they are not killed."""
    executor.shutdown(wait=False, cancel_futures=True)
