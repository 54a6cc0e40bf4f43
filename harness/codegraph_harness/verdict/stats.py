"""Statistics over run records: per-repeat speedups, summaries, noise. Pure: no I/O.

Speedups are taken within one repeat (a parallel run against the sequential run of the same
interpreter, corpus and repeat), because the modes of a repeat ran interleaved and machine
drift hit them alike; they are then summarised as median with min-max.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

NOISE = 0.10  # spread of repeats (max-min over median) above which a cell is flagged noisy

Record = dict[str, Any]


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    n: int

    @property
    def spread(self) -> float:
        return (self.high - self.low) / self.median if self.median else 0.0

    @property
    def noisy(self) -> bool:
        return self.n > 1 and self.spread > NOISE

    def text(self, fmt: str = "{:.2f}") -> str:
        if self.n == 1:
            return fmt.format(self.median)
        return f"{fmt.format(self.median)} ({fmt.format(self.low)}-{fmt.format(self.high)})"


def summarise(values: Iterable[float]) -> Summary | None:
    vals = sorted(values)
    if not vals:
        return None
    return Summary(statistics.median(vals), vals[0], vals[-1], len(vals))


def runs(records: Iterable[Record]) -> list[Record]:
    return [r for r in records if r.get("kind") == "run"]


def cell_key(r: Record) -> tuple[str, str, int, str]:
    """(interpreter, corpus, workers, requested mode): `auto` stays its own cell whatever it chose."""
    return (str(r["interpreter"]), str(r["corpus"]["name"]), int(r["workers"]),
            str(r.get("requested_mode", r["mode"])))


def cells(records: Iterable[Record]) -> dict[tuple[str, str, int, str], list[Record]]:
    out: dict[tuple[str, str, int, str], list[Record]] = defaultdict(list)
    for r in runs(records):
        out[cell_key(r)].append(r)
    return dict(out)


def sequential_of(records: Iterable[Record]) -> dict[tuple[str, str, int], Record]:
    """(interpreter, corpus, repeat) -> that repeat's sequential run."""
    return {(r["interpreter"], r["corpus"]["name"], r["repeat"]): r for r in runs(records)
            if r.get("requested_mode", r["mode"]) == "sequential"}


def speedups(records: list[Record]) -> dict[tuple[str, str, int, str], Summary]:
    """Per cell: sequential time / this mode's time, repeat by repeat."""
    seq = sequential_of(records)
    per: dict[tuple[str, str, int, str], list[float]] = defaultdict(list)
    for r in runs(records):
        base = seq.get((r["interpreter"], r["corpus"]["name"], r["repeat"]))
        if base is not None and r["index_seconds"] > 0:
            per[cell_key(r)].append(base["index_seconds"] / r["index_seconds"])
    return {k: s for k, v in per.items() if (s := summarise(v)) is not None}


def throughput(records: list[Record]) -> dict[tuple[str, str, int, str], Summary]:
    return {k: s for k, v in cells(records).items() if (s := summarise(r["files_per_s"] for r in v)) is not None}


def peak_rss(records: list[Record]) -> dict[tuple[str, str, int, str], Summary]:
    return {k: s for k, v in cells(records).items() if (s := summarise(r["peak_rss"] for r in v)) is not None}
