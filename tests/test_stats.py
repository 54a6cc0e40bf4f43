from __future__ import annotations

from typing import Any

from codegraph_harness.verdict import stats


def rec(interp: str, mode: str, workers: int, repeat: int, seconds: float, **extra: Any) -> dict[str, Any]:
    files = extra.pop("files", 1500)
    return {"kind": "run", "interpreter": interp, "mode": mode, "requested_mode": extra.pop("requested", mode),
            "workers": workers, "repeat": repeat, "index_seconds": seconds, "files_per_s": files / seconds,
            "peak_rss": extra.pop("rss", 100 * 2**20), "error_rate": extra.pop("error_rate", 0.0),
            "corpus": {"name": extra.pop("corpus", "large"), "files": files, "fingerprint": "f" * 64},
            "connections": {"connection_failures": 0, "retries": 0, "acquisition_timeouts": 0, "max_open": workers,
                            "pool_size": 2 * workers},
            "graph": {"digest": extra.pop("digest", "d1")},
            "gil": extra.pop("gil", {"at_start": True, "at_end": True, "culprit": None}), **extra}


def test_speedups_are_taken_within_each_repeat() -> None:
    records = [rec("3.12", "sequential", 1, 0, 10.0), rec("3.12", "process", 2, 0, 5.0),
               rec("3.12", "sequential", 1, 1, 20.0), rec("3.12", "process", 2, 1, 8.0),
               {"kind": "warmup", "interpreter": "3.12"}]
    ups = stats.speedups(records)
    s = ups[("3.12", "large", 2, "process")]
    assert (s.low, s.high, s.median, s.n) == (2.0, 2.5, 2.25, 2)
    assert s.noisy  # (2.5 - 2.0) / 2.25 > 10%
    assert ups[("3.12", "large", 1, "sequential")].median == 1.0


def test_summary_text_and_quiet_cells() -> None:
    s = stats.summarise([1.0, 1.02, 1.01])
    assert s is not None and not s.noisy and s.text() == "1.01 (1.00-1.02)"
    assert stats.summarise([]) is None
    single = stats.summarise([3.0])
    assert single is not None and single.text() == "3.00" and not single.noisy


def test_auto_is_its_own_cell_whatever_it_chose() -> None:
    records = [rec("3.12", "sequential", 1, 0, 10.0), rec("3.12", "process", 2, 0, 5.0, requested="auto"),
               rec("3.12", "sequential", 1, 0, 2.0, corpus="small", files=30),
               rec("3.12", "sequential", 1, 0, 2.2, corpus="small", files=30, requested="auto")]
    ups = stats.speedups(records)
    assert ups[("3.12", "large", 2, "auto")].median == 2.0
    assert ("3.12", "large", 2, "process") not in ups
    assert ups[("3.12", "small", 1, "sequential")].median == 1.0  # not mixed with the auto run
    assert round(ups[("3.12", "small", 1, "auto")].median, 3) == round(2.0 / 2.2, 3)
