from __future__ import annotations

from codegraph_harness.verdict import bench


def test_cells_and_rotation() -> None:
    plan = bench.Plan(corpora=["medium"], modes=["sequential", "thread", "process"], workers=[2, 4], repeat=2)
    cells = bench.cells(plan, "medium")
    assert cells == [("sequential", 1), ("thread", 2), ("thread", 4), ("process", 2), ("process", 4)]
    assert bench.rotated(cells, 1)[0] == ("thread", 2) and sorted(bench.rotated(cells, 7)) == sorted(cells)
    heavy = bench.Plan(corpora=["stdlib"], modes=["sequential", "auto"], workers=[2], repeat=1,
                       heavy={"stdlib": ["sequential"]})
    assert bench.cells(heavy, "stdlib") == [("sequential", 1)]


def test_quick_plan_fits_the_issue() -> None:
    assert bench.QUICK.corpora == ["medium", "stdlib"] and bench.QUICK.repeat >= 2
    assert bench.QUICK.repeats == {"stdlib": 1, "small": 7}
    assert set(bench.FULL.corpora) >= {"large", "xlarge"}
