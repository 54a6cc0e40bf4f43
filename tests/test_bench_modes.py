"""A bench run: the medium corpus in sequential, thread and process modes (`pytest -m bench`)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.bench
def test_medium_corpus_in_every_mode(corpus, index_run, bench_options: dict[str, Any]) -> None:
    records = []
    for name in bench_options["corpora"]:
        code = corpus(name)
        for _ in range(bench_options["repeat"]):
            for workers in bench_options["workers"]:
                for mode in bench_options["modes"]:
                    records.append(index_run(code, mode, workers))
    assert {r["graph"]["digest"] for r in records if r["corpus"]["name"] == records[0]["corpus"]["name"]} == {
        records[0]["graph"]["digest"]}
    for r in records:
        assert r["connections"]["connection_failures"] == 0 and r["edges_dangling"] == 0
        assert r["peak_rss"] > 0 and r["connections"]["max_open"] >= 1 and r["files_per_s"] > 0
