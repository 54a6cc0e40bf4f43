"""Measure one indexing run: the `codegraph index` command in a fresh subprocess of the
interpreter under test, into an empty database, sampled from outside.

The measuring process is never the measured one. A run that does not complete — it crashed,
it timed out, or it could not reach the database — becomes a `FailedRun` with its exit
status and last error line, never an exception: every record counts in the verdict.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

from codegraph_harness.corpus import Corpus
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.measuring.sampler import Sampler, Samples
from codegraph_harness.records import FailedRun, GraphInfo, Phase, RunCounters, RunRecord
from indexer import graph_stats, redact_text

#: Lines of stderr that say the database was the cause of a failed run.
DATABASE_MARKERS = ("cannot reach the graph database", "failed after", "refused the credentials", "ServiceUnavailable",
                    "SessionExpired", "edge batches could not be written")


@dataclass
class RunSpec:
    """What to run: a corpus, an execution mode and its workers, on an interpreter."""

    corpus: Corpus
    mode: str
    workers: int
    interpreter: str
    repeat: int = 0  # -1: a warm-up
    python: str = sys.executable
    digest: bool = True
    timeout: float = 3600.0
    plant: str | None = None  # a regression planted by the self-test (faults.plants)
    env: dict[str, str] = field(default_factory=dict)


def child_env(db: GraphDB, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured subprocess: this one's, minus inherited indexer settings,
    plus the target database."""
    inherited = ("NEO4J_", "EMBED_", "INDEXING_", "CODEGRAPH_PLANT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    env.update(db.env())
    env.update(extra or {})
    return env


def command(spec: RunSpec, *args: str) -> list[str]:
    """`python -m indexer ...`, or through the plants module when a regression is planted."""
    if spec.plant:
        return [spec.python, "-m", "codegraph_harness.faults.plants", *args]
    return [spec.python, "-m", "indexer", *args]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def last_error_line(stderr: str) -> str:
    """The line that says why a run stopped: the command's own `codegraph:` message, else the
    last line that is not routine logging."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("codegraph:"):
            return line[:500]
    plain = [line for line in lines if not line.startswith(("INFO ", "DEBUG ", "WARNING "))]
    return (plain or lines or ["(no message)"])[-1][:500]


def cause_of(stderr: str) -> str:
    return "database" if any(m in stderr for m in DATABASE_MARKERS) else "crash"


def measure_run(db: GraphDB, spec: RunSpec, *, via: GraphDB | None = None) -> RunRecord | FailedRun:
    """Index `spec.corpus` into a fresh database of `db` (reached through `via`, e.g. a fault
    proxy, when given) and return what was measured."""
    with db.fresh() as target:
        reach = target if via is None else replace(via, database=target.database)
        return _measure(db, target, reach, spec)


def _measure(db: GraphDB, target: GraphDB, reach: GraphDB, spec: RunSpec) -> RunRecord | FailedRun:
    env = child_env(reach, {"INDEXING_MODE": spec.mode, "MAX_WORKERS": str(spec.workers), "EMBED_MODE": "none",
                            **({"CODEGRAPH_PLANT": spec.plant} if spec.plant else {}), **spec.env})
    cmd = command(spec, "index", spec.corpus.path, "--json")
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid, db.server_pid, urlparse(reach.uri).port)
    sampler.start()
    timed_out = False
    try:
        out, err = proc.communicate(timeout=spec.timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    except BaseException:  # the bench itself was stopped (Ctrl+C, SIGTERM): leave no run behind
        proc.kill()
        proc.wait()
        raise
    finally:
        samples = sampler.stop()
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    err = redact_text(err, (db.password,))
    summary = _summary(out)
    if timed_out or summary is None:
        return FailedRun(spec.interpreter, spec.corpus, spec.mode, spec.workers, spec.repeat,
                         None if timed_out else proc.returncode,
                         "timeout" if timed_out else cause_of(err),
                         f"did not finish in {spec.timeout:.0f}s" if timed_out else last_error_line(err),
                         round(wall, 3), spec.plant)
    graph = None
    if spec.digest:
        with target.store() as store:
            stats = graph_stats(store)
        graph = GraphInfo(stats.nodes, stats.edges, stats.digest)
    return _record(spec, db, summary, samples, proc.returncode, wall, cpu, graph)


def _summary(out: str) -> dict[str, Any] | None:
    text = out.strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _delta(samples: Samples, a: float, b: float, column: int) -> float | None:
    """How much a cumulative column (3: tree CPU, 4: server CPU) grew between two moments."""
    start, end = samples.at(a, column), samples.at(b, column)
    return None if start is None or end is None else round(end - start, 3)



def _record(spec: RunSpec, db: GraphDB, s: dict[str, Any], samples: Samples, status: int, wall: float, cpu: float,
            graph: GraphInfo | None) -> RunRecord:
    started = float(s["started_at"])
    phases = []
    for p in s["phases"]:
        a, b = started + p["start"], started + p["end"]
        phases.append(Phase(p["name"], p["start"], p["end"], p["cpu"], _delta(samples, a, b, 3),
                            _delta(samples, a, b, 4)))
    first = samples.timeline[0][0] if samples.timeline else started
    timeline = [[round(t - first, 3), r, c, tc, sc] for t, r, c, tc, sc in samples.timeline]
    run_start = round(started - first, 3)
    server_cpu = None
    if db.server_pid and samples.timeline and samples.timeline[0][4] is not None:
        server_cpu = round(samples.timeline[-1][4] - samples.timeline[0][4], 3)
    return RunRecord(
        interpreter=spec.interpreter, corpus=spec.corpus, requested_mode=spec.mode, mode=str(s["mode"]),
        workers=int(s["workers"]), repeat=spec.repeat, reason=str(s["reason"]), exit_status=status,
        wall_seconds=round(wall, 3), index_seconds=float(s["wall_time"]), cpu_seconds=round(cpu, 3),
        server_cpu_seconds=server_cpu, peak_rss=samples.peak_rss,
        server_peak_rss=samples.server_peak_rss or None, max_connections=samples.max_connections,
        pool_size=int(s["pool_size"]), counters=RunCounters.from_summary(s),
        files_total=int(s["files_total"]), files_failed=int(s["files_failed"]),
        errors_by_type=dict(s["errors_by_type"]),
        gil_at_start=bool(s["gil_enabled_at_start"]), gil_at_end=bool(s["gil_enabled_at_end"]),
        packstream=str(s["packstream"]), phases=phases, graph=graph, gil_culprit=s.get("gil_culprit"),
        warnings=list(s["warnings"]), timeline=timeline, run_start=run_start, runtime=dict(s["runtime"]),
        plant=spec.plant, local_server=db.provider in ("embedded", "neo4j-container"), requested_workers=spec.workers)
