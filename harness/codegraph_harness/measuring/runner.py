"""What runs inside the leak check's subprocess: consecutive indexing runs in one process.

`python -m codegraph_harness.measuring.runner ROOT RUNS`, with the database and settings in
the environment. After each run it prints one JSON line and waits for a line on stdin, so the
parent can look at the whole process tree at rest (memory, worker processes, Bolt
connections) before the next run. Only the indexer is imported; the parent measures.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
from collections.abc import Sequence

from indexer import load_settings, run_index


def main(argv: Sequence[str]) -> int:
    root, runs = argv[0], int(argv[1])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = load_settings(dotenv_path=None)
    for i in range(runs):
        summary = run_index(root, settings, clear=True)
        gc.collect()  # what is left after a collection is kept, not garbage waiting
        print(json.dumps({"run": i, "mode": summary.mode, "workers": summary.workers,
                          "failed": summary.files_failed}), flush=True)
        if not sys.stdin.readline():  # the parent went away
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
