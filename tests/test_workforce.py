"""Each execution mode's workforce, end to end through the CLI against the real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from codegraph_harness import corpus as corpora
from codegraph_harness.databases.providers import GraphDB
from indexer import graph_stats

NEEDS_314 = pytest.mark.skipif(sys.version_info < (3, 14), reason="the interpreter mode needs Python 3.14+ "
                               "(concurrent.futures.InterpreterPoolExecutor); tox -e py314 runs this")
PYCG = Path(__file__).resolve().parents[2] / "shared" / "callgraph-benchmark" / "pycg-micro"


def run(db: GraphDB, root: str, *args: str, plant: str | None = None) -> dict:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}, **db.env()}
    cmd = [sys.executable, "-m", "indexer"]
    if plant:
        env["CODEGRAPH_PLANT"] = plant
        cmd = [sys.executable, "-m", "codegraph_harness.faults.plants"]
    out = subprocess.run([*cmd, "index", root, "--json", *args], env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def digest(db: GraphDB) -> str:
    with db.store() as store:
        return graph_stats(store).digest


def _has_dask() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.graphdb
@pytest.mark.parametrize("mode", ["process", pytest.param("interpreter", marks=NEEDS_314),
                                  pytest.param("dask", marks=pytest.mark.skipif(
    not _has_dask(), reason="--mode dask needs the 'dask' extra: pip install 'codegraph[dask]'"))])
def test_worker_processes_that_cannot_start_leave_the_work_to_this_process(graphdb: GraphDB, mode: str) -> None:
    medium = corpora.get("medium").path
    with graphdb.fresh() as reference:
        run(reference, medium, "--mode", "sequential")
        expected = digest(reference)
    with graphdb.fresh() as target:
        summary = run(target, medium, "--mode", mode, "--workers", "2", plant="broken-initializer")
        assert summary["mode"] == mode and summary["files_indexed"] == 300 and summary["files_failed"] == 0
        assert any("pool broke" in w and "indexed in this process" in w for w in summary["warnings"])
        assert digest(target) == expected  # the sequential graph: nothing missing, nothing twice


@NEEDS_314
@pytest.mark.graphdb
@pytest.mark.xdist_group("stdlib")
@pytest.mark.parametrize("root", [str(PYCG), str(Path(sysconfig.get_paths()["stdlib"]) / "email"),
                                  sysconfig.get_paths()["stdlib"]], ids=["pycg-micro", "email", "stdlib"])
def test_the_interpreter_mode_writes_the_sequential_graph(graphdb: GraphDB, root: str) -> None:
    if not Path(root).is_dir():
        pytest.skip(f"{root} is not on this machine")
    with graphdb.fresh() as reference:
        run(reference, root, "--mode", "sequential")
        expected = digest(reference)
    with graphdb.fresh() as target:
        summary = run(target, root, "--mode", "interpreter", "--workers", "2")
        assert (summary["mode"], summary["workers"]) == ("interpreter", 2) and not summary["warnings"]
        assert digest(target) == expected
