"""Measure one indexing run in a fresh subprocess of the interpreter under test."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlparse

from codegraph_harness.corpus import Corpus
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.measuring.sampler import Sampler, cpu_seconds
from indexer import graph_stats, redact


class RunFailed(RuntimeError):
    pass


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child_env(db: GraphDB, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured subprocess: this one's, minus inherited indexer settings,
    plus the target database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "EMBED_", "INDEXING_"))}
    env.update(db.env())
    env.update(extra or {})
    return env


def measure_run(db: GraphDB, corpus: Corpus, mode: str, workers: int, *, python: str = sys.executable,
                timeout: float = 3600, digest: bool = True,
                extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Index `corpus` into an empty graph with `mode` x `workers`; return the measured record."""
    with db.fresh() as target:
        return _measure(db, target, corpus, mode, workers, python, timeout, digest, extra_env)


def _measure(db: GraphDB, target: GraphDB, corpus: Corpus, mode: str, workers: int, python: str, timeout: float,
             digest: bool, extra_env: dict[str, str] | None) -> dict[str, Any]:
    env = child_env(target, {"INDEXING_MODE": mode, "MAX_WORKERS": str(workers), "EMBED_MODE": "none",
                             **(extra_env or {})})
    port = urlparse(target.uri).port
    server_cpu_before = cpu_seconds(db.server_pid) if db.server_pid else None
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen([python, "-m", "codegraph_harness.measuring.runner", corpus.path], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid, db.server_pid, port)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RunFailed(f"{mode} x{workers} on {corpus.name} did not finish in {timeout:.0f}s") from None
    finally:
        samples = sampler.stop()
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if proc.returncode != 0:
        raise RunFailed(f"{mode} x{workers} on {corpus.name} exited {proc.returncode}: "
                        f"{redact(err.strip()[-1500:], (target.password,))}")
    summary = json.loads(out.strip().splitlines()[-1])
    graph = None
    if digest:
        with target.store() as store:
            graph = graph_stats(store).to_dict()
    processed = summary["files_indexed"] + summary["files_unchanged"]
    attempted = processed + summary["files_failed"]
    return {
        "corpus": corpus.to_dict(),
        "mode": summary["mode"], "requested_mode": mode, "workers": summary["workers"],
        "python": summary["runtime"],
        "wall_seconds": round(wall, 3), "index_seconds": summary["wall_time"],
        "cpu_seconds": round(cpu, 3),
        "files_per_s": round(processed / summary["wall_time"], 2) if summary["wall_time"] else 0.0,
        "lines_per_s": round(summary["lines"] / summary["wall_time"], 1) if summary["wall_time"] else 0.0,
        "peak_rss": samples.peak_rss,
        "rss_timeline": samples.timeline,
        "server": {**db.describe(), "database": target.database,
                   "cpu_seconds": round(cpu_seconds(db.server_pid) - server_cpu_before, 3)
                   if db.server_pid and server_cpu_before is not None else None,
                   "peak_rss": samples.server_peak_rss or None},
        "connections": {
            "max_open": samples.max_connections, "pool_size": summary["pool_size"],
            "session_wait_p50": summary["session_wait_p50"], "session_wait_p95": summary["session_wait_p95"],
            "session_wait_max": summary["session_wait_max"], "retries": summary["retries"],
            "acquisition_timeouts": summary["acquisition_timeouts"],
            "connection_failures": summary["connection_failures"],
        },
        "files": {"total": summary["files_total"], "indexed": summary["files_indexed"],
                  "failed": summary["files_failed"]},
        "errors_by_type": summary["errors_by_type"],
        "error_rate": round(summary["files_failed"] / attempted, 6) if attempted else 0.0,
        "nodes_written": summary["nodes_written"], "edges_written": summary["edges_written"],
        "edges_dangling": summary["edges_dangling"],
        "graph": graph,
        "gil": {"at_start": summary["gil_enabled_at_start"], "at_end": summary["gil_enabled_at_end"],
                "culprit": summary["gil_culprit"]},
        "warnings": summary["warnings"],
    }
