"""What a worker does with a batch: parse (a failure costs one file), then write what changed."""

from __future__ import annotations

import os
import subprocess
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


@pytest.mark.graphdb
def test_a_file_that_fails_is_counted_failed_not_unchanged(clean_graph: GraphDB, make_tree) -> None:
    import dataclasses

    root = make_tree({"m.py": "def f():\n    return 1\n"})
    files, _ = discover(root)
    settings = load_settings({**clean_graph.env(), "EMBED_MODE": "openai", "OPENAI_API_KEY": "sk-test",
                              "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, environ={}, dotenv_path=None)
    settings = dataclasses.replace(settings, embed=dataclasses.replace(settings.embed, max_retries=0))
    with clean_graph.store() as store, Worker(WorkerConfig(settings, ""), store) as worker:
        store.ensure_schema(store.verify(), None)
        result = worker.index_batch(files)
    assert [(e.relpath, e.kind) for e in result.errors] == [("m.py", ErrorKind.EMBED)]
    assert (result.counters.files_indexed, result.counters.files_unchanged, result.facts) == (0, 0, [])


@pytest.mark.graphdb
def test_a_changed_file_whose_embedding_fails_keeps_its_previous_graph(clean_graph: GraphDB, make_tree) -> None:
    import dataclasses

    root = make_tree({"m.py": "def f():\n    return 1\n", "n.py": "x = 1\n"})  # (n.py: nothing to embed)
    files, _ = discover(root)
    plain = load_settings(clean_graph.env(), environ={}, dotenv_path=None)
    failing = load_settings({**clean_graph.env(), "EMBED_MODE": "openai", "OPENAI_API_KEY": "sk-test",
                             "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, environ={}, dotenv_path=None)
    failing = dataclasses.replace(failing, embed=dataclasses.replace(failing.embed, max_retries=0))
    with clean_graph.store() as store:
        store.ensure_schema(store.verify(), None)
        with Worker(WorkerConfig(plain, ""), store) as worker:
            assert worker.index_batch(files).counters.files_indexed == 2
        with Worker(WorkerConfig(failing, failing.embed.fingerprint()), store) as worker:
            result = worker.index_batch(files)  # (another fingerprint: both files are to be rewritten)
        assert [(e.relpath, e.kind) for e in result.errors] == [("m.py", ErrorKind.EMBED)]
        assert result.written == ["n.py"]
        assert store.read("MATCH (n {path: 'm.py'}) RETURN count(n) AS n") == [{"n": 2}]  # the module and f, as before


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


WORKER_PROCESS = """
import logging, sys
from indexer.config import load_settings
from indexer.worker import WorkerConfig, new_worker
settings = load_settings({"NEO4J_PASSWORD": "hunter2-secret"}, environ={}, dotenv_path=None)
worker = new_worker(WorkerConfig(settings, "", (int(sys.argv[1]), int(sys.argv[2]))))
logging.getLogger("neo4j").warning("Transaction failed and will be retried in 0.02s")
log = logging.getLogger("indexer.worker")
log.warning("could not reach bolt://neo4j:hunter2-secret@db:7687 as hunter2-secret")
log.info("an info line")
log.debug("a debug line")
worker.close()
"""


@pytest.mark.parametrize(("levels", "shown", "hidden"), [
    ((20, 40), [], ["Transaction failed", "an info line", "a debug line"]),  # (through a progress bar)
    ((10, 30), ["WARNING neo4j: Transaction failed", "DEBUG indexer.worker: a debug line"], []),
    ((30, 40), [], ["Transaction failed", "an info line"]),
], ids=["default", "verbose", "quiet"])
def test_a_worker_process_logs_as_its_parent_with_secrets_redacted(levels: tuple[int, int], shown: list[str],
                                                                   hidden: list[str]) -> None:
    """Worker processes start with no logging set up: Python printed the driver's warning on
    every retried transaction raw on stderr (and anything else, secrets included)."""
    out = subprocess.run([sys.executable, "-c", WORKER_PROCESS, *map(str, levels)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "WARNING indexer.worker: could not reach bolt://neo4j:***@db:7687 as ***" in out.stderr
    assert "hunter2" not in out.stderr
    assert all(s in out.stderr for s in shown), out.stderr
    assert not any(s in out.stderr for s in hidden), out.stderr


def test_a_worker_process_that_outlives_a_run_takes_the_next_runs_levels_and_secrets() -> None:
    """A Dask worker of a shared cluster (`--scheduler`) serves several runs."""
    script = """
import logging
from indexer.config import load_settings
from indexer.worker import WorkerConfig, new_worker
log = logging.getLogger("indexer.worker")
seen = []
for password, levels in (("first-secret-1234", (10, 30)), ("second-secret-5678", (30, 40))):
    worker = new_worker(WorkerConfig(load_settings({"NEO4J_PASSWORD": password}, environ={}, dotenv_path=None), "",
                                     levels))
    seen.append(password)
    log.warning("tried %s", " and ".join(seen))  # the second run: the first run's secret too
    log.debug("debug while %s", levels)
    try:
        raise RuntimeError(f"cannot reach bolt://neo4j:{password}@db:7687")
    except RuntimeError:
        log.exception("failed")
    worker.close()
print(len(logging.getLogger().handlers))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "1", out.stderr  # one handler, replaced
    assert "first-secret-1234" not in out.stderr and "second-secret-5678" not in out.stderr, out.stderr
    assert "WARNING indexer.worker: tried ***\n" in out.stderr
    assert "WARNING indexer.worker: tried *** and ***\n" in out.stderr
    assert "debug while (10, 30)" in out.stderr and "debug while (30, 40)" not in out.stderr
    assert out.stderr.count("RuntimeError: cannot reach bolt://neo4j:***@db:7687") == 2  # (tracebacks too)
