from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from codegraph_harness.faults.proxy import FaultProxy


@pytest.fixture
def echo() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:  # the proxy resets connections on purpose
                pass

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


def roundtrip(port: int, payload: bytes = b"ping") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


def test_forwards_and_adds_latency(echo: int) -> None:
    with FaultProxy(echo) as proxy:
        assert roundtrip(proxy.port) == b"ping"
        proxy.latency = 0.2
        start = time.monotonic()
        assert roundtrip(proxy.port) == b"ping"
        assert time.monotonic() - start >= 0.4  # both directions delayed


def test_cut_refuse_and_reset(echo: int) -> None:
    with FaultProxy(echo) as proxy:
        s = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        s.sendall(b"x")
        assert s.recv(10) == b"x"
        assert proxy.cut_all() == 2
        with pytest.raises((ConnectionError, OSError)):
            s.sendall(b"y")
            if not s.recv(10):
                raise ConnectionResetError("closed")
        s.close()
        proxy.refuse_for(1.0)
        with pytest.raises((ConnectionError, OSError)):
            if roundtrip(proxy.port) != b"ping":
                raise ConnectionResetError("refused")
        time.sleep(1.1)
        assert roundtrip(proxy.port) == b"ping"
        proxy.reset_share = 1.0
        proxy.reset_after_bytes = 10
        with pytest.raises((ConnectionError, OSError)):
            if roundtrip(proxy.port, b"z" * 100_000) != b"z" * 100_000:
                raise ConnectionResetError("reset")
        assert proxy.stats["reset"] >= 1 and proxy.stats["refused"] >= 1


def test_binds_loopback_only(echo: int) -> None:
    with FaultProxy(echo) as proxy:
        assert proxy._listener.getsockname()[0] == "127.0.0.1"
