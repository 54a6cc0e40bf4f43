"""The reliability phase of a bench: faults, a server restart and bad input in every mode.

Each scenario becomes a record (kind `fault` or `bad-input`) in the run folder, so the
report's reliability section shows what was injected, what survived, data lost and hangs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codegraph_harness import corpus as corpora
from codegraph_harness import records
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.faults import badinput
from codegraph_harness.faults import scenarios as faults
from codegraph_harness.faults.proxy import FaultProxy
from codegraph_harness.measuring.measure import child_env
from codegraph_harness.records import BadInputRecord, FaultRecord, Record
from indexer import EmbeddedServer, redact_text

MODES = [("sequential", 1), ("thread", 2), ("process", 2)]


def run(db: GraphDB, run_dir: Path, label: str, progress: Callable[[str], None] = print) -> list[Record]:
    out: list[Record] = []
    medium = corpora.synthetic("medium").path
    with db.fresh() as target:
        code, _, err, _ = faults.run_index(target, medium, "sequential", 1, timeout=600)
        if code != 0:
            raise RuntimeError(f"clean reference run failed: {err[-500:]}")
        clean = faults.digest(target)
    for fault in faults.PROXY_FAULTS:
        for mode, workers in MODES:
            progress(f"[{label}] fault {fault} in {mode} x{workers}")
            with db.fresh() as target:
                outcome = faults.scenario(target, medium, mode, workers, fault, clean,
                                          upstream_port=int(target.uri.rsplit(":", 1)[1]))
            out.append(_write(run_dir, FaultRecord(label, **outcome.to_dict())))
    if db.provider == "embedded":
        for mode, workers in MODES:
            progress(f"[{label}] server killed and restarted in {mode} x{workers}")
            out.append(_write(run_dir, FaultRecord(label, **restart(medium, mode, workers, clean))))
    for mode, workers in MODES:
        progress(f"[{label}] bad input in {mode} x{workers}")
        out.append(_write(run_dir, bad_input(db, label, mode, workers)))
    return out


def restart(root: str, mode: str, workers: int, clean: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="codegraph-restart-") as tmp:
        first = EmbeddedServer(Path(tmp) / "db")
        handle = first.start()
        servers = [first]

        def inject(proxy: FaultProxy, proc: subprocess.Popen[str]) -> bool:
            faults.wait_for_traffic(proxy, proc, after=1.0)
            running = proc.poll() is None
            os.kill(handle.pid, signal.SIGKILL)
            if first.process is not None:
                first.process.wait(timeout=10)
            proxy.cut_all()
            second = EmbeddedServer(Path(tmp) / "db", password=first.password)
            servers.append(second)
            proxy.retarget(int(second.start().uri.rsplit(":", 1)[1]))
            return running

        def now() -> GraphDB:
            h = servers[-1].handle
            assert h is not None
            return GraphDB("embedded", h.uri, h.user, h.password, h.database)

        db = GraphDB("embedded", handle.uri, handle.user, handle.password, handle.database)
        try:
            outcome = faults.scenario(db, root, mode, workers, "restart", clean, inject=inject,
                                      upstream_port=int(handle.uri.rsplit(":", 1)[1]), after=now)
        finally:
            for server in servers:
                server.stop()
    return outcome.to_dict()


def bad_input(db: GraphDB, label: str, mode: str, workers: int) -> BadInputRecord:
    """The bad-input tree through the CLI; `vanishing.py` is removed right after discovery
    (before any worker starts) by the `vanish-after-discovery` plant."""
    with db.fresh() as target, tempfile.TemporaryDirectory(prefix="codegraph-bad-") as tmp:
        root = badinput.build(Path(tmp) / "tree")
        env = child_env(target, {"CODEGRAPH_PLANT": "vanish-after-discovery"})
        out = subprocess.run([sys.executable, "-m", "codegraph_harness.faults.plants", "index", str(root), "--json",
                              "--mode", mode, "--workers", str(workers)], env=env, capture_output=True, text=True,
                             timeout=600)
    summary = json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else {}
    got = {e["path"]: e["type"] for e in summary.get("errors", [])}
    return BadInputRecord(label, mode, workers, badinput.names(), out.returncode, got, summary.get("files_indexed"),
                          got == badinput.EXPECTED and summary.get("files_indexed") == badinput.INDEXED,
                          redact_text(out.stderr.strip()[-500:], (db.password,)) if out.returncode else "")


def _write(run_dir: Path, record: FaultRecord | BadInputRecord) -> Record:
    name = f"{record.fault}-{record.mode}" if isinstance(record, FaultRecord) else f"bad-input-{record.mode}"
    records.write(run_dir, record, label=f"{record.interpreter}-{name}")
    return record
