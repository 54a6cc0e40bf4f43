"""The `codegraph` command as users run it: a subprocess with a clean environment."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import psutil
import pytest

from codegraph_harness.databases.providers import GraphDB

from .test_pipeline import PACKAGE


def user_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without settings of the indexer, OpenAI or tqdm, plus `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "EMBED_", "OPENAI_", "TQDM_"))}
    return {**base, **(env or {})}


def run(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "indexer", *args], env=user_env(env), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.graphdb
def test_index_json_then_stats_json(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree(PACKAGE)
    out = run(["index", str(root), "--json", "--mode", "thread", "--workers", "2"], env=clean_graph.env())
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert (summary["files_indexed"], summary["mode"], summary["workers"]) == (4, "thread", 2)
    assert summary["server"]["flavour"] in ("arcadedb", "neo4j")
    assert clean_graph.password not in out.stdout + out.stderr
    stats = run(["stats", "--json"], env=clean_graph.env())
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["nodes"] == {"Module": 4, "Class": 2, "Function": 4, "Lambda": 0}
    assert set(data["edges"]) == {"DEFINES", "IMPORTS", "INHERITS", "CALLS", "INSTANTIATES"}
    assert len(data["digest"]) == 64


@pytest.mark.graphdb
def test_progress_on_a_terminal_names_what_follows_the_files(clean_graph: GraphDB, make_tree) -> None:
    """On a terminal the bar counts files, then says that calls are resolved and edges written;
    log lines go above it, and its last state says the run ended."""
    root = make_tree(PACKAGE)
    main, terminal = pty.openpty()
    proc = None
    shown = b""
    try:
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # (a bar needs a width)
        proc = subprocess.Popen([sys.executable, "-m", "indexer", "index", str(root), "--mode", "sequential"],
                                env=user_env(clean_graph.env()), stdout=subprocess.PIPE, stderr=terminal, text=True)
        os.close(terminal)
        terminal = -1
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], deadline - time.monotonic())
            try:
                chunk = os.read(main, 4096) if ready else b""
            except OSError:  # the terminal closed: the command ended
                break
            if not chunk:
                break
            shown += chunk
        out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        for fd in (main, terminal):
            if fd >= 0:
                os.close(fd)
    text = shown.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "indexed" in out
    assert "indexing" in text and "4/4" in text
    assert text.index("resolving calls") > text.index("indexing") and "writing edges" in text
    assert "INFO indexer.edgewriter" in text  # logged while the bar was shown: on a line of its own
    assert re.search(r"[^\r\n]INFO ", text) is None, text
    assert "indexed: 100%" in text.rsplit("\r", 2)[-2]  # the bar's last state says the run ended


def test_progress_bar_names_phases_before_and_after_it_appears() -> None:
    from tqdm import tqdm

    from indexer.cli import _Bar

    screen = io.StringIO()

    class OnScreen(tqdm):  # type: ignore[type-arg]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **{**kwargs, "file": screen})

    bar = _Bar()
    bar.factory = OnScreen
    bar.phase("parse_write")
    bar.update(2, 5)
    bar.update(5, 5)
    bar.phase("resolve")
    bar.phase("edges")
    with bar.writing():  # what a log line does: fine with a bar shown
        pass
    bar.close("indexed")
    bar.close("stopped")  # a second close changes nothing
    lines = screen.getvalue().split("\r")
    assert any(line.startswith("indexing:") and "/5" in line for line in lines)
    assert any(line.startswith("resolving calls:") for line in lines)
    assert any(line.startswith("writing edges:") for line in lines)
    assert [line for line in lines if line.strip()][-1].startswith("indexed: 100%")
    assert "stopped" not in screen.getvalue()


@pytest.mark.graphdb
def test_human_summary_lists_failures(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree({"ok.py": "def f():\n    pass\n", "bad.py": "def (:\n"})
    out = run(["index", str(root)], env=clean_graph.env())
    assert out.returncode == 0, out.stderr
    assert "1 written, 0 unchanged, 1 failed" in out.stdout
    assert "bad.py: syntax_error: line 1" in out.stdout


def test_a_summary_of_a_small_or_stopped_run_reads_right(capsys: pytest.CaptureFixture[str]) -> None:
    from indexer.cli import _print_summary
    from indexer.pipeline import Summary

    summary = Summary(root="code", mode="sequential", reason="few files", workers=1, pool_size=2,
                      files_total=4, wall_time=16.0, files_per_s=0.25, lines_per_s=31.5, interrupted=True)
    _print_summary(summary, as_json=False)
    out = capsys.readouterr().out
    assert "16.0s, 0.2 files/s, 32 lines/s" in out  # (was "0 files/s")
    assert "edges written; references not resolved (the run stopped before)" in out  # (was "resolved ; unresolved")


def test_invalid_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = run(["index", str(tmp_path), "--workers", "500"], env={"NEO4J_URI": "bolt://127.0.0.1:9"})
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "codegraph: configuration error: MAX_WORKERS=500 is out of range; valid range is 1..128")


def test_no_database_says_how_to_get_one(tmp_path: Path) -> None:
    out = run(["index", str(tmp_path)], cwd=tmp_path)
    assert out.returncode == 1
    assert "codegraph db start" in out.stderr and "NEO4J_URI" in out.stderr


def test_a_path_that_is_no_folder_is_a_usage_error_said_before_the_database(tmp_path: Path) -> None:
    out = run(["index", str(tmp_path / "nope")], cwd=tmp_path)  # (no database configured either)
    assert out.returncode == 2
    assert out.stderr.strip() == f"codegraph: {tmp_path / 'nope'}: not a directory; give the root of a Python codebase"


def test_unreachable_database_is_named_without_password(tmp_path: Path) -> None:
    env = {"NEO4J_URI": "bolt://127.0.0.1:9", "NEO4J_PASSWORD": "pw-should-not-print"}
    out = run(["index", str(tmp_path)], env=env, cwd=tmp_path)
    assert out.returncode == 1
    assert "bolt://127.0.0.1:9" in out.stderr and "pw-should-not-print" not in out.stderr


@pytest.mark.graphdb
def test_doctor_reports_runtime_executor_and_server(graphdb: GraphDB, stdlib: Path) -> None:
    out = run(["doctor", str(stdlib), "--json"], env=graphdb.env())
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["runtime"]["python"].startswith(f"{sys.version_info[0]}.{sys.version_info[1]}")
    # the documented policy: threads without a GIL, else subinterpreters where there are (3.14+), else processes
    expected = ("thread" if report["runtime"]["build"] == "free-threaded" else
                "interpreter" if report["runtime"]["interpreter_pool"] else "process")
    assert report["executor"]["mode"] == expected and report["executor"]["for_files"] > 500
    assert report["database"]["reachable"] and report["database"]["flavour"] == graphdb.flavour


@pytest.mark.graphdb
@pytest.mark.xdist_group("stdlib")  # heavy runs share one xdist worker, so timing limits hold on 2 cores
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_in_process_mode_stops_cleanly(clean_graph: GraphDB, stdlib: Path, sig: int, code: int) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    proc = subprocess.Popen([sys.executable, "-m", "indexer", "index", str(stdlib), "--mode", "process",
                             "--workers", "2", "--json"], env={**base, **clean_graph.env()},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(parent.children(recursive=True)) < 2:
        time.sleep(0.2)
    time.sleep(2.0)  # let the workers write some batches
    children = parent.children(recursive=True)
    assert len(children) >= 2, "process mode started no workers"
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err[-2000:]
    assert time.monotonic() - sent < 10
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert alive == [], f"worker processes left behind: {alive}"
    summary = json.loads(out)
    assert summary["interrupted"] is True
    assert "interrupted:" in err and "run the same command again" in err
    rerun = run(["index", str(stdlib), "--json", "--mode", "process", "--workers", "2"], env=clean_graph.env())
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    final = json.loads(rerun.stdout)
    assert final["files_indexed"] + final["files_unchanged"] == final["files_total"] - final["files_failed"]
    assert final["files_unchanged"] >= summary["files_indexed"]  # what was written before the stop is kept
