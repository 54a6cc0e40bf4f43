"""A thread that samples a process tree and a server: memory, CPU and Bolt connections.

psutil when it imports (it may be missing on a new free-threaded build); otherwise /proc,
so a figure is never lost on Linux. Each sample is `[epoch seconds, RSS of the tree, Bolt
connections the tree holds, CPU seconds of the tree, CPU seconds of the server]`; the tree's
CPU adds up every process ever seen in it (a worker that exited keeps its last reading).
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
    """Resident memory of one process, in bytes (0 if it is gone)."""
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
    inodes: set[str] = set()
    for pid in pids:
        try:
            inodes |= procnet.socket_inodes(pid)
        except OSError:
            continue
    return procnet.established_to(port, inodes)


@dataclass
class TreeState:
    """The tree at one moment: its processes, memory and connections."""

    pids: list[int]
    rss: int
    connections: int


def is_resource_tracker(pid: int) -> bool:
    """multiprocessing's resource tracker: one helper process per coordinator that uses
    multiprocessing, alive until the coordinator exits by design (not a leaked worker)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"multiprocessing.resource_tracker" in fh.read()
    except OSError:
        return False


def tree_state(pid: int, bolt_port: int | None) -> TreeState:
    pids = tree(pid)
    return TreeState(pids, sum(rss(p) for p in pids), bolt_connections(pids, bolt_port) if bolt_port else 0)


@dataclass
class Samples:
    timeline: list[list[float]] = field(default_factory=list)
    server_peak_rss: int = 0

    @property
    def peak_rss(self) -> int:
        return int(max((s[1] for s in self.timeline), default=0))

    @property
    def max_connections(self) -> int:
        return int(max((s[2] for s in self.timeline), default=0))

    def at(self, epoch: float, column: int) -> float | None:
        """A column (3: tree CPU, 4: server CPU) interpolated at a moment."""
        points = [(s[0], s[column]) for s in self.timeline if s[column] is not None]
        if not points or epoch < points[0][0] or epoch > points[-1][0]:
            return None
        for (t0, v0), (t1, v1) in zip(points, points[1:], strict=False):
            if t0 <= epoch <= t1:
                return v0 if t1 == t0 else v0 + (v1 - v0) * (epoch - t0) / (t1 - t0)
        return points[-1][1]


class Sampler(threading.Thread):
    def __init__(self, pid: int, server_pid: int | None, bolt_port: int | None, interval: float = 0.1) -> None:
        super().__init__(daemon=True, name="codegraph-sampler")
        self.pid, self.server_pid, self.bolt_port, self.interval = pid, server_pid, bolt_port, interval
        self.samples = Samples()
        self._cpu: dict[int, float] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def sample(self) -> None:
        state = tree_state(self.pid, self.bolt_port)
        for p in state.pids:
            self._cpu[p] = max(self._cpu.get(p, 0.0), cpu_seconds(p))
        server_cpu = cpu_seconds(self.server_pid) if self.server_pid else None
        self.samples.timeline.append([round(time.time(), 3), state.rss, state.connections,
                                      round(sum(self._cpu.values()), 3),
                                      round(server_cpu, 3) if server_cpu is not None else None])  # type: ignore[list-item]
        if self.server_pid:
            self.samples.server_peak_rss = max(self.samples.server_peak_rss, rss(self.server_pid))

    def stop(self) -> Samples:
        self._stop_event.set()
        self.join(timeout=5)
        self.sample()  # one last reading after the process ended (the server's CPU, mostly)
        return self.samples
