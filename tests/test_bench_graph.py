"""Real codebases give one graph in every mode, with as many classes, functions and lambdas
as a plain `ast` walk finds (`pytest -m bench tests/test_bench_graph.py`; not in `make test`:
the stdlib and Django in every mode take minutes)."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import pytest

from codegraph_harness.corpus import Corpus, CorpusError
from codegraph_harness.records import RunRecord
from indexer import list_files

from .graphs import ast_counts


def modes() -> list[tuple[str, int]]:
    out = [("sequential", 1), ("thread", 2), ("process", 2), ("auto", 2)]
    if sys.version_info >= (3, 14):
        out.append(("interpreter", 2))
    if importlib.util.find_spec("distributed") is not None:
        out.append(("dask", 2))
    return out


@pytest.mark.bench
@pytest.mark.parametrize("name", ["stdlib", "django"])
def test_a_real_codebase_gives_one_graph_in_every_mode(corpus: Any, index_run: Any, name: str) -> None:
    try:
        code: Corpus = corpus(name)
    except CorpusError as exc:
        pytest.skip(f"{name} is not available here: {exc}")
    runs = [index_run(code, mode, workers) for mode, workers in modes()]
    done = [r for r in runs if isinstance(r, RunRecord)]
    assert len(done) == len(runs), [r for r in runs if not isinstance(r, RunRecord)]
    for r in done:  # each mode ran as itself, to the end: no pool fell back to this process
        assert r.exit_status == 0 and not any("pool broke" in w for w in r.warnings), (r.requested_mode, r.warnings)
        assert r.requested_mode == "auto" or r.mode == r.requested_mode, (r.requested_mode, r.mode)
    digests = {r.requested_mode: r.graph.digest for r in done if r.graph}
    assert len(set(digests.values())) == 1, digests
    files, _ = list_files(code.path)
    want = ast_counts(f.path for f in files)
    got = done[0].graph.nodes if done[0].graph else {}
    assert {k: got.get(k, 0) for k in want} == dict(want)
    print(f"{name}: {code.files} files, one digest in {', '.join(digests)}; {dict(want)}")
    print("  wall s / peak MiB of the process tree: " + ", ".join(
        f"{r.requested_mode} {r.wall_seconds:.1f} / {r.peak_rss >> 20}" for r in done))
