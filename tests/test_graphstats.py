from __future__ import annotations

import pytest

from codegraph_harness.databases.providers import GraphDB
from indexer import graphstats, write
from indexer.model import Edge, NodeRecord


@pytest.mark.graphdb
def test_digest_tracks_every_property_and_edge(clean_graph: GraphDB) -> None:
    def written(doc: str, with_edge: bool) -> graphstats.GraphStats:
        nodes = [NodeRecord("Module", "a.py", {"id": "a.py", "path": "a.py", "docstring": doc}),
                 NodeRecord("Class", "a.py::K", {"id": "a.py::K", "path": "a.py", "bases": []})]
        edges = [Edge("DEFINES", "Module", "a.py", "Class", "a.py::K")] if with_edge else []
        with clean_graph.store() as store:
            store.clear()
            store.write("w", lambda tx: write.tx_write_nodes(tx, nodes))
            store.write_edges(edges)
            return graphstats.graph_stats(store)

    base = written("one", True)
    assert base.nodes == {"Module": 1, "Class": 1, "Function": 0, "Lambda": 0}
    assert base.edges == {"DEFINES": 1, "IMPORTS": 0, "INHERITS": 0, "CALLS": 0, "INSTANTIATES": 0}
    assert written("one", True).digest == base.digest
    assert written("two", True).digest != base.digest
    assert written("one", False).digest != base.digest
    with clean_graph.store() as store:
        assert graphstats.graph_stats(store, with_digest=False).digest == ""
