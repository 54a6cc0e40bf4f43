"""Graph databases for tests and benchmarks: external, a Neo4j container, or embedded ArcadeDB.

`auto` = external if NEO4J_URI is set, else a Neo4j container if a Docker daemon answers,
else the embedded ArcadeDB server. Every GraphDB records its provider and the server's
name and version.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import neo4j

from indexer import (
    EmbeddedServer,
    GraphStore,
    ServerError,
    ServerHandle,
    Settings,
    arcadedb_home,
    load_settings,
    stop_pid,
)

log = logging.getLogger(__name__)

PROVIDERS = ("auto", "external", "neo4j-container", "embedded")
DEFAULT_NEO4J_IMAGE = "neo4j:5.26-community"


class ProviderUnavailable(RuntimeError):
    """This provider cannot run on this machine; str() is the reason (used as a skip reason)."""


@dataclass(frozen=True)
class GraphDB:
    provider: str
    uri: str
    user: str
    password: str
    database: str | None
    flavour: str = ""
    version: str = ""
    agent: str = ""
    server_pid: int | None = None
    http_port: int | None = None

    def env(self) -> dict[str, str]:
        env = {"NEO4J_URI": self.uri, "NEO4J_USER": self.user, "NEO4J_PASSWORD": self.password}
        if self.database:
            env["NEO4J_DATABASE"] = self.database
        return env

    def settings(self, **overrides: Any) -> Settings:
        return load_settings({**self.env(), **overrides}, environ={}, dotenv_path=None)

    def store(self, **overrides: Any) -> GraphStore:
        """The indexer's view of this database (use it with `with`)."""
        return GraphStore(self.settings(**overrides))

    def driver(self, **kwargs: Any) -> neo4j.Driver:
        return neo4j.GraphDatabase.driver(self.uri, auth=(self.user, self.password), **kwargs)

    def _handle(self) -> ServerHandle:
        return ServerHandle(self.server_pid or 0, self.uri, self.user, self.password, self.database or "",
                            self.http_port or 0, "")

    @contextmanager
    def fresh(self) -> Iterator[GraphDB]:
        """An empty graph for one test or run, gone afterwards. Embedded: a database of its own
        on the shared server (tests on different xdist workers never see each other), dropped
        after use. Others: the one database, emptied before use."""
        if self.provider == "embedded" and self.http_port:
            name = f"t{uuid.uuid4().hex[:12]}"
            self._handle().create_database(name)
            try:
                yield replace(self, database=name)
            finally:
                try:
                    self._handle().drop_database(name)
                except Exception as exc:  # best effort: the server is temporary anyway
                    log.debug("could not drop %s: %s", name, exc)
            return
        with self.store() as store:
            store.clear()
        yield self

    def describe(self) -> dict[str, Any]:
        """Safe to log and store: no password."""
        data = asdict(self)
        data.pop("password")
        return data

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> GraphDB:
        return cls(**json.loads(text))


def identify(db: GraphDB) -> GraphDB:
    with db.store() as store:
        info = store.verify()
    return replace(db, flavour=info.flavour, version=info.version, agent=info.agent)


def docker_available() -> str | None:
    """None if a Docker daemon answers, else the reason it does not."""
    try:
        import docker
    except ImportError:
        return "the 'docker' package is not installed"
    try:
        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
    except Exception as exc:
        return f"no Docker daemon answers ({type(exc).__name__}: {str(exc)[:120]})"
    return None


def external_from_env(environ: dict[str, str] | None = None) -> GraphDB:
    env = dict(os.environ if environ is None else environ)
    if not env.get("NEO4J_URI"):
        raise ProviderUnavailable("external graph database needs NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD)")
    return GraphDB("external", env["NEO4J_URI"], env.get("NEO4J_USER", "neo4j"), env.get("NEO4J_PASSWORD", ""),
                   env.get("NEO4J_DATABASE") or None)


class Provisioned:
    """A running database and how to stop it."""

    def __init__(self, db: GraphDB, stop: Any = None) -> None:
        self.db = db
        self._stop = stop

    def stop(self) -> None:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()


def start_embedded(data_dir: Path, owner_pid: int | None = None) -> Provisioned:
    """Start ArcadeDB detached from this process, with a watchdog that stops it when
    `owner_pid` (default: this process) exits, however it exits."""
    try:
        arcadedb_home()
    except ServerError as exc:
        raise ProviderUnavailable(f"embedded: {exc}") from None
    server = EmbeddedServer(data_dir, persistent=True)
    handle: ServerHandle = server.start()
    subprocess.Popen([sys.executable, "-m", "codegraph_harness.databases.watchdog", str(owner_pid or os.getpid()),
                      str(handle.pid)], start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
    db = identify(GraphDB("embedded", handle.uri, handle.user, handle.password, handle.database,
                          server_pid=handle.pid, http_port=handle.http_port))
    return Provisioned(db, lambda: stop_pid(handle.pid))


def start_container(image: str | None = None) -> Provisioned:
    reason = docker_available()
    if reason:
        raise ProviderUnavailable(f"neo4j-container: {reason}")
    from testcontainers.neo4j import Neo4jContainer

    container = Neo4jContainer(image or os.environ.get("CODEGRAPH_NEO4J_IMAGE", DEFAULT_NEO4J_IMAGE))
    container.start()
    db = identify(GraphDB("neo4j-container", container.get_connection_url(), "neo4j", container.password, None))
    return Provisioned(db, container.stop)


def provision(kind: str, data_dir: Path, owner_pid: int | None = None) -> Provisioned:
    if kind not in PROVIDERS:
        raise ValueError(f"unknown graph database provider {kind!r}; use one of {', '.join(PROVIDERS)}")
    if kind == "auto":
        if os.environ.get("NEO4J_URI"):
            kind = "external"
        elif docker_available() is None:
            kind = "neo4j-container"
        else:
            kind = "embedded"
    if kind == "external":
        return Provisioned(identify(external_from_env()))
    if kind == "neo4j-container":
        return start_container()
    return start_embedded(data_dir, owner_pid)
