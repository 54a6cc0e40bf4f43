"""Everything that talks to the graph database over Bolt.

One `neo4j.Driver` per process (thread-safe, shared); one `Session` per unit of work, never
shared between threads; writes in managed transactions (`execute_write`), batched with
`UNWIND`, keyed by stable ids so re-indexing is idempotent. Labels and relationship types
come from fixed tuples in `indexer.model`; every value travels as a query parameter.
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import (
    AuthError,
    ConnectionAcquisitionTimeoutError,
    DriverError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from indexer import interrupts
from indexer.config import Settings
from indexer.model import EDGE_TYPES, LABELS, Edge, NodeRecord
from indexer.redact import redact_uri

log = logging.getLogger(__name__)
T = TypeVar("T")

_RETRIED = (ServiceUnavailable, SessionExpired, ConnectionAcquisitionTimeoutError, TransientError)


class DatabaseError(RuntimeError):
    """The database could not do what was asked, after retries; str() says what to do."""


@dataclass(frozen=True)
class ServerInfo:
    flavour: str  # neo4j | arcadedb | other
    agent: str
    version: str
    protocol: str
    address: str


@dataclass
class WriteStats:
    """Counters of one unit of work; plain data so it can be returned from a process."""

    retries: int = 0
    acquisition_timeouts: int = 0
    connection_errors: int = 0
    session_waits: list[float] = field(default_factory=list)


def open_driver(settings: Settings) -> neo4j.Driver:
    if not settings.uri:
        raise DatabaseError("no database configured: set NEO4J_URI or start one with `codegraph db start`")
    auth = (settings.user, settings.password) if settings.password is not None else None
    return GraphDatabase.driver(
        settings.uri,
        auth=auth,
        max_connection_pool_size=settings.effective_pool_size,
        connection_acquisition_timeout=settings.acquisition_timeout,
        connection_timeout=settings.connection_timeout,
        max_transaction_retry_time=settings.transaction_retry_time,
        initial_retry_delay=0.02,
        retry_delay_multiplier=2.0,
        retry_delay_jitter_factor=0.5,
    )


def verify(driver: neo4j.Driver, settings: Settings) -> ServerInfo:
    """A real round trip; raises DatabaseError naming the server and the fix."""
    where = redact_uri(settings.uri or "")
    try:
        info = with_retries(driver.get_server_info, settings, WriteStats(), f"connecting to {where}")
    except AuthError as exc:
        raise DatabaseError(
            f"{where} refused the credentials: check NEO4J_USER / NEO4J_PASSWORD ({exc.message})"
        ) from exc
    except DatabaseError as exc:
        raise DatabaseError(f"cannot reach the graph database at {where}: {exc.__cause__}; is it running?") from exc
    except (DriverError, OSError) as exc:
        raise DatabaseError(f"cannot reach the graph database at {where}: {exc}; is it running?") from exc
    return classify(info.agent, str(info.address), ".".join(map(str, info.protocol_version)))


def classify(agent: str, address: str = "", protocol: str = "") -> ServerInfo:
    arcade = re.search(r"ArcadeDB\s+([\w.\-]+)", agent)
    if arcade:
        return ServerInfo("arcadedb", agent, arcade.group(1), protocol, address)
    neo = re.match(r"Neo4j/([\w.\-]+)", agent)
    if neo:
        return ServerInfo("neo4j", agent, neo.group(1), protocol, address)
    return ServerInfo("other", agent, agent.partition("/")[2] or "unknown", protocol, address)


def schema_statements(flavour: str, embed_dims: int | None) -> list[str]:
    """The schema to create for a server flavour (only what that server supports)."""
    stmts = [
        f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
        for label in LABELS
    ]
    stmts += [f"CREATE INDEX {label.lower()}_path IF NOT EXISTS FOR (n:{label}) ON (n.path)" for label in LABELS]
    if flavour == "neo4j":
        if embed_dims:
            dims = int(embed_dims)
            for label in ("Function", "Class"):
                stmts.append(
                    f"CREATE VECTOR INDEX {label.lower()}_embedding IF NOT EXISTS FOR (n:{label}) ON (n.embedding) "
                    f"OPTIONS {{indexConfig: {{`vector.dimensions`: {dims}, `vector.similarity_function`: 'cosine'}}}}"
                )
        stmts.append(
            "CREATE FULLTEXT INDEX code_text IF NOT EXISTS FOR (n:Module|Class|Function) ON EACH [n.name, n.docstring]"
        )
    return stmts


def ensure_schema(driver: neo4j.Driver, settings: Settings, info: ServerInfo, embed_dims: int | None) -> None:
    with driver.session(database=settings.database) as session:
        for stmt in schema_statements(info.flavour, embed_dims):
            session.run(stmt).consume()
    log.info("schema ready for %s %s", info.flavour, info.version)


def with_retries(fn: Callable[[], T], settings: Settings, stats: WriteStats, what: str) -> T:
    """Run `fn`, retrying connection-level failures with exponential backoff."""
    delay = settings.retry_delay
    for attempt in range(1, settings.write_attempts + 1):
        try:
            with interrupts.protected():  # never interrupt the driver mid-transaction
                return fn()
        except _RETRIED as exc:
            if isinstance(exc, ConnectionAcquisitionTimeoutError):
                stats.acquisition_timeouts += 1
            else:
                stats.connection_errors += 1
            if attempt == settings.write_attempts:
                raise DatabaseError(
                    f"{what} failed after {attempt} attempts against {redact_uri(settings.uri or '')}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            stats.retries += 1
            log.warning("%s: %s (attempt %d/%d), retrying in %.1fs", what, type(exc).__name__,
                        attempt, settings.write_attempts, delay)
            time.sleep(delay)
            delay = min(delay * 2, 8.0)
    raise AssertionError("unreachable")


def write(driver: neo4j.Driver, settings: Settings, stats: WriteStats, what: str,
          work: Callable[[neo4j.ManagedTransaction], T]) -> T:
    """One managed write transaction in its own session, with retries and wait accounting.

    The session wait is the time from asking for the session until the transaction function
    first runs: connection acquisition plus BEGIN. Transaction-level retries done by the
    driver (deadlocks, transient errors) are counted by how often `work` is invoked.
    """

    def attempt() -> T:
        asked = time.perf_counter()
        calls = 0

        def tx_fn(tx: neo4j.ManagedTransaction) -> T:
            nonlocal calls
            calls += 1
            if calls == 1:
                stats.session_waits.append(time.perf_counter() - asked)
            return work(tx)

        with driver.session(database=settings.database) as s:
            try:
                return s.execute_write(tx_fn)
            finally:
                stats.retries += max(0, calls - 1)

    return with_retries(attempt, settings, stats, what)


def _read(driver: neo4j.Driver, settings: Settings, stats: WriteStats | None,
          work: Callable[[neo4j.ManagedTransaction], T]) -> T:
    """A read transaction with retries, counted in `stats` when given."""

    def attempt() -> T:
        with driver.session(database=settings.database) as s:
            return s.execute_read(work)

    return with_retries(attempt, settings, stats if stats is not None else WriteStats(), "read")


def read_rows(driver: neo4j.Driver, settings: Settings, query: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows as tuples: about half the client time of `.data()` on large results."""
    return _read(driver, settings, None, lambda tx: [tuple(r.values()) for r in tx.run(query, **params)])


