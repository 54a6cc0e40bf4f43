"""The indexer's speed against floors measured in the same run, as ratios.

(a) `ast.parse` of the same files on one core (and spread over the workers' processes);
(b) the server's bulk ingest of the same nodes and edges (CREATE in UNWIND batches of 2,000
    from one session: the writing floor);
(c) `codegraph index` end to end, sequential and `auto` alternately (a warm-up first), each in
    a fresh subprocess into a fresh database.
Ratios taken in one run survive a noisy machine; absolute seconds do not.
"""

from __future__ import annotations

import ast
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import neo4j

from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.measuring.measure import child_env
from indexer import Edge, NodeRecord, Rows, SourceFile, list_files, parse_and_resolve

BATCH = 2000


@dataclass
class Baseline:
    files: int
    nodes: int
    edges: int
    parse_one_core: float
    parse_parallel: float
    ingest_seconds: float
    sequential_seconds: float  # the median of the rounds
    auto_seconds: float
    auto_mode: str
    workers: int
    rounds: list[tuple[float, float]]  # (sequential, auto) seconds, round by round

    @property
    def auto_speedup(self) -> float:
        """The geometric mean of the rounds' sequential / auto."""
        ratios = [s / a for s, a in self.rounds]
        return float(statistics.geometric_mean(ratios))

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


# Parsing is timed in a fresh interpreter: in this process, after the graph was built, the
# cyclic GC rescans millions of live objects during parsing (measured: 27.9 s instead of ~5 s).
_CHILD = """
import json, multiprocessing, sys, time
from concurrent.futures import ProcessPoolExecutor
from codegraph_harness.measuring.baseline import _parse_only
paths, workers = json.load(sys.stdin)
if __name__ == "__main__":
    start = time.perf_counter()
    _parse_only(paths)
    one = time.perf_counter() - start
    chunks = [paths[i::workers * 8] for i in range(workers * 8)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_parse_only, [[]] * workers))  # start the workers before timing
        start = time.perf_counter()
        list(pool.map(_parse_only, chunks))
        par = time.perf_counter() - start
    print(json.dumps([one, par]))
"""


def parse_floors(files: list[SourceFile], workers: int) -> tuple[float, float]:
    """Seconds to `ast.parse` the files on one core, and spread over `workers` processes,
    both measured in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps([[f.path for f in files], workers]),
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"timing ast.parse failed (exit {out.returncode}): {out.stderr[-2000:]}")
    one, par = json.loads(out.stdout)
    return float(one), float(par)


def graph_of(root: str) -> tuple[list[NodeRecord], list[Edge]]:
    parsed, _, resolution = parse_and_resolve(root, count_tokens=True)
    nodes = [n for p in parsed for n in p.nodes]
    edges = [e for p in parsed for e in p.defines] + resolution.edges
    return nodes, edges


def _run(tx: neo4j.ManagedTransaction, query: str, rows: Rows) -> None:
    """One statement, its rows sent as the indexer sends them (`Rows`: see indexer.write)."""
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
                    session.execute_write(_run, query, Rows(rows[i:i + BATCH]))
            for (kind, src, dst), rows in groups.items():
                query = (f"UNWIND $rows AS r MATCH (a:{src} {{id: r.s}}) MATCH (b:{dst} {{id: r.d}}) "
                         f"CREATE (a)-[:{kind}]->(b)")
                for i in range(0, len(rows), BATCH):
                    session.execute_write(_run, query, Rows(rows[i:i + BATCH]))
        return time.perf_counter() - start


def index_seconds(db: GraphDB, root: str, mode: str, workers: int) -> tuple[float, str]:
    """`codegraph index` in a fresh subprocess into a fresh database: its own wall time."""
    with db.fresh() as target:
        env = child_env(target, {"INDEXING_MODE": mode, "MAX_WORKERS": str(workers), "EMBED_MODE": "none"})
        out = subprocess.run([sys.executable, "-m", "indexer", "index", root, "--json"], env=env,
                             capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"codegraph index {root} --mode {mode} exited {out.returncode}: {out.stderr[-2000:]}")
    summary = json.loads(out.stdout)
    return float(summary["wall_time"]), f"{summary['mode']} x{summary['workers']}"


def measure(db: GraphDB, root: str, workers: int = 2, rounds: int = 2) -> Baseline:
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    files, _ = list_files(root)
    nodes, edges = graph_of(root)
    one, par = parse_floors(files, workers)
    ingest = ingest_seconds(db, nodes, edges)
    counts = len(nodes), len(edges)
    del nodes, edges
    index_seconds(db, root, "sequential", 1)  # warm-up: the server's JIT, the file cache
    pairs, mode = [], ""
    for _ in range(rounds):
        seq, _ = index_seconds(db, root, "sequential", 1)
        auto, mode = index_seconds(db, root, "auto", workers)
        pairs.append((round(seq, 3), round(auto, 3)))
    return Baseline(len(files), counts[0], counts[1], round(one, 3), round(par, 3), round(ingest, 3),
                    statistics.median(s for s, _ in pairs), statistics.median(a for _, a in pairs), mode, workers,
                    pairs)
