"""Judge a run's records against `criteria.toml`. Pure apart from reading that file.

Each criterion is GO, NO-GO or INCONCLUSIVE, with its numbers and intervals. Every record
counts: a run that crashed, timed out or could not reach the database is an error (and, when
the database was the cause, a connection failure); a cell whose runs all failed is NO-GO for
every criterion it feeds; a leak check that failed is NO-GO.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from codegraph_harness.records import AccuracyRecord, BenchPlan, FailedRun, LeakCheck, NotRun, Record, RunRecord
from codegraph_harness.verdict import stats
from codegraph_harness.verdict.stats import CellKey, Interval, Pair

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GO, NOGO, INCONCLUSIVE = "GO", "NO-GO", "INCONCLUSIVE"
DEFAULT = Path(__file__).with_name("criteria.toml")
VERSION = 2


class CriteriaError(ValueError):
    pass


@dataclass
class Verdict:
    key: str
    title: str
    status: str
    detail: str
    numbers: list[str] = field(default_factory=list)


def load(path: Path = DEFAULT) -> dict[str, Any]:
    """The criteria of the TOML file at `path`. A file that cannot be read, is not TOML or is of
    another version is a CriteriaError naming the file (`codegraph report` prints it, exit 2)."""
    try:
        with open(path, "rb") as fh:
            spec = tomllib.load(fh)
    except OSError as exc:
        raise CriteriaError(f"criteria file {path}: cannot be read ({exc.strerror or exc}); pass --criteria an "
                            f"existing TOML file, or leave --criteria out for the packaged {DEFAULT.name}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CriteriaError(f"criteria file {path}: not valid TOML ({exc}); fix it, or start from a copy of "
                            f"{DEFAULT}") from None
    if spec.get("version") != VERSION:
        raise CriteriaError(f"{path}: criteria version {spec.get('version')}, this harness reads {VERSION}")
    if Path(path).resolve() != DEFAULT.resolve():  # every section and threshold the packaged file has
        missing = _missing(load(DEFAULT), spec)
        if missing:
            raise CriteriaError(f"criteria file {path}: lacks {', '.join(missing[:5])}"
                                f"{' ...' if len(missing) > 5 else ''}; copy them from {DEFAULT}")
    return spec


def _missing(reference: dict[str, Any], spec: dict[str, Any], prefix: str = "") -> list[str]:
    """The keys (dotted, tables included) of `reference` that `spec` does not have."""
    out: list[str] = []
    for key, value in reference.items():
        if key not in spec:
            out.append(f"{prefix}{key}")
        elif isinstance(value, dict) and isinstance(spec[key], dict):
            out += _missing(value, spec[key], f"{prefix}{key}.")
    return out


def free_threaded(label: str) -> bool:
    """What an interpreter label says about its build ('3.14t': free-threaded); runs say it
    better (`Context.free_threaded`)."""
    return re.fullmatch(r"\d+\.\d+t", label) is not None


def not_run_reasons(records: Sequence[Record], expected: Sequence[str],
                    which: Callable[[str], str | None] = shutil.which) -> dict[str, str]:
    """Why each expected interpreter has no results: a recorded reason, else whether it exists."""
    ran = {r.interpreter for r in records if isinstance(r, (RunRecord, FailedRun))}
    reasons = {r.interpreter: r.reason for r in records if isinstance(r, NotRun) and r.mode is None}
    for label in expected:
        if label not in ran and label not in reasons:
            reasons[label] = ("interpreter not found" if which(f"python{label}") is None
                              else "no results (its bench did not run or wrote nothing)")
    return {k: v for k, v in reasons.items() if k not in ran}


def _combine(statuses: list[str]) -> str:
    if NOGO in statuses:
        return NOGO
    if statuses and all(s == GO for s in statuses):
        return GO
    return INCONCLUSIVE


class Context:
    def __init__(self, records: Sequence[Record], spec: dict[str, Any], *, cores: int,
                 complete_matrix: bool = False) -> None:
        self.records: list[Any] = list(records)
        self.spec = spec
        self.cores = cores
        # the run was meant to cover every interpreter of the spec that this machine has
        self.complete_matrix = complete_matrix

    @cached_property
    def runs(self) -> list[RunRecord]:
        return stats.runs(self.records)

    @cached_property
    def failed(self) -> list[FailedRun]:
        return stats.failed(self.records)

    @cached_property
    def pairs(self) -> dict[CellKey, list[Pair]]:
        return stats.pairs(self.records)

    @cached_property
    def ran(self) -> set[str]:
        return {r.interpreter for r in self.runs} | {f.interpreter for f in self.failed}

    @cached_property
    def not_run(self) -> dict[str, str]:
        return not_run_reasons(self.records, self.spec.get("interpreters", []))

    @cached_property
    def missing(self) -> list[str]:
        """Planned runs that left no record at all (completed or failed)."""
        seen: dict[CellKey, int] = defaultdict(int)
        for r in self.records:
            if isinstance(r, (RunRecord, FailedRun)) and not r.warmup:
                seen[stats.key(r)] += 1
        out = []
        for plan in (r for r in self.records if isinstance(r, BenchPlan)):
            for c in plan.cells:
                have = seen.get((plan.interpreter, c.corpus, c.workers, c.mode), 0)
                if have < c.repeats:
                    out.append(f"{plan.interpreter} {c.corpus} {c.mode} x{c.workers}: {c.repeats - have} of "
                               f"{c.repeats} planned runs left no record")
        return out

    @cached_property
    def silent(self) -> list[str]:
        """Interpreters this machine has that left no record although the run covers them all."""
        if not self.complete_matrix:
            return []
        return [f"{label}: installed here, but its bench left no record ({why})"
                for label, why in sorted(self.not_run.items()) if why.startswith("no results")]

    @cached_property
    def exited_badly(self) -> list[RunRecord]:
        """Runs that reported a summary but exited non-zero: files could not be written."""
        return [r for r in self.records if isinstance(r, RunRecord) and r.exit_status not in (0, None)]

    @cached_property
    def missing_leak_checks(self) -> list[str]:
        done = {(r.interpreter, r.requested_mode, r.workers) for r in self.records if isinstance(r, LeakCheck)}
        return [f"{plan.interpreter} {c.mode} x{c.workers}: the planned leak check left no record"
                for plan in (r for r in self.records if isinstance(r, BenchPlan)) for c in plan.leak_checks
                if (plan.interpreter, c.mode, c.workers) not in done]

    @cached_property
    def builds(self) -> dict[str, bool]:
        """Interpreter label -> free-threaded, as its runs recorded it."""
        return {r.interpreter: r.runtime.get("build") == "free-threaded" for r in self.runs if "build" in r.runtime}

    def free_threaded(self, label: str) -> bool:
        return self.builds.get(label, free_threaded(label))

    def chosen(self, cell: CellKey) -> str | None:
        """The mode a cell's runs used (what `auto` chose)."""
        modes = {r.mode for r in self.runs if stats.key(r) == cell}
        return modes.pop() if len(modes) == 1 else ("mixed" if modes else None)

    def failed_cells(self, keep: Callable[[FailedRun], bool]) -> list[str]:
        """Cells with failed runs and no completed run: NO-GO wherever they would be judged."""
        done = {stats.key(r) for r in self.runs}
        out = defaultdict(list)
        for f in self.failed:
            if keep(f) and stats.key(f) not in done and not f.warmup:
                out[stats.key(f)].append(f)
        return [f"{k[0]} {k[1]} {k[3]} x{k[2]}: all {len(v)} runs failed ({v[0].cause}: {v[0].error[:120]})"
                for k, v in sorted(out.items())]

    def unpaired(self, cell: CellKey) -> bool:
        """A cell with runs but no sequential run to compare with (the baseline failed)."""
        return any(stats.key(r) == cell for r in self.runs) and not self.pairs.get(cell)


