"""Typed records for tests of the harness's statistics, criteria and report (no database)."""

from __future__ import annotations

from typing import Any

from codegraph_harness.corpus import Corpus
from codegraph_harness.records import FailedRun, GraphInfo, LeakCheck, LeakSample, Phase, RunCounters, RunRecord


def corpus(name: str = "large", files: int = 1500) -> Corpus:
    return Corpus(name, f"/corpora/{name}", files, files * 100, files * 4000, f"fp-{name}", "synthetic")


def phases(seconds: float, mode: str, serial: float = 0.05, cpu: float = 0.6, server: float = 0.3) -> list[Phase]:
    """A run's phases: `serial` of the time in serial phases, the rest parallelisable; `cpu`
    and `server` CPU seconds per second of the indexer's process tree and of the server."""
    parts = [("connect", 0.01), ("parse_write", 0.95 - serial), ("resolve", serial - 0.01), ("edges", 0.05)]
    if mode not in ("sequential",):
        parts.insert(1, ("start_workers", 0.0))
    out, t = [], 0.0
    for name, share in parts:
        out.append(Phase(name, t, t + seconds * share, seconds * share * 0.5, seconds * share * cpu,
                         seconds * share * server))
        t += seconds * share
    return out


def run(interp: str, mode: str, workers: int, repeat: int, seconds: float, **extra: Any) -> RunRecord:
    files = extra.pop("files", 1500)
    requested = extra.pop("requested", mode)
    return RunRecord(
        interpreter=interp, corpus=corpus(extra.pop("corpus", "large"), files), requested_mode=requested, mode=mode,
        workers=workers, repeat=repeat, reason="test", exit_status=0, wall_seconds=seconds + 0.5,
        index_seconds=seconds, cpu_seconds=seconds * 0.6, server_cpu_seconds=seconds * 0.3,
        peak_rss=extra.pop("rss", 100 * 2**20), server_peak_rss=None, max_connections=workers,
        pool_size=2 * workers,
        counters=RunCounters(files_indexed=files - extra.get("failed", 0),
                             connection_failures=extra.pop("connection_failures", 0)),
        files_total=files, files_failed=extra.pop("failed", 0), errors_by_type={},
        gil_at_start=extra.pop("gil_at_start", True), gil_at_end=extra.pop("gil_at_end", True), packstream="rust",
        phases=extra.pop("phases", phases(seconds, mode, extra.pop("serial", 0.05), extra.pop("cpu", 0.6),
                                          extra.pop("server", 0.3))),
        graph=GraphInfo({}, {}, extra.pop("digest", "d1")), gil_culprit=extra.pop("culprit", None), **extra)


def failed(interp: str, mode: str, workers: int, repeat: int, *, cause: str = "crash", **extra: Any) -> FailedRun:
    return FailedRun(interp, corpus(extra.pop("corpus", "large"), extra.pop("files", 1500)), mode, workers, repeat,
                     3 if cause != "timeout" else None, cause, extra.pop("error", "codegraph: it broke"), 1.0)


def leak(interp: str, mode: str, after: list[int], *, left: int = 0, conns: int = 0,
         error: str | None = None) -> LeakCheck:
    return LeakCheck(interp, corpus("small", 30), mode, mode, 2,
                     [LeakSample(a * 2**20, (a + 50) * 2**20, left, conns) for a in after], error)


def paired(interp: str, mode: str, workers: int, pairs: list[tuple[float, float]], **extra: Any) -> list[RunRecord]:
    """Sequential and `mode` runs, one pair per repeat: [(sequential seconds, mode seconds), ...]."""
    out = []
    chosen = extra.pop("chosen", mode)
    for r, (seq, other) in enumerate(pairs):
        out.append(run(interp, "sequential", 1, r, seq, **dict(extra)))
        out.append(run(interp, chosen, workers, r, other, requested=mode, **dict(extra)))
    return out
