"""A loopback TCP proxy for fault injection between the Bolt driver and the server.

    with FaultProxy(upstream_port) as proxy:       # clients connect to proxy.port
        proxy.latency = 0.05                        # seconds added to every forwarded chunk
        proxy.cut_all()                             # close every open connection now
        proxy.refuse_for(3.0)                       # new connections are closed at once for 3 s
        proxy.reset_share = 0.3                     # 30% of new connections get an RST mid-stream
        proxy.retarget(new_port)                    # after the server restarted elsewhere

Binds to 127.0.0.1 only; every socket operation has a timeout, and threads are daemons that
stop with the proxy.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from types import TracebackType


class FaultProxy:
    def __init__(self, upstream_port: int, *, seed: int = 0) -> None:
        self.upstream_port = upstream_port
        self.latency = 0.0
        self.reset_share = 0.0
        self.reset_after_bytes = 2048  # client->server bytes before a doomed connection is reset
        self._refuse_until = 0.0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self.stats = {"accepted": 0, "refused": 0, "cut": 0, "reset": 0}
        self._thread = threading.Thread(target=self._accept_loop, daemon=True, name="fault-proxy")

    # -- controls -------------------------------------------------------------------------
    def refuse_for(self, seconds: float) -> None:
        self._refuse_until = time.monotonic() + seconds
        self.cut_all()

    def cut_all(self) -> int:
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for s in conns:
            _close(s, reset=True)
        self.stats["cut"] += len(conns)
        return len(conns)

    def retarget(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._conns) // 2

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.cut_all()
        self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- plumbing -------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if time.monotonic() < self._refuse_until:
                self.stats["refused"] += 1
                _close(client, reset=True)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                self.stats["refused"] += 1
                _close(client, reset=True)
                continue
            self.stats["accepted"] += 1
            doomed = self._rng.random() < self.reset_share
            with self._lock:
                self._conns.update((client, upstream))
            for src, dst, limit in ((client, upstream, self.reset_after_bytes if doomed else None),
                                    (upstream, client, None)):
                threading.Thread(target=self._pump, args=(src, dst, limit), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, reset_after: int | None) -> None:
        sent = 0
        try:
            src.settimeout(1.0)
            while not self._stop.is_set():
                try:
                    data = src.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                if self.latency:
                    time.sleep(self.latency)
                dst.sendall(data)
                sent += len(data)
                if reset_after is not None and sent >= reset_after:
                    self.stats["reset"] += 1
                    break
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)
            _close(src, reset=reset_after is not None)
            _close(dst, reset=reset_after is not None)


def _close(sock: socket.socket, *, reset: bool) -> None:
    try:
        if reset:  # SO_LINGER 0: close sends RST, as a crashed peer or a broken network would
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