def _label(requested: str, chosen: str | None) -> str:
    return requested if chosen in (None, requested) else f"{requested} ({chosen})"


@dataclass
class _Cells:
    """Per-cell judgements of one criterion: the worst decides, the numbers show them all."""

    items: list[tuple[str, str, str]] = field(default_factory=list)  # (status, cell label, text)

    def add(self, status: str, label: str, text: str) -> None:
        self.items.append((status, label, text))

    def dead(self, lines: list[str]) -> None:
        for line in lines:
            self.add(NOGO, line.split(":")[0], line.split(": ", 1)[1])

    @property
    def status(self) -> str:
        return _combine([s for s, _, _ in self.items])

    def detail(self, go_text: str) -> str:
        status = self.status
        if status == GO:
            return go_text
        return "; ".join(f"{label}: {text}" for s, label, text in self.items if s == status)[:600]

    @property
    def numbers(self) -> list[str]:
        return [f"{label}: {text} — {s}" for s, label, text in self.items]


# -- speed ------------------------------------------------------------------------------------
def _speedup_cell(iv: Interval, ceiling: float, threshold: float, share_min: float) -> tuple[str, str]:
    """The rules, in order: slower than sequential is NO-GO on any machine; an interval above
    the threshold is GO (whatever the ceiling estimate says); reaching less than `share_min`
    of this machine's ceiling (even at the interval's top) is NO-GO; then a ceiling below the
    threshold makes the shortfall the machine's (INCONCLUSIVE), else it is the mode's (NO-GO),
    and an interval across the threshold is INCONCLUSIVE."""
    if iv.high < 1.0:
        return NOGO, "slower than sequential beyond the interval"
    if iv.low >= threshold:
        return GO, f"interval above {threshold}x"
    if iv.high / ceiling < share_min:
        return NOGO, f"reaches less than {share_min:.0%} of this machine's ceiling"
    if ceiling < threshold:  # out of this machine's reach: judged against what it can do
        return INCONCLUSIVE, f"this machine's ceiling {ceiling:.2f}x is below {threshold}x"
    if iv.high < threshold:
        return NOGO, f"interval below {threshold}x (ceiling {ceiling:.2f}x)"
    return INCONCLUSIVE, f"interval straddles {threshold}x"


