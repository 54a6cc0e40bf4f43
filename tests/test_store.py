from __future__ import annotations

import dataclasses
import threading

import pytest

from codegraph_harness.databases.providers import GraphDB
from indexer import write
from indexer.config import load_settings
from indexer.model import Edge, NodeRecord
from indexer.store import DatabaseError, GraphStore, classify, packstream_implementation


def test_classify_agents() -> None:
    arcade = classify("Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)")
    assert (arcade.flavour, arcade.version) == ("arcadedb", "26.10.2")
    neo = classify("Neo4j/5.26.3")
    assert (neo.flavour, neo.version) == ("neo4j", "5.26.3")
    assert classify("Memgraph/2.19").flavour == "other"


def test_unreachable_server_is_retried_counted_and_named() -> None:
    settings = load_settings({"NEO4J_URI": "bolt://127.0.0.1:9", "NEO4J_PASSWORD": "pw", "WRITE_ATTEMPTS": 3,
                              "NEO4J_MAX_TRANSACTION_RETRY_TIME": 0.5}, environ={}, dotenv_path=None)
    settings = dataclasses.replace(settings, retry_delay=0.01)
    with GraphStore(settings) as store, pytest.raises(DatabaseError) as err:
        store.write("test write", lambda tx: tx.run("RETURN 1").consume())
    assert "test write failed after 3 attempts against bolt://127.0.0.1:9" in str(err.value)
    assert (store.counters.retries, store.counters.connection_errors) == (2, 3)


def test_no_uri_is_a_clear_error() -> None:
    store = GraphStore(load_settings({}, environ={}, dotenv_path=None))
    with pytest.raises(DatabaseError, match="codegraph db start"):
        store.verify()


def test_packstream_implementation_is_named() -> None:
    assert packstream_implementation() in ("rust", "python")


@pytest.mark.graphdb
def test_writes_are_idempotent_and_count_dangling_edges(clean_graph: GraphDB) -> None:
    nodes = [NodeRecord("Module", "m.py", {"id": "m.py", "path": "m.py", "docstring": None}),
             NodeRecord("Function", "m.py::f", {"id": "m.py::f", "path": "m.py", "decorators": ["a'b", "`c`"]})]
    edges = [Edge("DEFINES", "Module", "m.py", "Function", "m.py::f"),
             Edge("CALLS", "Function", "m.py::f", "Function", "m.py::missing")]
    with clean_graph.store() as store:
        store.ensure_schema(store.verify(), None)
        for _ in range(2):
            store.write("nodes", lambda tx: write.tx_write_nodes(tx, nodes))
            assert store.write_edges(edges) == 1  # the CALLS edge has no target
        assert store.read("MATCH (n) RETURN count(n) AS n") == [{"n": 2}]
        assert store.stored_fingerprints(["m.py", "nope.py"]) == {"m.py": None}
        assert store.stored_module_paths() == {"m.py"}
        waits = list(store.counters.session_waits)
        assert store.clear() == 2
    assert len(waits) == 4 and all(w >= 0 for w in waits)


@pytest.mark.graphdb
def test_edges_fanning_in_and_out_are_written_once_each(clean_graph: GraphDB) -> None:
    names = ["f", "g", "h"]
    nodes = [NodeRecord("Module", "m.py", {"id": "m.py", "path": "m.py"})] + \
        [NodeRecord("Function", f"m.py::{n}", {"id": f"m.py::{n}", "path": "m.py"}) for n in names]
    defines = [Edge("DEFINES", "Module", "m.py", "Function", f"m.py::{n}") for n in names]  # keyed by source
    calls = [Edge("CALLS", "Function", f"m.py::{n}", "Function", "m.py::h") for n in names]  # keyed by target
    count = "MATCH (:Module)-[d:DEFINES]->() WITH count(d) AS d MATCH ()-[c:CALLS]->(h) RETURN d, count(c) AS c, " \
            "collect(DISTINCT h.id) AS h"
    with clean_graph.store() as store:
        store.ensure_schema(store.verify(), None)
        store.write("nodes", lambda tx: write.tx_write_nodes(tx, nodes, create=True))
        assert store.write("edges", lambda tx: write.tx_write_edges(tx, defines + calls, create=True)) == 6
        assert store.read(count) == [{"d": 3, "c": 3, "h": ["m.py::h"]}]
        assert store.write("again", lambda tx: write.tx_write_edges(tx, defines + calls)) == 6  # MERGE: no new ones
        assert store.read(count) == [{"d": 3, "c": 3, "h": ["m.py::h"]}]


@pytest.mark.graphdb
def test_a_database_the_server_does_not_have_is_named(clean_graph: GraphDB) -> None:
    with clean_graph.store(NEO4J_DATABASE="nosuchdb") as store, pytest.raises(DatabaseError) as err:
        store.verify()
    assert "cannot open database 'nosuchdb'" in str(err.value) and "check NEO4J_DATABASE" in str(err.value)
    assert clean_graph.password not in str(err.value)


@pytest.mark.graphdb
def test_children_share_the_driver_and_count_apart(clean_graph: GraphDB) -> None:
    with clean_graph.store() as parent:
        children = [parent.child() for _ in range(3)]
        assert all(c.driver is parent.driver for c in children)

        def work(store: GraphStore) -> None:
            store.write("one", lambda tx: tx.run("RETURN 1").consume())

        threads = [threading.Thread(target=work, args=(c,)) for c in children]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [len(c.counters.session_waits) for c in children] == [1, 1, 1]
        assert parent.counters.session_waits == []
        children[0].close()  # a child never closes its parent's driver
        parent.read("RETURN 1 AS x")
    with pytest.raises(DatabaseError, match="closed"):
        _ = children[0].driver
