from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.discover import discover
from indexer.model import ErrorKind


def test_skips_vendored_and_ignored_and_sorts(make_tree) -> None:
    root = make_tree({
        "b.py": "", "a/x.py": "", "a/notes.txt": "",
        ".git/hooks/h.py": "", "node_modules/m.py": "", "__pycache__/c.py": "",
        "lib/site-packages/dep.py": "", "env1/pyvenv.cfg": "", "env1/lib/mod.py": "",
        "build/gen.py": "", "keep/gen.py": "", "secret_test.py": "",
        ".gitignore": "build/\n*_test.py\n",
    })
    files, errors = discover(root)
    assert [f.relpath for f in files] == ["a/x.py", "b.py", "keep/gen.py"]
    assert errors == []
    assert all(Path(f.path).is_absolute() for f in files)


def test_symlink_loop_and_dangling_link_are_errors(make_tree) -> None:
    root = make_tree({"ok.py": "x = 1\n"})
    (root / "loop.py").symlink_to(root / "loop.py")
    (root / "dangling.py").symlink_to(root / "missing.py")
    files, errors = discover(root)
    assert [f.relpath for f in files] == ["ok.py"]
    assert {(e.relpath, e.kind) for e in errors} == {("loop.py", ErrorKind.SYMLINK_LOOP),
                                                      ("dangling.py", ErrorKind.VANISHED)}


def test_fifo_is_not_opened(make_tree) -> None:
    root = make_tree({"ok.py": ""})
    os.mkfifo(root / "pipe.py")
    files, errors = discover(root)
    assert [f.relpath for f in files] == ["ok.py"]
    assert [(e.relpath, e.kind) for e in errors] == [("pipe.py", ErrorKind.UNREADABLE)]


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="not a directory"):
        discover(tmp_path / "nope")
