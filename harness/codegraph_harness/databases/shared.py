"""One graph database for all pytest-xdist workers of a session.

The first worker to arrive starts the server under a file lock and writes a connection-info
file (mode 0600); the others read it; each counts itself in and out, and the last one out
stops the server. A provider that cannot run here is recorded once, so every worker skips
with the same reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from codegraph_harness.databases.providers import GraphDB, ProviderUnavailable, provision
from indexer import stop_pid


def shared_graphdb(kind: str, shared: Path) -> Iterator[GraphDB]:
    from filelock import FileLock

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
