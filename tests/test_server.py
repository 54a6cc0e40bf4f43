from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from indexer.server import EmbeddedServer, ServerError, arcadedb_home, pid_alive

from .conftest import needs_embedded


@needs_embedded
def test_embedded_server_listens_on_loopback_with_a_random_password(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODEGRAPH_ARCADEDB_JAVA_OPTS", raising=False)  # the default options
    a = EmbeddedServer(tmp_path / "a")
    b = EmbeddedServer(tmp_path / "b")
    assert a.password != b.password and len(a.password) >= 24
    with a as handle:
        listening = {c.laddr for c in psutil.Process(handle.pid).net_connections(kind="tcp")
                     if c.status == psutil.CONN_LISTEN}
        assert listening and all(addr.ip in ("127.0.0.1", "::ffff:127.0.0.1") for addr in listening)
        assert handle.uri.startswith("bolt://127.0.0.1:")
        log = (tmp_path / "a" / "server.log").read_text()
        assert "Listening for incoming BOLT connections on /127.0.0.1" in log
        command = psutil.Process(handle.pid).cmdline()
        assert "-XX:+UseParallelGC" in command  # the default collector
        assert not any(a.password in arg for arg in command)  # any user of the machine sees a command line
        assert not a.secret_args.exists()
    assert not pid_alive(handle.pid)


@needs_embedded
def test_a_password_with_quotes_and_spaces_reaches_the_server(tmp_path: Path) -> None:
    with EmbeddedServer(tmp_path, password='p"w \\ \'x\ny012345678') as handle:  # (start checks it logs in)
        assert handle.password == 'p"w \\ \'x\ny012345678'
        assert not any("y012345678" in arg for arg in psutil.Process(handle.pid).cmdline())


@needs_embedded
def test_java_options_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEGRAPH_ARCADEDB_JAVA_OPTS", "-XX:+UseSerialGC -Xss2m")
    command = EmbeddedServer(tmp_path).command(7687, 2480)
    assert "-XX:+UseSerialGC" in command and "-Xss2m" in command and "-XX:+UseParallelGC" not in command
    assert command.index("-Xss2m") < command.index("-cp")  # JVM options, not arguments of the server
    monkeypatch.setenv("CODEGRAPH_ARCADEDB_JAVA_OPTS", "-Dx='unbalanced")
    with pytest.raises(ServerError, match="CODEGRAPH_ARCADEDB_JAVA_OPTS cannot be split"):
        EmbeddedServer(tmp_path)


def test_wrong_home_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEGRAPH_ARCADEDB_HOME", str(tmp_path))
    with pytest.raises(ServerError, match="has no jars/ folder"):
        arcadedb_home()
