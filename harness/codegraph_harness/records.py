"""Result files: one typed record per JSON file, versioned, with the machine that produced it.

A file is `{"schema": "codegraph.record", "version": 2, "kind": ..., "run_id", "created",
"machine": {...}, "record": {...}}`. Each kind of record is a dataclass here with `to_json()`
and `from_json()`; loading rejects other schemas and versions with an error that says what
to do. Files are append-only (never overwritten) and never hold a password: records carry
no connection details, and error text is redacted before it is stored.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import sysconfig
import types
import typing
import uuid
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from codegraph_harness.corpus import Corpus

SCHEMA = "codegraph.record"
VERSION = 2
PACKAGES = ("codegraph", "codegraph-harness", "neo4j", "neo4j-rust-ext", "numpy", "tiktoken", "openai", "psutil",
            "arcadedb-embedded", "distributed", "pytest")

T = TypeVar("T")


class RecordError(ValueError):
    """A result file this version cannot read; str() names the file and what to do."""


# -- generic conversion -----------------------------------------------------------------------
def _decode(kind: Any, value: Any) -> Any:
    """Rebuild a value of the annotated type `kind` from JSON data (dataclasses, lists, dicts,
    tuples and optionals of them)."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(kind):
            if option is not type(None):
                return _decode(option, value)
    if is_dataclass(kind) and isinstance(kind, type):
        return _from_dict(kind, value)
    if origin is list:
        (item,) = typing.get_args(kind)
        return [_decode(item, v) for v in value]
    if origin is tuple:
        return tuple(value)
    if origin is dict:
        _, item = typing.get_args(kind)
        return {k: _decode(item, v) for k, v in value.items()}
    return value


def _from_dict(cls: type[T], data: dict[str, Any]) -> T:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - known
    if unknown:
        raise RecordError(f"{cls.__name__} has no field(s) {', '.join(sorted(unknown))}")
    return cls(**{k: _decode(hints[k], v) for k, v in data.items()})


class Record:
    """Base of every record kind: `kind` names it in the file."""

    kind: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload, no-any-return]

    @classmethod
    def from_json(cls: type[T], data: dict[str, Any]) -> T:
        return _from_dict(cls, data)


# -- the machine ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PythonInfo:
    version: str
    implementation: str
    executable: str
    free_threading_build: bool
    config_args: str = ""


