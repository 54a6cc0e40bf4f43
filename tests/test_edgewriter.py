"""Edges handed over while resolution runs are written once, with the rest written after."""

from __future__ import annotations

import pytest

from codegraph_harness.databases.providers import GraphDB
from indexer import graph_stats
from indexer.config import load_settings
from indexer.discover import discover
from indexer.edgewriter import EdgeWriter
from indexer.model import Edge
from indexer.resolve import resolve
from indexer.worker import Worker, WorkerConfig
from indexer.workforce import Workforce

CODE = {f"p/m{i}.py": f"from p.m{(i + 1) % 12} import f{(i + 1) % 12}\n"
                      f"def f{i}():\n    return f{(i + 1) % 12}()\n"
                      f"class K{i}:\n    def run(self):\n        return f{i}()\n" for i in range(12)}


@pytest.mark.graphdb
@pytest.mark.parametrize("mode", ["sequential", "thread"])
def test_streamed_and_remaining_edges_are_each_written_once(clean_graph: GraphDB, make_tree, mode: str) -> None:
    root = make_tree({"p/__init__.py": "", **CODE})
    files, _ = discover(root)
    settings = load_settings({**clean_graph.env(), "INDEXING_MODE": mode}, environ={}, dotenv_path=None)
    config = WorkerConfig(settings, "")
    with clean_graph.store() as store:
        store.ensure_schema(store.verify(), None)
        local = Worker(config, store)
        with Workforce(mode, 2, config, local) as team:
            written = local.index_batch(files)
            writer = EdgeWriter(team, set(written.written), batch=4)
            found: list[Edge] = []

            def stream(edges: list[Edge]) -> None:  # what resolution would hand over, in small pieces
                found.extend(edges)
                for i in range(0, len(edges), 3):
                    writer.stream(edges[i:i + 3])

            result = resolve(written.facts)
            stream([e for e in result.edges if e.type == "CALLS"])
            rest = [e for e in result.edges if e.type != "CALLS"]
            counters = writer.finish(rest)
        stats = graph_stats(store)
    assert counters.edges_written == len(result.edges) and counters.edges_dangling == 0
    assert 0 < writer.streamed <= len(found)
    assert stats.edges["CALLS"] == sum(1 for e in result.edges if e.type == "CALLS")  # none twice (CREATE)
    assert stats.edges["IMPORTS"] == 12
