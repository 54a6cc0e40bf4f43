"""`--mode dask`: the process workers' tasks on a Dask cluster, through its executor.

Dask's distributed scheduler exposes a standard `concurrent.futures.Executor`
(`Client.get_executor()`), which `pool.ProcessingPoolManager` drives like any other. Each Dask
worker process builds its state (a `worker.Worker`: one driver) once, in a worker plugin set
up when the worker joins and torn down when it leaves, exactly as a process-pool worker builds
it in its initializer; tasks find it on the plugin (`DaskCluster.task`), so nothing lives in a
module global and two runs can share a cluster. The plugin has a name of its own per run.
The settings travel inside the plugin, so the database credentials never appear in task
names, task arguments or logs (they do reach the scheduler, which keeps plugins for workers
that join later: use TLS between cluster and client on a shared network).

Without a scheduler address, a `LocalCluster` of worker processes on this machine (bound to
127.0.0.1, no dashboard) stands in, so the mode runs and is measured here. Imported only for
`--mode dask`: `distributed` is the optional `dask` extra.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from types import TracebackType
from typing import Any

from indexer.config import ConfigError
from indexer.pool import ClusterUnreachable
from indexer.redact import redact_uri

try:
    from distributed import Client, LocalCluster, WorkerPlugin
    from distributed.comm.core import CommClosedError
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ConfigError(f"--mode dask needs the 'dask' extra ({exc}): pip install 'codegraph[dask]'") from None

log = logging.getLogger(__name__)
REGISTER_ATTEMPTS = 3  # a worker that dies while the plugin is sent to it breaks the send: try again


class WorkerSetupFailed(RuntimeError):
    """The workers could not build their state (the pool's initializer raised on them)."""


class _WorkerState(WorkerPlugin):  # type: ignore[misc]
    """Builds a worker's state when a Dask worker joins (`initializer(*initargs)`), and tears it
    down (`finalizer(state)`) when the worker leaves."""

    def __init__(self, initializer: Callable[..., Any], initargs: tuple[Any, ...],
                 finalizer: Callable[[Any], None] | None) -> None:
        self.initializer, self.initargs, self.finalizer = initializer, initargs, finalizer
        self.state: Any = None

    def setup(self, worker: Any) -> None:
        self.state = self.initializer(*self.initargs)

    def teardown(self, worker: Any) -> None:
        state, self.state = self.state, None
        if self.finalizer is not None and state is not None:
            self.finalizer(state)


def _on_worker(plugin: str, method: str, task: Any) -> Any:
    """A task on a Dask worker: `method` of the state its plugin built."""
    from distributed import get_worker

    state = getattr(get_worker().plugins[plugin], "state", None)
    if state is None:
        raise RuntimeError(f"dask worker without codegraph state (plugin {plugin} not set up)")
    return getattr(state, method)(task)


class DaskCluster:
    """A Dask client (and, without a scheduler address, a LocalCluster) and its executor."""

    def __init__(self, workers: int, scheduler: str | None, *, initializer: Callable[..., Any],
                 initargs: tuple[Any, ...] = (), finalizer: Callable[[Any], None] | None = None,
                 connect_timeout: float = 30.0) -> None:
        self.workers, self.scheduler, self.connect_timeout = workers, scheduler, connect_timeout
        self.plugin = _WorkerState(initializer, initargs, finalizer)
        self.name = f"codegraph-worker-{uuid.uuid4().hex[:12]}"
        self.cluster: LocalCluster | None = None
        self.client: Client | None = None

    def start(self) -> Executor:
        if self.scheduler:
            log.info("dask: connecting to the scheduler at %s", self.scheduler)
            try:
                self.client = Client(self.scheduler, timeout=self.connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ClusterUnreachable(
                    f"cannot reach the Dask scheduler at {redact_uri(self.scheduler)} ({exc}); is it running? "
                    "check --scheduler / DASK_SCHEDULER_ADDRESS, or leave it out for a local cluster") from None
        else:
            log.info("dask: starting a LocalCluster of %d worker processes on 127.0.0.1", self.workers)
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        for attempt in range(1, REGISTER_ATTEMPTS + 1):
            try:
                self.client.register_plugin(self.plugin, name=self.name)
                break
            except (OSError, CommClosedError) as exc:  # a worker went away mid-send; its replacement gets it
                if attempt == REGISTER_ATTEMPTS:
                    raise
                log.warning("dask: sending the worker plugin failed (%s); trying again", exc)
                time.sleep(0.5 * attempt)
            except Exception as exc:  # the plugin's setup raised on a worker: the initializer failed there
                raise WorkerSetupFailed(f"a dask worker could not start: {type(exc).__name__}: {exc}") from exc
        return self.client.get_executor()

    def task(self, method: str) -> Callable[[Any], Any]:
        """A picklable function that runs `method` of each Dask worker's state on a task."""
        return functools.partial(_on_worker, self.name, method)

    @property
    def worker_count(self) -> int:
        return len(self.client.scheduler_info().get("workers", {})) if self.client else 0

    def close(self) -> None:
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        try:
            if client is not None:
                if cluster is None:  # a shared cluster: take our state off its workers, leave them running
                    client.unregister_worker_plugin(self.name)
                client.close(timeout=10)
        except Exception as exc:  # closing must not hide what stopped the run
            log.warning("dask: closing the client failed (%s: %s)", type(exc).__name__, exc)
        finally:
            if cluster is not None:
                cluster.close(timeout=20)

    def __enter__(self) -> DaskCluster:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
