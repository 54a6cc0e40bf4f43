from __future__ import annotations

from codegraph_harness.verdict import criteria as crit

from .test_stats import rec

SPEC = crit.load()


def by_key(verdicts: list[crit.Verdict]) -> dict[str, crit.Verdict]:
    return {v.key: v for v in verdicts}


def good_gil_run() -> list[dict]:
    out = []
    for r in range(2):
        out += [rec("3.12", "sequential", 1, r, 30.0), rec("3.12", "process", 4, r, 15.0, rss=300 * 2**20),
                rec("3.12", "thread", 4, r, 28.0, rss=110 * 2**20),
                rec("3.12", "sequential", 1, r, 1.0, corpus="small", files=30),
                rec("3.12", "auto", 1, r, 1.02, corpus="small", files=30, requested="auto")]
    out.append({"kind": "leak", "interpreter": "3.12", "mode": "process", "workers": 4,
                "rss": [100, 101, 100, 102, 101], "growth": 0.01, "open_connections": 0})
    return out


def test_a_good_gil_run_on_enough_cores() -> None:
    verdicts = by_key(crit.evaluate(good_gil_run(), SPEC, cores=8, local_server=True))
    assert verdicts["large_gil_processes"].status == crit.GO
    assert verdicts["small_auto"].status == crit.GO
    assert verdicts["error_rate"].status == crit.GO
    assert verdicts["connection_failures"].status == crit.GO
    assert verdicts["thread_memory"].status == crit.GO
    assert verdicts["same_digest"].status == crit.GO
    assert verdicts["no_leak"].status == crit.GO
    not_run = verdicts["large_free_threaded_threads"]
    assert not_run.status == crit.INCONCLUSIVE and "3.14t: not run" in not_run.detail
    assert verdicts["gil_stays_off"].status == crit.INCONCLUSIVE
    assert crit.overall(list(verdicts.values())) == crit.INCONCLUSIVE


def test_too_few_cores_is_inconclusive_with_numbers_and_enough_cores_is_no_go() -> None:
    records = [rec("3.12", "sequential", 1, 0, 30.0), rec("3.12", "process", 2, 0, 25.0)]
    two = by_key(crit.evaluate(records, SPEC, cores=2, local_server=True))["large_gil_processes"]
    assert two.status == crit.INCONCLUSIVE and "needs 2 workers plus a core for the database" in two.detail
    assert any("1.20" in n for n in two.numbers)
    many = by_key(crit.evaluate(records, SPEC, cores=16, local_server=True))["large_gil_processes"]
    assert many.status == crit.NOGO and "1.20x < 1.5x" in many.detail


def test_no_go_cases() -> None:
    records = good_gil_run()
    records.append(rec("3.12", "process", 4, 0, 15.0, digest="other", error_rate=0.05, rss=999 * 2**20))
    records[2]["peak_rss"] = 200 * 2**20  # a thread run at 2x sequential's memory
    records[-1]["connections"]["connection_failures"] = 1
    v = by_key(crit.evaluate(records, SPEC, cores=8, local_server=True))
    assert v["same_digest"].status == crit.NOGO
    assert v["error_rate"].status == crit.NOGO and "5.00 pp" in v["error_rate"].detail
    assert v["connection_failures"].status == crit.NOGO
    assert v["thread_memory"].status == crit.NOGO
    assert crit.overall(list(v.values())) == crit.NOGO


def test_free_threaded_checks() -> None:
    records = [rec("3.14t", "sequential", 1, 0, 30.0, gil={"at_start": False, "at_end": False, "culprit": None}),
               rec("3.14t", "thread", 4, 0, 12.0, gil={"at_start": False, "at_end": True, "culprit": "numpy._core"})]
    v = by_key(crit.evaluate(records, SPEC, cores=8, local_server=False))
    assert v["large_free_threaded_threads"].status == crit.GO
    assert v["gil_stays_off"].status == crit.NOGO and "numpy._core" in v["gil_stays_off"].detail


def test_small_auto_within_noise_is_inconclusive() -> None:
    records = []
    for r, (seq, auto) in enumerate([(1.0, 1.2), (0.7, 0.9), (1.1, 1.3)]):
        records += [rec("3.12", "sequential", 1, r, seq, corpus="small", files=30),
                    rec("3.12", "auto", 1, r, auto, corpus="small", files=30, requested="auto")]
    v = by_key(crit.evaluate(records, SPEC, cores=8, local_server=True))["small_auto"]
    assert v.status == crit.INCONCLUSIVE and "noise" in v.detail


def test_leak_and_small_auto_failures() -> None:
    records = [rec("3.12", "sequential", 1, r, 1.0, corpus="small", files=30) for r in range(3)]
    records += [rec("3.12", "auto", 2, r, 1.2, corpus="small", files=30, requested="auto") for r in range(3)]
    records += [
               {"kind": "leak", "interpreter": "3.12", "mode": "process", "workers": 2,
                "rss": [100, 150, 200, 250, 300], "growth": 2.0, "open_connections": 1}]
    v = by_key(crit.evaluate(records, SPEC, cores=8, local_server=True))
    assert v["small_auto"].status == crit.NOGO and "+20.0%" in v["small_auto"].detail
    assert v["no_leak"].status == crit.NOGO


def test_auto_that_chose_processes_counts_as_processes() -> None:
    records = [rec("3.12", "sequential", 1, 0, 30.0), rec("3.12", "process", 2, 0, 18.0, requested="auto")]
    v = by_key(crit.evaluate(records, SPEC, cores=2, local_server=True))["large_gil_processes"]
    assert v.status == crit.GO and "auto (process) x2: 1.67x" in v.numbers[0]
