from __future__ import annotations

import pytest

from harness.providers import GraphDB
from indexer import graphdb, graphstats
from indexer.model import Edge, NodeRecord


@pytest.mark.graphdb
def test_digest_tracks_every_property_and_edge(clean_graph: GraphDB) -> None:
    settings = clean_graph.settings()

    def write(doc: str, with_edge: bool) -> graphstats.GraphStats:
        nodes = [NodeRecord("Module", "a.py", {"id": "a.py", "path": "a.py", "docstring": doc}),
                 NodeRecord("Class", "a.py::K", {"id": "a.py::K", "path": "a.py", "bases": []})]
        edges = [Edge("DEFINES", "Module", "a.py", "Class", "a.py::K")] if with_edge else []
        with graphdb.open_driver(settings) as driver:
            graphdb.clear(driver, settings)
            graphdb.write(driver, settings, graphdb.WriteStats(), "w", lambda tx: graphdb.tx_write_nodes(tx, nodes))
            graphdb.write_edges(driver, settings, edges, graphdb.WriteStats())
            return graphstats.collect(driver, settings)

    base = write("one", True)
    assert base.nodes == {"Module": 1, "Class": 1, "Function": 0}
    assert base.edges == {"DEFINES": 1, "IMPORTS": 0, "INHERITS": 0, "CALLS": 0}
    assert write("one", True).digest == base.digest
    assert write("two", True).digest != base.digest
    assert write("one", False).digest != base.digest
    with graphdb.open_driver(settings) as driver:
        assert graphstats.collect(driver, settings, with_digest=False).digest == ""
