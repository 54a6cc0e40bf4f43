"""Small codebases on disk, parsed and resolved without a database, for tests of resolution."""

from __future__ import annotations

import ast
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from indexer.model import ModuleFacts, ParsedFile, SourceFile
from indexer.parse import parse_file
from indexer.resolve import Resolution, resolve

AST_LABELS = {ast.ClassDef: "Class", ast.FunctionDef: "Function", ast.AsyncFunctionDef: "Function",
              ast.Lambda: "Lambda"}


def ast_counts(paths: Iterable[str | Path]) -> Counter[str]:
    """Classes, functions (methods included) and lambdas that a plain `ast` walk finds in the
    files that parse (what the graph's node counts must equal)."""
    counts: Counter[str] = Counter({label: 0 for label in AST_LABELS.values()})
    for path in paths:
        try:
            with open(path, "rb") as fh, warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escape sequences in the code read
                tree = ast.parse(fh.read())
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        counts.update(AST_LABELS[type(n)] for n in ast.walk(tree) if type(n) in AST_LABELS)
    return counts


def facts_of(root: Path, files: dict[str, str]) -> list[ModuleFacts]:
    """Write `files` (relative path -> source) under `root` and parse each one."""
    out = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        parsed = parse_file(SourceFile(str(path), rel, len(text)), max_bytes=10**6)
        assert isinstance(parsed, ParsedFile), parsed
        out.append(parsed.facts)
    return out


def resolved(root: Path, files: dict[str, str]) -> Resolution:
    return resolve(facts_of(root, files))


def edges(result: Resolution, kind: str) -> set[tuple[str, str]]:
    return {(e.src, e.dst) for e in result.edges if e.type == kind}


def calls(root: Path, files: dict[str, str]) -> set[tuple[str, str]]:
    """CALLS edges as (caller id, callee id), ids without the module path when there is one file."""
    result = resolved(root, files)
    found = edges(result, "CALLS")
    if len(files) == 1:
        (rel,) = files
        return {(_short(a, rel), _short(b, rel)) for a, b in found}
    return found


def _short(node_id: str, rel: str) -> str:
    return node_id[len(rel) + 2:] if node_id.startswith(rel + "::") else ("<module>" if node_id == rel else node_id)
