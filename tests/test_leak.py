from __future__ import annotations

import pytest

from codegraph_harness import corpus as corpora
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.measuring.leak import leak_check
from codegraph_harness.measuring.measure import RunSpec


@pytest.mark.graphdb
@pytest.mark.parametrize(("mode", "workers"), [("thread", 2), ("process", 2)])
def test_consecutive_runs_leave_no_worker_no_connection_and_little_growth(graphdb: GraphDB, mode: str,
                                                                          workers: int) -> None:
    check = leak_check(graphdb, RunSpec(corpora.get("small"), mode, workers, "test"), runs=3)
    assert check.error is None and len(check.runs) == 3 and check.mode == mode
    assert all(s.processes_after == 0 and s.connections_after == 0 for s in check.runs)
    assert check.growth < 0.10 and all(s.peak_rss >= s.rss_after > 0 for s in check.runs)
    if mode == "process":  # the workers' memory is seen: the tree's peak is well above the coordinator at rest
        assert check.runs[0].peak_rss > 1.3 * check.runs[0].rss_after


@pytest.mark.graphdb
def test_a_coordinator_that_keeps_memory_is_seen_growing(graphdb: GraphDB) -> None:
    spec = RunSpec(corpora.get("small"), "sequential", 1, "test", plant="memory-growth")
    check = leak_check(graphdb, spec, runs=3)
    assert check.error is None and check.growth > 0.3  # 48 MiB a run on a ~120 MiB process
