from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegraph_harness.verdict import bench
from indexer import RuntimeFacts


def test_rotation_and_cells() -> None:
    cells = bench._cells(["sequential", "thread", "process"], [2, 4])
    assert cells == [("sequential", 1), ("thread", 2), ("thread", 4), ("process", 2), ("process", 4)]
    assert bench.rotated(cells, 1)[0] == ("thread", 2) and sorted(bench.rotated(cells, 7)) == sorted(cells)


def test_quick_plan_measures_auto_on_both_sides_of_min_files_for_parallel() -> None:
    sizes = {c.name: c for c in bench.QUICK.corpora}
    assert {"small", "small60", "small99", "medium", "large"} <= set(sizes)
    assert all(("auto", 2) in c.cells and ("sequential", 1) in c.cells for c in bench.QUICK.corpora)
    assert all(sizes[n].repeats >= 5 for n in ("small", "small60", "small99"))  # short runs: many repeats
    assert sizes["large"].repeats >= 3 and ("process", 2) in sizes["large"].cells  # > 1,000 files: the speedup
    assert {m for m, _ in bench.QUICK.leak_cells} == {"sequential", "thread", "process", "auto"}
    assert {"stdlib", "large", "xlarge"} <= {c.name for c in bench.FULL.corpora} and bench.FULL.reliability
    assert all(c.repeats >= 3 for c in bench.FULL.corpora)  # n >= 3: an interval that can decide


def test_optional_modes_are_added_where_they_run_and_reported_where_they_do_not() -> None:
    old = RuntimeFacts((3, 12), False, True, False, 2)
    plan, skipped = bench.for_this_interpreter(bench.QUICK, old)
    assert not any(m == "interpreter" for c in plan.corpora for m, _ in c.cells)
    reasons = {s.mode: s.reason for s in skipped}
    assert "3.14" in reasons["interpreter"] and all(s.interpreter == "3.12" for s in skipped)
    new = RuntimeFacts((3, 14), False, True, True, 2)
    plan, skipped = bench.for_this_interpreter(bench.QUICK, new)
    cells = {c.name: c.cells for c in plan.corpora}
    assert ("interpreter", 2) in cells["medium"] and ("interpreter", 2) in cells["large"]
    assert ("interpreter", 2) in plan.leak_cells and "interpreter" not in {s.mode for s in skipped}
    has_dask = "dask" not in reasons
    assert (("dask", 2) in cells["medium"]) == has_dask and ("dask", 2) not in cells["large"]


def test_with_modes_keeps_sequential_and_auto_only_corpora() -> None:
    plan = bench.QUICK.with_modes(["thread"], [4])
    medium = next(c for c in plan.corpora if c.name == "medium")
    small = next(c for c in plan.corpora if c.name == "small")
    assert medium.cells == [("sequential", 1), ("thread", 4)]
    assert small.cells == [("sequential", 1)]


def test_each_cell_is_digested_on_its_first_completed_repeat(monkeypatch, tmp_path) -> None:
    from .builders import corpus, failed, run

    asked: list[tuple[str, int, bool]] = []

    def fake_measure(db, spec, via=None):  # the bench's bookkeeping only: no database, no subprocess
        asked.append((spec.mode, spec.repeat, spec.digest))
        if spec.mode == "thread" and spec.repeat == 0:
            return failed("3.12", "thread", spec.workers, 0)
        return run("3.12", spec.mode, spec.workers, spec.repeat, 1.0, corpus="medium", files=300)

    monkeypatch.setattr(bench, "measure_run", fake_measure)
    monkeypatch.setattr(bench.corpora, "get", lambda name: corpus(name, 300))
    plan = bench.Plan(corpora=[bench.CorpusPlan("medium", bench._cells(["thread"], [2]), repeats=3, warmup="none")],
                      leak_corpus=None)
    bench.Bench(None, tmp_path, "3.12", progress=lambda m: None).run(plan)  # type: ignore[arg-type]
    digested = sorted((mode, repeat) for mode, repeat, digest in asked if digest)
    # thread's repeat 0 failed before its digest was read: its repeat 1 is digested instead
    assert digested == [("sequential", 0), ("thread", 0), ("thread", 1)]


def test_a_plan_of_named_corpora_with_only_auto_and_an_unknown_corpus() -> None:
    import argparse

    from codegraph_harness import cli

    args = argparse.Namespace(quick=False, modes="auto", workers="2", corpora="stdlib,django", repeat=1,
                              no_leak_check=True, reliability=False, reliability_only=False)
    plan = cli._plan(args)
    assert [c.name for c in plan.corpora] == ["stdlib", "django"]
    assert all(c.cells == [("sequential", 1), ("auto", 2)] and c.repeats == 1 for c in plan.corpora)


@pytest.mark.parametrize(("option", "says"), [
    (["--workers", "abc"], "--workers abc: 'abc' is not a worker count; give comma-separated positive integers, "
                           "e.g. --workers 2,4"),
    (["--workers", "2,0"], "--workers 2,0: '0' is not a worker count"),
    (["--modes", "thread,bogus"], "--modes thread,bogus: unknown mode 'bogus'; modes are auto, sequential"),
])
def test_bad_bench_options_are_one_line_and_exit_2_before_anything_starts(tmp_path: Path, option: list[str],
                                                                         says: str) -> None:
    # --graphdb external without NEO4J_URI: were the options not checked first, no server would start either
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CODEGRAPH_"))}
    out = subprocess.run([sys.executable, "-m", "indexer", "bench", *option, "--no-report", "--graphdb", "external",
                          "--results", str(tmp_path)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.startswith(f"codegraph bench: {says}") and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not any(tmp_path.iterdir())  # no run folder made


def test_a_bad_accuracy_suite_or_graphdb_is_one_line_and_exit_2_before_anything_starts(tmp_path: Path) -> None:
    lone = tmp_path / "suite" / "cat" / "lone"
    lone.mkdir(parents=True)
    (lone / "main.py").write_text("def f(): pass\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CODEGRAPH_"))}
    results = tmp_path / "results"
    for option, says in ((["--accuracy", str(tmp_path / "suite")], f"--accuracy {lone}: a case (it has main.py) "
                                                                     "without callgraph.json"),
                         (["--graphdb", "bogus"], "--graphdb bogus: unknown graph database; use one of auto, ")):
        out = subprocess.run([sys.executable, "-m", "indexer", "bench", "--no-report", "--graphdb", "external",
                              *option, "--results", str(results)], env=env, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert out.stderr.startswith(f"codegraph bench: {says}"), out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
        assert not results.exists()
