"""Evaluate the go/no-go criteria of `criteria.toml` over a run's records. Pure: no I/O
beyond reading the TOML file.

Each criterion is GO, NO-GO or INCONCLUSIVE, with the numbers behind it and, when
inconclusive, why.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegraph_harness.verdict import stats

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GO, NOGO, INCONCLUSIVE = "GO", "NO-GO", "INCONCLUSIVE"
DEFAULT = Path(__file__).with_name("criteria.toml")

Record = dict[str, Any]


@dataclass
class Verdict:
    key: str
    title: str
    status: str
    detail: str
    numbers: list[str] = field(default_factory=list)


def load(path: Path = DEFAULT) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def free_threaded(label: str) -> bool:
    return label.endswith("t")


@dataclass
class Context:
    records: list[Record]
    criteria: dict[str, Any]
    cores: int
    local_server: bool

    @property
    def ran(self) -> set[str]:
        return {r["interpreter"] for r in stats.runs(self.records)}

    @property
    def not_run(self) -> dict[str, str]:
        reasons = {r["interpreter"]: r["reason"] for r in self.records if r.get("kind") == "not-run"}
        for label in self.criteria.get("interpreters", []):
            if label not in self.ran and label not in reasons:
                reasons[label] = "no results for this interpreter"
        return reasons


def _cores_needed(speedup: float, local_server: bool) -> int:
    return math.ceil(speedup) + (1 if local_server else 0)


def _speedup_criterion(ctx: Context, key: str, mode: str, want_ft: bool) -> Verdict:
    spec = ctx.criteria[key]
    threshold, min_files = spec["min_speedup"], spec["min_files"]
    builds = [i for i in ctx.ran if free_threaded(i) == want_ft]
    missing = [i for i, why in ctx.not_run.items() if free_threaded(i) == want_ft]
    ups = stats.speedups(ctx.records)
    cells = stats.cells(ctx.records)
    numbers: list[str] = []
    best: dict[str, float] = {}
    for cell, s in sorted(ups.items()):
        interp, corpus, workers, requested = cell
        files = _files(ctx.records, interp, corpus)
        ran_as = cells[cell][0]["mode"]  # `auto` counts as the executor it chose
        if ran_as == mode and interp in builds and files > min_files:
            label = mode if requested == mode else f"{requested} ({mode})"
            numbers.append(f"{interp} {corpus} ({files} files) {label} x{workers}: {s.text()}x"
                           + (" [noisy]" if s.noisy else ""))
            best[interp] = max(best.get(interp, 0.0), s.median)
    need = _cores_needed(threshold, ctx.local_server)
    if not builds:
        why = "; ".join(f"{i}: not run: {ctx.not_run[i]}" for i in missing) or "no such interpreter in the run"
        kind = "free-threaded" if want_ft else "GIL"
        return Verdict(key, spec["title"], INCONCLUSIVE, f"no {kind} build ran ({why})", numbers)
    if not best:
        return Verdict(key, spec["title"], INCONCLUSIVE, f"no {mode} run of a corpus over {min_files} files", numbers)
    failing = {i: v for i, v in best.items() if v < threshold}
    if not failing:
        return Verdict(key, spec["title"], GO, f"best median speedup >= {threshold}x on every build", numbers)
    if ctx.cores < need:
        return Verdict(key, spec["title"], INCONCLUSIVE,
                       f"{threshold}x is not reachable on {ctx.cores} cores: it needs {math.ceil(threshold)} workers"
                       f"{' plus a core for the database on the same machine' if ctx.local_server else ''} "
                       f"(>= {need} cores); measured best " + ", ".join(f"{i} {v:.2f}x" for i, v in failing.items()),
                       numbers)
    return Verdict(key, spec["title"], NOGO, "below threshold: " +
                   ", ".join(f"{i} {v:.2f}x < {threshold}x" for i, v in failing.items()), numbers)


def _files(records: list[Record], interp: str, corpus: str) -> int:
    for r in stats.runs(records):
        if r["interpreter"] == interp and r["corpus"]["name"] == corpus:
            return int(r["corpus"]["files"])
    return 0


def small_auto(ctx: Context) -> Verdict:
    spec = ctx.criteria["small_auto"]
    seq = stats.sequential_of(ctx.records)
    slow: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in stats.runs(ctx.records):
        if r["requested_mode"] == "auto" and r["corpus"]["files"] < spec["max_files"]:
            base = seq.get((r["interpreter"], r["corpus"]["name"], r["repeat"]))
            if base:
                slow[(r["interpreter"], r["corpus"]["name"])].append(r["index_seconds"] / base["index_seconds"] - 1)
    if not slow:
        return Verdict("small_auto", spec["title"], INCONCLUSIVE,
                       f"no auto run of a corpus under {spec['max_files']} files")
    numbers: list[str] = []
    bad: list[str] = []
    unclear: list[str] = []
    cells = stats.cells(ctx.records)
    for (interp, corpus), values in sorted(slow.items()):
        s = stats.summarise(values)
        assert s is not None
        seq_times = stats.summarise(r["index_seconds"] for k, v in cells.items()
                                    if k[0] == interp and k[1] == corpus and k[3] == "sequential" for r in v)
        spread = seq_times.spread if seq_times else 0.0
        numbers.append(f"{interp} {corpus}: auto vs sequential {s.median:+.1%} ({s.low:+.1%}..{s.high:+.1%}) "
                       f"over {s.n} repeats; sequential's own spread {spread:.1%}")
        if s.median > spec["max_slowdown"]:
            # A difference smaller than the repeats' own spread is not a measured regression.
            (unclear if spread > spec["max_slowdown"] or s.n < 3 else bad).append(f"{interp} {corpus} {s.median:+.1%}")
    if bad:
        return Verdict("small_auto", spec["title"], NOGO, "slower than allowed: " + ", ".join(bad), numbers)
    if unclear:
        return Verdict("small_auto", spec["title"], INCONCLUSIVE,
                       "slowdown within the run-to-run noise (more repeats needed): " + ", ".join(unclear), numbers)
    return Verdict("small_auto", spec["title"], GO, f"median slowdown <= {spec['max_slowdown']:.0%} everywhere",
                   numbers)


def error_rate(ctx: Context) -> Verdict:
    spec = ctx.criteria["error_rate"]
    seq = stats.sequential_of(ctx.records)
    worst, numbers = 0.0, []
    for r in stats.runs(ctx.records):
        base = seq.get((r["interpreter"], r["corpus"]["name"], r["repeat"]))
        if base is None or r.get("requested_mode", r["mode"]) == "sequential":
            continue
        diff = (r["error_rate"] - base["error_rate"]) * 100
        worst = max(worst, diff)
        if diff > 0:
            numbers.append(f"{r['interpreter']} {r['corpus']['name']} {r['requested_mode']} x{r['workers']}: "
                           f"+{diff:.2f} pp")
    if not seq:
        return Verdict("error_rate", spec["title"], INCONCLUSIVE, "no sequential baseline in the run")
    numbers.insert(0, f"largest increase over sequential: {worst:.2f} pp")
    status = GO if worst < spec["max_increase_pp"] else NOGO
    return Verdict("error_rate", spec["title"], status, f"worst {worst:.2f} pp (limit {spec['max_increase_pp']} pp)",
                   numbers)


def connection_failures(ctx: Context) -> Verdict:
    spec = ctx.criteria["connection_failures"]
    runs = stats.runs(ctx.records)
    if not runs:
        return Verdict("connection_failures", spec["title"], INCONCLUSIVE, "no runs")
    total = sum(r["connections"]["connection_failures"] for r in runs)
    retries = sum(r["connections"]["retries"] for r in runs)
    timeouts = sum(r["connections"]["acquisition_timeouts"] for r in runs)
    status = GO if total <= spec["max"] else NOGO
    return Verdict("connection_failures", spec["title"], status,
                   f"{total} failures in {len(runs)} runs ({retries} retried transactions, {timeouts} acquisition "
                   "timeouts, all recovered)" if status == GO else f"{total} connection failures in {len(runs)} runs")


def thread_memory(ctx: Context) -> Verdict:
    spec = ctx.criteria["thread_memory"]
    rss = stats.peak_rss(ctx.records)
    numbers, bad = [], []
    for (interp, corpus, workers, mode), s in sorted(rss.items()):
        if mode not in ("thread", "process"):
            continue
        base = rss.get((interp, corpus, 1, "sequential"))
        if base is None:
            continue
        ratio = s.median / base.median
        numbers.append(f"{interp} {corpus} {mode} x{workers}: {ratio:.2f}x sequential's peak RSS"
                       + ("" if mode == "thread" else " (informational)"))
        if mode == "thread" and ratio > spec["max_ratio"]:
            bad.append(f"{interp} {corpus} x{workers} {ratio:.2f}x")
    if not any("thread" in n for n in numbers):
        return Verdict("thread_memory", spec["title"], INCONCLUSIVE, "no thread run with a sequential baseline",
                       numbers)
    if bad:
        return Verdict("thread_memory", spec["title"], NOGO, "over the limit: " + ", ".join(bad), numbers)
    return Verdict("thread_memory", spec["title"], GO, f"every thread run <= {spec['max_ratio']}x", numbers)


def same_digest(ctx: Context) -> Verdict:
    spec = ctx.criteria["same_digest"]
    groups: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for r in stats.runs(ctx.records):
        if r.get("graph"):
            groups[r["corpus"]["fingerprint"]].add(r["graph"]["digest"])
            names[r["corpus"]["fingerprint"]] = r["corpus"]["name"]
    if not groups:
        return Verdict("same_digest", spec["title"], INCONCLUSIVE, "no digests recorded")
    numbers = [f"{names[fp]} ({fp[:10]}): {len(d)} distinct digest(s)" for fp, d in sorted(groups.items())]
    bad = [names[fp] for fp, d in groups.items() if len(d) > 1]
    if bad:
        return Verdict("same_digest", spec["title"], NOGO, "different graphs for " + ", ".join(bad), numbers)
    return Verdict("same_digest", spec["title"], GO,
                   f"one digest per corpus content across {len(ctx.ran)} interpreter(s) and every mode", numbers)


def no_leak(ctx: Context) -> Verdict:
    spec = ctx.criteria["no_leak"]
    leaks = [r for r in ctx.records if r.get("kind") == "leak"]
    if not leaks:
        return Verdict("no_leak", spec["title"], INCONCLUSIVE, "no leak check in the run")
    numbers, bad = [], []
    for r in leaks:
        numbers.append(f"{r['interpreter']} {r['mode']} x{r['workers']}: RSS {r['growth']:+.1%} over {len(r['rss'])} "
                       f"runs, {r['open_connections']} Bolt connection(s) open after close")
        if r["growth"] >= spec["max_growth"] or r["open_connections"] > 0 or len(r["rss"]) < spec["runs"]:
            bad.append(f"{r['interpreter']} {r['mode']}")
    if bad:
        return Verdict("no_leak", spec["title"], NOGO, "leak in " + ", ".join(bad), numbers)
    return Verdict("no_leak", spec["title"], GO, f"growth < {spec['max_growth']:.0%} and no open connection", numbers)


def gil_stays_off(ctx: Context) -> Verdict:
    spec = ctx.criteria["gil_stays_off"]
    ft_runs = [r for r in stats.runs(ctx.records) if free_threaded(r["interpreter"])]
    if not ft_runs:
        why = "; ".join(f"{i}: not run: {w}" for i, w in ctx.not_run.items() if free_threaded(i))
        return Verdict("gil_stays_off", spec["title"], INCONCLUSIVE, f"no free-threaded build ran ({why or 'none'})")
    back_on = [r for r in ft_runs if r["gil"]["at_end"] and not r["gil"]["at_start"]]
    started_on = [r for r in ft_runs if r["gil"]["at_start"]]
    if back_on or started_on:
        culprits = sorted({r["gil"].get("culprit") or "unknown" for r in back_on})
        return Verdict("gil_stays_off", spec["title"], NOGO,
                       f"GIL enabled in {len(back_on) + len(started_on)} of {len(ft_runs)} runs"
                       + (f"; re-enabled by {', '.join(culprits)}" if back_on else ""))
    return Verdict("gil_stays_off", spec["title"], GO, f"GIL off from start to end in all {len(ft_runs)} runs")


def evaluate(records: list[Record], criteria: dict[str, Any], *, cores: int, local_server: bool) -> list[Verdict]:
    ctx = Context(records, criteria, cores, local_server)
    return [
        _speedup_criterion(ctx, "large_free_threaded_threads", "thread", want_ft=True),
        _speedup_criterion(ctx, "large_gil_processes", "process", want_ft=False),
        small_auto(ctx), error_rate(ctx), connection_failures(ctx), thread_memory(ctx), same_digest(ctx),
        no_leak(ctx), gil_stays_off(ctx),
    ]


def overall(verdicts: list[Verdict]) -> str:
    statuses = {v.status for v in verdicts}
    if NOGO in statuses:
        return NOGO
    if INCONCLUSIVE in statuses:
        return INCONCLUSIVE
    return GO
