"""What a worker does with a batch: parse (a failure costs one file), then write what changed."""

from __future__ import annotations

import os
import sys

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


def test_what_runs_in_a_subinterpreter_imports_only_the_stdlib() -> None:
    """parse_batch (and the initializer) run in subinterpreters: importing them must load nothing
    but the stdlib and this package (numpy, tiktoken and the neo4j driver refuse to load there).
    Checked in a fresh process, so that it holds on every interpreter, not only on 3.14."""
    import subprocess

    code = ("import sys; before = set(sys.modules); import indexer.worker, indexer.parse; "
            "print(' '.join(sorted(m for m in set(sys.modules) - before if not m.startswith(('indexer', '_')) "
            "and m.split('.')[0] not in sys.stdlib_module_names)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.skipif(sys.version_info < (3, 14),
                    reason="subinterpreter pools need Python 3.14+ (tox -e py314 runs this)")
def test_a_pool_of_subinterpreters_with_the_initializer_leaves_no_memory_behind() -> None:
    """A warnings filter with a message pattern, set in each subinterpreter, kept ~8.7 MiB per
    2-subinterpreter pool alive after the pool ended (CPython 3.14.10): found by the bench's
    leak check in interpreter mode."""
    from concurrent.futures import InterpreterPoolExecutor  # type: ignore[attr-defined]

    from indexer.worker import quiet_syntax_warnings

    def rss_mib() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    sizes = []
    for _ in range(6):
        with InterpreterPoolExecutor(2, initializer=quiet_syntax_warnings) as pool:
            assert list(pool.map(abs, [-1, -2])) == [1, 2]
        sizes.append(rss_mib())
    assert sizes[-1] - sizes[1] < 8, sizes  # was +35 MiB over these 4 pools
