"""Plants act only in parallel workers, and only where CODEGRAPH_PLANT names them."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from codegraph_harness.faults import plants


def test_in_worker_tells_worker_threads_from_the_main_thread() -> None:
    seen: list[bool] = []
    t = threading.Thread(target=lambda: seen.append(plants.in_worker()))
    t.start()
    t.join()
    assert seen == [True] and plants.in_worker() is False


def test_unknown_plant_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown plant"):
        plants.install("gremlins")


def test_parallel_failures_only_in_workers(tmp_path) -> None:
    code = f"""
import threading
from codegraph_harness.faults import plants
plants.install("parallel-failures")
from indexer import worker
from indexer.model import SourceFile
files = []
for i in range(24):
    p = {str(tmp_path)!r} + f"/m{{i}}.py"
    open(p, "w").write("def f():\\n    return 1\\n")
    files.append(SourceFile(p, f"m{{i}}.py", 20))
main = worker.parse_batch(files, 10**6, "", False)
out = []
t = threading.Thread(target=lambda: out.append(worker.parse_batch(files, 10**6, "", False)))
t.start(); t.join()
print(len(main.errors), len(out[0].errors), sorted({{e.message for e in out[0].errors}}))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    in_main, in_worker, messages = result.stdout.split(" ", 2)
    assert in_main == "0" and int(in_worker) >= 1 and "planted failure" in messages
