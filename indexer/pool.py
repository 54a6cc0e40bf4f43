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

from indexer.runtime import INTERPRETER, PROCESS, SEQUENTIAL, THREAD

try:  # 3.14+
    from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the interpreter
    InterpreterPoolExecutor = None

try:
    from concurrent.futures import BrokenExecutor
except ImportError:  # pragma: no cover
    BrokenExecutor = BrokenProcessPool  # type: ignore[misc,assignment]

log = logging.getLogger(__name__)
THREAD_GRACE = 5.0  # seconds running thread tasks get to finish after an interrupt
T = TypeVar("T")
R = TypeVar("R")


def _child_init(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    # Ctrl+C reaches the whole process group; only the parent handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


class ProcessingPoolManager(Generic[T, R]):
    def __init__(self, mode: str, workers: int, *, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        if mode not in (SEQUENTIAL, THREAD, PROCESS, INTERPRETER):
            raise ValueError(f"unknown execution mode {mode!r}")
        if mode == INTERPRETER and InterpreterPoolExecutor is None:
            raise ValueError("the interpreter mode needs concurrent.futures.InterpreterPoolExecutor (Python 3.14+)")
        self.mode = mode
        self.workers = 1 if mode == SEQUENTIAL else max(1, workers)
        self.initializer = initializer
        self.initargs = initargs
        self.executor: Executor | None = None
        self.fallback_reason: str | None = None
        self.stragglers = 0  # worker threads still running after an interrupt
        log.info("executor: %s with %d worker%s", mode, self.workers, "" if self.workers == 1 else "s")

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
        elif self.initializer is not None:
            self.initializer(*self.initargs)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown(interrupted=exc_type is not None and issubclass(exc_type, (KeyboardInterrupt, SystemExit)))

    def shutdown(self, interrupted: bool = False) -> None:
        executor, self.executor = self.executor, None
        if executor is None:
            return
        if not interrupted:
            executor.shutdown(wait=True)
            return
        executor.shutdown(wait=False, cancel_futures=True)
        if isinstance(executor, ProcessPoolExecutor):
            _stop_processes(executor)
        elif isinstance(executor, ThreadPoolExecutor):  # threads cannot be killed: let their task end
            deadline = time.monotonic() + THREAD_GRACE
            threads = list(getattr(executor, "_threads", ()))
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            self.stragglers = sum(1 for t in threads if t.is_alive())

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T], *, local: Callable[[T], R] | None = None
                      ) -> Iterator[tuple[int, R | BaseException]]:
        """Yield (task index, result or the exception it raised) as tasks finish.

        `fn` runs in the pool's workers; `local` (default `fn`) runs tasks in this process:
        always in sequential mode, and for the rest of the tasks when the pool breaks.
        """
        here = local or fn
        if self.executor is None:
            yield from self._sequential(here, tasks, range(len(tasks)))
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
                    result = exc
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
    def _sequential(fn: Callable[[T], R], tasks: Sequence[T], indexes: Sequence[int] | range
                    ) -> Iterator[tuple[int, R | BaseException]]:
        for i in indexes:
            try:
                result: R | BaseException = fn(tasks[i])
            except Exception as exc:
                result = exc
            yield i, result


def _stop_processes(executor: ProcessPoolExecutor) -> None:
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=2)
