"""The indexer's speed target as a benchmark (run with `-m bench`; not part of `make test`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.measuring.baseline import measure


@pytest.mark.bench
def test_stdlib_end_to_end_against_parse_and_ingest_floors(benchmark, graphdb: GraphDB, stdlib: Path) -> None:
    result = benchmark.pedantic(measure, args=(graphdb, str(stdlib)), rounds=1, iterations=1)
    benchmark.extra_info.update(result.to_dict())
    print(json.dumps(result.to_dict(), indent=2))
    assert result.files > 1000 and result.nodes > 10_000 and result.edges > result.nodes
    assert result.parse_one_core > 0 and result.ingest_seconds > 0 and result.auto_seconds > 0
    # the figures of issue 10, printed and kept in extra_info (benchmarks, not timed assertions)
    print(f"auto {result.auto_speedup:.2f}x sequential; auto = {result.auto_over_parse:.2f}x one-core ast.parse")
