from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegraph_harness import records

from .builders import failed, leak, run


def test_every_kind_round_trips_through_a_file(tmp_path: Path) -> None:
    run_dir = tmp_path / records.new_run_id()
    written = [run("3.12", "thread", 2, 0, 3.0), failed("3.12", "process", 2, 1, cause="database"),
               records.NotRun("3.14t", "interpreter not found"), leak("3.12", "process", [100, 101, 100, 102, 101])]
    paths = [records.write(run_dir, r, label=f"x{i}") for i, r in enumerate(written)]
    assert len(set(paths)) == 4  # append-only: a new file each
    run_ = records.load_run(run_dir)
    assert sorted(map(repr, run_.records)) == sorted(map(repr, written))
    doc = json.loads(paths[0].read_text())
    assert (doc["schema"], doc["version"], doc["kind"], doc["run_id"]) == ("codegraph.record", 2, "run", run_dir.name)
    m = run_.documents[0].machine
    assert m.cpu_count >= 1 and m.python.version and "neo4j" in m.packages
    assert run_.warnings() == []  # one machine, one commit


def test_unknown_schema_version_and_kind_are_refused_with_what_to_do(tmp_path: Path) -> None:
    path = records.write(tmp_path, records.NotRun("3.12", "x"), label="a")
    doc = json.loads(path.read_text())
    for change, message in (({"version": 1}, "re-run the bench"), ({"schema": "codegraph.run/1"}, "not a codegraph"),
                            ({"kind": "mystery"}, "unknown record kind")):
        bad = tmp_path / f"bad-{message[:5]}.json"
        bad.write_text(json.dumps({**doc, **change}))
        with pytest.raises(records.RecordError, match=message):
            records.read(bad)
        bad.unlink()


def test_merging_machines_or_commits_is_warned_about(tmp_path: Path) -> None:
    path = records.write(tmp_path, records.NotRun("3.12", "x"), label="a")
    doc = json.loads(path.read_text())
    doc["machine"] = {**doc["machine"], "cpu_model": "Another CPU", "cpu_count": 64, "git_commit": "0" * 40}
    (tmp_path / "other.json").write_text(json.dumps(doc))
    warnings = records.load_run(tmp_path).warnings()
    assert any("2 different machines" in w for w in warnings) and any("2 different commits" in w for w in warnings)


def test_leak_growth() -> None:
    assert abs(leak("3.12", "thread", [100, 110]).growth - 0.10) < 1e-9
    assert leak("3.12", "thread", [100]).growth == 0.0


def test_run_counters_are_exactly_what_the_indexers_summary_reports() -> None:
    from dataclasses import fields

    from codegraph_harness.records import RunCounters
    from indexer import Counters

    reported = Counters(files_indexed=3, retries=2, session_waits=[0.1, 0.3]).to_dict()
    assert {f.name for f in fields(RunCounters)} == set(reported)  # no counter copied by hand, none lost
    counters = RunCounters.from_summary({**reported, "mode": "thread"})
    assert (counters.files_indexed, counters.retries, counters.session_wait_max) == (3, 2, 0.3)
    with pytest.raises(KeyError):
        RunCounters.from_summary({"files_indexed": 1})
