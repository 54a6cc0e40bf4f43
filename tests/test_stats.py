from __future__ import annotations

import math

from codegraph_harness.verdict import stats

from .builders import failed, paired, run


def test_interval_is_a_t_interval_on_log_ratios() -> None:
    iv = stats.interval([2.0, 2.0, 2.0])
    assert iv is not None and math.isclose(iv.point, 2.0) and math.isclose(iv.low, 2.0) and iv.n == 3
    wide = stats.interval([1.5, 2.5])
    assert wide is not None and wide.low < 1.0 < 3.0 < wide.high  # t(1) = 12.7: two repeats say little
    one = stats.interval([1.7])
    assert one is not None and (one.low, one.high) == (0.0, math.inf) and "no interval" in one.text()
    assert stats.interval([]) is None


def test_ratios_are_paired_by_repeat_and_warmups_do_not_count() -> None:
    records = paired("3.12", "process", 2, [(10.0, 5.0), (20.0, 8.0)]) + [run("3.12", "process", 2, -1, 1.0)]
    ps = stats.pairs(records)[("3.12", "large", 2, "process")]
    assert [p.repeat for p in ps] == [0, 1]
    up = stats.speedup(ps)
    assert up is not None and math.isclose(up.point, math.sqrt(2.0 * 2.5)) and up.n == 2
    down = stats.slowdown(ps)
    assert down is not None and math.isclose(down.point, 1 / up.point)


def test_auto_is_its_own_cell_whatever_it_chose() -> None:
    records = paired("3.12", "auto", 2, [(10.0, 5.0)], chosen="process")
    assert ("3.12", "large", 2, "auto") in stats.pairs(records)
    assert ("3.12", "large", 2, "process") not in stats.pairs(records)


def test_ceiling_from_the_runs_own_accounting() -> None:
    (p,) = stats.pairs(paired("3.12", "process", 2, [(10.0, 6.0)]))[("3.12", "large", 2, "process")]
    # builders: serial phases 5% of the time; CPU 0.6 (indexer) + 0.3 (server) of the time
    amdahl = 10.0 / (0.05 * 6.0 + 0.95 * 10.0 / 2)
    cpu = 10.0 / (0.9 * 10.0 / 2)
    assert math.isclose(stats.ceiling(p, cores=2), min(amdahl, cpu), rel_tol=1e-6)
    assert stats.ceiling(p, cores=1) < 1.2 < stats.ceiling(p, cores=2) == stats.ceiling(p, cores=8)  # 2 workers


def test_failed_runs_are_kept_apart() -> None:
    records = [*paired("3.12", "process", 2, [(10.0, 5.0)]), failed("3.12", "process", 2, 1)]
    assert len(stats.runs(records)) == 2 and len(stats.failed(records)) == 1