def speedup_criterion(ctx: Context, name: str, want_ft: bool) -> Verdict:
    spec = ctx.spec[name]
    threshold, min_files, modes = spec["min_speedup"], spec["min_files"], set(spec["modes"])
    title, kind = spec["title"], "free-threaded" if want_ft else "GIL"
    builds = {i for i in ctx.ran if ctx.free_threaded(i) == want_ft}
    if not builds:
        why = "; ".join(f"{i}: not run: {w}" for i, w in sorted(ctx.not_run.items()) if free_threaded(i) == want_ft)
        return Verdict(name, title, INCONCLUSIVE, f"no {kind} build ran ({why or 'none expected'})")

    def judged(interp: str, files: int, requested: str, chosen: str | None) -> bool:
        return interp in builds and files > min_files and (requested in modes or
                                                           (requested == "auto" and chosen in modes))

    judged_cells = _Cells()
    for cell, rs in sorted(stats.cells(ctx.records).items()):
        chosen = ctx.chosen(cell)
        if not judged(cell[0], rs[0].corpus.files, cell[3], chosen):
            continue
        label = f"{cell[0]} {cell[1]} ({rs[0].corpus.files} files) {_label(cell[3], chosen)} x{cell[2]}"
        ps = ctx.pairs.get(cell, [])
        iv, ceiling = stats.speedup(ps), stats.ceilings(ps, ctx.cores)
        if iv is None or ceiling is None:
            judged_cells.add(NOGO, label, "no sequential run of the same repeats to compare with (it failed)")
            continue
        status, why = _speedup_cell(iv, ceiling, threshold, spec["min_ceiling_share"])
        judged_cells.add(status, label, f"{iv.text()}; ceiling {ceiling:.2f}x on {ctx.cores} cores "
                                        f"({iv.point / ceiling:.0%} of it): {why}")
    judged_cells.dead(ctx.failed_cells(lambda f: f.interpreter in builds and f.corpus.files > min_files
                                       and (f.requested_mode in modes or f.requested_mode == "auto")))
    if not judged_cells.items:
        return Verdict(name, title, INCONCLUSIVE, f"no {'/'.join(sorted(modes))} run of a corpus over "
                       f"{min_files} files on a {kind} build")
    return Verdict(name, title, judged_cells.status,
                   judged_cells.detail(f"every cell's interval is above {threshold}x"), judged_cells.numbers)


def _auto_cells(ctx: Context, max_files: int | None) -> list[tuple[CellKey, list[RunRecord]]]:
    return [(cell, rs) for cell, rs in sorted(stats.cells(ctx.records).items())
            if cell[3] == "auto" and (max_files is None or rs[0].corpus.files < max_files)]


