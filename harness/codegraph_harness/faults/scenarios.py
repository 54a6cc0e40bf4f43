"""Fault scenarios: index through a FaultProxy, inject a fault mid-run, judge the outcome.

The outcome is acceptable when the run either completes with the clean digest, or stops with
a clear error (exit 1, a message naming what failed) and a re-run then completes with the
clean digest. A run that exceeds its time limit is a hang; a completed run with another
digest is data loss (or duplication).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.faults.proxy import FaultProxy
from codegraph_harness.measuring.measure import child_env
from indexer import graph_stats

PROXY_FAULTS = ("latency", "cut", "refuse", "reset")
#: Tight but realistic limits, so a fault resolves (or fails) in seconds, not minutes.
FAULT_ENV = {"NEO4J_CONNECTION_ACQUISITION_TIMEOUT": "5", "NEO4J_MAX_TRANSACTION_RETRY_TIME": "5",
             "WRITE_ATTEMPTS": "8"}


@dataclass
class Outcome:
    fault: str
    mode: str
    exit_code: int | None
    completed: bool
    error: str
    digest_ok: bool | None  # completed runs: digest equals the clean one
    rerun_ok: bool | None  # stopped runs: a re-run gave the clean digest
    hung: bool
    seconds: float
    proxy: dict[str, int]
    hit: bool = False  # the fault was injected while the run was still going

    @property
    def acceptable(self) -> bool:
        if self.hung:
            return False
        if self.completed:
            return bool(self.digest_ok)
        return self.exit_code == 1 and bool(self.error) and bool(self.rerun_ok)

    @property
    def data_lost(self) -> bool:
        return self.completed and self.digest_ok is False

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "acceptable": self.acceptable, "data_lost": self.data_lost}


def index_cmd(root: str, mode: str, workers: int) -> list[str]:
    return [sys.executable, "-m", "indexer", "index", root, "--json", "--mode", mode, "--workers", str(workers)]


def run_index(db: GraphDB, root: str, mode: str, workers: int, timeout: float,
              during: Callable[[subprocess.Popen[str]], None] | None = None) -> tuple[int | None, str, str, bool]:
    env = child_env(db, FAULT_ENV)
    proc = subprocess.Popen(index_cmd(root, mode, workers), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if during is not None:
        during(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return None, out, err, True
    return proc.returncode, out, err, False


def digest(db: GraphDB) -> str:
    with db.store() as store:
        return graph_stats(store).digest


def wait_for_traffic(proxy: FaultProxy, proc: subprocess.Popen[str], after: float, limit: float = 30.0) -> None:
    """Until the run has a connection through the proxy, then `after` seconds more."""
    deadline = time.monotonic() + limit
    while proxy.open_connections == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(after)


def scenario(db: GraphDB, root: str, mode: str, workers: int, fault: str, clean: str, *,
             inject: Callable[[FaultProxy, subprocess.Popen[str]], bool] | None = None,
             upstream_port: int, timeout: float = 240.0,
             after: Callable[[], GraphDB] | None = None) -> Outcome:
    """Index `root` into `db` (an empty graph) through a proxy with `fault` injected.
    `after` gives the database as it is after the fault (e.g. a restarted server). A custom
    `inject` returns whether the run was still going at the moment the fault struck."""
    with FaultProxy(upstream_port) as proxy:
        via = replace(db, uri=f"bolt://127.0.0.1:{proxy.port}")

        hit = False

        def during(proc: subprocess.Popen[str]) -> None:
            nonlocal hit
            if inject is not None:
                hit = inject(proxy, proc)
                return
            wait_for_traffic(proxy, proc, after=0.8)
            if fault == "latency":
                proxy.latency = 0.02
            elif fault == "cut":
                proxy.cut_all()
            elif fault == "refuse":
                proxy.refuse_for(3.0)
            elif fault == "reset":
                proxy.reset_share = 0.3
                proxy.cut_all()  # pooled connections are re-made, and 30% of those are reset
            else:
                raise ValueError(f"unknown fault {fault!r}")
            hit = proc.poll() is None

        started = time.monotonic()
        code, out, err, hung = run_index(via, root, mode, workers, timeout, during)
        seconds = time.monotonic() - started
        stats = dict(proxy.stats)
    completed = code == 0
    error = "" if completed else (err.strip().splitlines() or ["(no message)"])[-1]
    outcome = Outcome(fault, mode, code, completed, error, None, None, hung, round(seconds, 2), stats, hit)
    now = after() if after is not None else db
    if completed:
        outcome.digest_ok = digest(now) == clean
    elif not hung:
        code2, _, err2, hung2 = run_index(now, root, mode, workers, timeout)
        outcome.rerun_ok = code2 == 0 and not hung2 and digest(now) == clean
        if code2 != 0:
            outcome.error += f" | re-run failed: {err2.strip()[-300:]}"
    return outcome


def summary_of(out: str) -> dict[str, Any]:
    return json.loads(out) if out.strip() else {}
