from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from indexer.pool import ProcessingPoolManager


def square_or_fail(x: int) -> int:
    if x == 3:
        raise ValueError("three is bad")
    return x * x


def die_on_five(x: int) -> int:
    if x == 5 and os.environ.get("CODEGRAPH_TEST_IN_CHILD") == "1":
        os._exit(13)  # a crashed worker process breaks the pool
    return x + 100


def mark_child() -> None:
    os.environ["CODEGRAPH_TEST_IN_CHILD"] = "1"


@pytest.mark.parametrize(("mode", "workers"), [("sequential", 1), ("thread", 3), ("process", 2)])
def test_results_and_isolated_exceptions(mode: str, workers: int) -> None:
    with ProcessingPoolManager(mode, workers) as pool:
        out = dict(pool.map_unordered(square_or_fail, list(range(6))))
    assert {i: v for i, v in out.items() if not isinstance(v, Exception)} == {0: 0, 1: 1, 2: 4, 4: 16, 5: 25}
    assert isinstance(out[3], ValueError) and str(out[3]) == "three is bad"


def test_broken_process_pool_falls_back_to_sequential() -> None:
    tasks = list(range(8))
    with ProcessingPoolManager("process", 2, initializer=mark_child) as pool:
        out = dict(pool.map_unordered(die_on_five, tasks))
        assert pool.fallback_reason is not None and "BrokenProcessPool" in pool.fallback_reason
    assert sorted(out) == tasks
    assert all(out[i] == i + 100 for i in tasks)  # every task done once, the crashed one in-process


def test_sequential_runs_initializer_here_and_unknown_mode_fails() -> None:
    calls: list[int] = []
    with ProcessingPoolManager("sequential", 4, initializer=calls.append, initargs=(1,)) as pool:
        assert pool.workers == 1
    assert calls == [1]
    with pytest.raises(ValueError, match="unknown execution mode"):
        ProcessingPoolManager("fibers", 2)


def broken_initializer() -> None:
    raise ImportError("this module does not support loading in subinterpreters")  # what numpy said on 3.14


INTERPRETER_POOL = pytest.mark.skipif(
    sys.version_info < (3, 14),
    reason="InterpreterPoolExecutor needs Python 3.14+ (tested on 3.14 by the tox py314 env and CI)")
DASK = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                          reason="--mode dask needs the 'dask' extra: pip install 'codegraph[dask]'")


@pytest.mark.parametrize("mode", ["thread", "process", pytest.param("interpreter", marks=INTERPRETER_POOL),
                                  pytest.param("dask", marks=DASK)])
def test_a_failing_initializer_finishes_every_task_in_this_process(mode: str) -> None:
    tasks = list(range(6))
    local_calls: list[int] = []

    def local(x: int) -> int:
        local_calls.append(x)
        return x + 100

    with ProcessingPoolManager(mode, 2, initializer=broken_initializer) as pool:
        pool.start_workers()
        out = dict(pool.map_unordered(die_on_five, tasks, local=local))
        assert pool.fallback_reason is not None
        assert "Broken" in pool.fallback_reason or "WorkerSetupFailed" in pool.fallback_reason
    assert out == {i: i + 100 for i in tasks}
    assert sorted(local_calls) == tasks  # every task, once, in this process


def test_the_log_says_what_a_pool_is_for(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="indexer.pool"):
        ProcessingPoolManager("thread", 2, purpose="writing edges")
        ProcessingPoolManager("thread", 1)
    assert [r.getMessage() for r in caplog.records] == ["executor: thread with 2 workers (writing edges)",
                                                        "executor: thread with 1 worker"]


def make_state() -> str:
    return "state"


def fails_on_a_dask_worker(x: int) -> int:
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:  # not on a worker: here
        return x + 100
    raise TypeError("cannot unpack non-iterable BatchResult object")  # what a lost worker's race gave


@DASK
def test_a_task_that_fails_on_the_cluster_runs_again_here() -> None:
    """distributed's executor can fail a task that succeeded when its worker is lost right after:
    tasks are idempotent, so it runs again in this process instead of losing its files."""
    with ProcessingPoolManager("dask", 1, initializer=make_state) as pool:
        pool.start_workers()
        out = dict(pool.map_unordered(fails_on_a_dask_worker, [1, 2, 3], local=fails_on_a_dask_worker))
        assert pool.fallback_reason is None
    assert out == {0: 101, 1: 102, 2: 103}  # (task index: result)