def auto_criterion(ctx: Context, name: str, max_files: int | None, limit: float, margin: float) -> Verdict:
    """auto / sequential, repeat by repeat: NO-GO when the whole interval is above `limit`
    (above 1 + margin when auto ran the sequential path itself: the same code, so only a
    cost of the decision could make it slower), GO when it stays below 1 + margin."""
    spec = ctx.spec[name]
    judged_cells = _Cells()
    for cell, rs in _auto_cells(ctx, max_files):
        chosen = ctx.chosen(cell)
        iv = stats.slowdown(ctx.pairs.get(cell, []))
        label = f"{cell[0]} {cell[1]} ({rs[0].corpus.files} files) {_label('auto', chosen)} x{cell[2]}"
        if iv is None:
            judged_cells.add(NOGO, label, "no sequential run of the same repeats to compare with (it failed)")
            continue
        same_path = chosen == "sequential"
        bound = 1 + margin if same_path else limit
        if iv.low > bound:
            status, why = NOGO, f"slower than sequential beyond the interval (limit {bound - 1:+.0%})"
        elif iv.high <= 1 + margin:
            status, why = GO, f"no slower than {margin:.0%}"
        else:
            status, why = INCONCLUSIVE, "interval too wide to tell (more repeats needed)"
        judged_cells.add(status, label, f"auto / sequential {iv.text()}: {why}"
                                        + ("; auto ran the sequential path" if same_path else ""))
    judged_cells.dead(ctx.failed_cells(lambda f: f.requested_mode == "auto"
                                       and (max_files is None or f.corpus.files < max_files)))
    if not judged_cells.items:
        where = f"a corpus under {max_files} files" if max_files else "any corpus"
        return Verdict(name, spec["title"], INCONCLUSIVE, f"no auto run of {where}")
    return Verdict(name, spec["title"], judged_cells.status,
                   judged_cells.detail(f"auto within {margin:.0%} of sequential at every measured size"),
                   judged_cells.numbers)


# -- errors and failures ----------------------------------------------------------------------
def error_rate(ctx: Context) -> Verdict:
    spec = ctx.spec["error_rate"]
    limit = spec["max_increase_pp"]
    numbers = [f"did not complete: {f.interpreter} {f.corpus.name} {f.requested_mode} x{f.workers} "
               f"{'warm-up' if f.warmup else f'repeat {f.repeat}'}: {f.cause}, exit {f.exit_status}: {f.error[:160]}"
               for f in ctx.failed]
    seq = {(r.interpreter, r.corpus.name, r.repeat): r for r in ctx.runs if r.requested_mode == "sequential"}
    worst = 0.0
    for r in ctx.runs:
        base = seq.get((r.interpreter, r.corpus.name, r.repeat))
        if base is None or r.requested_mode == "sequential":
            continue
        diff = (r.error_rate - base.error_rate) * 100
        worst = max(worst, diff)
        if diff > 0:
            numbers.append(f"{r.interpreter} {r.corpus.name} {r.requested_mode} x{r.workers} repeat {r.repeat}: "
                           f"{diff:+.2f} pp ({r.files_failed} failed files, sequential {base.files_failed})")
    numbers += [f"exited {r.exit_status}: {r.interpreter} {r.corpus.name} {r.requested_mode} x{r.workers} "
                f"{'warm-up' if r.warmup else f'repeat {r.repeat}'}: {r.files_failed} file(s) failed "
                f"({', '.join(f'{k} {v}' for k, v in sorted(r.errors_by_type.items())) or 'no file error'})"
                for r in ctx.exited_badly]
    numbers += ctx.missing + ctx.silent
    if ctx.failed or ctx.missing or ctx.exited_badly or ctx.silent:
        why = [f"{len(ctx.failed)} run(s) did not complete"] if ctx.failed else []
        why += [f"{len(ctx.exited_badly)} run(s) exited non-zero"] if ctx.exited_badly else []
        why += [f"{len(ctx.missing)} planned cell(s) are missing runs"] if ctx.missing else []
        why += [f"{len(ctx.silent)} installed interpreter(s) left no record"] if ctx.silent else []
        return Verdict("error_rate", spec["title"], NOGO, "; ".join(why), numbers)
    if not seq:
        return Verdict("error_rate", spec["title"], INCONCLUSIVE, "no sequential baseline in the run", numbers)
    status = GO if worst < limit else NOGO
    return Verdict("error_rate", spec["title"], status, f"largest increase over sequential {worst:.2f} pp "
                   f"(limit {limit} pp) in {len(ctx.runs)} completed runs", numbers)


