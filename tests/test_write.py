from __future__ import annotations

import logging

import pytest

from indexer import write
from indexer.model import Edge, NodeRecord


def test_schema_is_per_flavour() -> None:
    arcade = write.schema_statements("arcadedb", 256)
    neo = write.schema_statements("neo4j", 256)
    assert not any("VECTOR" in s or "FULLTEXT" in s for s in arcade)
    assert sum("VECTOR INDEX" in s for s in neo) == 2 and any("FULLTEXT" in s for s in neo)
    assert all("IF NOT EXISTS" in s for s in arcade + neo)
    assert "`vector.dimensions`: 256" in " ".join(neo)


def test_labels_and_types_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown label"):
        write.check_label("Module) DETACH DELETE (x")
    with pytest.raises(ValueError, match="unknown relationship type"):
        write.check_type("CALLS]->() //")
    assert write.check_label("Class") == "Class" and write.check_type("CALLS") == "CALLS"


def test_edge_rows_look_up_the_shared_endpoint_once() -> None:
    fan_out = [Edge("DEFINES", "Module", "m.py", "Function", f"m.py::{n}") for n in "fgh"]
    by_source, rows = write.edge_rows(fan_out)
    assert by_source and rows == [{"k": "m.py", "o": ["m.py::f", "m.py::g", "m.py::h"]}]
    fan_in = [Edge("CALLS", "Function", f"m.py::{n}", "Function", "m.py::h") for n in "fg"]
    by_source, rows = write.edge_rows(fan_in)
    assert not by_source and rows == [{"k": "m.py::h", "o": ["m.py::f", "m.py::g"]}]
    # as many sources as targets: by source, every edge kept once
    pairs = [Edge("CALLS", "Function", "a", "Function", "b"), Edge("CALLS", "Function", "b", "Function", "a")]
    assert write.edge_rows(pairs) == (True, [{"k": "a", "o": ["b"]}, {"k": "b", "o": ["a"]}])


@pytest.mark.graphdb
def test_rows_reach_the_server_but_not_the_drivers_debug_log(graph_driver, clean_graph, caplog) -> None:
    """The driver formats each RUN for its debug log with the repr of its parameters: rows show
    as a count, so node properties (docstrings, source text) never reach a log."""
    secret = "docstring-text-that-stays-out-of-logs"
    nodes = [NodeRecord("Function", f"m.py::f{i}", {"id": f"m.py::f{i}", "docstring": secret}) for i in range(3)]
    edges = [Edge("CALLS", "Function", "m.py::f0", "Function", f"m.py::f{i}") for i in (1, 2)]
    with caplog.at_level(logging.DEBUG, logger="neo4j"), \
            graph_driver.session(database=clean_graph.database) as session:
        session.execute_write(write.tx_write_nodes, nodes, create=True)
        matched = session.execute_write(write.tx_write_edges, edges, create=True)
        found = session.run("MATCH (f:Function) RETURN f.docstring AS d").value()
    assert matched == 2 and found == [secret] * 3
    runs = [r.getMessage() for r in caplog.records if "C: RUN" in r.getMessage()]
    assert len(runs) >= 2 and any("<rows: 3>" in m for m in runs)  # the driver did log each statement
    assert not any(secret in m or "m.py::f1" in m for m in runs)


def test_rows_are_a_list_shown_by_their_count() -> None:
    rows = write.Rows([{"id": "m.py::f", "docstring": "text"}] * 2)
    assert repr(rows) == str(rows) == "<rows: 2>" and "text" not in f"{rows!r} {[rows]}"
    assert rows == [{"id": "m.py::f", "docstring": "text"}] * 2 and isinstance(rows, list)
