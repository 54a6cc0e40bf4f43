from __future__ import annotations

import json
from pathlib import Path

from codegraph_harness import records as results


def test_records_are_versioned_append_only_and_carry_the_machine(tmp_path: Path) -> None:
    run_dir = tmp_path / results.new_run_id()
    first = results.write_record(run_dir, {"mode": "thread", "files_per_s": 10.0}, label="medium-thread-2")
    second = results.write_record(run_dir, {"mode": "thread", "files_per_s": 11.0}, label="medium-thread-2")
    assert first != second
    docs = results.load_records(run_dir)
    assert [d["record"]["files_per_s"] for d in docs] == sorted([10.0, 11.0])
    meta = docs[0]["machine"]
    assert docs[0]["schema"] == results.SCHEMA
    assert meta["cpu_count"] >= 1 and meta["python"]["version"] and "neo4j" in meta["packages"]
    assert json.loads(first.read_text())["run_id"] == run_dir.name
