"""The speed target of the indexer, measured as three figures taken in one run.

(a) `ast.parse` of the same files spread over N processes (the parsing floor);
(b) the server's bulk ingest of the same nodes and edges (CREATE in UNWIND batches of 2,000
    from one session: the writing floor);
(c) `codegraph index` end to end (embed none, auto executor).
Target: c <= 1.5 x max(a, b).
"""

from __future__ import annotations

import ast
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import neo4j

from harness.providers import GraphDB, drop_database, fresh_database
from indexer import pipeline
from indexer.discovery import discover
from indexer.model import Edge, NodeRecord, ParsedFile, SourceFile
from indexer.parsing import parse_file
from indexer.resolve import resolve

BATCH = 2000


@dataclass
class Baseline:
    files: int
    nodes: int
    edges: int
    parse_seconds: float
    ingest_seconds: float
    index_seconds: float
    workers: int
    mode: str

    @property
    def floor(self) -> float:
        return max(self.parse_seconds, self.ingest_seconds)

    @property
    def ratio(self) -> float:
        return self.index_seconds / self.floor

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "floor_seconds": round(self.floor, 3), "ratio": round(self.ratio, 3)}


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


def parse_seconds(files: list[SourceFile], workers: int) -> float:
    chunks = [[f.path for f in files[i::workers * 8]] for i in range(workers * 8)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_parse_only, [[]] * workers))  # start the workers before timing
        start = time.perf_counter()
        list(pool.map(_parse_only, chunks))
        return time.perf_counter() - start


def graph_of(files: list[SourceFile]) -> tuple[list[NodeRecord], list[Edge]]:
    parsed = [p for p in (parse_file(f, max_bytes=5_000_000) for f in files) if isinstance(p, ParsedFile)]
    nodes = [n for p in parsed for n in p.nodes]
    edges = [e for p in parsed for e in p.defines] + resolve([p.facts for p in parsed]).edges
    return nodes, edges


def _run(tx: neo4j.ManagedTransaction, query: str, rows: list[dict[str, Any]]) -> None:
    tx.run(query, rows=rows).consume()


def ingest_seconds(db: GraphDB, nodes: list[NodeRecord], edges: list[Edge]) -> float:
    from indexer import graphdb as gdb

    target = fresh_database(db)
    settings = target.settings()
    try:
        with gdb.open_driver(settings) as driver:
            gdb.ensure_schema(driver, settings, gdb.verify(driver, settings), None)
            by_label: dict[str, list[dict[str, Any]]] = {}
            for n in nodes:
                by_label.setdefault(n.label, []).append(n.props)
            groups: dict[tuple[str, str, str], list[dict[str, str]]] = {}
            for e in edges:
                groups.setdefault((e.type, e.src_label, e.dst_label), []).append({"s": e.src, "d": e.dst})
            start = time.perf_counter()
            with driver.session(database=settings.database) as session:
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
    finally:
        drop_database(target)


def index_seconds(db: GraphDB, root: str, workers: int) -> tuple[float, str]:
    target = fresh_database(db)
    try:
        summary = pipeline.run_index(root, target.settings(MAX_WORKERS=str(workers)))
        return summary.wall_time, f"{summary.mode} x{summary.workers}"
    finally:
        pipeline.close_shared_driver()
        drop_database(target)


def measure(db: GraphDB, root: str, workers: int = 2) -> Baseline:
    files, _ = discover(root)
    nodes, edges = graph_of(files)
    parse = parse_seconds(files, workers)
    ingest = ingest_seconds(db, nodes, edges)
    index, mode = index_seconds(db, root, workers)
    return Baseline(len(files), len(nodes), len(edges), round(parse, 3), round(ingest, 3), round(index, 3),
                    workers, mode)
