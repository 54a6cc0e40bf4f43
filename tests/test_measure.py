"""One measured run, from outside, against the real server: what it records, and a run that
does not complete becoming a FailedRun (never an exception)."""

from __future__ import annotations

import pytest

from codegraph_harness import corpus as corpora
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.measuring.measure import RunSpec, cause_of, last_error_line, measure_run
from codegraph_harness.records import FailedRun, RunRecord


@pytest.mark.graphdb
def test_a_process_run_is_measured_with_phases_timeline_and_digest(graphdb: GraphDB) -> None:
    spec = RunSpec(corpora.get("small"), "process", 2, "test")
    record = measure_run(graphdb, spec)
    assert isinstance(record, RunRecord), record
    assert (record.mode, record.workers, record.exit_status) == ("process", 2, 0)
    names = [p.name for p in record.phases]
    assert names[:4] == ["discover", "connect", "start_workers", "parse_write"] and names[-1] == "cleanup"
    assert record.cpu_seconds > 0 and record.peak_rss > 50 * 2**20 and record.max_connections >= 1
    assert record.timeline and record.graph is not None and len(record.graph.digest) == 64
    assert record.counters.files_indexed == 30 and record.error_rate == 0.0
    assert record.packstream in ("rust", "python")


@pytest.mark.graphdb
def test_a_run_that_cannot_reach_the_database_is_a_failed_run_caused_by_it(graphdb: GraphDB) -> None:
    via = GraphDB("external", "bolt://127.0.0.1:9", "neo4j", "secret-pw", None)
    spec = RunSpec(corpora.get("small"), "sequential", 1, "test", env={"WRITE_ATTEMPTS": "1"})
    record = measure_run(graphdb, spec, via=via)
    assert isinstance(record, FailedRun) and record.cause == "database" and record.exit_status == 1
    assert "cannot reach the graph database" in record.error and "secret-pw" not in record.error


def test_the_last_error_line_skips_routine_logging() -> None:
    err = "INFO indexer.tokens: tokenizer: ConnectionError bla\nTraceback...\nValueError: boom\nINFO x: y\n"
    assert last_error_line(err) == "ValueError: boom"
    assert last_error_line("WARNING a\ncodegraph: cannot reach the graph database at x\nINFO z") .startswith(
        "codegraph: cannot reach")
    assert cause_of("codegraph: cannot reach the graph database") == "database" and cause_of("boom") == "crash"
