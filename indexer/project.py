"""The project's own persistent embedded server: `.codegraph/` next to the code.

`codegraph db start` writes the connection details to `.codegraph/server.json`, readable by
the user only; `codegraph index` and `codegraph stats` use it when NEO4J_URI is not set.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from indexer.server import EmbeddedServer, ServerError, ServerHandle, pid_alive, stop_pid, wait_ready, write_private

STATE_DIR = ".codegraph"
STATE_FILE = "server.json"
SECRET_FILE = "secret"


def find_state(start: str | os.PathLike[str] = ".") -> Path | None:
    """The nearest `.codegraph/server.json` in `start` or its parents."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        candidate = folder / STATE_DIR / STATE_FILE
        if candidate.is_file():
            return candidate
    return None


def load(state: Path) -> ServerHandle:
    try:
        data = json.loads(state.read_text())
        return ServerHandle(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise ServerError(f"{state} is unreadable ({exc}); delete it and run `codegraph db start`") from None


def running(start: str | os.PathLike[str] = ".") -> ServerHandle | None:
    state = find_state(start)
    if state is None:
        return None
    handle = load(state)
    return handle if pid_alive(handle.pid) else None


def start(root: str | os.PathLike[str] = ".", timeout: float = 90.0) -> tuple[ServerHandle, bool]:
    """Start the project's server unless it runs already; returns (handle, started_now)."""
    existing = running(root)
    if existing is not None:
        return existing, False
    base = Path(root).resolve() / STATE_DIR
    base.mkdir(mode=0o700, exist_ok=True)
    _ignore_in_git(base)
    server = EmbeddedServer(base / "arcadedb", password=_password(base), persistent=True)
    handle = server.start(timeout)
    write_private(base / STATE_FILE, json.dumps(handle.to_dict(), indent=2))
    return handle, True


def _password(base: Path) -> str:
    """The root password chosen when the data folder was created (ArcadeDB keeps its users)."""
    secret = base / SECRET_FILE
    if secret.is_file():
        return secret.read_text().strip()
    password = secrets.token_urlsafe(24)
    write_private(secret, password)
    return password


def stop(root: str | os.PathLike[str] = ".") -> ServerHandle | None:
    state = find_state(root)
    if state is None:
        return None
    handle = load(state)
    if pid_alive(handle.pid):
        stop_pid(handle.pid)
    state.unlink(missing_ok=True)
    return handle


def status(root: str | os.PathLike[str] = ".") -> dict[str, object]:
    state = find_state(root)
    if state is None:
        return {"running": False, "reason": "no server started for this project"}
    handle = load(state)
    if not pid_alive(handle.pid):
        return {"running": False, "reason": f"process {handle.pid} is gone (state in {state})"}
    try:
        wait_ready(handle, timeout=5)
        reachable = True
    except ServerError:
        reachable = False
    return {"running": True, "reachable": reachable, "pid": handle.pid, "uri": handle.uri,
            "database": handle.database, "data": handle.data_dir, "state": str(state)}


def _ignore_in_git(base: Path) -> None:
    gitignore = base / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")
