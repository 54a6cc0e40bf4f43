"""`codegraph bench`: the matrix of execution modes x corpora on this interpreter.

For each corpus, the plan names its cells (mode x workers) and its repeats. Warm-up runs are
recorded but not counted. Within a repeat the cells run interleaved, in an order rotated per
repeat, so drift of a shared machine hits them alike and the ratios of one repeat can be
paired. Each run is a fresh subprocess measured from outside, into an empty database; each
record is written at once as its own file. Leak checks run every mode several times in one
coordinator. Modes this interpreter cannot run are recorded as not run, with the reason.
"""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from codegraph_harness import corpus as corpora
from codegraph_harness import records
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.measuring.leak import leak_check
from codegraph_harness.measuring.measure import RunSpec, measure_run
from codegraph_harness.records import NotRun, Record
from indexer import RuntimeFacts, redact_text

log = logging.getLogger(__name__)

Cell = tuple[str, int]  # (mode, workers)


@dataclass(frozen=True)
class CorpusPlan:
    name: str
    cells: list[Cell]
    repeats: int
    warmup: str = "all"  # all: one warm-up run per cell; first: only the first cell; none
    optional: tuple[str, ...] = ("interpreter",)  # measured beside processes where this Python can run them


@dataclass(frozen=True)
class Plan:
    corpora: list[CorpusPlan]
    leak_corpus: str | None = "small"
    leak_cells: list[Cell] = field(default_factory=lambda: [("sequential", 1), ("thread", 2), ("process", 2),
                                                            ("auto", 2)])
    leak_runs: int = 5
    reliability: bool = False  # faults, server restart and bad input in every mode

    def with_modes(self, modes: Sequence[str], workers: Sequence[int]) -> Plan:
        """The same corpora and repeats with other modes/workers (sequential always stays)."""
        cells = _cells(modes, workers)
        return replace(self, corpora=[replace(c, cells=cells if len(c.cells) > 2 else
                                              [x for x in cells if x[0] in ("sequential", "auto")])
                                      for c in self.corpora],
                       leak_cells=[x for x in self.leak_cells if x[0] in modes or x[0] == "sequential"])


def _cells(modes: Sequence[str], workers: Sequence[int]) -> list[Cell]:
    out: list[Cell] = [("sequential", 1)]
    for mode in modes:
        if mode != "sequential":
            out.extend((mode, w) for w in workers)
    return out


PARALLEL = ["sequential", "thread", "process", "auto"]
OPTIONAL = ("interpreter", "dask")
# Quick: at most 5 minutes on 2 cores per interpreter. auto is measured on both sides of
# MIN_FILES_FOR_PARALLEL (30, 60, 99 files) and at 300 and 1,500 files; the 1,500-file corpus
# decides the speedup criterion (the stdlib is in the full plan: its sequential runs alone take
# longer than the quick plan may). Short runs get more repeats.
QUICK = Plan(corpora=[
    CorpusPlan("small", _cells(["auto"], [2]), repeats=7, warmup="first"),
    CorpusPlan("small60", _cells(["auto"], [2]), repeats=7, warmup="first"),
    CorpusPlan("small99", _cells(["auto"], [2]), repeats=7, warmup="first"),
    CorpusPlan("medium", _cells(PARALLEL, [2]), repeats=3, warmup="first", optional=OPTIONAL),
    CorpusPlan("large", _cells(["process", "auto"], [2]), repeats=3, warmup="first"),
])
FULL = Plan(corpora=[
    CorpusPlan("small", _cells(["auto"], [2]), repeats=9, warmup="first"),
    CorpusPlan("small60", _cells(["auto"], [2]), repeats=9, warmup="first"),
    CorpusPlan("small99", _cells(["auto"], [2]), repeats=9, warmup="first"),
    CorpusPlan("medium", _cells(PARALLEL, [2, 4]), repeats=5, optional=OPTIONAL),
    CorpusPlan("stdlib", _cells(PARALLEL, [2, 4]), repeats=3, warmup="first", optional=OPTIONAL),
    CorpusPlan("large", _cells(PARALLEL, [2, 4]), repeats=3, warmup="first", optional=OPTIONAL),
    CorpusPlan("xlarge", _cells(PARALLEL, [2]), repeats=3, warmup="none"),
], reliability=True)


def mode_not_run(mode: str, facts: RuntimeFacts) -> str | None:
    """Why this interpreter cannot run a mode, or None."""
    if mode == "interpreter" and not facts.has_interpreter_pool:
        return f"needs Python 3.14+ (concurrent.futures.InterpreterPoolExecutor); this is {facts.label}"
    if mode == "dask" and importlib.util.find_spec("distributed") is None:
        return "the 'dask' extra is not installed here (pip install 'codegraph[dask]')"
    return None


def for_this_interpreter(plan: Plan, facts: RuntimeFacts | None = None) -> tuple[Plan, list[NotRun]]:
    """Add each corpus's optional modes (beside its process cells) and leak checks where this
    Python can run them; record the ones it cannot, with the reason."""
    facts = facts or RuntimeFacts.current()
    runnable = [m for m in OPTIONAL if mode_not_run(m, facts) is None]

    def add(cells: list[Cell], optional: Sequence[str]) -> list[Cell]:
        extra = [(m, w) for m in optional if m in runnable for mode, w in cells if mode == "process"]
        return cells + [c for c in extra if c not in cells]

    plan = replace(plan, corpora=[replace(c, cells=add(c.cells, c.optional)) for c in plan.corpora],
                   leak_cells=add(plan.leak_cells, OPTIONAL))
    wanted = {m for c in plan.corpora for m in c.optional} | set(OPTIONAL)
    skipped = [NotRun(facts.label, why, mode) for mode in OPTIONAL
               if mode in wanted and (why := mode_not_run(mode, facts))]
    return plan, skipped


