"""GraphStore: the graph database as the indexer uses it.

One object owns the `neo4j.Driver`, the settings it needs and the counters of what it did.
A run opens one (`with GraphStore(settings) as store:`), and so does each worker process;
threads of one process share their process's driver through `store.child()`, a store with
counters of its own and no driver to close. The driver is thread-safe; sessions are not, so
every transaction gets a session of its own. Writes run in managed transactions
(`execute_write`), which the driver retries on transient errors; connection-level failures
are retried here with exponential backoff and counted.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionAcquisitionTimeoutError,
    ConstraintError,
    DriverError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from indexer import interrupts, write
from indexer.config import Settings
from indexer.model import LABELS, Counters, Edge
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


def classify(agent: str, address: str = "", protocol: str = "") -> ServerInfo:
    arcade = re.search(r"ArcadeDB\s+([\w.\-]+)", agent)
    if arcade:
        return ServerInfo("arcadedb", agent, arcade.group(1), protocol, address)
    neo = re.match(r"Neo4j/([\w.\-]+)", agent)
    if neo:
        return ServerInfo("neo4j", agent, neo.group(1), protocol, address)
    return ServerInfo("other", agent, agent.partition("/")[2] or "unknown", protocol, address)


def packstream_implementation() -> str:
    """'rust' when the neo4j-rust-ext package encodes Bolt messages, else 'python'."""
    try:
        from neo4j._codec.packstream import v1
    except ImportError:  # pragma: no cover - a driver without this layout
        return "unknown"
    return "rust" if getattr(v1, "_rust_pack", None) is not None else "python"


class GraphStore:
    """The driver, the settings it needs and the counters of one unit of work.

    Use one store from one thread at a time; give other threads `child()` stores.
    """

    def __init__(self, settings: Settings, *, driver: neo4j.Driver | None = None) -> None:
        self.settings = settings
        self.counters = Counters()
        self._driver = driver
        self._owner = driver is None
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def driver(self) -> neo4j.Driver:
        with self._lock:
            if self._driver is None:
                if not self._owner:
                    raise DatabaseError("this graph store was closed")
                self._driver = self._open_driver()
            return self._driver

    def _open_driver(self) -> neo4j.Driver:
        s = self.settings
        if not s.uri:
            raise DatabaseError("no database configured: set NEO4J_URI or start one with `codegraph db start`")
        auth = (s.user, s.password) if s.password is not None else None
        return GraphDatabase.driver(
            s.uri,
            auth=auth,
            max_connection_pool_size=s.effective_pool_size,
            connection_acquisition_timeout=s.acquisition_timeout,
            connection_timeout=s.connection_timeout,
            max_transaction_retry_time=s.transaction_retry_time,
            # The driver's (documented as unsupported) backoff options: page conflicts on the
            # embedded server resolve at once, and its default 1 s first delay only waited.
            initial_retry_delay=0.02,
            retry_delay_multiplier=2.0,
            retry_delay_jitter_factor=0.5,
        )

    def child(self) -> GraphStore:
        """A store on the same driver with counters of its own (for one thread's unit of work)."""
        return GraphStore(self.settings, driver=self.driver)

    def close(self) -> None:
        """Close the driver if this store opened it; children leave it to their parent."""
        with self._lock:
            driver, self._driver = (self._driver, None) if self._owner else (None, None)
        if driver is not None:
            try:
                driver.close()
            except Exception as exc:  # e.g. a connection left mid-message by an interrupt
                log.warning("closing the database driver failed (%s: %s); its sockets close with the process",
                            type(exc).__name__, exc)

    def abandon(self) -> None:
        """Forget the driver without closing it: threads still inside it would crash on close.
        Its sockets close when the process exits (right after an interrupt)."""
        with self._lock:
            self._driver = None

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def where(self) -> str:
        return redact_uri(self.settings.uri or "")

    # -- transactions --------------------------------------------------------------------
    def with_retries(self, fn: Callable[[], T], what: str) -> T:
        """Run `fn`, retrying connection-level failures with exponential backoff."""
        s, c = self.settings, self.counters
        delay = s.retry_delay
        for attempt in range(1, s.write_attempts + 1):
            try:
                with interrupts.protected():  # never interrupt the driver mid-transaction
                    return fn()
            except _RETRIED as exc:
                if isinstance(exc, ConnectionAcquisitionTimeoutError):
                    c.acquisition_timeouts += 1
                else:
                    c.connection_errors += 1
                if attempt == s.write_attempts:
                    raise DatabaseError(f"{what} failed after {attempt} attempts against {self.where}: "
                                        f"{type(exc).__name__}: {exc}") from exc
                c.retries += 1
                log.warning("%s: %s (attempt %d/%d), retrying in %.1fs", what, type(exc).__name__,
                            attempt, s.write_attempts, delay)
                time.sleep(delay)
                delay = min(delay * 2, 8.0)
        raise AssertionError("unreachable")

    def write(self, what: str, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """One managed write transaction in its own session, with retries and wait accounting.

        The session wait is the time from asking for the session until the transaction function
        first runs: connection acquisition plus BEGIN. Transaction-level retries done by the
        driver (deadlocks, transient errors) are counted by how often `work` is invoked.
        """
        counters = self.counters

        def attempt() -> T:
            asked = time.perf_counter()
            calls = 0

            def tx_fn(tx: neo4j.ManagedTransaction) -> T:
                nonlocal calls
                calls += 1
                if calls == 1:
                    counters.session_waits.append(time.perf_counter() - asked)
                return work(tx)

            with self.driver.session(database=self.settings.database) as s:
                try:
                    return s.execute_write(tx_fn)
                finally:
                    counters.retries += max(0, calls - 1)

        return self.with_retries(attempt, what)

    def write_first_then_safe(self, what: str, first: Callable[[neo4j.ManagedTransaction], T],
                              again: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """`first` (e.g. CREATE) on the first attempt, `again` (idempotent, e.g. MERGE) on every
        later attempt: an attempt that failed may have committed before its connection was
        lost. A constraint violation on the first attempt (another writer got there first) is
        answered with `again` too."""
        attempts = 0

        def work(tx: neo4j.ManagedTransaction) -> T:
            nonlocal attempts
            attempts += 1
            return first(tx) if attempts == 1 else again(tx)

        try:
            return self.write(what, work)
        except ConstraintError:
            if attempts != 1:
                raise
            self.counters.retries += 1
            return self.write(what, again)

    def read_tx(self, work: Callable[[neo4j.ManagedTransaction], T], what: str = "read") -> T:
        def attempt() -> T:
            with self.driver.session(database=self.settings.database) as s:
                return s.execute_read(work)

        return self.with_retries(attempt, what)

    def read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        return self.read_tx(lambda tx: tx.run(query, **params).data())

    def read_rows(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        """Rows as tuples: about half the client time of `.data()` on large results."""
        return self.read_tx(lambda tx: [tuple(r.values()) for r in tx.run(query, **params)])

    # -- what the indexer asks -----------------------------------------------------------
    def verify(self) -> ServerInfo:
        """A real round trip; raises DatabaseError naming the server and the fix."""
        driver = self.driver
        try:
            info = self.with_retries(driver.get_server_info, f"connecting to {self.where}")
        except AuthError as exc:
            raise DatabaseError(
                f"{self.where} refused the credentials: check NEO4J_USER / NEO4J_PASSWORD ({exc.message})"
            ) from exc
        except DatabaseError as exc:
            raise DatabaseError(f"cannot reach the graph database at {self.where}: {exc.__cause__}; "
                                "is it running?") from exc
        except (DriverError, OSError) as exc:
            raise DatabaseError(f"cannot reach the graph database at {self.where}: {exc}; is it running?") from exc
        name = self.settings.database
        try:  # (the server info above is the server's: this is the database itself)
            self.read_tx(lambda tx: tx.run("RETURN 1").consume(), f"opening database {name!r}")
        except ClientError as exc:
            what = f"database {name!r}" if name else "its default database"
            raise DatabaseError(f"{self.where} cannot open {what}: {exc.message or exc.code}; "
                                "check NEO4J_DATABASE") from exc
        return classify(info.agent, str(info.address), ".".join(map(str, info.protocol_version)))

    def ensure_schema(self, info: ServerInfo, embed_dims: int | None) -> None:
        with self.driver.session(database=self.settings.database) as session:
            for stmt in write.schema_statements(info.flavour, embed_dims):
                session.run(stmt).consume()
        log.info("schema ready for %s %s", info.flavour, info.version)

    def stored_fingerprints(self, module_ids: Sequence[str]) -> dict[str, str]:
        return self.read_tx(partial(write.tx_fingerprints, module_ids=module_ids), "reading fingerprints")

    def stored_module_paths(self) -> set[str]:
        return self.read_tx(write.tx_module_paths, "reading module paths")

    def write_edges(self, edges: Sequence[Edge], *, create: bool = False) -> int:
        """Write edges in batches (CREATE when none of them can exist yet); returns how many
        found both endpoints."""
        written = 0
        size = self.settings.edge_batch
        for start in range(0, len(edges), size):
            chunk = edges[start : start + size]
            merge = partial(write.tx_write_edges, edges=chunk)
            what = f"writing edges {start}-{start + len(chunk)}"
            if create:
                written += self.write_first_then_safe(what, partial(write.tx_write_edges, edges=chunk, create=True),
                                                      merge)
            else:
                written += self.write(what, merge)
        return written

    def delete_paths(self, paths: Sequence[str]) -> None:
        for start in range(0, len(paths), 200):
            chunk = list(paths[start : start + 200])
            self.write("removing deleted files", partial(write.tx_delete_paths, paths=chunk))

    def clear(self) -> int:
        """Delete every node the indexer writes, in batches (large graphs do not fit one tx)."""
        removed = 0
        for label in LABELS:
            while True:
                n = self.write(f"clearing {label}", partial(write.tx_delete_some, label=label))
                removed += n
                if n == 0:
                    break
        return removed
