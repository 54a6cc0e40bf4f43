from __future__ import annotations

import os
import subprocess
import sys
import time

from codegraph_harness.measuring import sampler


def test_tree_rss_and_cpu_of_a_real_process_tree() -> None:
    child = "x = bytearray(50_000_000); import time; time.sleep(5)"
    code = f"import subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', {child!r}]); time.sleep(5)"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(1.5)
        pids = sampler.tree(proc.pid)
        assert len(pids) == 2 and pids[0] == proc.pid
        assert sum(sampler.rss(p) for p in pids) > 50_000_000
        s = sampler.Sampler(proc.pid, None, None, interval=0.05)
        s.start()
        time.sleep(0.3)
        samples = s.stop()
        assert samples.peak_rss > 50_000_000 and len(samples.timeline) >= 3
    finally:
        proc.kill()
        proc.wait()
    assert sampler.cpu_seconds(os.getpid()) > 0


def test_proc_fallback_matches_psutil(monkeypatch) -> None:
    with_psutil = sampler.rss(os.getpid())
    monkeypatch.setattr(sampler, "psutil", None)
    without = sampler.rss(os.getpid())
    assert abs(without - with_psutil) < 20_000_000
    assert sampler.tree(os.getpid())[0] == os.getpid()
    assert sampler.cpu_seconds(os.getpid()) > 0
    assert sampler.bolt_connections([os.getpid()], 1) == 0
