"""Established TCP connections to a port, read from /proc (Linux), optionally only those of
given socket inodes. No third-party imports: the measured process uses this too."""

from __future__ import annotations

import os


def socket_inodes(pid: int | str = "self") -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def established_to(port: int, inodes: set[str] | None = None) -> int:
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    remote_port = int(parts[2].rsplit(":", 1)[1], 16)
                    if remote_port == port and parts[3] == "01" and (inodes is None or parts[9] in inodes):
                        count += 1
        except OSError:
            continue
    return count