def connection_failures(ctx: Context) -> Verdict:
    spec = ctx.spec["connection_failures"]
    every = [r for r in ctx.records if isinstance(r, RunRecord)]  # warm-ups count too
    in_runs = sum(r.counters.connection_failures for r in every)
    dead = [f for f in ctx.failed if f.cause == "database"]
    if not every and not dead:
        return Verdict("connection_failures", spec["title"], INCONCLUSIVE, "no runs")
    retries = sum(r.counters.retries for r in every)
    timeouts = sum(r.counters.acquisition_timeouts for r in every)
    total = in_runs + len(dead)
    numbers = [f"{f.interpreter} {f.corpus.name} {f.requested_mode} x{f.workers}: {f.error[:160]}" for f in dead]
    numbers += [f"{r.interpreter} {r.corpus.name} {r.requested_mode} x{r.workers} repeat {r.repeat}: "
                f"{r.counters.connection_failures} failure(s) after retries"
                for r in every if r.counters.connection_failures]
    status = GO if total <= spec["max"] else NOGO
    return Verdict("connection_failures", spec["title"], status,
                   f"{total} failure(s) in {len(every) + len(ctx.failed)} runs ({len(dead)} runs stopped by the "
                   f"database; {retries} retried transactions and {timeouts} acquisition timeouts recovered)", numbers)


def thread_memory(ctx: Context) -> Verdict:
    spec = ctx.spec["thread_memory"]
    limit = spec["max_ratio"]
    judged_cells, reported = _Cells(), []
    for cell, ps in sorted(ctx.pairs.items()):
        chosen = ctx.chosen(cell)
        iv = stats.memory_ratio(ps)
        if chosen not in ("thread", "process", "interpreter") or iv is None:
            continue
        label = f"{cell[0]} {cell[1]} {_label(cell[3], chosen)} x{cell[2]}"
        if chosen != "thread":
            reported.append(f"{label}: peak RSS {iv.text()} sequential's (reported, not judged)")
            continue
        status = GO if iv.high <= limit else NOGO if iv.low > limit else INCONCLUSIVE
        judged_cells.add(status, label, f"peak RSS {iv.text()} sequential's")
    judged_cells.dead(ctx.failed_cells(lambda f: f.requested_mode == "thread"))
    if not judged_cells.items:
        return Verdict("thread_memory", spec["title"], INCONCLUSIVE, "no thread run with a sequential baseline",
                       reported)
    return Verdict("thread_memory", spec["title"], judged_cells.status,
                   judged_cells.detail(f"every thread run's interval is at or under {limit}x"),
                   judged_cells.numbers + reported)


def same_digest(ctx: Context) -> Verdict:
    spec = ctx.spec["same_digest"]
    groups: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    names: dict[str, str] = {}
    for r in (r for r in ctx.records if isinstance(r, RunRecord)):
        if r.graph is not None:
            groups[r.corpus.fingerprint][r.graph.digest].add(f"{r.interpreter} {r.requested_mode}")
            names[r.corpus.fingerprint] = r.corpus.name
    dead = ctx.failed_cells(lambda f: True)
    if not groups:
        return Verdict("same_digest", spec["title"], NOGO if dead else INCONCLUSIVE,
                       "no digest recorded" + (" (the runs failed)" if dead else ""), dead)
    numbers = []
    bad = []
    for fp, digests in sorted(groups.items()):
        numbers.append(f"{names[fp]} ({fp[:10]}): {len(digests)} distinct digest(s)" + (
            "" if len(digests) == 1 else ": " + "; ".join(f"{d[:12]} from {', '.join(sorted(w))}"
                                                         for d, w in sorted(digests.items()))))
        if len(digests) > 1:
            bad.append(names[fp])
    numbers += dead
    if bad or dead:
        return Verdict("same_digest", spec["title"], NOGO, "different graphs for " + ", ".join(bad) if bad
                       else "some cells produced no graph at all (all their runs failed)", numbers)
    return Verdict("same_digest", spec["title"], GO,
                   f"one digest per corpus content across {len(ctx.ran)} interpreter(s) and every mode", numbers)


