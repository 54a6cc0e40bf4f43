"""Statistics over run records: paired ratios with confidence intervals, and ceilings. Pure.

Every ratio is taken within one repeat — a mode's run against the sequential run of the same
interpreter, corpus and repeat — because the modes of a repeat ran interleaved and machine
drift hit them alike. The ratios of a cell are summarised as their geometric mean with a
Student's t interval on their logarithms (as pyperf and asv summarise timings): a ratio is
known to be above a threshold when the whole interval is.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from codegraph_harness.records import FailedRun, Record, RunRecord

CONFIDENCE = 0.95
#: Two-sided 95% quantiles of Student's t by degrees of freedom (beyond the table: normal).
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
        20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}
#: Phases a parallel run does in one process (the rest run in its workers).
SERIAL_PHASES = frozenset({"discover", "connect", "start_workers", "resolve", "cleanup"})

CellKey = tuple[str, str, int, str]  # (interpreter, corpus, workers, requested mode)


def t95(df: int) -> float:
    if df in _T95:
        return _T95[df]
    bigger = [k for k in _T95 if k > df]
    return _T95[min(bigger)] if bigger else 1.960


@dataclass(frozen=True)
class Interval:
    """A ratio: geometric mean of the paired repeats and its 95% confidence interval."""

    point: float
    low: float
    high: float
    n: int

    def text(self, fmt: str = "{:.2f}", unit: str = "x") -> str:
        if self.n < 2:
            return f"{fmt.format(self.point)}{unit} (n=1: no interval)"
        return f"{fmt.format(self.point)}{unit} ({fmt.format(self.low)}-{fmt.format(self.high)}, n={self.n})"


def interval(ratios: Sequence[float]) -> Interval | None:
    values = [r for r in ratios if r > 0]
    if not values:
        return None
    logs = [math.log(r) for r in values]
    mean = statistics.fmean(logs)
    if len(logs) < 2:
        return Interval(math.exp(mean), 0.0, math.inf, 1)
    half = t95(len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
    return Interval(math.exp(mean), math.exp(mean - half), math.exp(mean + half), len(logs))


# -- records --------------------------------------------------------------------------------
def runs(records: Iterable[Record]) -> list[RunRecord]:
    """Completed, counted runs (warm-ups excluded)."""
    return [r for r in records if isinstance(r, RunRecord) and not r.warmup]


def failed(records: Iterable[Record]) -> list[FailedRun]:
    """Runs that did not complete, warm-ups included: every record counts."""
    return [r for r in records if isinstance(r, FailedRun)]


def key(r: RunRecord | FailedRun) -> CellKey:
    """A cell is what the bench asked for: `auto` stays its own cell whatever it chose."""
    workers = r.requested_workers if isinstance(r, RunRecord) and r.requested_workers else r.workers
    return (r.interpreter, r.corpus.name, workers, r.requested_mode)


def cells(records: Iterable[Record]) -> dict[CellKey, list[RunRecord]]:
    out: dict[CellKey, list[RunRecord]] = defaultdict(list)
    for r in runs(records):
        out[key(r)].append(r)
    return dict(out)


@dataclass(frozen=True)
class Pair:
    repeat: int
    base: RunRecord  # the sequential run of the same repeat
    run: RunRecord


def pairs(records: Sequence[Record], baseline: str = "sequential") -> dict[CellKey, list[Pair]]:
    """For every non-baseline cell, its runs paired with the baseline run of the same repeat."""
    base = {(r.interpreter, r.corpus.name, r.repeat): r for r in runs(records) if r.requested_mode == baseline}
    out: dict[CellKey, list[Pair]] = defaultdict(list)
    for r in runs(records):
        b = base.get((r.interpreter, r.corpus.name, r.repeat))
        if r.requested_mode != baseline and b is not None:
            out[key(r)].append(Pair(r.repeat, b, r))
    return dict(out)


def speedup(ps: Sequence[Pair]) -> Interval | None:
    """Sequential time over this mode's time (> 1: faster), repeat by repeat."""
    return interval([p.base.index_seconds / p.run.index_seconds for p in ps if p.run.index_seconds > 0])


def slowdown(ps: Sequence[Pair]) -> Interval | None:
    """This mode's time over sequential's (> 1: slower), repeat by repeat."""
    return interval([p.run.index_seconds / p.base.index_seconds for p in ps if p.base.index_seconds > 0])


def memory_ratio(ps: Sequence[Pair]) -> Interval | None:
    return interval([p.run.peak_rss / p.base.peak_rss for p in ps if p.base.peak_rss > 0])


def _serial(r: RunRecord) -> float:
    return sum(p.seconds for p in r.phases if p.name in SERIAL_PHASES)


def _work_cpu(r: RunRecord, local_server: bool) -> float:
    """CPU the run needed inside its phases: the indexer's tree, plus the server when it
    shares the cores."""
    tree = sum(p.tree_cpu for p in r.phases if p.tree_cpu is not None) or r.cpu_seconds
    server = sum(p.server_cpu for p in r.phases if p.server_cpu is not None) or (r.server_cpu_seconds or 0.0)
    return tree + (server if local_server else 0.0)


def ceiling(p: Pair, cores: int) -> float:
    """The best speedup this mode could reach on this machine, from the runs' own accounting:
    the sequential run's parallelisable time spread over min(workers, cores) plus the parallel
    run's serial phases (Amdahl), and no faster than the CPU the sequential run needed
    (indexer and, when local, server) spread over the cores."""
    t_seq = p.base.index_seconds
    parallel_part = max(0.0, t_seq - _serial(p.base))
    amdahl = _serial(p.run) + parallel_part / max(1, min(p.run.workers, cores))
    cpu_bound = _work_cpu(p.base, p.run.local_server) / max(1, cores)
    floor = max(amdahl, cpu_bound)
    return t_seq / floor if floor > 0 else 1.0


def ceilings(ps: Sequence[Pair], cores: int) -> float | None:
    values = [ceiling(p, cores) for p in ps]
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float
    n: int

    def text(self, fmt: str = "{:.2f}") -> str:
        if self.n == 1:
            return fmt.format(self.median)
        return f"{fmt.format(self.median)} ({fmt.format(self.low)}-{fmt.format(self.high)})"


def spread(values: Iterable[float]) -> Spread | None:
    vals = sorted(values)
    return Spread(statistics.median(vals), vals[0], vals[-1], len(vals)) if vals else None
