from __future__ import annotations

import pytest

from harness.providers import GraphDB
from indexer import graphdb
from indexer.config import load_settings
from indexer.model import Edge, NodeRecord


def test_classify_agents() -> None:
    arcade = graphdb.classify("Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)")
    assert (arcade.flavour, arcade.version) == ("arcadedb", "26.10.2")
    neo = graphdb.classify("Neo4j/5.26.3")
    assert (neo.flavour, neo.version) == ("neo4j", "5.26.3")
    assert graphdb.classify("Memgraph/2.19").flavour == "other"


def test_schema_is_per_flavour() -> None:
    arcade = graphdb.schema_statements("arcadedb", 256)
    neo = graphdb.schema_statements("neo4j", 256)
    assert not any("VECTOR" in s or "FULLTEXT" in s for s in arcade)
    assert sum("VECTOR INDEX" in s for s in neo) == 2 and any("FULLTEXT" in s for s in neo)
    assert all("IF NOT EXISTS" in s for s in arcade + neo)
    assert "`vector.dimensions`: 256" in " ".join(neo)


def test_unreachable_server_is_retried_counted_and_named() -> None:
    settings = load_settings({"NEO4J_URI": "bolt://127.0.0.1:9", "NEO4J_PASSWORD": "pw", "WRITE_ATTEMPTS": 3,
                              "NEO4J_MAX_TRANSACTION_RETRY_TIME": 0.5}, environ={}, dotenv_path=None)
    settings = type(settings)(**{**settings.__dict__, "retry_delay": 0.01})
    stats = graphdb.WriteStats()
    with graphdb.open_driver(settings) as driver, pytest.raises(graphdb.DatabaseError) as err:
        graphdb.write(driver, settings, stats, "test write", lambda tx: tx.run("RETURN 1").consume())
    assert "test write failed after 3 attempts against bolt://127.0.0.1:9" in str(err.value)
    assert (stats.retries, stats.connection_errors) == (2, 3)


def test_labels_and_types_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown label"):
        graphdb._check_label("Module) DETACH DELETE (x")
    with pytest.raises(ValueError, match="unknown relationship type"):
        graphdb._check_type("CALLS]->() //")


@pytest.mark.graphdb
def test_writes_are_idempotent_and_count_dangling_edges(clean_graph: GraphDB) -> None:
    settings = clean_graph.settings()
    nodes = [NodeRecord("Module", "m.py", {"id": "m.py", "path": "m.py", "docstring": None}),
             NodeRecord("Function", "m.py::f", {"id": "m.py::f", "path": "m.py", "decorators": ["a'b", "`c`"]})]
    edges = [Edge("DEFINES", "Module", "m.py", "Function", "m.py::f"),
             Edge("CALLS", "Function", "m.py::f", "Function", "m.py::missing")]
    stats = graphdb.WriteStats()
    with graphdb.open_driver(settings) as driver:
        info = graphdb.verify(driver, settings)
        graphdb.ensure_schema(driver, settings, info, None)
        for _ in range(2):
            graphdb.write(driver, settings, stats, "nodes", lambda tx: graphdb.tx_write_nodes(tx, nodes))
            assert graphdb.write_edges(driver, settings, edges, stats) == 1  # the CALLS edge has no target
        rows = graphdb.read(driver, settings, "MATCH (n) RETURN count(n) AS n")
        assert rows == [{"n": 2}]
        assert graphdb.stored_fingerprints(driver, settings, ["m.py", "nope.py"]) == {"m.py": None}
        assert graphdb.clear(driver, settings) == 2
    assert len(stats.session_waits) == 4 and all(w >= 0 for w in stats.session_waits)
