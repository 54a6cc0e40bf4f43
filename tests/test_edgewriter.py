"""Edges handed over while resolution runs are written once, with the rest written after."""

from __future__ import annotations

import sys

import pytest

from codegraph_harness.databases.providers import GraphDB
from indexer import graph_stats
from indexer.config import load_settings
from indexer.discover import discover
from indexer.edgewriter import SWITCH_INTERVAL, EdgeWriter
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


@pytest.mark.graphdb
def test_process_mode_lets_its_workers_go_before_resolution_and_writes_edges_in_threads(
        clean_graph: GraphDB, make_tree) -> None:
    root = make_tree({"p/__init__.py": "", **CODE})
    files, _ = discover(root)
    settings = load_settings({**clean_graph.env(), "INDEXING_MODE": "process"}, environ={}, dotenv_path=None)
    config = WorkerConfig(settings, "")
    with clean_graph.store() as store:
        store.ensure_schema(store.verify(), None)
        local = Worker(config, store)
        with Workforce("process", 2, config, local) as team:
            team.start_workers()
            processes = list(team.pool.executor._processes.values())  # type: ignore[union-attr]
            assert len(processes) == 2 and all(p.is_alive() for p in processes)
            facts, written = [], set()
            for _, out in team.index([files[:6], files[6:]]):
                facts += out.facts
                written |= set(out.written)
            team.files_done()
            assert not any(p.is_alive() for p in processes)  # their memory is free before resolution
            writer = EdgeWriter(team, written, batch=4)
            with writer.streaming() as stream:
                assert stream is not None and sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
                result = resolve(facts, stream)  # its edges: those not handed over yet
            counters = writer.finish(result.edges)
        stats = graph_stats(store)
    assert writer.streamed > 0 and counters.edges_written == 36 == sum(result.resolved.values())
    assert stats.edges["CALLS"] == 24 and stats.edges["IMPORTS"] == 12


def test_streaming_shortens_the_switch_interval_only_for_writer_threads_and_restores_it() -> None:
    class Team:
        def __init__(self, mode: str, threads: bool) -> None:
            self.mode, self.threads_write_edges = mode, threads

    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL  # (the interpreter's default, 5 ms)
    for mode, threads, during in [("sequential", False, before), ("thread", True, SWITCH_INTERVAL),
                                  ("dask", False, before)]:
        writer = EdgeWriter(Team(mode, threads), set(), batch=4)  # type: ignore[arg-type]
        with writer.streaming() as stream:
            assert (stream is None) == (mode == "sequential")
            assert sys.getswitchinterval() == pytest.approx(during)
        assert sys.getswitchinterval() == before
        with pytest.raises(RuntimeError), writer.streaming():
            assert sys.getswitchinterval() == pytest.approx(during)
            raise RuntimeError("resolution failed")
        assert sys.getswitchinterval() == before
