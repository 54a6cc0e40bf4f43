"""Plain, picklable data passed between the stages of an indexing run.

Everything here crosses thread, process and (on 3.14) interpreter boundaries, so it is
made of dataclasses, tuples, strings, numbers and lists only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Node labels written by the indexer, in schema order.
LABELS: tuple[str, ...] = ("Module", "Class", "Function")
#: Relationship types written by the indexer.
EDGE_TYPES: tuple[str, ...] = ("DEFINES", "IMPORTS", "INHERITS", "CALLS")


class ErrorKind:
    """Typed reasons a file can fail; the values appear in summaries and result files."""

    SYNTAX = "syntax_error"
    DECODE = "decode_error"
    BINARY = "binary_file"
    TOO_LARGE = "too_large"
    RECURSION = "recursion_limit"
    UNREADABLE = "unreadable"
    VANISHED = "vanished"
    SYMLINK_LOOP = "symlink_loop"
    WRITE = "write_error"
    WORKER = "worker_crash"
    EMBED = "embedding_error"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found by discovery: its absolute path and its path relative to the root."""

    path: str
    relpath: str
    size: int


@dataclass(frozen=True, slots=True)
class FileError:
    relpath: str
    kind: str
    message: str


@dataclass(slots=True)
class NodeRecord:
    """One node to write: label, stable id and properties (id included)."""

    label: str
    id: str
    props: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Edge:
    type: str
    src_label: str
    src: str
    dst_label: str
    dst: str


@dataclass(frozen=True, slots=True)
class ImportRef:
    """`import a.b as c` -> module='a.b', name=None, alias='c', level=0.
    `from ..x import y as z` -> module='x', name='y', alias='z', level=2."""

    module: str
    name: str | None
    alias: str | None
    level: int


@dataclass(frozen=True, slots=True)
class ClassFacts:
    id: str
    name: str
    bases: tuple[str, ...]
    methods: dict[str, str]


@dataclass(frozen=True, slots=True)
class CallRef:
    """A call found in the body of `caller` (a Module, Class or Function id).
    `target` is the dotted callee expression, e.g. 'f', 'self.m', 'os.path.join'.
    `scope_class` is the enclosing class id for methods, for resolving `self.`/`cls.`."""

    caller_label: str
    caller: str
    target: str
    scope_class: str | None


@dataclass(slots=True)
class ModuleFacts:
    """What resolution needs to know about one parsed module."""

    module_id: str
    name: str
    is_package: bool
    toplevel: dict[str, tuple[str, str]]  # name -> (label, id)
    classes: list[ClassFacts] = field(default_factory=list)
    imports: list[ImportRef] = field(default_factory=list)
    calls: list[CallRef] = field(default_factory=list)
    nested: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # function -> {name: (label, id)}
    enclosing: dict[str, str] = field(default_factory=dict)  # nested function id -> its function


@dataclass(slots=True)
class ParsedFile:
    """The parser's output for one file: nodes and DEFINES edges to write, facts to resolve."""

    relpath: str
    fingerprint: str
    nodes: list[NodeRecord]
    defines: list[Edge]
    facts: ModuleFacts
    lines: int
    chunks: dict[str, str] = field(default_factory=dict)  # node id -> source text to embed


@dataclass(slots=True)
class BatchResult:
    """What a worker returns for one batch of files (only plain data)."""

    facts: list[ModuleFacts] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_done: int = 0
    files_unchanged: int = 0
    lines: int = 0
    nodes_written: int = 0
    edges_written: int = 0
    edges_dangling: int = 0
    retries: int = 0
    acquisition_timeouts: int = 0
    connection_errors: int = 0  # retried and recovered
    connection_failures: int = 0
    session_waits: list[float] = field(default_factory=list)
