"""What runs inside the measured subprocess: one indexing run, its summary as JSON.

`python -m harness.runner ROOT` with the database and settings in the environment. Only the
indexer is imported here; all measuring happens in the parent (the measuring process is
never the measured process). The last line of stdout is the JSON result.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
from urllib.parse import urlparse

from codegraph_harness.measuring import procnet
from indexer import describe_runtime, find_gil_culprit, is_gil_enabled, load_settings, run_index


def main(root: str) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    gil_at_start = is_gil_enabled()
    settings = load_settings(dotenv_path=None)
    summary = run_index(root, settings)
    result = summary.to_dict()
    result["gil_enabled_at_start"] = gil_at_start
    result["gil_enabled_at_end"] = is_gil_enabled()
    result["gil_culprit"] = find_gil_culprit() if result["gil_enabled_at_end"] and not gil_at_start else None
    result["runtime"] = describe_runtime()
    print(json.dumps(result))
    return 0


def own_rss() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def leak_check(root: str, runs: int) -> int:
    """Index `root` from scratch `runs` times in this one process; report RSS after each run and
    the Bolt connections still open after the driver was closed."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = load_settings(dotenv_path=None)
    port = urlparse(settings.uri or "").port or 7687
    rss = []
    for _ in range(runs):
        run_index(root, settings, clear=True)
        gc.collect()
        rss.append(own_rss())
    open_connections = procnet.established_to(port, procnet.socket_inodes())
    print(json.dumps({"rss": rss, "open_connections": open_connections, "runtime": describe_runtime()}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[2] == "--leak-check":
        sys.exit(leak_check(sys.argv[1], int(sys.argv[3])))
    sys.exit(main(sys.argv[1]))
