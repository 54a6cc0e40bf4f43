from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def stdlib() -> Path:
    """The running interpreter's standard library: a real codebase of ~1,800 files (626 for
    Debian's python3.14, packaged without its test suite)."""
    return Path(sysconfig.get_paths()["stdlib"])


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def make_tree(tmp_path: Path):
    """Write {relative path: content} under a fresh folder and return it."""

    def build(files: dict[str, str | bytes], name: str = "code") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            write(root, rel, content)
        return root

    return build


IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def embedded_unavailable() -> str | None:
    """Why the embedded ArcadeDB cannot run here (e.g. no arcadedb-embedded wheel for 3.14t), or None."""
    from indexer.server import ServerError, arcadedb_home


    try:
        arcadedb_home()
    except ServerError as exc:
        return str(exc)
    return None


needs_embedded = pytest.mark.skipif(embedded_unavailable() is not None, reason=str(embedded_unavailable()))
