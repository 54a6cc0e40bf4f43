"""A tree of every kind of bad input the indexer must survive, with the outcome expected."""

from __future__ import annotations

from pathlib import Path

from indexer import ErrorKind

FILES: dict[str, bytes] = {
    "syntax.py": b"def broken(:\n",
    "latin_no_cookie.py": "s = 'caf\u00e9'\n".encode("latin-1"),
    "bom.py": b"\xef\xbb\xbfdef with_bom():\n    return 1\n",
    "latin_cookie.py": "# -*- coding: latin-1 -*-\ndef caf():\n    return 'caf\u00e9'\n".encode("latin-1"),
    "binary.py": bytes(range(256)) * 4,
    "empty.py": b"",
    "nul.py": b"x = 1\n\x00\ny = 2\n",
    "deep.py": b"x = " + b"-" * 100_000 + b"1\n",
    "n\u00e4me/m\u00f6dule.py": "def gr\u00fc\u00df(\u00e4):\n    return \u00e4\n".encode(),
    "vanishing.py": b"def soon_gone():\n    pass\n",
}
#: What each bad file must become (files not listed must be indexed).
EXPECTED: dict[str, str] = {
    "syntax.py": ErrorKind.SYNTAX, "latin_no_cookie.py": ErrorKind.DECODE, "binary.py": ErrorKind.BINARY,
    "nul.py": ErrorKind.BINARY, "deep.py": ErrorKind.RECURSION, "huge.py": ErrorKind.TOO_LARGE,
    "loop.py": ErrorKind.SYMLINK_LOOP, "vanishing.py": ErrorKind.VANISHED,
}
GOOD_FILES = 60
INDEXED = GOOD_FILES + 4  # + bom, latin_cookie, empty, näme/mödule
HUGE_BYTES = 50 * 2**20


def build(root: Path) -> Path:
    """Write the tree (a 50 MB file and a symlink loop included). `vanishing.py` is meant to
    be deleted by the caller between discovery and parsing."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, data in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    line = b"x = 1  # " + b"p" * 90 + b"\n"
    with open(root / "huge.py", "wb") as fh:
        fh.write(line * (HUGE_BYTES // len(line)))
    (root / "loop.py").symlink_to(root / "loop.py")
    for i in range(GOOD_FILES):
        (root / f"good_{i}.py").write_text(f"def f{i}():\n    return {i}\n")
    return root


def names() -> list[str]:
    return sorted({*FILES, "huge.py", "loop.py"})
