"""The two distributions as a user installs them, in a venv of their own (no xdist there).

`pip install .` gives a working `codegraph index` and no pytest plugin; adding `./harness`
gives the plugin, whose fixtures work in a pytest session without pytest-xdist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codegraph_harness.databases.providers import GraphDB

from .test_pipeline import PACKAGE

ROOT = Path(__file__).resolve().parent.parent

USES_THE_PLUGIN = '''
def test_fixtures_of_the_plugin(clean_graph, corpus):
    with clean_graph.store() as store:
        store.write("probe", lambda tx: tx.run("CREATE (:Module {id: 'x', path: 'x'})").consume())
        assert store.read("MATCH (m:Module) RETURN count(m) AS c") == [{"c": 1}]
    assert corpus("small").files == 30
'''


def _env(db: GraphDB) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "PYTEST_", "CODEGRAPH_GRAPHDB"))}
    return {**base, **db.env()}


def make_venv(venv: Path) -> str:
    """A virtual environment with pip in it; its python. Where the interpreter's ensurepip fails
    (Debian's python3.14 bundles a pip too old for it), this environment's pip installs pip there."""
    py = str(venv / "bin" / "python")
    if subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True).returncode != 0:
        subprocess.run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(venv)], check=True)
        subprocess.run([sys.executable, "-m", "pip", "--python", py, "install", "--quiet", "pip"], check=True)
    return py


@pytest.mark.graphdb
@pytest.mark.timeout(900)
def test_indexer_alone_then_the_harness_without_xdist(clean_graph: GraphDB, tmp_path: Path, make_tree) -> None:
    venv = tmp_path / "venv"
    py, codegraph = make_venv(venv), str(venv / "bin" / "codegraph")

    def pip(*args: str) -> None:
        out = subprocess.run([py, "-m", "pip", "install", "--quiet", *args], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-3000:]

    pip(str(ROOT))  # the indexer, no extras
    code = make_tree(PACKAGE)
    indexed = subprocess.run([codegraph, "index", str(code), "--json"], env=_env(clean_graph), capture_output=True,
                             text=True, timeout=300)
    assert indexed.returncode == 0, indexed.stderr[-2000:]
    assert json.loads(indexed.stdout)["files_indexed"] == 4
    plugins = "from importlib.metadata import entry_points as e; print([p.value for p in e(group='pytest11')])"
    listed = subprocess.run([py, "-c", plugins], capture_output=True, text=True, check=True).stdout
    assert "codegraph" not in listed  # installing the indexer adds no pytest plugin
    bench = subprocess.run([codegraph, "bench", "--quick"], capture_output=True, text=True)
    # the indexer does not know the harness; it says where plugin commands come from
    assert bench.returncode == 2 and "'codegraph.commands'" in bench.stderr and "README" in bench.stderr

    pip(str(ROOT / "harness"))  # the harness, no extras: pytest comes with it, pytest-xdist does not
    assert subprocess.run([py, "-c", "import xdist"], capture_output=True).returncode != 0
    listed = subprocess.run([py, "-c", plugins], capture_output=True, text=True, check=True).stdout
    assert "codegraph_harness.plugin" in listed
    project = tmp_path / "someone-elses-project"
    project.mkdir()
    (project / "test_uses_plugin.py").write_text(USES_THE_PLUGIN)
    env = {**_env(clean_graph), "CODEGRAPH_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)], cwd=project, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "1 passed" in out.stdout
