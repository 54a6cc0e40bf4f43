"""Plain-text tables of run records (presentation only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

COLUMNS = ("corpus", "mode", "workers", "files/s", "wall s", "peak RSS MB", "max conns", "retries", "failed",
           "digest")


def row(record: dict[str, Any]) -> tuple[str, ...]:
    graph = record.get("graph") or {}
    return (
        record["corpus"]["name"], record["mode"], str(record["workers"]), f"{record['files_per_s']:.1f}",
        f"{record['index_seconds']:.2f}", f"{record['peak_rss'] / 2**20:.0f}",
        str(record["connections"]["max_open"]), str(record["connections"]["retries"]),
        str(record["files"]["failed"]), (graph.get("digest") or "-")[:12],
    )


def render(records: Sequence[dict[str, Any]]) -> str:
    rows = [COLUMNS, *(row(r) for r in records)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
