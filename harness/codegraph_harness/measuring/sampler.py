"""A thread that samples a process tree and a server: RSS, CPU and Bolt connections.

psutil when it imports (it may be missing on a new free-threaded build); otherwise /proc,
so a figure is never lost on Linux.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from codegraph_harness.measuring import procnet

try:
    import psutil
except ImportError:  # pragma: no cover - depends on the interpreter
    psutil = None


def _proc_children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return kids


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    if psutil is not None:
        try:
            proc = psutil.Process(pid)
            return [pid, *(c.pid for c in proc.children(recursive=True))]
        except psutil.Error:
            return []
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        if os.path.exists(f"/proc/{current}"):
            out.append(current)
            todo.extend(_proc_children(current))
    return out


def rss(pid: int) -> int:
    if psutil is not None:
        try:
            return int(psutil.Process(pid).memory_info().rss)
        except psutil.Error:
            return 0
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """user + system CPU of one process (not its children)."""
    if psutil is not None:
        try:
            t = psutil.Process(pid).cpu_times()
            return float(t.user + t.system)
        except psutil.Error:
            return 0.0
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def bolt_connections(pids: list[int], port: int) -> int:
    """Established TCP connections from these processes to the server's Bolt port."""
    if psutil is not None:
        count = 0
        for pid in pids:
            try:
                conns = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:
                continue
            count += sum(1 for c in conns if c.raddr and c.raddr.port == port and c.status == "ESTABLISHED")
        return count
    inodes: set[str] = set()  # /proc fallback: the sockets these processes hold
    for pid in pids:
        try:
            inodes |= procnet.socket_inodes(pid)
        except OSError:
            continue
    return procnet.established_to(port, inodes)


@dataclass
class Samples:
    peak_rss: int = 0
    timeline: list[tuple[float, int, int]] = field(default_factory=list)  # (t, rss of tree, bolt connections)
    max_connections: int = 0
    server_peak_rss: int = 0


class Sampler(threading.Thread):
    def __init__(self, pid: int, server_pid: int | None, bolt_port: int | None, interval: float = 0.1) -> None:
        super().__init__(daemon=True, name="codegraph-sampler")
        self.pid, self.server_pid, self.bolt_port, self.interval = pid, server_pid, bolt_port, interval
        self.samples = Samples()
        self._stop_event = threading.Event()
        self.started_at = time.perf_counter()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def sample(self) -> None:
        pids = tree(self.pid)
        total = sum(rss(p) for p in pids)
        conns = bolt_connections(pids, self.bolt_port) if self.bolt_port else 0
        s = self.samples
        s.peak_rss = max(s.peak_rss, total)
        s.max_connections = max(s.max_connections, conns)
        s.timeline.append((round(time.perf_counter() - self.started_at, 3), total, conns))
        if self.server_pid:
            s.server_peak_rss = max(s.server_peak_rss, rss(self.server_pid))

    def stop(self) -> Samples:
        self._stop_event.set()
        self.join(timeout=5)
        return self.samples
