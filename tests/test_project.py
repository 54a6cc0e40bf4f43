"""`codegraph db start|status|stop` in a fresh shell: no environment variables, no Java left behind."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import psutil

from .conftest import needs_embedded
from .test_cli import run
from .test_pipeline import PACKAGE


def java_servers_under(folder: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if "ArcadeDBServer" in cmd and str(folder) in cmd:
            found.append(proc)
    return found


@needs_embedded
def test_db_start_index_stats_stop(tmp_path: Path, make_tree) -> None:
    code = make_tree(PACKAGE, name="project")
    try:
        started = run(["db", "start"], cwd=code)
        assert started.returncode == 0, started.stderr
        assert "embedded ArcadeDB started" in started.stdout
        assert not (code / "log").exists()  # the server writes its log/ in its own data folder
        assert (code / ".codegraph" / "arcadedb" / "log").is_dir()
        state = code / ".codegraph" / "server.json"
        assert stat.S_IMODE(state.stat().st_mode) == 0o600
        assert (code / ".codegraph" / ".gitignore").read_text() == "*\n"
        again = run(["db", "start"], cwd=code)
        assert "already running" in again.stdout
        status = run(["db", "status", "--json"], cwd=code)
        assert json.loads(status.stdout)["reachable"] is True
        indexed = run(["index", ".", "--json"], cwd=code)
        assert indexed.returncode == 0, indexed.stderr
        assert json.loads(indexed.stdout)["files_indexed"] == 4
        stats = run(["stats", "--json"], cwd=code / "pkg")  # found from a subfolder too
        assert json.loads(stats.stdout)["nodes"]["Module"] == 4
        password = json.loads(state.read_text())["password"]
        assert password not in started.stdout + indexed.stdout + indexed.stderr + stats.stdout
    finally:
        stopped = run(["db", "stop"], cwd=code)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert java_servers_under(code) == []
    status = run(["db", "status"], cwd=code)
    assert status.returncode == 1 and "not running" in status.stdout
    restarted = run(["db", "start"], cwd=code)  # same data folder, same password: the graph survives
    try:
        stats = run(["stats", "--json", "--no-digest"], cwd=code)
        assert json.loads(stats.stdout)["nodes"]["Module"] == 4
    finally:
        run(["db", "stop"], cwd=code)
    assert restarted.returncode == 0 and java_servers_under(code) == []