def read(driver: neo4j.Driver, settings: Settings, query: str, *, stats: WriteStats | None = None,
         **params: Any) -> list[dict[str, Any]]:
    return _read(driver, settings, stats, lambda tx: tx.run(query, **params).data())


# -- node and edge writes -------------------------------------------------------------------
def _check_label(label: str) -> str:
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    return label


def _check_type(kind: str) -> str:
    if kind not in EDGE_TYPES:
        raise ValueError(f"unknown relationship type {kind!r}")
    return kind


def stored_fingerprints(driver: neo4j.Driver, settings: Settings, module_ids: Sequence[str],
                        stats: WriteStats | None = None) -> dict[str, str]:
    rows = read(driver, settings, "MATCH (m:Module) WHERE m.id IN $ids RETURN m.id AS id, m.fingerprint AS fp",
                stats=stats, ids=list(module_ids))
    return {r["id"]: r["fp"] for r in rows}


def tx_delete_paths(tx: neo4j.ManagedTransaction, paths: Sequence[str]) -> None:
    for label in LABELS:
        tx.run(f"MATCH (n:{label}) WHERE n.path IN $paths DETACH DELETE n", paths=list(paths)).consume()


def tx_write_nodes(tx: neo4j.ManagedTransaction, nodes: Sequence[NodeRecord]) -> int:
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node in nodes:
        by_label[node.label].append(node.props)
    for label in LABELS:
        rows = by_label.get(label)
        if rows:
            tx.run(f"UNWIND $rows AS r MERGE (n:{_check_label(label)} {{id: r.id}}) SET n = r", rows=rows).consume()
    return len(nodes)


def tx_write_edges(tx: neo4j.ManagedTransaction, edges: Sequence[Edge]) -> int:
    """MERGE the edges; returns how many found both endpoints (the rest are dangling)."""
    matched = 0
    groups: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for e in edges:
        groups[(e.type, e.src_label, e.dst_label)].append({"s": e.src, "d": e.dst})
    for (kind, src, dst), rows in sorted(groups.items()):
        record = tx.run(
            f"UNWIND $rows AS r MATCH (a:{_check_label(src)} {{id: r.s}}) MATCH (b:{_check_label(dst)} {{id: r.d}}) "
            f"MERGE (a)-[:{_check_type(kind)}]->(b) RETURN count(*) AS n",
            rows=rows,
        ).single()
        matched += int(record["n"]) if record else 0
    return matched


def write_edges(driver: neo4j.Driver, settings: Settings, edges: Sequence[Edge], stats: WriteStats,
                progress: Callable[[int], None] | None = None) -> int:
    """Write edges in batches; returns how many found both endpoints."""
    written = 0
    size = settings.edge_batch
    for start in range(0, len(edges), size):
        chunk = edges[start : start + size]
        written += write(driver, settings, stats, f"writing edges {start}-{start + len(chunk)}",
                         partial(tx_write_edges, edges=chunk))
        if progress:
            progress(len(chunk))
    return written


def stored_module_paths(driver: neo4j.Driver, settings: Settings, stats: WriteStats | None = None) -> set[str]:
    return {r["p"] for r in read(driver, settings, "MATCH (m:Module) RETURN m.path AS p", stats=stats)}


def delete_paths(driver: neo4j.Driver, settings: Settings, paths: Sequence[str], stats: WriteStats) -> None:
    for start in range(0, len(paths), 200):
        chunk = list(paths[start : start + 200])
        write(driver, settings, stats, "removing deleted files", partial(tx_delete_paths, paths=chunk))


def _tx_delete_some(tx: neo4j.ManagedTransaction, label: str) -> int:
    record = tx.run(f"MATCH (n:{_check_label(label)}) WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS c").single()
    return int(record["c"]) if record else 0


def clear(driver: neo4j.Driver, settings: Settings) -> int:
    """Delete every node the indexer writes, in batches (large graphs do not fit one tx)."""
    stats = WriteStats()
    removed = 0
    for label in LABELS:
        while True:
            n = write(driver, settings, stats, f"clearing {label}", partial(_tx_delete_some, label=label))
            removed += n
            if n == 0:
                break
    return removed
