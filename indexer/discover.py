"""Find the Python files under a root, honouring the root's .gitignore.

The result is a complete, sorted list built before any worker starts (never a shared
iterator). Problems with individual entries are returned as FileError records.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

import pathspec

from indexer.model import ErrorKind, FileError, SourceFile

log = logging.getLogger(__name__)

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "__pycache__", "node_modules", "site-packages",
        ".venv", "venv", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
        ".ruff_cache", ".codegraph", ".eggs",
    }
)


def _load_gitignore(root: Path) -> pathspec.PathSpec | None:
    ignore_file = root / ".gitignore"
    try:
        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s); indexing without it", ignore_file, exc)
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _is_virtualenv(dirpath: str) -> bool:
    return os.path.exists(os.path.join(dirpath, "pyvenv.cfg"))


#: How an error of a directory that could not be listed begins (its relpath is the directory's,
#: "." for the root): what the graph holds from there is not known to be gone.
UNLISTED = "cannot list directory"


def check_root(root: str | os.PathLike[str]) -> Path:
    """The root resolved; NotADirectoryError (a usage error) when it is no folder."""
    root_path = Path(root).resolve()
    if not root_path.is_dir():
        raise NotADirectoryError(f"{root}: not a directory; give the root of a Python codebase")
    return root_path


def discover(root: str | os.PathLike[str]) -> tuple[list[SourceFile], list[FileError]]:
    """Return (files, errors) for every `*.py` under `root`, sorted by relative path."""
    root_path = check_root(root)
    spec = _load_gitignore(root_path)
    files: list[SourceFile] = []
    errors: list[FileError] = []

    def on_walk_error(exc: OSError) -> None:
        rel = os.path.relpath(exc.filename or str(root_path), root_path)
        errors.append(FileError(rel, ErrorKind.UNREADABLE, f"{UNLISTED}: {exc.strerror}"))

    for dirpath, dirnames, filenames in os.walk(root_path, onerror=on_walk_error):
        reldir = os.path.relpath(dirpath, root_path)
        reldir = "" if reldir == "." else reldir.replace(os.sep, "/") + "/"
        kept = []
        for name in dirnames:
            if name in SKIP_DIRS or _is_virtualenv(os.path.join(dirpath, name)):
                continue
            if spec is not None and spec.match_file(f"{reldir}{name}/"):
                continue
            kept.append(name)
        dirnames[:] = sorted(kept)
        for name in filenames:
            if not name.endswith(".py"):
                continue
            relpath = f"{reldir}{name}"
            if spec is not None and spec.match_file(relpath):
                continue
            full = os.path.join(dirpath, name)
            try:
                info = os.stat(full)
            except OSError as exc:
                errors.append(_stat_error(relpath, exc))
                continue
            if not stat.S_ISREG(info.st_mode):  # a FIFO would block open() forever
                errors.append(FileError(relpath, ErrorKind.UNREADABLE, "not a regular file"))
                continue
            files.append(SourceFile(full, relpath, info.st_size))
    files.sort(key=lambda f: f.relpath)
    errors.sort(key=lambda e: e.relpath)
    return files, errors


def _stat_error(relpath: str, exc: OSError) -> FileError:
    if exc.errno == errno.ELOOP:
        return FileError(relpath, ErrorKind.SYMLINK_LOOP, "symbolic link loop")
    if exc.errno == errno.ENOENT:
        return FileError(relpath, ErrorKind.VANISHED, "file vanished or is a dangling symlink")
    return FileError(relpath, ErrorKind.UNREADABLE, exc.strerror or str(exc))
