"""Pool exhaustion, bad input in every mode, interrupts in every mode, hostile strings."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil
import pytest

from codegraph_harness import corpus as corpora
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.faults import badinput
from codegraph_harness.faults import scenarios as faults
from codegraph_harness.faults.proxy import FaultProxy
from indexer import graphstats, pipeline
from indexer.model import ErrorKind, SourceFile

from .conftest import IS_ROOT

MODES = [("sequential", 1), ("thread", 2), ("process", 2)]


def digest_of(db: GraphDB) -> str:
    with db.store() as store:
        return graphstats.graph_stats(store).digest


@pytest.fixture(scope="module")
def reference(graphdb: GraphDB) -> dict[str, str]:
    """Clean digests of the medium and large presets, indexed sequentially."""
    out = {}
    for name in ("medium", "large"):
        with graphdb.fresh() as target:
            code, _, err, _ = faults.run_index(target, corpora.synthetic(name).path, "sequential", 1, timeout=600)
            assert code == 0, err
            out[name] = digest_of(target)
    return out


@pytest.mark.graphdb
def test_pool_smaller_than_workers_times_out_retries_and_completes(clean_graph: GraphDB,
                                                                    reference: dict[str, str]) -> None:
    with FaultProxy(int(clean_graph.uri.rsplit(":", 1)[1])) as proxy:
        proxy.latency = 0.05  # ~1 s transactions: 3 of 4 workers wait longer than the acquisition timeout
        via = replace(clean_graph, uri=f"bolt://127.0.0.1:{proxy.port}")
        settings = via.settings(INDEXING_MODE="thread", MAX_WORKERS="4", NEO4J_MAX_CONNECTION_POOL_SIZE="1",
                                NEO4J_CONNECTION_ACQUISITION_TIMEOUT="0.5", WRITE_ATTEMPTS="100")
        settings = dataclasses.replace(settings, retry_delay=0.05)
        summary = pipeline.run_index(corpora.synthetic("medium").path, settings)
    c = summary.counters
    assert any("smaller than the 4 workers" in w for w in summary.warnings)
    assert c.acquisition_timeouts > 0 and c.retries >= c.acquisition_timeouts
    assert summary.files_failed == 0 and c.connection_failures == 0
    assert digest_of(clean_graph) == reference["medium"]


@pytest.mark.graphdb
@pytest.mark.parametrize(("mode", "workers"), MODES)
def test_bad_input_in_every_mode(clean_graph: GraphDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str,
                                 workers: int) -> None:
    root = badinput.build(tmp_path / "bad")
    real_discover = pipeline.discover

    def discover_then_delete(path: str) -> tuple[list[SourceFile], list]:
        found = real_discover(path)
        (root / "vanishing.py").unlink()  # deleted between discovery and parsing
        return found

    monkeypatch.setattr(pipeline, "discover", discover_then_delete)
    settings = clean_graph.settings(INDEXING_MODE=mode, MAX_WORKERS=str(workers))
    summary = pipeline.run_index(str(root), settings)
    assert {e["path"]: e["type"] for e in summary.errors} == badinput.EXPECTED
    assert summary.counters.files_indexed == badinput.INDEXED
    with clean_graph.driver() as driver, driver.session(database=clean_graph.database) as s:
        names = {r["n"] for r in s.run("MATCH (f:Function) RETURN f.name AS n").data()}
    assert {"with_bom", "caf", "grüß"} <= names


def index_unprivileged(db: GraphDB, root: Path, *, expect: int = 0) -> dict[str, Any]:
    """`codegraph index root --json` as a user without root's right to read everything (as
    nobody, when this runs as root); its summary, or {"stderr": ...} when it exits non-zero as
    `expect`ed. Skips when nobody cannot import this checkout."""
    cmd = [sys.executable, "-m", "indexer", "index", str(root), "--json"]
    if IS_ROOT:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        probe = subprocess.run([*cmd[:4], sys.executable, "-c", "import indexer"], capture_output=True, text=True)
        if probe.returncode:  # e.g. a checkout under a 0700 folder (mktemp -d)
            pytest.skip(f"user nobody cannot import this checkout's indexer: {probe.stderr.strip()[-200:]}")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}, **db.env(),
           "HOME": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=str(root.parent))
    assert out.returncode == expect, out.stderr[-2000:]
    return dict(json.loads(out.stdout)) if expect == 0 else {"stderr": out.stderr}


@pytest.mark.graphdb
@pytest.mark.skipif(shutil.which("setpriv") is None and IS_ROOT, reason="as root, needs setpriv to drop privileges")
def test_unreadable_file_is_a_typed_error(clean_graph: GraphDB) -> None:
    root = Path(tempfile.mkdtemp(prefix="codegraph-unreadable-"))
    try:
        os.chmod(root, 0o755)
        (root / "fine.py").write_text("def ok():\n    pass\n")
        secret = root / "secret.py"
        secret.write_text("x = 1\n")
        os.chmod(secret, 0)
        for p in (root / "fine.py",):
            os.chmod(p, 0o644)
        summary = index_unprivileged(clean_graph, root)
        assert {e["path"]: e["type"] for e in summary["errors"]} == {"secret.py": ErrorKind.UNREADABLE}
        assert summary["files_indexed"] == 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.graphdb
@pytest.mark.skipif(shutil.which("setpriv") is None and IS_ROOT, reason="as root, needs setpriv to drop privileges")
def test_what_the_graph_holds_under_an_unlistable_directory_is_kept(clean_graph: GraphDB) -> None:
    root = Path(tempfile.mkdtemp(prefix="codegraph-unlisted-"))
    try:
        os.chmod(root, 0o755)
        (root / "fine.py").write_text("def ok():\n    pass\n")
        (root / "sub").mkdir()
        (root / "sub" / "kept.py").write_text("def there():\n    pass\n")
        for p in (root / "fine.py", root / "sub" / "kept.py"):
            os.chmod(p, 0o644)
        pipeline.run_index(str(root), clean_graph.settings(INDEXING_MODE="sequential"))
        os.chmod(root / "sub", 0)  # the second run cannot list it: its module must not count as deleted
        summary = index_unprivileged(clean_graph, root)
        assert summary["files_removed"] == 0
        assert any("1 stored modules under directories that could not be listed (sub)" in w
                   for w in summary["warnings"]), summary["warnings"]
        with clean_graph.driver() as driver, driver.session(database=clean_graph.database) as s:
            paths = {r["p"] for r in s.run("MATCH (m:Module) RETURN m.path AS p").data()}
        assert paths == {"fine.py", "sub/kept.py"}
        os.chmod(root, 0o711)  # the folder itself cannot be listed: refused before connecting, graph untouched
        refused = index_unprivileged(clean_graph, root, expect=2)
        assert "cannot list directory" in refused["stderr"] and "the graph is left as it is" in refused["stderr"]
        with clean_graph.driver() as driver, driver.session(database=clean_graph.database) as s:
            assert s.run("MATCH (m:Module) RETURN count(m) AS n").single()["n"] == 2
    finally:
        os.chmod(root, 0o755)
        os.chmod(root / "sub", 0o755)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.graphdb
@pytest.mark.xdist_group("stdlib")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize(("mode", "workers"), MODES)
def test_interrupt_in_every_mode(clean_graph: GraphDB, reference: dict[str, str], mode: str, workers: int,
                                 sig: int) -> None:
    large = corpora.synthetic("large").path
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}, **clean_graph.env()}
    proc = subprocess.Popen(faults.index_cmd(large, mode, workers), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    time.sleep(4.0)
    family = [parent, *parent.children(recursive=True)]
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - sent
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), err[-2000:]
    assert elapsed < 10, f"took {elapsed:.1f}s to stop"
    _, alive = psutil.wait_procs(family, timeout=5)
    assert alive == [], f"left behind: {alive}"
    assert json.loads(out)["interrupted"] is True
    code, _, err2, hung = faults.run_index(clean_graph, large, mode, workers, timeout=600)
    assert code == 0 and not hung, err2[-2000:]
    assert digest_of(clean_graph) == reference["large"]


HOSTILE = {
    "it's \"quoted\" `ticked`.py": '"""\'); MATCH (n) DETACH DELETE n; //"""\n'
                                   "def drop():\n    '''` }) DETACH DELETE n RETURN 1 //'''\n",
    "MATCH (n) DETACH DELETE n.py": "@decorate(\"'}) MERGE (x:Evil) //\")\nclass Injected:\n"
                                     "    \"\"\"${param} $rows {id: 'x'}\"\"\"\n",
}


@pytest.mark.graphdb
def test_cypher_is_parameterised(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree(HOSTILE)
    settings = clean_graph.settings(INDEXING_MODE="sequential")
    summary = pipeline.run_index(str(root), settings)
    assert summary.counters.files_indexed == 2 and summary.files_failed == 0
    with clean_graph.driver() as driver, driver.session(database=clean_graph.database) as s:
        docs = {r["p"]: r["d"] for r in s.run("MATCH (m:Module) RETURN m.path AS p, m.docstring AS d").data()}
        evil = s.run("MATCH (n:Evil) RETURN count(n) AS c").single()["c"]
        cls = s.run("MATCH (c:Class) RETURN c.docstring AS d, c.decorators AS dec").single()
        total = s.run("MATCH (n) RETURN count(n) AS c").single()["c"]
    assert docs["it's \"quoted\" `ticked`.py"] == "'); MATCH (n) DETACH DELETE n; //"
    assert "MATCH (n) DETACH DELETE n.py" in docs
    assert evil == 0 and total == 4  # 2 modules, 1 function, 1 class: nothing deleted or added
    assert cls["d"] == "${param} $rows {id: 'x'}"
    assert cls["dec"] == ['decorate("\'}) MERGE (x:Evil) //")']
