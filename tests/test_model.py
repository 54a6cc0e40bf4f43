"""The plain data between stages: counters merge, summarise, and cross process boundaries."""

from __future__ import annotations

import pickle

from indexer.model import Counters, Edge, EdgeBatch, ParsedBatch


def test_counters_merge_every_field_and_summarise_waits() -> None:
    a = Counters(files_indexed=2, retries=1, session_waits=[0.1])
    a.merge(Counters(files_indexed=3, edges_dangling=4, session_waits=[0.3, 0.2]))
    assert (a.files_indexed, a.retries, a.edges_dangling) == (5, 1, 4)
    d = a.to_dict()
    assert "session_waits" not in d and (d["session_wait_p50"], d["session_wait_max"]) == (0.2, 0.3)
    assert Counters().to_dict()["session_wait_p95"] == 0.0


def test_edges_are_tuples_ordered_and_hashed_by_value() -> None:
    e = Edge("CALLS", "Function", "a.py::f", "Function", "b.py::g")
    assert e == ("CALLS", "Function", "a.py::f", "Function", "b.py::g") and len({e, Edge(*e)}) == 1
    assert sorted([Edge("INHERITS", "Class", "x", "Class", "y"), e])[0] is e


def test_what_workers_return_pickles() -> None:
    batch = EdgeBatch([Edge("IMPORTS", "Module", "a.py", "Module", "b.py")], True)
    back = pickle.loads(pickle.dumps(batch))
    assert back == batch and type(back.edges[0]) is Edge and back.edges[0].dst == "b.py"  # named tuples again
    assert b"Edge" not in pickle.dumps(batch)  # sent as plain tuples
    assert pickle.loads(pickle.dumps(ParsedBatch())) == ParsedBatch()
