"""Plain-text tables of run records (presentation only)."""

from __future__ import annotations

from collections.abc import Sequence

from codegraph_harness.records import FailedRun, RunRecord

COLUMNS = ("corpus", "mode", "workers", "files/s", "index s", "peak RSS MB", "max conns", "retries", "failed",
           "digest")


def row(r: RunRecord | FailedRun) -> tuple[str, ...]:
    if isinstance(r, FailedRun):
        return (r.corpus.name, r.requested_mode, str(r.workers), "-", "-", "-", "-", "-", f"run {r.cause}",
                r.error[:40])
    files = r.counters.files_indexed + r.counters.files_unchanged
    return (
        r.corpus.name, r.mode if r.mode == r.requested_mode else f"{r.requested_mode} ({r.mode})", str(r.workers),
        f"{files / r.index_seconds:.1f}" if r.index_seconds else "-", f"{r.index_seconds:.2f}",
        f"{r.peak_rss / 2**20:.0f}", str(r.max_connections), str(r.counters.retries),
        str(r.files_failed), (r.graph.digest if r.graph else "-")[:12],
    )


def render(records: Sequence[RunRecord | FailedRun]) -> str:
    rows = [COLUMNS, *(row(r) for r in records)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
