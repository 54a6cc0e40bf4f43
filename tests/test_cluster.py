"""`--mode dask` with a real LocalCluster (no mock of Dask or of the driver): the same graph as
sequential, a worker killed mid-run, and Ctrl+C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from codegraph_harness import corpus as corpora
from codegraph_harness.databases.providers import GraphDB
from indexer import graph_stats

pytest.importorskip("distributed", reason="--mode dask needs the 'dask' extra: pip install 'codegraph[dask]'")


def index(db: GraphDB, root: str, *extra: str) -> subprocess.Popen[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}, **db.env()}
    return subprocess.Popen([sys.executable, "-m", "indexer", "index", root, "--json", *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def digest(db: GraphDB) -> str:
    with db.store() as store:
        return graph_stats(store).digest


def wait_until_writing(db: GraphDB, timeout: float = 120) -> None:
    """Until the run has written modules: its workers are in the middle of the work."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.store() as store:
            if store.read("MATCH (m:Module) RETURN count(m) AS n")[0]["n"] > 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing was written in {timeout:.0f}s")


def failures(out: str) -> str:
    """The errors a run's JSON summary lists (stderr's tail may not reach them)."""
    try:
        return json.dumps(json.loads(out).get("errors", [])[:5], indent=1)
    except ValueError:
        return "(no summary)"


def dask_workers(parent: psutil.Process) -> list[psutil.Process]:
    """The LocalCluster's worker processes: spawned children (its nannies live in the parent)."""
    out = []
    for p in parent.children(recursive=True):
        try:
            if "spawn_main" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            continue
    return out


@pytest.fixture(scope="module")
def large_reference(graphdb: GraphDB) -> str:
    with graphdb.fresh() as target:
        proc = index(target, corpora.get("large").path, "--mode", "sequential")
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        return digest(target)


@pytest.mark.graphdb
@pytest.mark.xdist_group("stdlib")
def test_dask_gives_the_same_graph_as_sequential(clean_graph: GraphDB, large_reference: str) -> None:
    proc = index(clean_graph, corpora.get("large").path, "--mode", "dask", "--workers", "2")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    summary = json.loads(out)
    assert (summary["mode"], summary["workers"], summary["files_failed"]) == ("dask", 2, 0)
    assert [p["name"] for p in summary["phases"]][2] == "start_workers"
    assert digest(clean_graph) == large_reference
    assert clean_graph.password not in out + err


@pytest.mark.graphdb
@pytest.mark.xdist_group("stdlib")
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(clean_graph: GraphDB, large_reference: str) -> None:
    proc = index(clean_graph, corpora.get("large").path, "--mode", "dask", "--workers", "2")
    parent = psutil.Process(proc.pid)
    wait_until_writing(clean_graph)
    victims = dask_workers(parent)
    assert victims, "no dask worker process found"
    victims[0].send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"{failures(out)}\n{err[-2000:]}"
    assert json.loads(out)["files_failed"] == 0
    assert digest(clean_graph) == large_reference  # rescheduled tasks wrote nothing twice


@pytest.mark.graphdb
@pytest.mark.xdist_group("stdlib")
def test_ctrl_c_cancels_the_cluster_and_leaves_no_process(clean_graph: GraphDB) -> None:
    proc = index(clean_graph, corpora.get("large").path, "--mode", "dask", "--workers", "2")
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(dask_workers(parent)) < 2:
        time.sleep(0.2)
    time.sleep(2.0)
    family = parent.children(recursive=True)
    assert family, "the LocalCluster started no process"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert time.monotonic() - sent < 20
    _, alive = psutil.wait_procs(family, timeout=10)
    assert alive == [], f"left behind: {alive}"
    assert json.loads(out)["interrupted"] is True


def test_without_the_dask_extra_the_mode_names_it_before_connecting(tmp_path) -> None:
    """No database is reachable here (port 9): the missing extra is said first, exit 2."""
    (tmp_path / "a.py").write_text("def f(): pass\n")
    code = ("import sys; sys.modules['distributed'] = None; from indexer.cli import main; "
            f"sys.exit(main(['index', {str(tmp_path)!r}, '--mode', 'dask', '--uri', 'bolt://127.0.0.1:9']))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "pip install 'codegraph[dask]'" in out.stderr and "Traceback" not in out.stderr


def test_an_unreachable_scheduler_is_one_line_naming_it() -> None:
    from indexer.cluster import DaskCluster
    from indexer.pool import ClusterUnreachable

    cluster = DaskCluster(1, "tcp://127.0.0.1:9", initializer=dict, connect_timeout=2)
    with pytest.raises(ClusterUnreachable) as err:
        cluster.start()
    message = str(err.value)
    assert message.startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9 (")
    assert "DASK_SCHEDULER_ADDRESS" in message and "\n" not in message
    cluster.close()
