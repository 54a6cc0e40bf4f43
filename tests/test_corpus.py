from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from codegraph_harness import corpus as corpora
from indexer.discover import discover
from indexer.model import ParsedFile
from indexer.parse import parse_file
from indexer.resolve import resolve


def test_presets_are_deterministic_and_sized(tmp_path: Path) -> None:
    a = corpora.generate("small", tmp_path / "a")
    b = corpora.generate("small", tmp_path / "b")
    c = corpora.generate("small", tmp_path / "c", seed=1)
    assert a.files == 30 and a.lines > 1000 and a.bytes > 30_000
    assert a.fingerprint == b.fingerprint != c.fingerprint
    for path in (tmp_path / "a").rglob("*.py"):
        ast.parse(path.read_text())


def test_synthetic_code_links_up(tmp_path: Path) -> None:
    made = corpora.generate("small", tmp_path / "s")
    files, _ = discover(made.path)
    parsed = [parse_file(f, max_bytes=10**6) for f in files]
    facts = [p.facts for p in parsed if isinstance(p, ParsedFile)]
    result = resolve(facts)
    kinds = {e.type for e in result.edges}
    assert kinds == {"IMPORTS", "INHERITS", "CALLS"}
    assert result.resolved["calls"] > 100


def test_bad_share_gives_broken_files(tmp_path: Path) -> None:
    made = corpora.generate("small", tmp_path / "bad", bad_share=0.2)
    files, _ = discover(made.path)
    failed = [p for p in (parse_file(f, max_bytes=10**6) for f in files) if not isinstance(p, ParsedFile)]
    assert len(failed) == int(corpora._module_count(30) * 0.2)
    assert {f.kind for f in failed} == {"syntax_error", "decode_error", "binary_file"}


def test_cache_returns_the_same_corpus(tmp_path: Path) -> None:
    first = corpora.synthetic("small", cache=tmp_path)
    second = corpora.synthetic("small", cache=tmp_path)
    assert first == second and Path(first.path).is_dir()
    assert (Path(first.path).parent / "corpus.json").is_file()


def test_stdlib_and_unknown_names() -> None:
    std = corpora.stdlib()
    assert std.files > 500 and std.kind == "stdlib"  # (Debian's python3.14: 626 files, no test suite)
    with pytest.raises(corpora.CorpusError, match="unknown corpus"):
        corpora.get("nope")
    with pytest.raises(corpora.CorpusError, match="unknown preset"):
        corpora.generate("huge", Path("/nonexistent"))


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "indexer", "corpus", "make", *args], capture_output=True, text=True,
                          timeout=120)


def test_corpus_make_of_an_unknown_name_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = make("bogusname")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip() == ("codegraph corpus make: unknown corpus 'bogusname'; use one of small, small60, "
                                  "small99, medium, large, xlarge, stdlib, django, requests "
                                  "(see `codegraph corpus list`)")
    target = tmp_path / "file"
    target.write_text("not a folder")
    out = make("small", str(target))
    assert out.returncode == 2 and out.stderr.strip() == f"codegraph corpus make: {target} is not an empty folder"


def test_corpus_make_of_a_real_codebase_into_a_folder_is_refused(tmp_path: Path) -> None:
    out = make("stdlib", str(tmp_path / "here"))  # (it was ignored: the folder stayed empty, exit 0)
    assert out.returncode == 2 and "DIR is for the synthetic presets" in out.stderr
    assert not (tmp_path / "here").exists()
    out = make("smal", str(tmp_path / "here"))  # a typo is said as one, not as a real codebase
    assert out.returncode == 2 and "unknown corpus 'smal'" in out.stderr
