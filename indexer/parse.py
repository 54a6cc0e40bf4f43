"""Parse one Python file into nodes, DEFINES edges and the facts resolution needs.

Reads the file and returns plain data; its only side effect is pausing the cyclic garbage
collector while it works (see `parse_file`). It imports nothing outside the stdlib and
`indexer.model`, `indexer.scopes` and `indexer.gcpause` (which keep to the same rule), so
the same code runs in a thread, a process or a subinterpreter (where tiktoken, numpy and the
neo4j driver cannot load). Every failure becomes a typed FileError; nothing here raises for
bad input.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import sys
import threading
import tokenize

from indexer.gcpause import paused_gc
from indexer.model import (
    Edge,
    ErrorKind,
    FileError,
    ModuleFacts,
    NodeRecord,
    ParsedFile,
    SourceFile,
)
from indexer.scopes import CLASS, FlowWalker, Scope

#: Bump when node ids, properties or facts change, so re-indexing rewrites every file.
PARSER_VERSION = "2"

def module_name(relpath: str) -> tuple[str, bool]:
    """'pkg/sub/mod.py' -> ('pkg.sub.mod', False); 'pkg/__init__.py' -> ('pkg', True)."""
    parts = relpath[:-3].split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]) or "__init__", True
    return ".".join(parts), False


def dotted(expr: ast.expr) -> str | None:
    """'a.b.c' for Name/Attribute chains (subscripts are looked through), else None."""
    names: list[str] = []
    while True:
        if isinstance(expr, ast.Attribute):
            names.append(expr.attr)
            expr = expr.value
        elif isinstance(expr, ast.Name):
            names.append(expr.id)
            return ".".join(reversed(names))
        elif isinstance(expr, ast.Subscript) and not names:
            expr = expr.value
        else:
            return None


def read_source(src: SourceFile, max_bytes: int) -> tuple[bytes, str] | FileError:
    """Read and decode a file, honouring BOMs and PEP 263 coding cookies."""
    try:
        with open(src.path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                return FileError(
                    src.relpath, ErrorKind.TOO_LARGE,
                    f"{size} bytes is over the limit of {max_bytes} (raise MAX_FILE_BYTES to index it)",
                )
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        return FileError(src.relpath, ErrorKind.VANISHED, "file was removed after discovery")
    except IsADirectoryError:
        return FileError(src.relpath, ErrorKind.UNREADABLE, "is a directory")
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return FileError(src.relpath, ErrorKind.SYMLINK_LOOP, "symbolic link loop")
        return FileError(src.relpath, ErrorKind.UNREADABLE, exc.strerror or str(exc))
    if len(data) > max_bytes:
        return FileError(src.relpath, ErrorKind.TOO_LARGE, f"grew past the limit of {max_bytes} bytes while reading")
    if b"\0" in data:
        return FileError(src.relpath, ErrorKind.BINARY, "contains NUL bytes: binary data, not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except SyntaxError as exc:  # detect_encoding: undecodable bytes and no usable cookie
        return FileError(src.relpath, ErrorKind.DECODE,
                         f"not valid UTF-8 and no usable PEP 263 coding cookie ({exc.msg})")
    except LookupError as exc:
        return FileError(src.relpath, ErrorKind.DECODE, f"unknown encoding in the coding cookie: {exc}")
    except UnicodeDecodeError as exc:
        return FileError(
            src.relpath, ErrorKind.DECODE,
            f"not valid {exc.encoding} at byte {exc.start} (add a PEP 263 coding cookie if it is another encoding)",
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    return data, text


# CPython 3.11 tracks the AST constructor's recursion depth per interpreter, not per thread:
# concurrent ast.parse calls from threads fail with "SystemError: AST constructor recursion
# depth mismatch" (seen here on 3.11.7). With the GIL, parsing is serial anyway, so a lock
# costs nothing; free-threaded builds parse in parallel and retry under the lock if needed.
_PARSE_LOCK = threading.Lock()
_SERIAL_PARSE = sys.version_info < (3, 13) or bool(getattr(sys, "_is_gil_enabled", lambda: True)())


def _ast_parse(text: str, filename: str) -> ast.Module:
    if _SERIAL_PARSE:
        with _PARSE_LOCK:
            return ast.parse(text, filename=filename)
    try:
        return ast.parse(text, filename=filename)
    except SystemError:
        with _PARSE_LOCK:
            return ast.parse(text, filename=filename)


def parse_file(
    src: SourceFile, *, max_bytes: int, fingerprint_salt: str = "", keep_text: bool = False
) -> ParsedFile | FileError:
    """Parse one file, with the cyclic GC paused (`indexer.gcpause`)."""
    with paused_gc():
        return _parse_file(src, max_bytes, fingerprint_salt, keep_text)


def _parse_file(src: SourceFile, max_bytes: int, fingerprint_salt: str, keep_text: bool) -> ParsedFile | FileError:
    read = read_source(src, max_bytes)
    if isinstance(read, FileError):
        return read
    data, text = read
    try:
        tree = _ast_parse(text, src.relpath)
    except SyntaxError as exc:
        return FileError(src.relpath, ErrorKind.SYNTAX, f"line {exc.lineno}: {exc.msg}")
    except (RecursionError, MemoryError) as exc:
        return FileError(src.relpath, ErrorKind.RECURSION, f"too deeply nested for the parser ({type(exc).__name__})")
    except ValueError as exc:  # e.g. NUL bytes on older Pythons
        return FileError(src.relpath, ErrorKind.BINARY, str(exc))
    try:
        return _Extractor(src.relpath, data, text, fingerprint_salt, keep_text).run(tree)
    except RecursionError:
        return FileError(src.relpath, ErrorKind.RECURSION, "too deeply nested to walk")


class _Extractor(FlowWalker):
    """One file: its nodes and DEFINES edges (here) and its flow facts (`FlowWalker`)."""

    def __init__(self, relpath: str, data: bytes, text: str, salt: str, keep_text: bool) -> None:
        self.relpath = relpath
        self.lines = text.splitlines(keepends=True)
        self.keep_text = keep_text
        self.modname, self.is_package = module_name(relpath)
        self.module_id = relpath
        digest = hashlib.sha256(data).hexdigest()
        self.content_hash = digest
        self.fingerprint = hashlib.sha256(f"{digest}|{PARSER_VERSION}|{salt}".encode()).hexdigest()
        self.nodes: list[NodeRecord] = []
        self.spans: list[tuple[int, int]] = []  # 0-based [start, end) line span per node
        self.defines: list[Edge] = []
        self.seen_ids: dict[str, int] = {}
        self.chunks: dict[str, str] = {}
        super().__init__(ModuleFacts(self.module_id, self.modname, self.is_package))

    def run(self, tree: ast.Module) -> ParsedFile:
        doc = ast.get_docstring(tree)
        module = NodeRecord(
            "Module", self.module_id,
            {
                "id": self.module_id, "name": self.modname, "path": self.relpath,
                "is_package": self.is_package, "lines": len(self.lines), "docstring": doc,
                "hash": self.content_hash, "fingerprint": self.fingerprint,
            },
        )
        self.nodes.append(module)
        self.spans.append((0, len(self.lines)))
        self.walk_module(tree, self.module_id)
        return ParsedFile(
            self.relpath, self.fingerprint, self.nodes, self.defines, self.facts, self.lines, self.spans, self.chunks
        )

    # -- definitions ------------------------------------------------------------------
    def _new_id(self, qualname: str) -> str:
        base = f"{self.relpath}::{qualname}"
        n = self.seen_ids.get(base, 0) + 1
        self.seen_ids[base] = n
        return base if n == 1 else f"{base}#{n}"

    def _defined(self, node: ast.AST, parent: Scope, label: str) -> tuple[str, str]:
        if label == "Lambda":
            assert isinstance(node, ast.Lambda)
            qualname = f"{parent.qualname}<lambda>"
            node_id = self._new_id(qualname)
            start, end = node.lineno - 1, node.end_lineno or node.lineno
            segment = "".join(self.lines[start:end])
            props: dict[str, object] = {
                "id": node_id, "name": "<lambda>", "qualname": qualname, "path": self.relpath,
                "module": self.module_id, "line_start": start + 1, "line_end": end,
                "signature": f"lambda {ast.unparse(node.args)}".rstrip(),
                "hash": hashlib.sha256(segment.encode("utf-8", "surrogatepass")).hexdigest(),
            }
        else:
            assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            qualname = f"{parent.qualname}{node.name}"
            node_id = self._new_id(qualname)
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            end = node.end_lineno or node.lineno
            props = {
                "id": node_id, "name": node.name, "qualname": qualname, "path": self.relpath,
                "module": self.module_id, "line_start": start + 1, "line_end": end,
                "docstring": ast.get_docstring(node),
                "decorators": [dotted(d) or ast.unparse(d) for d in node.decorator_list],
            }
            segment = "".join(self.lines[start:end])
            props["hash"] = hashlib.sha256(segment.encode("utf-8", "surrogatepass")).hexdigest()
            if self.keep_text:
                self.chunks[node_id] = segment
            if isinstance(node, ast.ClassDef):
                props["bases"] = [b for b in (dotted(e) for e in node.bases) if b]
            else:
                props["is_method"] = parent.kind == CLASS
                props["is_async"] = isinstance(node, ast.AsyncFunctionDef)
                props["signature"] = _signature(node)
        self.nodes.append(NodeRecord(label, node_id, props))
        self.spans.append((start, end))
        self.defines.append(Edge("DEFINES", parent.label, parent.id, label, node_id))
        return node_id, qualname


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    prefix = "async def " if isinstance(node, ast.AsyncFunctionDef) else "def "
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"{prefix}{node.name}({ast.unparse(node.args)}){returns}"
