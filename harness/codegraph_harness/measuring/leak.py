"""The leak check: several consecutive runs in one coordinator process, in one mode.

After each run the whole process tree is inspected at rest: its memory, the worker processes
still alive and the Bolt connections still open (workers included), plus the tree's peak
memory during the run. Growth across runs, a leftover process or an open connection is a
leak (judged by the `no_leak` criterion).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from urllib.parse import urlparse

from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.measuring.measure import RunSpec, child_env, last_error_line
from codegraph_harness.measuring.sampler import Sampler, is_resource_tracker, tree_state
from codegraph_harness.records import LeakCheck, LeakSample
from indexer import redact_text


def leak_check(db: GraphDB, spec: RunSpec, runs: int = 5) -> LeakCheck:
    record = LeakCheck(spec.interpreter, spec.corpus, spec.mode, spec.mode, spec.workers, plant=spec.plant)
    with db.fresh() as target, tempfile.TemporaryFile("w+") as stderr:
        env = child_env(target, {"INDEXING_MODE": spec.mode, "MAX_WORKERS": str(spec.workers), "EMBED_MODE": "none",
                                 **({"CODEGRAPH_PLANT": spec.plant} if spec.plant else {}), **spec.env})
        module = "codegraph_harness.faults.plants" if spec.plant else "codegraph_harness.measuring.runner"
        args = ["leak"] if spec.plant else []
        proc = subprocess.Popen([spec.python, "-m", module, *args, spec.corpus.path, str(runs)], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True)
        killer = threading.Timer(spec.timeout, proc.kill)
        killer.start()
        port = urlparse(target.uri).port
        sampler = Sampler(proc.pid, None, port)
        sampler.start()
        marks = [time.time()]
        try:
            for _ in range(runs):
                line = proc.stdout.readline() if proc.stdout else ""
                if not line:
                    break
                record.mode = json.loads(line)["mode"]
                time.sleep(0.3)  # let the pool's exited workers be reaped
                marks.append(time.time())
                state = tree_state(proc.pid, port)
                peak = max((s[1] for s in sampler.samples.timeline if marks[-2] <= s[0] <= marks[-1]),
                           default=state.rss)
                workers = [p for p in state.pids[1:] if not is_resource_tracker(p)]
                record.runs.append(LeakSample(state.rss, int(peak), len(workers), state.connections))
                if proc.stdin:
                    proc.stdin.write("next\n")
                    proc.stdin.flush()
            if proc.stdin:
                proc.stdin.close()
            status = proc.wait()
        finally:
            killer.cancel()
            sampler.stop()
            if proc.poll() is None:
                proc.kill()
        if status != 0 or len(record.runs) < runs:
            stderr.seek(0)
            text = redact_text(stderr.read(), (db.password,))
            record.error = (f"exited {status} after {len(record.runs)} of {runs} runs: {last_error_line(text)}"
                            if status is not None and status >= 0 else f"killed after {spec.timeout:.0f}s")
    return record