@dataclass(frozen=True)
class Machine:
    cpu_model: str
    cpu_count: int
    ram_bytes: int | None
    os: str
    platform: str
    python: PythonInfo
    packages: dict[str, str | None]
    git_commit: str | None

    @property
    def identity(self) -> tuple[str, int, int | None, str]:
        """What makes two result files comparable as one machine's."""
        return (self.cpu_model, self.cpu_count, self.ram_bytes, self.os)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def git_commit(root: Path | None = None) -> str | None:
    """The commit of the indexer's source tree (None when it is not a git checkout)."""
    if root is None:
        import indexer

        root = Path(indexer.__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


_MACHINE: list[Machine] = []  # computed once per process: it runs git and reads /proc


def machine() -> Machine:
    if not _MACHINE:
        versions: dict[str, str | None] = {}
        for name in PACKAGES:
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                versions[name] = None
        _MACHINE.append(Machine(
            _cpu_model(), os.cpu_count() or 1, _ram_bytes(), f"{platform.system()} {platform.release()}",
            platform.platform(),
            PythonInfo(platform.python_version(), platform.python_implementation(), sys.executable,
                       sysconfig.get_config_var("Py_GIL_DISABLED") == 1, sysconfig.get_config_var("CONFIG_ARGS") or ""),
            versions, git_commit()))
    return _MACHINE[0]


# -- record kinds -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    """A phase of an indexing run: seconds since the run started; CPU of the indexer's own
    process, of its whole process tree (workers included) and of the database server."""

    name: str
    start: float
    end: float
    cpu: float
    tree_cpu: float | None = None
    server_cpu: float | None = None

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class GraphInfo:
    nodes: dict[str, int]
    edges: dict[str, int]
    digest: str


@dataclass(frozen=True)
class RunCounters:
    """What the indexer counted in one run, as its summary reports them (`indexer.Counters`,
    with the session waits as percentiles)."""

    files_indexed: int = 0
    files_unchanged: int = 0
    lines: int = 0
    nodes_written: int = 0
    edges_written: int = 0
    edges_dangling: int = 0
    retries: int = 0
    acquisition_timeouts: int = 0
    connection_errors: int = 0
    connection_failures: int = 0
    parse_seconds: float = 0.0  # worker-seconds (summed over the workers)
    tokens_seconds: float = 0.0
    write_seconds: float = 0.0
    edges_seconds: float = 0.0
    session_wait_p50: float = 0.0
    session_wait_p95: float = 0.0
    session_wait_max: float = 0.0

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> RunCounters:
        """From `codegraph index --json` (a missing counter is an error, not a zero)."""
        return cls(**{f.name: summary[f.name] for f in fields(cls)})


@dataclass
class RunRecord(Record):
    """One completed indexing run, measured from outside (kind `run`; warm-ups have repeat -1)."""

    kind: ClassVar[str] = "run"
    interpreter: str
    corpus: Corpus
    requested_mode: str
    mode: str  # what the run used (auto's choice)
    workers: int
    repeat: int
    reason: str  # why the executor was chosen
    exit_status: int  # 0, or 1 when some files could not be written
    wall_seconds: float  # from starting the command to its exit
    index_seconds: float  # the indexer's own wall time (without interpreter start-up)
    cpu_seconds: float  # the whole process tree
    server_cpu_seconds: float | None
    peak_rss: int  # the whole process tree
    server_peak_rss: int | None
    max_connections: int
    pool_size: int
    counters: RunCounters
    files_total: int
    files_failed: int
    errors_by_type: dict[str, int]
    gil_at_start: bool
    gil_at_end: bool
    packstream: str
    phases: list[Phase] = field(default_factory=list)
    graph: GraphInfo | None = None
    gil_culprit: str | None = None
    warnings: list[str] = field(default_factory=list)
    timeline: list[list[float]] = field(default_factory=list)  # [t, tree rss, connections, tree cpu, server cpu]
    run_start: float = 0.0  # when the run's own clock (its phases) started, on the timeline's clock
    runtime: dict[str, Any] = field(default_factory=dict)
    plant: str | None = None
    local_server: bool = True  # the database ran on the same cores
    requested_workers: int = 0  # what the bench asked for (workers: what the run used; auto may use 1)

    @property
    def warmup(self) -> bool:
        return self.repeat < 0

    @property
    def error_rate(self) -> float:
        attempted = self.counters.files_indexed + self.counters.files_unchanged + self.files_failed
        return self.files_failed / attempted if attempted else 0.0


@dataclass
class FailedRun(Record):
    """A run that did not complete: it crashed, timed out, or could not reach the database."""

    kind: ClassVar[str] = "failed"
    interpreter: str
    corpus: Corpus
    requested_mode: str
    workers: int
    repeat: int
    exit_status: int | None  # None: killed after the time limit
    cause: str  # database | timeout | crash | harness (the measuring itself failed)
    error: str  # the last line it printed about the failure (redacted)
    seconds: float
    plant: str | None = None

    @property
    def warmup(self) -> bool:
        return self.repeat < 0


@dataclass
class NotRun(Record):
    """An interpreter (mode None) or one mode on an interpreter that was not run, and why."""

    kind: ClassVar[str] = "not-run"
    interpreter: str
    reason: str
    mode: str | None = None


@dataclass(frozen=True)
class LeakSample:
    """The process tree after one of the consecutive runs (and its peak during the run)."""

    rss_after: int
    peak_rss: int
    processes_after: int  # processes left in the tree besides the coordinator (and multiprocessing's resource tracker)
    connections_after: int  # Bolt connections the tree still holds


@dataclass
class LeakCheck(Record):
    kind: ClassVar[str] = "leak"
    interpreter: str
    corpus: Corpus
    requested_mode: str
    mode: str
    workers: int
    runs: list[LeakSample] = field(default_factory=list)
    error: str | None = None  # the check itself failed
    plant: str | None = None

    @property
    def growth(self) -> float:
        """RSS after the last run over RSS after the first, minus one."""
        if len(self.runs) < 2 or not self.runs[0].rss_after:
            return 0.0
        return self.runs[-1].rss_after / self.runs[0].rss_after - 1


@dataclass
class FaultRecord(Record):
    """A fault injected into a run, and the outcome (see faults.scenarios.Outcome)."""

    kind: ClassVar[str] = "fault"
    interpreter: str
    fault: str
    mode: str
    exit_code: int | None
    completed: bool
    error: str
    digest_ok: bool | None
    rerun_ok: bool | None
    hung: bool
    seconds: float
    proxy: dict[str, int]
    hit: bool
    acceptable: bool
    data_lost: bool


@dataclass
class BadInputRecord(Record):
    kind: ClassVar[str] = "bad-input"
    interpreter: str
    mode: str
    workers: int
    inputs: list[str]
    exit_code: int
    errors: dict[str, str]
    indexed: int | None
    as_expected: bool
    stderr: str = ""


@dataclass(frozen=True)
class CategoryScore:
    name: str
    cases: int
    exact: int
    found: int  # edges we wrote that the suite expects
    wrong: int  # edges we wrote that the suite does not expect
    missing: int  # edges the suite expects that we did not write

    @property
    def precision(self) -> float:
        return self.found / (self.found + self.wrong) if self.found + self.wrong else 1.0

    @property
    def recall(self) -> float:
        return self.found / (self.found + self.missing) if self.found + self.missing else 1.0


@dataclass
class AccuracyRecord(Record):
    """The call graph measured against a benchmark suite (per category and in total)."""

    kind: ClassVar[str] = "accuracy"
    interpreter: str
    suite: str
    categories: list[CategoryScore]
    total: CategoryScore


@dataclass(frozen=True)
class PlannedCell:
    corpus: str
    mode: str  # the requested mode
    workers: int
    repeats: int  # counted runs (for a leak check: its consecutive runs)


@dataclass
class BenchPlan(Record):
    """What a bench set out to measure on one interpreter, written before its first run, so
    that a run that left no record at all (the bench was killed, a step raised) is seen."""

    kind: ClassVar[str] = "plan"
    interpreter: str
    cells: list[PlannedCell]
    leak_checks: list[PlannedCell] = field(default_factory=list)


KINDS: dict[str, type[Record]] = {c.kind: c for c in (RunRecord, FailedRun, NotRun, LeakCheck, FaultRecord,
                                                     BadInputRecord, AccuracyRecord, BenchPlan)}
AnyRecord = RunRecord | FailedRun | NotRun | LeakCheck | FaultRecord | BadInputRecord | AccuracyRecord | BenchPlan


# -- files ------------------------------------------------------------------------------------
@dataclass
class Document:
    record: Record
    run_id: str
    created: str
    machine: Machine


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def write(run_dir: Path, record: Record, *, label: str) -> Path:
    """Append one record as a new file (never overwrites)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    doc = {"schema": SCHEMA, "version": VERSION, "kind": record.kind, "run_id": run_dir.name,
           "created": dt.datetime.now(dt.timezone.utc).isoformat(), "machine": asdict(machine()),
           "record": record.to_json()}
    path = run_dir / f"{label}-{uuid.uuid4().hex[:8]}.json"
    with open(path, "x") as fh:
        json.dump(doc, fh, indent=1)
    return path


def read(path: Path) -> Document:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RecordError(f"{path}: not readable as JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        schema = doc.get("schema") if isinstance(doc, dict) else "?"
        raise RecordError(f"{path}: not a codegraph record (schema {schema}); move it out of the run folder")
    if doc.get("version") != VERSION:
        raise RecordError(f"{path}: record version {doc.get('version')}, and this codegraph-harness reads version "
                          f"{VERSION}: re-run the bench with this version (or report with the version that wrote it)")
    cls = KINDS.get(doc.get("kind", ""))
    if cls is None:
        raise RecordError(f"{path}: unknown record kind {doc.get('kind')!r}")
    try:
        return Document(cls.from_json(doc["record"]), doc["run_id"], doc["created"],
                        _from_dict(Machine, doc["machine"]))
    except (KeyError, TypeError, RecordError) as exc:
        raise RecordError(f"{path}: malformed {doc['kind']} record ({exc})") from None


@dataclass
class Run:
    """Every record of a run folder, in the order they were written, and what to warn about."""

    documents: list[Document]

    @property
    def records(self) -> list[Record]:
        return [d.record for d in self.documents]

    def machines(self) -> dict[str, Machine]:
        """Interpreter label -> the machine its records came from."""
        out: dict[str, Machine] = {}
        for d in self.documents:
            label = getattr(d.record, "interpreter", None)
            if label:
                out.setdefault(label, d.machine)
        return out

    def warnings(self) -> list[str]:
        """Mixing results from different machines or commits makes their ratios meaningless."""
        out = []
        identities = {d.machine.identity for d in self.documents}
        if len(identities) > 1:
            out.append("these results come from " + str(len(identities)) + " different machines (" +
                       "; ".join(f"{m[0]}, {m[1]} CPUs" for m in sorted(identities, key=str)) +
                       "): compare their figures with care")
        commits = {d.machine.git_commit for d in self.documents}
        if len(commits) > 1:
            out.append("these results come from " + str(len(commits)) + " different commits (" +
                       ", ".join((c or "unknown")[:12] for c in sorted(commits, key=str)) + ")")
        return out


def load_run(run_dir: Path) -> Run:
    docs = [read(p) for p in sorted(run_dir.glob("*.json"))]
    return Run(sorted(docs, key=lambda d: d.created))
