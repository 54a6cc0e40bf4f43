from __future__ import annotations

import subprocess
import sys
import time

import pytest

from codegraph_harness.databases import providers
from codegraph_harness.databases.providers import GraphDB, ProviderUnavailable


def test_external_needs_neo4j_uri() -> None:
    with pytest.raises(ProviderUnavailable, match="NEO4J_URI"):
        providers.external_from_env({})
    db = providers.external_from_env({"NEO4J_URI": "bolt://h:7687", "NEO4J_PASSWORD": "p"})
    assert (db.provider, db.user, db.database) == ("external", "neo4j", None)


def test_container_provider_says_why_it_cannot_run() -> None:
    reason = providers.docker_available()
    if reason is None:
        pytest.skip("a Docker daemon answers here: the container provider is exercised by --graphdb neo4j-container")
    with pytest.raises(ProviderUnavailable, match="neo4j-container: .*Docker"):
        providers.start_container()


def test_describe_never_contains_the_password() -> None:
    db = GraphDB("embedded", "bolt://127.0.0.1:1", "root", "s3cr3t-value", "graph")
    assert "s3cr3t-value" not in repr(db.describe())
    assert GraphDB.from_json(db.to_json()) == db


def test_unknown_provider() -> None:
    with pytest.raises(ValueError, match="unknown graph database provider"):
        providers.provision("sqlite", None)  # type: ignore[arg-type]


def test_watchdog_stops_the_server_when_its_owner_dies() -> None:
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    watchdog = subprocess.Popen([sys.executable, "-m", "codegraph_harness.databases.watchdog", str(owner.pid),
                                 str(server.pid)])
    time.sleep(1.0)
    assert server.poll() is None
    owner.kill()
    owner.wait()
    assert server.wait(timeout=20) is not None
    assert watchdog.wait(timeout=20) == 0
