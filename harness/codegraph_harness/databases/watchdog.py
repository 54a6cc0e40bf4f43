"""Stop a server when the process that owns it is gone (even if the owner crashed).

Run as `python -m codegraph_harness.databases.watchdog OWNER_PID SERVER_PID`, detached from the owner.
"""

from __future__ import annotations

import sys
import time

from indexer import pid_alive, stop_pid


def watch(owner: int, server: int, interval: float = 0.5) -> None:
    while pid_alive(server):
        if not pid_alive(owner):
            stop_pid(server, timeout=15)
            return
        time.sleep(interval)


if __name__ == "__main__":
    watch(int(sys.argv[1]), int(sys.argv[2]))
