"""`codegraph bench`: the matrix of execution modes x worker counts x corpora on this interpreter.

Every cell gets one warm-up run that is recorded but not counted. Within each repeat the modes
run interleaved (in an order rotated per repeat) so drift of a shared machine hits them alike.
Each run is a fresh subprocess measured from outside, into an empty graph; each record is
written at once as its own JSON file in the run directory.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from codegraph_harness import corpus as corpora
from codegraph_harness import records as results
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.measuring.measure import RunFailed, child_env, measure_run
from indexer import RuntimeFacts, decide, has_interpreter_pool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    corpora: list[str]
    modes: list[str]
    workers: list[int]
    repeat: int
    small_corpus: str | None = "small"  # for the "auto on small codebases" criterion
    leak_corpus: str | None = "medium"
    leak_runs: int = 5
    heavy: dict[str, list[str]] = field(default_factory=dict)  # corpus -> modes, when not all
    reliability: bool = False  # faults, server restart and bad input in every mode
    repeats: dict[str, int] = field(default_factory=dict)  # corpus -> repeats, when not `repeat`


# Quick: under 5 minutes on 2 cores. Measured on 3.10-3.13 here with 2 stdlib repeats:
# 300-323 s, the stdlib cells alone ~225 s; so the stdlib runs once (after its warm-ups).
QUICK = Plan(corpora=["medium", "stdlib"], modes=["sequential", "thread", "process", "auto"], workers=[2],
             repeat=2, heavy={"stdlib": ["sequential", "auto"]}, leak_corpus="small",
             repeats={"stdlib": 1, "small": 7})
FULL = Plan(corpora=["medium", "stdlib", "large", "xlarge"], modes=["sequential", "thread", "process", "auto"],
            workers=[2, 4], repeat=3, reliability=True, repeats={"small": 9})


def with_interpreter_pool(plan: Plan) -> Plan:
    if has_interpreter_pool() and "interpreter" not in plan.modes:
        return replace(plan, modes=[*plan.modes, "interpreter"])
    return plan


def cells(plan: Plan, corpus: str) -> list[tuple[str, int]]:
    modes = plan.heavy.get(corpus, plan.modes)
    out: list[tuple[str, int]] = []
    for mode in modes:
        if mode == "sequential":
            out.append((mode, 1))
        else:
            out.extend((mode, w) for w in plan.workers)
    return out


def rotated(items: list[tuple[str, int]], shift: int) -> list[tuple[str, int]]:
    if not items:
        return items
    shift %= len(items)
    return items[shift:] + items[:shift]


def run_plan(db: GraphDB, plan: Plan, run_dir: Path, *, python: str = sys.executable,
             progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    label = RuntimeFacts.current().label if python == sys.executable else _label_of(python)
    records: list[dict[str, Any]] = []
    names = list(plan.corpora)
    if plan.small_corpus and plan.small_corpus not in names:
        names.insert(0, plan.small_corpus)
    for name in names:
        code = corpora.get(name)
        todo = [("sequential", 1), ("auto", max(plan.workers))] if name == plan.small_corpus and \
            name not in plan.corpora else cells(plan, name)
        for mode, workers in todo:
            progress(f"[{label}] {name}: warm-up {mode} x{workers}")
            records.append(_one(db, code, mode, workers, python, run_dir, label, "warmup", -1, digest=False))
        repeat = plan.repeats.get(name, plan.repeat)
        for r in range(repeat):
            for mode, workers in rotated(todo, r):
                progress(f"[{label}] {name}: repeat {r + 1}/{repeat} {mode} x{workers}")
                records.append(_one(db, code, mode, workers, python, run_dir, label, "run", r, digest=r == 0))
    if plan.reliability:
        from codegraph_harness.faults import reliability

        records.extend(reliability.run(db, run_dir, label, progress))
    if plan.leak_corpus:
        progress(f"[{label}] {plan.leak_corpus}: leak check, {plan.leak_runs} runs in one process")
        records.append(leak_check(db, corpora.get(plan.leak_corpus), plan.leak_runs, python, run_dir, label,
                                  max(plan.workers)))
    return records


def _one(db: GraphDB, code: corpora.Corpus, mode: str, workers: int, python: str, run_dir: Path, label: str,
         kind: str, repeat: int, *, digest: bool) -> dict[str, Any]:
    try:
        record = measure_run(db, code, mode, workers, python=python, digest=digest)
    except RunFailed as exc:
        record = {"kind": "failed", "interpreter": label, "corpus": code.to_dict(), "mode": mode,
                  "workers": workers, "repeat": repeat, "error": str(exc)}
        results.write_record(run_dir, record, label=f"{label}-{code.name}-{mode}-{workers}-failed")
        log.error("%s", exc)
        return record
    record.update({"kind": kind, "repeat": repeat, "interpreter": label})
    if kind == "warmup":
        record.pop("rss_timeline")
    results.write_record(run_dir, record, label=f"{label}-{code.name}-{mode}-{workers}-{kind}{max(repeat, 0)}")
    return record


def leak_check(db: GraphDB, code: corpora.Corpus, runs: int, python: str, run_dir: Path, label: str,
               workers: int) -> dict[str, Any]:
    with db.fresh() as target:
        env = child_env(target, {"INDEXING_MODE": "auto", "MAX_WORKERS": str(workers), "EMBED_MODE": "none",
                                 "MIN_FILES_FOR_PARALLEL": "1"})
        out = subprocess.run([python, "-m", "codegraph_harness.measuring.runner", code.path, "--leak-check", str(runs)],
                             env=env, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        record = {"kind": "failed", "interpreter": label, "corpus": code.to_dict(), "mode": "leak-check",
                  "workers": workers, "error": out.stderr.strip()[-1500:]}
    else:
        data = json.loads(out.stdout.strip().splitlines()[-1])
        rss = data["rss"]
        mode = decide("auto", code.files, workers, min_files=1).mode if python == sys.executable else "auto"
        record = {"kind": "leak", "interpreter": label, "corpus": code.to_dict(), "mode": mode, "workers": workers,
                  "rss": rss, "growth": (rss[-1] - rss[0]) / rss[0] if rss and rss[0] else 0.0,
                  "open_connections": data["open_connections"]}
    results.write_record(run_dir, record, label=f"{label}-leak")
    return record


def not_run(run_dir: Path, label: str, reason: str) -> Path:
    return results.write_record(run_dir, {"kind": "not-run", "interpreter": label, "reason": reason},
                                label=f"{label}-not-run")


def _label_of(python: str) -> str:
    code = "from indexer import RuntimeFacts; print(RuntimeFacts.current().label)"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return out.stdout.strip() or Path(python).name
