from __future__ import annotations

from codegraph_harness.verdict import bench
from indexer import RuntimeFacts


def test_rotation_and_cells() -> None:
    cells = bench._cells(["sequential", "thread", "process"], [2, 4])
    assert cells == [("sequential", 1), ("thread", 2), ("thread", 4), ("process", 2), ("process", 4)]
    assert bench.rotated(cells, 1)[0] == ("thread", 2) and sorted(bench.rotated(cells, 7)) == sorted(cells)


def test_quick_plan_measures_auto_on_both_sides_of_min_files_for_parallel() -> None:
    sizes = {c.name: c for c in bench.QUICK.corpora}
    assert {"small", "small60", "small99", "medium", "stdlib"} <= set(sizes)
    assert all(("auto", 2) in c.cells and ("sequential", 1) in c.cells for c in bench.QUICK.corpora)
    assert all(sizes[n].repeats >= 7 for n in ("small", "small60", "small99"))  # short runs: many repeats
    assert sizes["stdlib"].repeats >= 3
    assert {m for m, _ in bench.QUICK.leak_cells} == {"sequential", "thread", "process", "auto"}
    assert {"large", "xlarge"} <= {c.name for c in bench.FULL.corpora} and bench.FULL.reliability


def test_interpreter_mode_is_added_on_314_and_reported_as_not_run_before() -> None:
    old = RuntimeFacts((3, 12), False, True, False, 2)
    plan, skipped = bench.for_this_interpreter(bench.QUICK, old)
    assert not any(m == "interpreter" for c in plan.corpora for m, _ in c.cells)
    assert [(s.interpreter, s.mode) for s in skipped] == [("3.12", "interpreter")] and "3.14" in skipped[0].reason


def test_with_modes_keeps_sequential_and_auto_only_corpora() -> None:
    plan = bench.QUICK.with_modes(["thread"], [4])
    medium = next(c for c in plan.corpora if c.name == "medium")
    small = next(c for c in plan.corpora if c.name == "small")
    assert medium.cells == [("sequential", 1), ("thread", 4)]
    assert small.cells == [("sequential", 1)]
