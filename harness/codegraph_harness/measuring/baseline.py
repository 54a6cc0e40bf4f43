"""The indexer's speed against floors measured in the same run, as ratios.

(a) `ast.parse` of the same files on one core (and spread over the workers' processes);
(b) the server's bulk ingest of the same nodes and edges (CREATE in UNWIND batches of 2,000
    from one session: the writing floor);
(c) `codegraph index` end to end, sequential and `auto`, each into a fresh database.
Ratios taken in one run survive a noisy machine; absolute seconds do not.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import neo4j

from codegraph_harness.databases.providers import GraphDB
from indexer import Edge, NodeRecord, SourceFile, list_files, parse_and_resolve, run_index

BATCH = 2000


@dataclass
class Baseline:
    files: int
    nodes: int
    edges: int
    parse_one_core: float
    parse_parallel: float
    ingest_seconds: float
    sequential_seconds: float
    auto_seconds: float
    auto_mode: str
    workers: int

    @property
    def auto_speedup(self) -> float:
        return self.sequential_seconds / self.auto_seconds

    @property
    def auto_over_parse(self) -> float:
        """auto's wall time as a multiple of parsing the same files on one core."""
        return self.auto_seconds / self.parse_one_core

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "auto_speedup": round(self.auto_speedup, 3),
                "auto_over_parse": round(self.auto_over_parse, 3)}


def _parse_only(paths: Sequence[str]) -> int:
    ok = 0
    for path in paths:
        try:
            with open(path, "rb") as fh:
                ast.parse(fh.read())
            ok += 1
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    return ok


def parse_one_core(files: list[SourceFile]) -> float:
    start = time.perf_counter()
    _parse_only([f.path for f in files])
    return time.perf_counter() - start


def parse_parallel(files: list[SourceFile], workers: int) -> float:
    chunks = [[f.path for f in files[i::workers * 8]] for i in range(workers * 8)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_parse_only, [[]] * workers))  # start the workers before timing
        start = time.perf_counter()
        list(pool.map(_parse_only, chunks))
        return time.perf_counter() - start


def graph_of(root: str) -> tuple[list[NodeRecord], list[Edge]]:
    parsed, _, resolution = parse_and_resolve(root, count_tokens=True)
    nodes = [n for p in parsed for n in p.nodes]
    edges = [e for p in parsed for e in p.defines] + resolution.edges
    return nodes, edges


def _run(tx: neo4j.ManagedTransaction, query: str, rows: list[dict[str, Any]]) -> None:
    tx.run(query, rows=rows).consume()


def ingest_seconds(db: GraphDB, nodes: list[NodeRecord], edges: list[Edge]) -> float:
    with db.fresh() as target, target.store() as store:
        store.ensure_schema(store.verify(), None)
        by_label: dict[str, list[dict[str, Any]]] = {}
        for n in nodes:
            by_label.setdefault(n.label, []).append(n.props)
        groups: dict[tuple[str, str, str], list[dict[str, str]]] = {}
        for e in edges:
            groups.setdefault((e.type, e.src_label, e.dst_label), []).append({"s": e.src, "d": e.dst})
        start = time.perf_counter()
        with store.driver.session(database=target.database) as session:
            for label, rows in by_label.items():
                query = f"UNWIND $rows AS r CREATE (n:{label}) SET n = r"
                for i in range(0, len(rows), BATCH):
                    session.execute_write(_run, query, rows[i:i + BATCH])
            for (kind, src, dst), rows in groups.items():
                query = (f"UNWIND $rows AS r MATCH (a:{src} {{id: r.s}}) MATCH (b:{dst} {{id: r.d}}) "
                         f"CREATE (a)-[:{kind}]->(b)")
                for i in range(0, len(rows), BATCH):
                    session.execute_write(_run, query, rows[i:i + BATCH])
        return time.perf_counter() - start


def index_seconds(db: GraphDB, root: str, mode: str, workers: int) -> tuple[float, str]:
    with db.fresh() as target:
        summary = run_index(root, target.settings(INDEXING_MODE=mode, MAX_WORKERS=str(workers)))
    return summary.wall_time, f"{summary.mode} x{summary.workers}"


def measure(db: GraphDB, root: str, workers: int = 2) -> Baseline:
    files, _ = list_files(root)
    nodes, edges = graph_of(root)
    one = parse_one_core(files)
    par = parse_parallel(files, workers)
    ingest = ingest_seconds(db, nodes, edges)
    seq, _ = index_seconds(db, root, "sequential", 1)
    auto, mode = index_seconds(db, root, "auto", workers)
    return Baseline(len(files), len(nodes), len(edges), round(one, 3), round(par, 3), round(ingest, 3),
                    round(seq, 3), round(auto, 3), mode, workers)
