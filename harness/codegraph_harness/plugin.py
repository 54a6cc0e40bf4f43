"""pytest plugin (entry point `pytest11` of codegraph-harness): real graph databases and corpora.

Hooks, options and fixtures live here; the fixtures' work is done by `databases.providers`,
`corpus` and `measuring.measure`, and the xdist sharing of one server by `databases.shared`.
pytest-xdist is optional: its hooks are declared `optionalhook`, so a session without it runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest

from codegraph_harness import corpus as corpora
from codegraph_harness import records
from codegraph_harness.databases.providers import PROVIDERS, GraphDB, ProviderUnavailable, provision
from codegraph_harness.databases.shared import shared_graphdb
from codegraph_harness.measuring.measure import RunSpec, measure_run
from codegraph_harness.records import FailedRun, RunRecord
from codegraph_harness.verdict import table
from indexer import RuntimeFacts

RECORDS = pytest.StashKey[list[dict[str, Any]]]()
RUN_DIR = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("codegraph", "codegraph graph database and benchmarks")
    group.addoption("--graphdb", choices=PROVIDERS, default=os.environ.get("CODEGRAPH_GRAPHDB", "auto"),
                    help="graph database for tests: auto (default), external, neo4j-container, embedded "
                         "[env CODEGRAPH_GRAPHDB]")
    group.addoption("--bench-modes", default="sequential,thread,process",
                    help="comma-separated execution modes for bench tests")
    group.addoption("--bench-workers", default="2", help="comma-separated worker counts for bench tests")
    group.addoption("--bench-corpora", default="medium", help="comma-separated corpora for bench tests")
    group.addoption("--bench-repeat", type=int, default=1, help="repeats per bench cell")
    group.addoption("--bench-results", default=None, metavar="DIR",
                    help="write one JSON result file per measured run into DIR")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "graphdb: the test needs a real Bolt graph database")
    config.addinivalue_line("markers", "bench: a benchmark of indexing runs (measured, not timed)")
    config.stash[RECORDS] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand our records to the controller
        workeroutput["codegraph_records"] = json.dumps(session.config.stash.get(RECORDS, []))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:  # pytest-xdist's hook: only called under xdist
    output = getattr(node, "workeroutput", None) or {}
    if "codegraph_records" in output:
        node.config.stash[RECORDS].extend(json.loads(output["codegraph_records"]))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    stashed = config.stash.get(RECORDS, [])
    if stashed:
        kinds: dict[str, Any] = {"run": RunRecord, "failed": FailedRun}
        terminalreporter.section("codegraph bench")
        terminalreporter.write_line(table.render([kinds[d["kind"]].from_json(d["record"]) for d in stashed]))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"graphdb", "clean_graph", "graph_driver"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.graphdb)


@pytest.fixture(scope="session")
def graphdb(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphDB]:
    """The session's graph database (see --graphdb), shared by all xdist workers."""
    kind = request.config.getoption("--graphdb")
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        try:
            provisioned = provision(kind, tmp_path_factory.mktemp("graphdb"))
        except ProviderUnavailable as exc:
            pytest.skip(str(exc))
        yield provisioned.db
        provisioned.stop()
        return
    yield from shared_graphdb(kind, tmp_path_factory.getbasetemp().parent)


@pytest.fixture
def clean_graph(graphdb: GraphDB) -> Iterator[GraphDB]:
    """An empty graph of this test's own (a fresh database on the embedded server)."""
    with graphdb.fresh() as db:
        yield db


@pytest.fixture
def graph_driver(clean_graph: GraphDB) -> Iterator[neo4j.Driver]:
    """A driver connected to this test's empty graph (use `clean_graph.database` in sessions)."""
    with clean_graph.driver() as driver:
        yield driver


@pytest.fixture(scope="session")
def bench_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    opt = request.config.getoption
    return {
        "modes": [m for m in opt("--bench-modes").split(",") if m],
        "workers": [int(w) for w in opt("--bench-workers").split(",") if w],
        "corpora": [c for c in opt("--bench-corpora").split(",") if c],
        "repeat": opt("--bench-repeat"),
        "results": Path(opt("--bench-results")) if opt("--bench-results") else None,
    }


@pytest.fixture
def corpus() -> Callable[..., corpora.Corpus]:
    """corpus("medium") -> a cached synthetic preset; also "stdlib" and sdists ("requests")."""
    return corpora.get


@pytest.fixture
def index_run(request: pytest.FixtureRequest, graphdb: GraphDB,
              bench_options: dict[str, Any]) -> Callable[..., RunRecord | FailedRun]:
    """index_run(corpus, mode, workers=2) -> the measured record of one run in a fresh subprocess,
    into an empty graph. Records reach the terminal table, --bench-results and, when the test uses
    pytest-benchmark's `benchmark` fixture, its extra_info."""
    config = request.config

    def run(corpus: corpora.Corpus, mode: str, workers: int = 2, **kwargs: Any) -> RunRecord | FailedRun:
        spec = RunSpec(corpus, mode, workers, RuntimeFacts.current().label, **kwargs)
        record = measure_run(graphdb, spec)
        data = record.to_json()
        data.pop("timeline", None)
        config.stash[RECORDS].append({"kind": record.kind, "record": data})
        if bench_options["results"] is not None:
            records.write(bench_options["results"], record, label=f"{corpus.name}-{mode}-{workers}")
        if "benchmark" in request.fixturenames and isinstance(record, RunRecord):
            extra = request.getfixturevalue("benchmark").extra_info
            extra[f"{corpus.name}/{mode}/{workers}"] = {
                "index_seconds": record.index_seconds, "peak_rss": record.peak_rss,
                "max_connections": record.max_connections, "digest": record.graph.digest if record.graph else None}
        return record

    return run
