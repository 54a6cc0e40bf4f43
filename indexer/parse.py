"""Parse one Python file into nodes, DEFINES edges and the facts resolution needs.

Reads the file and returns plain data; its only side effect is pausing the cyclic garbage
collector while it works (see `parse_file`). It imports nothing outside the stdlib and
`indexer.model`, so the same code runs in a thread, a process or a subinterpreter (where
tiktoken, numpy and the neo4j driver cannot load). Every failure becomes a typed FileError;
nothing here raises for bad input.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import io
import os
import sys
import threading
import tokenize
from dataclasses import dataclass

from indexer.model import (
    CallRef,
    ClassFacts,
    Edge,
    ErrorKind,
    FileError,
    ImportRef,
    ModuleFacts,
    NodeRecord,
    ParsedFile,
    SourceFile,
)

#: Bump when node ids, properties or facts change, so re-indexing rewrites every file.
PARSER_VERSION = "1"

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_LEAVES = frozenset({ast.Constant, ast.Name, ast.Load, ast.Store, ast.Del, str, int, float, bool, bytes})
_NOT_CHILDREN = frozenset({"ctx", "op", "ops", "type_comment", "kind", "id", "attr", "arg", "name",
                           "conversion", "is_async", "level"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    """Fields of an AST node type that may hold sub-expressions (operators excluded)."""
    names = getattr(kind, "_fields", ())
    if kind is ast.Constant:
        return ()
    return tuple(n for n in names if n not in _NOT_CHILDREN)


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
    """Parse one file. The cyclic GC is paused meanwhile: syntax trees hold no cycles and
    are freed by reference counting, while collections triggered by their millions of
    allocations would rescan everything the run keeps (measured: 22 s -> 16 s on the stdlib)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_file(src, max_bytes, fingerprint_salt, keep_text)
    finally:
        if enabled:
            gc.enable()


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


@dataclass(slots=True)
class _Scope:
    label: str
    id: str
    qualname: str  # prefix for children ('' for the module)
    class_id: str | None  # class whose methods `self.` refers to
    class_facts: ClassFacts | None = None


class _Extractor:
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
        self.calls: set[tuple[str, str, str, str | None]] = set()
        self.facts = ModuleFacts(self.module_id, self.modname, self.is_package, {})
        self.chunks: dict[str, str] = {}

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
        self._body(tree.body, _Scope("Module", self.module_id, "", None))
        self.facts.calls = [CallRef(lbl, cid, tgt, cls) for cid, lbl, tgt, cls in sorted(self.calls)]
        return ParsedFile(
            self.relpath, self.fingerprint, self.nodes, self.defines, self.facts, self.lines, self.spans, self.chunks
        )

    # -- statements -------------------------------------------------------------------
    def _body(self, body: list[ast.stmt], scope: _Scope) -> None:
        for stmt in body:
            if isinstance(stmt, _DEFS):
                self._definition(stmt, scope)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    self.facts.imports.append(ImportRef(alias.name, None, alias.asname, 0))
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    self.facts.imports.append(ImportRef(stmt.module or "", alias.name, alias.asname, stmt.level))
            else:
                for name in stmt._fields:
                    value = getattr(stmt, name)
                    if isinstance(value, list):
                        if value and isinstance(value[0], ast.stmt):
                            self._body(value, scope)
                        else:
                            for item in value:
                                if isinstance(item, ast.AST):
                                    self._compound_part(item, scope)
                    elif isinstance(value, ast.AST):
                        self._calls(value, scope)

    def _compound_part(self, node: ast.AST, scope: _Scope) -> None:
        """Handlers, match cases and with-items hold statements and expressions."""
        if isinstance(node, (ast.excepthandler, ast.match_case)):
            for name in node._fields:
                value = getattr(node, name)
                if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                    self._body(value, scope)
                elif isinstance(value, ast.AST):
                    self._calls(value, scope)
        else:
            self._calls(node, scope)

    def _calls(self, root: ast.AST, scope: _Scope) -> None:
        """Collect dotted call targets in an expression tree (the hot loop of parsing)."""
        stack = [root]
        push = stack.append
        calls = self.calls
        fields_of = _CHILD_FIELDS
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is ast.Call:
                target = dotted(node.func)  # type: ignore[attr-defined]
                if target is not None:
                    calls.add((scope.id, scope.label, target, scope.class_id))
            names = fields_of.get(kind)
            if names is None:
                names = fields_of[kind] = _child_fields(kind)
            for name in names:
                value = getattr(node, name)
                if type(value) is list:
                    for item in value:
                        if item is not None and type(item) not in _LEAVES:
                            push(item)
                elif value is not None and type(value) not in _LEAVES:
                    push(value)

    # -- definitions ------------------------------------------------------------------
    def _new_id(self, qualname: str) -> str:
        base = f"{self.relpath}::{qualname}"
        n = self.seen_ids.get(base, 0) + 1
        self.seen_ids[base] = n
        return base if n == 1 else f"{base}#{n}"

    def _definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, scope: _Scope) -> None:
        qualname = f"{scope.qualname}{node.name}"
        node_id = self._new_id(qualname)
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        end = node.end_lineno or node.lineno
        decorators = [dotted(d) or ast.unparse(d) for d in node.decorator_list]
        for d, name in zip(node.decorator_list, decorators, strict=True):
            if isinstance(d, (ast.Name, ast.Attribute)):  # applying `@d` calls d
                self.calls.add((scope.id, scope.label, name, scope.class_id))
            self._calls(d, scope)
        props: dict[str, object] = {
            "id": node_id, "name": node.name, "qualname": qualname, "path": self.relpath,
            "module": self.module_id, "line_start": start + 1, "line_end": end,
            "docstring": ast.get_docstring(node), "decorators": decorators,
        }
        segment = "".join(self.lines[start:end])
        props["hash"] = hashlib.sha256(segment.encode("utf-8", "surrogatepass")).hexdigest()
        if self.keep_text:
            self.chunks[node_id] = segment
        if isinstance(node, ast.ClassDef):
            label = "Class"
            bases = [b for b in (dotted(e) for e in node.bases) if b]
            props["bases"] = bases
            for e in node.bases + [k.value for k in node.keywords]:
                self._calls(e, scope)
            facts = ClassFacts(node_id, node.name, tuple(bases), {})
            self.facts.classes.append(facts)
            child = _Scope("Class", node_id, f"{qualname}.", node_id, facts)
        else:
            label = "Function"
            is_method = scope.label == "Class"
            props["is_method"] = is_method
            props["is_async"] = isinstance(node, ast.AsyncFunctionDef)
            props["signature"] = _signature(node)
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    self._calls(default, scope)
            if is_method and scope.class_facts is not None:
                scope.class_facts.methods.setdefault(node.name, node_id)
            child = _Scope("Function", node_id, f"{qualname}.<locals>.", scope.class_id)
        if scope.label == "Module":
            self.facts.toplevel.setdefault(node.name, (label, node_id))
        elif scope.label == "Function":
            self.facts.nested.setdefault(scope.id, {}).setdefault(node.name, (label, node_id))
            self.facts.enclosing[node_id] = scope.id
        self.nodes.append(NodeRecord(label, node_id, props))
        self.spans.append((start, end))
        self.defines.append(Edge("DEFINES", scope.label, scope.id, label, node_id))
        self._body(node.body, child)


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    prefix = "async def " if isinstance(node, ast.AsyncFunctionDef) else "def "
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"{prefix}{node.name}({ast.unparse(node.args)}){returns}"
