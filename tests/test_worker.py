"""What a worker does with a batch: parse (a failure costs one file), then write what changed."""

from __future__ import annotations

import pytest

from codegraph_harness.databases.providers import GraphDB
from indexer.config import load_settings
from indexer.discover import discover
from indexer.model import ErrorKind
from indexer.worker import Worker, WorkerConfig, parse_batch


def test_a_bad_file_costs_one_file_not_the_batch(make_tree) -> None:
    root = make_tree({"a.py": "def f(): pass\n", "b.py": "def (:\n", "c.py": "class C: pass\n"})
    files, _ = discover(root)
    batch = parse_batch(files, 10**6, "", False)
    assert sorted(p.relpath for p in batch.parsed) == ["a.py", "c.py"]
    assert [(e.relpath, e.kind) for e in batch.errors] == [("b.py", ErrorKind.SYNTAX)]


@pytest.mark.graphdb
def test_a_batch_is_written_once_and_skipped_while_unchanged(clean_graph: GraphDB, make_tree) -> None:
    root = make_tree({"m.py": "def f():\n    return 1\n", "n.py": "import m\n"})
    files, _ = discover(root)
    settings = load_settings(clean_graph.env(), environ={}, dotenv_path=None)
    with clean_graph.store() as store, Worker(WorkerConfig(settings, ""), store) as worker:
        store.ensure_schema(store.verify(), None)
        first = worker.index_batch(files)
        assert (first.counters.files_indexed, first.counters.nodes_written) == (2, 3)
        assert first.written == ["m.py", "n.py"] and len(first.facts) == 2
        again = worker.index_batch(files)
        assert (again.counters.files_indexed, again.counters.files_unchanged) == (0, 2)
        assert again.written == [] and len(again.facts) == 2  # unchanged files still take part in resolution
        (root / "m.py").write_text("def f():\n    return 2\n")
        changed = worker.index_batch(files)
        assert changed.written == ["m.py"] and changed.counters.nodes_written == 2


def test_what_runs_in_a_subinterpreter_imports_no_extension_that_refuses_one() -> None:
    """parse_batch (and the initializer) run in subinterpreters: importing them must not pull in
    numpy, tiktoken or the neo4j driver, which cannot load there (checked in a fresh process,
    so that it holds on every interpreter, not only on 3.14)."""
    import subprocess
    import sys

    code = ("import sys, indexer.worker, indexer.parse; "
            "print(' '.join(sorted(m for m in ('numpy', 'tiktoken', 'neo4j', 'neo4j_rust_ext', 'openai') "
            "if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
