"""Counts and a digest of the graph the indexer wrote.

The digest is a sha256 over every node (label, id, properties as canonical JSON) sorted by
id, then every edge (type, source id, target id) sorted: two runs produced the same graph
exactly when their digests match.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from indexer.model import EDGE_TYPES, LABELS
from indexer.store import GraphStore


@dataclass
class GraphStats:
    nodes: dict[str, int]
    edges: dict[str, int]
    digest: str

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "edges": self.edges, "digest": self.digest}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def graph_stats(store: GraphStore, *, with_digest: bool = True) -> GraphStats:
    nodes: dict[str, int] = {}
    edges: dict[str, int] = {}
    h = hashlib.sha256()
    for label in LABELS:
        if with_digest:
            rows = store.read_rows(f"MATCH (n:{label}) RETURN n.id, properties(n)")
            nodes[label] = len(rows)
            for node_id, props in sorted(rows, key=lambda r: r[0]):
                h.update(f"N|{label}|{node_id}|{_canonical(props)}\n".encode())
        else:
            nodes[label] = store.read(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"]
    for kind in EDGE_TYPES:
        if with_digest:
            pairs = store.read_rows(f"MATCH (a)-[:{kind}]->(b) RETURN a.id, b.id")
            edges[kind] = len(pairs)
            for a, b in sorted(pairs):
                h.update(f"E|{kind}|{a}|{b}\n".encode())
        else:
            edges[kind] = store.read(f"MATCH ()-[r:{kind}]->() RETURN count(r) AS c")[0]["c"]
    return GraphStats(nodes, edges, h.hexdigest() if with_digest else "")
