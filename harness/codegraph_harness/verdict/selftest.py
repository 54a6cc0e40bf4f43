"""The self-test: plant a regression from outside the indexer, bench it, and check that the
verdict says NO-GO on the criterion that regression breaks — and that a clean bench of the
same cells says no NO-GO at all. A criterion that cannot fail is not evidence.

Each scenario is a small bench (`Plan`) into a run folder of its own, judged with the release
criteria except that the speedup criteria ask whether parallel modes beat sequential at all
(1.0x instead of 1.5x and 2.0x, and no share of the ceiling): the self-test proves the rules
fire, whatever this machine's cores can reach. Its timings are only
meaningful on an otherwise idle machine (`make test` runs it after the rest of the suite).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.faults.proxy import FaultProxy
from codegraph_harness.records import load_run
from codegraph_harness.verdict import criteria as crit
from codegraph_harness.verdict.bench import Bench, CorpusPlan, Plan

SPEED = CorpusPlan("large", [("sequential", 1), ("process", 2)], repeats=3, warmup="first")
PAIRED = CorpusPlan("small99", [("sequential", 1), ("thread", 2)], repeats=1, warmup="none")
LEAK_CELLS = [("sequential", 1), ("thread", 2), ("process", 2)]
#: Tight limits, so a refused connection fails a run in seconds.
FAST_FAIL = {"WRITE_ATTEMPTS": "2", "NEO4J_CONNECTION_ACQUISITION_TIMEOUT": "2",
             "NEO4J_MAX_TRANSACTION_RETRY_TIME": "1"}


@dataclass(frozen=True)
class Scenario:
    name: str
    plant: str | None
    expect: tuple[str, ...]  # criteria that must say NO-GO (none for the clean bench)
    plan: Plan
    refuse: tuple[str, ...] = ()  # modes whose runs reach the database through a proxy that refuses them
    env: dict[str, str] = field(default_factory=dict)
    what: str = ""


SCENARIOS: list[Scenario] = [
    Scenario("clean", None, (), Plan([SPEED, PAIRED], leak_corpus="small", leak_cells=LEAK_CELLS),
             what="no regression planted"),
    Scenario("slow-workers", "slow-workers", ("large_gil_processes",), Plan([SPEED], leak_corpus=None),
             what="parallel workers spend 10 ms more per file"),
    Scenario("parallel-failures", "parallel-failures", ("error_rate",), Plan([PAIRED], leak_corpus=None),
             what="one file in six fails, only in parallel workers"),
    Scenario("crash", "crash", ("error_rate",), Plan([PAIRED], leak_corpus=None),
             what="a parallel run's coordinator exits 3 when it writes the last edges"),
    Scenario("refused", None, ("connection_failures",), Plan([PAIRED], leak_corpus=None), refuse=("thread",),
             env=FAST_FAIL, what="the fault proxy refuses every connection of the parallel runs"),
    Scenario("different-graph", "different-graph", ("same_digest",), Plan([PAIRED], leak_corpus=None),
             what="parallel workers write another docstring for every module"),
    Scenario("memory-growth", "memory-growth", ("no_leak",),
             Plan([], leak_corpus="small", leak_cells=[("sequential", 1)]),
             what="each run keeps 48 MiB alive in the coordinator"),
]


def selftest_criteria(spec: dict[str, Any]) -> dict[str, Any]:
    """The release criteria, with the speedup criteria asking only "faster than sequential?":
    the self-test proves that the rules fire on planted regressions, not that this machine
    reaches the release thresholds or its own ceiling (those rules have unit tests)."""
    out = copy.deepcopy(spec)
    for name in ("large_gil_processes", "large_free_threaded_threads"):
        out[name]["min_speedup"] = 1.0
        out[name]["min_ceiling_share"] = 0.0
    return out


@dataclass
class Outcome:
    scenario: Scenario
    verdicts: list[crit.Verdict]
    run_dir: Path

    @property
    def nogo(self) -> list[str]:
        return [v.key for v in self.verdicts if v.status == crit.NOGO]

    @property
    def passed(self) -> bool:
        if not self.scenario.expect:
            return not self.nogo
        return all(k in self.nogo for k in self.scenario.expect)

    def line(self) -> str:
        expected = ", ".join(self.scenario.expect) or "no NO-GO"
        got = ", ".join(self.nogo) or "no NO-GO"
        return (f"{'ok  ' if self.passed else 'FAIL'} {self.scenario.name:<18} expected {expected:<22} got {got}"
                f"   ({self.scenario.what})")


def run_scenario(db: GraphDB, scenario: Scenario, results: Path, label: str, cores: int,
                 progress: Callable[[str], None] = print) -> Outcome:
    run_dir = results / scenario.name
    bench = Bench(db, run_dir, label, plant=scenario.plant, env=dict(scenario.env), progress=progress)
    if scenario.refuse:
        with FaultProxy(int(db.uri.rsplit(":", 1)[1])) as proxy:
            proxy.refuse_for(10**6)
            via = replace(db, uri=f"bolt://127.0.0.1:{proxy.port}")
            bench.via = {mode: via for mode in scenario.refuse}
            bench.run(scenario.plan)
    else:
        bench.run(scenario.plan)
    spec = selftest_criteria(crit.load())
    verdicts = crit.evaluate(load_run(run_dir).records, spec, cores=cores)
    return Outcome(scenario, verdicts, run_dir)


def scenario_named(name: str) -> Scenario:
    for s in SCENARIOS:
        if s.name == name:
            return s
    raise KeyError(f"no self-test scenario {name!r}; scenarios: {', '.join(s.name for s in SCENARIOS)}")