def no_leak(ctx: Context) -> Verdict:
    spec = ctx.spec["no_leak"]
    leaks = [r for r in ctx.records if isinstance(r, LeakCheck)]
    if not leaks and not ctx.missing_leak_checks:
        return Verdict("no_leak", spec["title"], INCONCLUSIVE, "no leak check in the run")
    numbers, bad = list(ctx.missing_leak_checks), [m.split(":")[0] for m in ctx.missing_leak_checks]
    for r in leaks:
        label = f"{r.interpreter} {_label(r.requested_mode, r.mode)} x{r.workers}"
        if r.error or len(r.runs) < spec["runs"]:
            bad.append(label)
            numbers.append(f"{label}: the check failed after {len(r.runs)} of {spec['runs']} runs: "
                           f"{r.error or 'fewer runs than the criterion needs'}")
            continue
        peak = r.runs[-1].peak_rss / r.runs[0].peak_rss - 1 if r.runs[0].peak_rss else 0.0
        left = max(s.processes_after for s in r.runs)
        conns = max(s.connections_after for s in r.runs)
        numbers.append(f"{label}: RSS after each run {r.growth:+.1%}, peak {peak:+.1%}; at most {left} process(es) "
                       f"and {conns} Bolt connection(s) left after a run")
        if max(r.growth, peak) >= spec["max_growth"] or left or conns:
            bad.append(label)
    if bad:
        return Verdict("no_leak", spec["title"], NOGO, "leak in " + ", ".join(bad), numbers)
    modes = sorted({r.requested_mode for r in leaks})
    return Verdict("no_leak", spec["title"], GO, f"growth < {spec['max_growth']:.0%}, nothing left open, in "
                   f"{', '.join(modes)}", numbers)


def gil_stays_off(ctx: Context) -> Verdict:
    spec = ctx.spec["gil_stays_off"]
    ft_runs = [r for r in ctx.runs if ctx.free_threaded(r.interpreter)]
    if not ft_runs:
        why = "; ".join(f"{i}: not run: {w}" for i, w in sorted(ctx.not_run.items()) if free_threaded(i))
        return Verdict("gil_stays_off", spec["title"], INCONCLUSIVE, f"no free-threaded build ran ({why or 'none'})")
    back_on = [r for r in ft_runs if r.gil_at_end and not r.gil_at_start]
    started_on = [r for r in ft_runs if r.gil_at_start]
    if back_on or started_on:
        culprits = sorted({r.gil_culprit or "unknown" for r in back_on})
        return Verdict("gil_stays_off", spec["title"], NOGO,
                       f"GIL enabled in {len(back_on) + len(started_on)} of {len(ft_runs)} runs"
                       + (f"; re-enabled by {', '.join(culprits)}" if back_on else ""))
    return Verdict("gil_stays_off", spec["title"], GO, f"GIL off from start to end in all {len(ft_runs)} runs")


def graph_accuracy(ctx: Context) -> Verdict | None:
    """Judged only when the run measured a suite (`codegraph bench --accuracy SUITE`)."""
    spec = ctx.spec["graph_accuracy"]
    found = [r for r in ctx.records if isinstance(r, AccuracyRecord)]
    if not found:
        return None
    numbers, bad = [], []
    for r in found:
        t = r.total
        numbers.append(f"{r.interpreter} {r.suite}: precision {t.precision:.1%}, recall {t.recall:.1%}, "
                       f"{t.exact} of {t.cases} cases exact")
        if t.precision < spec["min_precision"] or t.recall < spec["min_recall"]:
            bad.append(r.interpreter)
    status = NOGO if bad else GO
    if len(numbers) == 1:
        return Verdict("graph_accuracy", spec["title"], status, numbers[0])
    return Verdict("graph_accuracy", spec["title"], status,
                   f"{len(found) - len(bad)} of {len(found)} measurements meet the floors", numbers)


def evaluate(records: Sequence[Record], spec: dict[str, Any], *, cores: int,
             complete_matrix: bool = False) -> list[Verdict]:
    """Every criterion of `spec` on `records`. With `complete_matrix`, the run was meant to
    cover every interpreter of the spec that this machine has (`make bench`): one that is
    installed but left no record makes the error-rate criterion NO-GO."""
    ctx = Context(records, spec, cores=cores, complete_matrix=complete_matrix)
    small, never = spec["small_auto"], spec["auto_never_slower"]
    verdicts = [
        speedup_criterion(ctx, "large_free_threaded_threads", want_ft=True),
        speedup_criterion(ctx, "large_gil_processes", want_ft=False),
        auto_criterion(ctx, "small_auto", small["max_files"], 1 + small["max_slowdown"], small["max_slowdown"]),
        auto_criterion(ctx, "auto_never_slower", None, 1.0, never["margin"]),
        error_rate(ctx), connection_failures(ctx), thread_memory(ctx), same_digest(ctx), no_leak(ctx),
        gil_stays_off(ctx),
    ]
    accuracy = graph_accuracy(ctx)
    return verdicts + ([accuracy] if accuracy else [])


def overall(verdicts: list[Verdict]) -> str:
    return _combine([v.status for v in verdicts])
