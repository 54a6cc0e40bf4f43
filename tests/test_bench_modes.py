"""A bench run: the medium corpus in sequential, thread and process modes (`pytest -m bench`)."""

from __future__ import annotations

from typing import Any

import pytest

from codegraph_harness.records import RunRecord


@pytest.mark.bench
def test_medium_corpus_in_every_mode(corpus, index_run, bench_options: dict[str, Any]) -> None:
    records = []
    for name in bench_options["corpora"]:
        code = corpus(name)
        for _ in range(bench_options["repeat"]):
            for workers in bench_options["workers"]:
                for mode in bench_options["modes"]:
                    records.append(index_run(code, mode, workers))
    completed = [r for r in records if isinstance(r, RunRecord)]
    assert len(completed) == len(records), [r for r in records if not isinstance(r, RunRecord)]
    for name in bench_options["corpora"]:
        assert len({r.graph.digest for r in completed if r.corpus.name == name and r.graph}) == 1, name
    for r in completed:
        assert r.counters.connection_failures == 0 and r.counters.edges_dangling == 0
        assert r.peak_rss > 0 and r.max_connections >= 1 and r.index_seconds > 0
