"""What runs inside the measured subprocess: one indexing run, its summary as JSON.

`python -m harness.runner ROOT` with the database and settings in the environment. Only the
indexer is imported here; all measuring happens in the parent (the measuring process is
never the measured process). The last line of stdout is the JSON result.
"""

from __future__ import annotations

import json
import logging
import sys

from indexer import pipeline, runtime
from indexer.config import load_settings


def main(root: str) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    gil_at_start = runtime.is_gil_enabled()
    settings = load_settings(dotenv_path=None)
    try:
        summary = pipeline.run_index(root, settings)
    finally:
        pipeline.close_shared_driver()
    result = summary.to_dict()
    result["gil_enabled_at_start"] = gil_at_start
    result["gil_enabled_at_end"] = runtime.is_gil_enabled()
    result["gil_culprit"] = runtime.find_gil_culprit() if result["gil_enabled_at_end"] and not gil_at_start else None
    result["runtime"] = runtime.describe()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