def rotated(items: list[Cell], shift: int) -> list[Cell]:
    if not items:
        return items
    shift %= len(items)
    return items[shift:] + items[:shift]


@dataclass
class Bench:
    db: GraphDB
    run_dir: Path
    label: str
    python: str = sys.executable
    plant: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    via: dict[str, GraphDB] = field(default_factory=dict)  # mode -> how its runs reach the database
    progress: Callable[[str], None] = print
    # cells whose graph was digested: each cell's first completed repeat is (not only repeat 0,
    # so a mode whose first repeat failed still shows in the same-digest criterion)
    digested: set[tuple[str, str, int]] = field(default_factory=set)

    def spec(self, code: corpora.Corpus, mode: str, workers: int, repeat: int, *, digest: bool) -> RunSpec:
        return RunSpec(code, mode, workers, self.label, repeat, self.python, digest, plant=self.plant, env=self.env)

    def save(self, record: Record, name: str) -> Record:
        records.write(self.run_dir, record, label=f"{self.label}-{name}")
        return record

    def planned(self, plan: Plan) -> records.BenchPlan:
        return records.BenchPlan(self.label,
                                 [records.PlannedCell(cp.name, mode, workers, cp.repeats)
                                  for cp in plan.corpora for mode, workers in cp.cells],
                                 [records.PlannedCell(plan.leak_corpus, mode, workers, plan.leak_runs)
                                  for mode, workers in plan.leak_cells] if plan.leak_corpus else [])

    def run(self, plan: Plan) -> list[Record]:
        out: list[Record] = [self.save(self.planned(plan), "plan")]
        for cp in plan.corpora:
            code = corpora.get(cp.name)
            warm = cp.cells if cp.warmup == "all" else cp.cells[:1] if cp.warmup == "first" else []
            for mode, workers in warm:
                self.progress(f"[{self.label}] {code.name}: warm-up {mode} x{workers}")
                out.append(self.one(code, mode, workers, -1, digest=False))
            for r in range(cp.repeats):
                for mode, workers in rotated(cp.cells, r):
                    self.progress(f"[{self.label}] {code.name}: repeat {r + 1}/{cp.repeats} {mode} x{workers}")
                    record = self.one(code, mode, workers, r, digest=(code.name, mode, workers) not in self.digested)
                    # a run that exited non-zero left a partial graph: a later repeat is digested instead
                    if isinstance(record, records.RunRecord) and record.graph is not None and record.exit_status == 0:
                        self.digested.add((code.name, mode, workers))
                    out.append(record)
        if plan.leak_corpus:
            code = corpora.get(plan.leak_corpus)
            for mode, workers in plan.leak_cells:
                self.progress(f"[{self.label}] {code.name}: leak check, {plan.leak_runs} runs in one process, "
                              f"{mode} x{workers}")
                spec = self.spec(code, mode, workers, 0, digest=False)
                try:
                    check = leak_check(self.db, spec, plan.leak_runs)
                except Exception as exc:  # the check itself broke: a failed check, recorded, never lost
                    log.exception("leak check %s x%d failed", mode, workers)
                    check = records.LeakCheck(self.label, code, mode, mode, workers,
                                              error=f"the harness failed: {type(exc).__name__}: {exc}",
                                              plant=self.plant)
                out.append(self.save(check, f"leak-{mode}-{workers}"))
        if plan.reliability:
            from codegraph_harness.faults import reliability

            out.extend(reliability.run(self.db, self.run_dir, self.label, self.progress))
        return out

    def one(self, code: corpora.Corpus, mode: str, workers: int, repeat: int, *, digest: bool) -> Record:
        started = time.perf_counter()
        try:
            record: Record = measure_run(self.db, self.spec(code, mode, workers, repeat, digest=digest),
                                         via=self.via.get(mode))
        except Exception as exc:  # measuring broke (the database, the digest...): a failed run, recorded
            log.exception("measuring %s x%d on %s failed", mode, workers, code.name)
            record = records.FailedRun(self.label, code, mode, workers, repeat, None, "harness",
                                       redact_text(f"{type(exc).__name__}: {exc}", (self.db.password,))[:500],
                                       round(time.perf_counter() - started, 3), self.plant)
        if isinstance(record, records.RunRecord) and repeat < 0:
            record.timeline = []  # warm-ups are not plotted
        kind = "warmup" if repeat < 0 else f"run{repeat}"
        if isinstance(record, records.FailedRun):
            log.error("%s x%d on %s failed: %s", mode, workers, code.name, record.error)
            kind += "-failed"
        return self.save(record, f"{code.name}-{mode}-{workers}-{kind}")


def label_of(python: str) -> str:
    if python == sys.executable:
        return RuntimeFacts.current().label
    code = "from indexer import RuntimeFacts; print(RuntimeFacts.current().label)"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return out.stdout.strip() or Path(python).name
