"""pytest plugin (entry point `pytest11`): a real graph database and corpora for tests.

Only hooks, options and fixtures live here; the work is in `harness.providers` and friends.
Under pytest-xdist one server serves the whole session: the first worker starts it under a
file lock and writes a connection-info file; the others read it; the last one out stops it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from filelock import FileLock

from harness.providers import PROVIDERS, GraphDB, ProviderUnavailable, drop_database, fresh_database, provision
from indexer.server import stop_pid


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("codegraph", "codegraph graph database and benchmarks")
    group.addoption("--graphdb", choices=PROVIDERS, default=os.environ.get("CODEGRAPH_GRAPHDB", "auto"),
                    help="graph database for tests: auto (default), external, neo4j-container, embedded "
                         "[env CODEGRAPH_GRAPHDB]")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "graphdb: the test needs a real Bolt graph database")
    config.addinivalue_line("markers", "bench: a benchmark of indexing runs (measured, not timed)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"graphdb", "clean_graph", "graph_driver"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.graphdb)


@pytest.fixture(scope="session")
def graphdb(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphDB]:
    """The session's graph database (see --graphdb), shared by all xdist workers."""
    kind = request.config.getoption("--graphdb")
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        try:
            provisioned = provision(kind, tmp_path_factory.mktemp("graphdb"))
        except ProviderUnavailable as exc:
            pytest.skip(str(exc))
        yield provisioned.db
        provisioned.stop()
        return
    yield from _shared_graphdb(kind, tmp_path_factory.getbasetemp().parent)


def _shared_graphdb(kind: str, shared: Path) -> Iterator[GraphDB]:
    info, skip, users = shared / "graphdb.json", shared / "graphdb.skip", shared / "graphdb.users"
    provisioned = None
    with FileLock(str(shared / "graphdb.lock")):
        if skip.exists():
            pytest.skip(skip.read_text())
        if info.exists():
            db = GraphDB.from_json(info.read_text())
        else:
            try:
                provisioned = provision(kind, shared / "graphdb-data", owner_pid=os.getppid())
            except ProviderUnavailable as exc:
                skip.write_text(str(exc))
                pytest.skip(str(exc))
            db = provisioned.db
            fd = os.open(info, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(db.to_json())
        count = int(users.read_text()) if users.exists() else 0
        users.write_text(str(count + 1))
    yield db
    with FileLock(str(shared / "graphdb.lock")):
        count = int(users.read_text()) - 1
        users.write_text(str(count))
        if count == 0:
            if provisioned is not None:
                provisioned.stop()
            elif db.server_pid:
                stop_pid(db.server_pid)
            info.unlink(missing_ok=True)


@pytest.fixture
def clean_graph(graphdb: GraphDB) -> Iterator[GraphDB]:
    """An empty graph of this test's own (a fresh database on the embedded server)."""
    db = fresh_database(graphdb)
    yield db
    drop_database(db)


@pytest.fixture
def graph_driver(clean_graph: GraphDB) -> Iterator[neo4j.Driver]:
    """A driver connected to this test's empty graph (use `clean_graph.database` in sessions)."""
    with clean_graph.driver() as driver:
        yield driver
