"""Indexing runs against a real Bolt server (the embedded ArcadeDB unless --graphdb says otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegraph_harness.databases.providers import GraphDB
from indexer import graphstats, pipeline
from indexer.model import ErrorKind
from indexer.runtime import RuntimeFacts


def index(db: GraphDB, root: Path, *, clear: bool = False, **overrides: object) -> pipeline.Summary:
    settings = db.settings(**{k: str(v) for k, v in overrides.items()})
    return pipeline.run_index(str(root), settings, clear=clear)


def stats(db: GraphDB) -> graphstats.GraphStats:
    with db.store() as store:
        return graphstats.graph_stats(store)


PACKAGE = {
    "pkg/__init__.py": '"""The package."""\nfrom .base import Base\n',
    "pkg/base.py": (
        "class Base:\n"
        "    def run(self):\n        return self.step()\n"
        "    def step(self):\n        return 1\n"
    ),
    "pkg/child.py": (
        "from pkg import Base\nfrom . import util\n\n"
        "class Child(Base):\n"
        "    def step(self):\n        return util.helper() + self.run()\n"
    ),
    "pkg/util.py": "import os\n\ndef helper():\n    return len(os.sep)\n",
}


@pytest.mark.graphdb
def test_small_package_graph_has_resolved_edges(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree(PACKAGE)
    summary = index(clean_graph, root, INDEXING_MODE="sequential")
    c = summary.counters
    assert c.files_indexed == 4 and summary.files_failed == 0 and c.edges_dangling == 0
    with clean_graph.driver() as driver, driver.session(database=clean_graph.database) as s:
        inherits = s.run("MATCH (a:Class)-[:INHERITS]->(b:Class) RETURN a.id AS a, b.id AS b").data()
        calls = {(r["a"], r["b"]) for r in s.run("MATCH (a)-[:CALLS]->(b) RETURN a.id AS a, b.id AS b").data()}
        imports = {(r["a"], r["b"]) for r in s.run("MATCH (a)-[:IMPORTS]->(b) RETURN a.id AS a, b.id AS b").data()}
    assert inherits == [{"a": "pkg/child.py::Child", "b": "pkg/base.py::Base"}]
    assert ("pkg/child.py::Child.step", "pkg/util.py::helper") in calls
    assert ("pkg/child.py::Child.step", "pkg/base.py::Base.run") in calls  # self.run via the base class
    assert ("pkg/base.py::Base.run", "pkg/base.py::Base.step") in calls
    assert ("pkg/child.py", "pkg/util.py") in imports and ("pkg/__init__.py", "pkg/base.py") in imports
    assert summary.unresolved["calls"] == 1  # len() is a builtin: counted, not guessed


@pytest.mark.graphdb
def test_each_phase_is_announced_as_it_starts(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree(PACKAGE)
    counted: list[tuple[int, int]] = []
    announced: list[tuple[str, int]] = []  # (phase, files counted when it started)
    summary = pipeline.run_index(str(root), clean_graph.settings(INDEXING_MODE="sequential"),
                                 progress=lambda done, total: counted.append((done, total)),
                                 on_phase=lambda name: announced.append((name, len(counted))))
    assert [name for name, _ in announced] == [p.name for p in summary.phases]
    assert [name for name, _ in announced] == ["discover", "connect", "parse_write", "resolve", "edges", "cleanup"]
    assert counted[-1] == (4, 4) and dict(announced)["resolve"] == len(counted)  # after every file


@pytest.mark.graphdb
def test_bad_files_are_typed_errors_and_the_rest_is_indexed(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree({
        "good.py": "def ok():\n    return 1\n",
        "broken.py": "def nope(:\n",
        "latin.py": b"x = '\xe9t\xe9'\n",
        "binary.py": b"\x7fELF\x02\x01\x01\x00\x00\x00",
        "empty.py": "",
        "bom.py": b"\xef\xbb\xbfdef bom():\n    pass\n",
        "cookie.py": b"# -*- coding: latin-1 -*-\nname = '\xe9'\ndef f():\n    pass\n",
        "deep.py": "x = " + "-" * 100_000 + "1\n",
        "unicodé/módulo.py": "def grüß():\n    return 'ß'\n",
    })
    (root / "loop.py").symlink_to(root / "loop.py")
    summary = index(clean_graph, root, INDEXING_MODE="sequential")
    failures = {e["path"]: e["type"] for e in summary.errors}
    assert failures == {
        "broken.py": ErrorKind.SYNTAX,
        "latin.py": ErrorKind.DECODE,
        "binary.py": ErrorKind.BINARY,
        "deep.py": ErrorKind.RECURSION,
        "loop.py": ErrorKind.SYMLINK_LOOP,
    }
    assert summary.counters.files_indexed == 5  # good, empty, bom, cookie, unicodé/módulo
    graph = stats(clean_graph)
    assert graph.nodes["Module"] == 5
    with clean_graph.driver() as driver, driver.session(database=clean_graph.database) as s:
        names = {r["n"] for r in s.run("MATCH (f:Function) RETURN f.name AS n").data()}
    assert names == {"ok", "bom", "f", "grüß"}


@pytest.mark.graphdb
def test_reindex_skips_unchanged_rewrites_changed_and_removes_deleted(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree(PACKAGE)
    index(clean_graph, root, INDEXING_MODE="sequential")
    (root / "pkg" / "util.py").write_text("def helper():\n    return 2\n\ndef extra():\n    return helper()\n")
    (root / "pkg" / "base.py").unlink()
    second = index(clean_graph, root, INDEXING_MODE="sequential")
    assert (second.counters.files_indexed, second.counters.files_unchanged, second.files_removed) == (1, 2, 1)
    after = stats(clean_graph)
    fresh = index(clean_graph, root, INDEXING_MODE="sequential", clear=True)
    assert fresh.counters.files_indexed == 3
    assert stats(clean_graph).digest == after.digest  # incremental == rebuilt from scratch


@pytest.mark.graphdb
def test_an_empty_folder_or_another_codebase_is_refused_and_the_graph_kept(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree(PACKAGE)
    index(clean_graph, root, INDEXING_MODE="sequential")
    before = stats(clean_graph)
    empty = make_tree({}, name="empty")
    other = make_tree({"tool.py": "def main():\n    pass\n"}, name="other")
    sharing = make_tree({"pkg/__init__.py": "", "other/a.py": "", "other/b.py": ""}, name="sharing")
    for folder, says in ((empty, "4 of them are not under .* \\(no Python files there\\)"),
                         (other, "4 of them are not under .* \\(1 Python files there\\)"),
                         (sharing, "3 of them are not under .* \\(3 Python files there\\)")):  # (one name shared)
        with pytest.raises(pipeline.WrongFolder, match=says) as err:
            index(clean_graph, folder, INDEXING_MODE="sequential")
        assert "nothing was written" in str(err.value) and "--clear" in str(err.value)
        assert stats(clean_graph).digest == before.digest  # (before: the modules were removed at the end)
    pruned = pipeline.run_index(str(sharing), clean_graph.settings(INDEXING_MODE="sequential"), prune=True)
    assert (pruned.files_removed, stats(clean_graph).nodes["Module"]) == (3, 3)
    replaced = index(clean_graph, other, INDEXING_MODE="sequential", clear=True)
    assert (replaced.counters.files_indexed, stats(clean_graph).nodes["Module"]) == (1, 1)


def test_the_folder_guard_refuses_what_would_remove_most_of_the_graph_only() -> None:
    where = "bolt://127.0.0.1:7687"
    for stored, gone, found in (({"a.py"}, ["a.py"], 0),  # an empty folder
                                ({"a.py", "b.py", "c.py", "d.py"}, ["a.py", "b.py"], 900)):  # half: another project
        with pytest.raises(pipeline.WrongFolder, match="pass --prune to remove them"):
            pipeline._check_folder("code", stored, gone, found, where)
    pipeline._check_folder("code", {"a.py", "b.py"}, ["a.py"], 1, where)  # one file of two deleted
    pipeline._check_folder("code", {"a.py"}, ["a.py"], 1, where)  # a one-file project's file renamed


@pytest.mark.graphdb
@pytest.mark.slow
@pytest.mark.xdist_group("stdlib")
def test_stdlib_gives_the_same_graph_in_every_mode(clean_graph: GraphDB, stdlib: Path) -> None:
    first = index(clean_graph, stdlib, INDEXING_MODE="sequential")
    # (> 500: Debian's python3.14 ships its stdlib without the test suite, 626 files)
    assert first.counters.files_indexed > 500 and first.counters.connection_failures == 0
    assert first.counters.edges_dangling == 0 and not first.warnings
    reference = stats(clean_graph)
    assert sum(reference.edges.values()) == first.counters.edges_written
    assert reference.nodes["Function"] > 10_000 and reference.edges["CALLS"] > 10_000

    again = index(clean_graph, stdlib, INDEXING_MODE="sequential")
    assert again.counters.files_indexed == 0 and again.counters.nodes_written == 0
    assert again.counters.files_unchanged == first.counters.files_indexed
    assert stats(clean_graph).digest == reference.digest

    for mode, workers in (("thread", 2), ("thread", 4), ("process", 2)):
        run = index(clean_graph, stdlib, INDEXING_MODE=mode, MAX_WORKERS=workers, clear=True)
        assert (run.mode, run.workers) == (mode, workers)
        assert run.counters.files_indexed == first.counters.files_indexed, run.errors_by_type
        assert run.errors_by_type == first.errors_by_type
        got = stats(clean_graph)
        assert (got.nodes, got.edges) == (reference.nodes, reference.edges), mode
        assert got.digest == reference.digest, f"{mode} x{workers} wrote a different graph"


@pytest.mark.graphdb
def test_a_scheduler_without_the_dask_mode_is_said_to_be_unused(clean_graph: GraphDB, make_tree) -> None:
    summary = index(clean_graph, make_tree(PACKAGE), INDEXING_MODE="sequential",
                    DASK_SCHEDULER_ADDRESS="tcp://127.0.0.1:8786")
    assert any("it is not used; pass --mode dask" in w for w in summary.warnings), summary.warnings


def test_auto_mode_uses_runtime_facts(make_tree) -> None:
    facts = RuntimeFacts((3, 14), True, False, True, 8)
    files = {f"m{i}.py": "x = 1\n" for i in range(60)}
    root = make_tree(files)
    from indexer.discover import discover
    from indexer.runtime import decide

    n = len(discover(root)[0])
    assert decide("auto", n, 4, facts=facts).mode == "thread"


@pytest.mark.graphdb
def test_hash_embeddings_are_stored_and_identical_in_every_mode(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree(PACKAGE)
    first = index(clean_graph, root, INDEXING_MODE="sequential", EMBED_MODE="hash", EMBED_DIMS=64)
    assert first.counters.files_indexed == 4
    with clean_graph.driver() as driver, driver.session(database=clean_graph.database) as s:
        rows = s.run("MATCH (n) WHERE n:Function OR n:Class RETURN n.id AS id, n.embedding AS e, "
                     "n.embedding_model AS m").data()
    assert rows and all(len(r["e"]) == 64 and r["m"] == "hash-64" for r in rows)
    assert all(abs(sum(x * x for x in r["e"]) - 1.0) < 1e-3 for r in rows)
    reference = stats(clean_graph).digest
    for mode, workers in (("thread", 2), ("process", 2)):
        index(clean_graph, root, clear=True, INDEXING_MODE=mode, MAX_WORKERS=workers, EMBED_MODE="hash",
              EMBED_DIMS=64)
        assert stats(clean_graph).digest == reference, mode
    plain = index(clean_graph, root, INDEXING_MODE="sequential")  # other settings: every file is rewritten
    assert plain.counters.files_indexed == 4 and plain.counters.files_unchanged == 0
    with clean_graph.driver() as driver, driver.session(database=clean_graph.database) as s:
        assert s.run("MATCH (n:Function) WHERE n.embedding IS NOT NULL RETURN count(n) AS c").single()["c"] == 0
