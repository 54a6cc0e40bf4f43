"""Plain, picklable data passed between the stages of an indexing run.

Everything here crosses thread, process, subinterpreter and Dask boundaries, so it is made of
dataclasses, tuples, strings, numbers and lists only, and imports nothing but the stdlib.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field, fields
from typing import Any, NamedTuple

#: Node labels written by the indexer, in schema order.
LABELS: tuple[str, ...] = ("Module", "Class", "Function", "Lambda")
#: Relationship types written by the indexer. INSTANTIATES goes from a caller to the class it
#: instantiates; the same call also CALLS the class's `__init__` when the codebase defines one.
EDGE_TYPES: tuple[str, ...] = ("DEFINES", "IMPORTS", "INHERITS", "CALLS", "INSTANTIATES")


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


#: Failures of the run rather than of the indexed code: they make `codegraph index` exit 1.
INFRASTRUCTURE_ERRORS = frozenset({ErrorKind.WRITE, ErrorKind.WORKER, ErrorKind.EMBED})


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


class Edge(NamedTuple):
    """A relationship to write (a tuple: hundreds of thousands are hashed and sorted per run)."""

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


# -- flow facts ---------------------------------------------------------------------------------
# The parser describes how values flow through one module as constraints over numbered
# variables (`var`, local to the module: 0 <= var < ModuleFacts.nvars, -1 = "nothing known").
# Names are resolved at parse time following Python's scoping rules, and each binding of a
# name is its own variable (so a call sees the binding in force where it is); resolution
# (`indexer.flow`) solves the constraints of every module together.

#: Function kinds (FunctionFacts.kind): how the function behaves when read from a class.
PLAIN, METHOD, CLASSMETHOD, STATICMETHOD, PROPERTY = range(5)
#: Container kinds (ModuleFacts.containers).
SEQUENCE, MAPPING = 0, 1
#: What a protocol use calls (ModuleFacts.protocols): `for x in v`, `with v as x`, `raise v`,
#: `async for x in v` and `async with v as x` (which call the `__a...__` methods instead).
ITERATE, ENTER, RAISE, AITERATE, AENTER = 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class FunctionFacts:
    """A function or lambda. Its parameters are the consecutive variables `first`,
    `first + 1`, ... in the order of `params` (positional ones first, then keyword-only)."""

    id: str
    label: str  # "Function" or "Lambda"
    params: tuple[str, ...]
    npos: int  # how many of `params` can be passed by position
    first: int
    ret: int  # receives every returned value
    kind: int = PLAIN
    owner: int = -1  # index in ModuleFacts.classes of the class whose method this is
    gen: int = -1  # generators: receives every yielded value
    passthrough: int = -1  # index of the parameter every `return` gives back unchanged
    posonly: int = 0  # how many of `params` are positional-only (a keyword of that name is **kwargs')
    vararg: int = -1  # `*args`: the first of VARARG_SLOTS + 1 variables (by position, then the rest)


#: How many positional arguments past its parameters a function's `*args` keeps apart (by
#: position, so that `f(*args)` in a wrapper passes each on where it was given); the rest share
#: one more variable, the tuple's entry under VARARG_REST, read by iteration and by an index of
#: VARARG_SLOTS or more or a negative one (a key no tuple is subscripted with).
VARARG_SLOTS = 4
VARARG_REST = "*args"


@dataclass(frozen=True, slots=True)
class ClassFacts:
    id: str
    name: str
    bases: tuple[int, ...]  # one variable per base expression, evaluated where the class is defined
    attrs: dict[str, int]  # the class namespace after its body ran (-1: bound to nothing known)


@dataclass(slots=True)
class ModuleFacts:
    """What resolution needs to know about one parsed module: its imports and its flow facts.

    Each list holds flat records (tuples); `scope` fields index `scopes` (the callers: 0 is the
    module itself), `func`/`cls` fields index `functions`/`classes`, `imp` indexes `imports`."""

    module_id: str
    name: str
    is_package: bool
    imports: list[ImportRef] = field(default_factory=list)
    nvars: int = 0
    scopes: list[tuple[str, str]] = field(default_factory=list)  # (label, id) of each caller
    functions: list[FunctionFacts] = field(default_factory=list)
    classes: list[ClassFacts] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)  # the module namespace after it ran
    free: dict[str, int] = field(default_factory=dict)  # read, never bound: builtins or star imports
    exports: tuple[str, ...] | None = None  # a literal __all__
    objects: list[tuple[int, int, int]] = field(default_factory=list)  # (var, 0 function | 1 class, index)
    bound: list[tuple[int, int]] = field(default_factory=list)  # (var, import) the value an import binds
    copies: list[tuple[int, int]] = field(default_factory=list)  # (dst, src): dst holds what src holds
    loads: list[tuple[int, int, str]] = field(default_factory=list)  # (dst, obj, attr): dst = obj.attr
    stores: list[tuple[int, str, int]] = field(default_factory=list)  # (obj, attr, src): obj.attr = src
    subloads: list[tuple[int, int, object]] = field(default_factory=list)  # (dst, obj, key | None)
    unpacks: list[tuple[int, int, int | None]] = field(default_factory=list)  # (dst, obj, index | None): iterating
    substores: list[tuple[int, object, int]] = field(default_factory=list)  # (obj, key | None, src)
    containers: list[tuple[int, int, tuple[tuple[object, int], ...]]] = field(default_factory=list)
    moves: list[int] = field(default_factory=list)  # variables whose lists' entries move (insert, sort, del...)
    calls: list[tuple[int, int, int, tuple[int, ...], tuple[tuple[str, int], ...]]] = field(default_factory=list)
    protocols: list[tuple[int, int, int, int]] = field(default_factory=list)  # (kind: ITERATE..., dst, src, scope)
    supers: list[tuple[int, int, int, str]] = field(default_factory=list)  # (dst, self, cls, attr): super().attr
    decorated: list[tuple[int, int, int]] = field(default_factory=list)  # (binding, function, decorator)
    kinds: list[tuple[int, int]] = field(default_factory=list)  # (binding, kind): @staticmethod over a decorator
    unknown_calls: int = 0  # calls whose callee is no expression the analysis follows


@dataclass(slots=True)
class ParsedFile:
    """The parser's output for one file: nodes and DEFINES edges to write, facts to resolve.

    Token counts are not in the nodes yet: they are added where the file is written
    (`tokens.count_nodes`), because tiktoken cannot load in a subinterpreter. `lines` are the
    file's lines with their endings and `spans` the 0-based [start, end) line span of each node.
    """

    relpath: str
    fingerprint: str
    nodes: list[NodeRecord]
    defines: list[Edge]
    facts: ModuleFacts
    lines: list[str]
    spans: list[tuple[int, int]]
    chunks: dict[str, str] = field(default_factory=dict)  # node id -> source text to embed


@dataclass(slots=True)
class ParsedBatch:
    """A batch after parsing: what was parsed and what failed (before any database work)."""

    parsed: list[ParsedFile] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    seconds: float = 0.0  # how long parsing took


@dataclass(slots=True)
class Counters:
    """What a unit of work did. Each batch fills one; the run merges them into its summary."""

    files_indexed: int = 0  # files whose graph was (re)written
    files_unchanged: int = 0  # files whose stored fingerprint matched: not rewritten
    lines: int = 0
    nodes_written: int = 0
    edges_written: int = 0
    edges_dangling: int = 0  # edges whose endpoints were not both in the graph
    retries: int = 0  # transactions retried (lost connections, deadlocks, pool timeouts)
    acquisition_timeouts: int = 0
    connection_errors: int = 0  # lost connections that were retried and recovered
    connection_failures: int = 0  # still failing after every retry
    session_waits: list[float] = field(default_factory=list)  # seconds from asking for a session to BEGIN
    # where the workers' time went, in worker-seconds (summed over workers: with 2 busy workers,
    # twice the wall time): parsing, counting tokens and embedding, writing nodes, writing edges
    parse_seconds: float = 0.0
    tokens_seconds: float = 0.0
    write_seconds: float = 0.0
    edges_seconds: float = 0.0

    def merge(self, other: Counters) -> None:
        for f in fields(self):
            mine = getattr(self, f.name)
            if isinstance(mine, list):
                mine.extend(getattr(other, f.name))
            else:
                setattr(self, f.name, mine + getattr(other, f.name))

    def to_dict(self) -> dict[str, Any]:
        """The counts, with the session waits summarised as p50, p95 and max."""
        data = {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()
                if k != "session_waits"}
        waits = self.session_waits
        data["session_wait_p50"] = round(_percentile(waits, 50), 6)
        data["session_wait_p95"] = round(_percentile(waits, 95), 6)
        data["session_wait_max"] = round(max(waits, default=0.0), 6)
        return data


def _percentile(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass(slots=True)
class BatchResult:
    """What a worker returns for one batch of files (only plain data)."""

    facts: list[ModuleFacts] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    written: list[str] = field(default_factory=list)  # module ids whose graph this batch (re)wrote


@dataclass(slots=True)
class EdgeBatch:
    """Resolved edges for one worker task. `create`: their source modules were written in this
    run (old edges deleted with them), so none of these edges can exist yet."""

    edges: list[Edge]
    create: bool

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as plain tuples: 160,000 named tuples took 0.28 s to pickle, plain ones 0.11 s
        (edge batches cross to a Dask cluster's workers)."""
        return (_edge_batch, ([tuple(e) for e in self.edges], self.create))


def _edge_batch(rows: list[tuple[str, str, str, str, str]], create: bool) -> EdgeBatch:
    make = tuple.__new__
    return EdgeBatch([make(Edge, row) for row in rows], create)
