"""How accurate codegraph's call graph is, measured on a suite laid out like PyCG's micro-benchmark.

A suite is a folder of `<category>/<case>/` folders, each a small program (`main.py` and the
modules it imports) with `callgraph.json`, the expected call graph in PyCG's naming. The suite
is read where it lies, never copied. Each case is indexed alone, without a database
(`indexer.parse_and_resolve`), its CALLS edges are renamed the way PyCG names things, and
compared with the expected graph: `load_suite` finds the cases, `pycg_name` renames, `case_graph`
indexes one case, `score_case` and `run_suite` score, with precision, recall and exact cases
per category and in total and the wrong and missing edges of every case
(`AccuracyResult.to_json()`); `AccuracyResult.record()` is what a bench run keeps.

Only callees that are keys of the case's `callgraph.json` and belong to the program count
(builtins such as `<builtin>.len` and third-party names such as `ext.Cls` do not).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codegraph_harness.records import AccuracyRecord, CategoryScore

EXPECTED = "callgraph.json"
Pair = list[str]  # [caller, callee]


class SuiteError(ValueError):
    """A suite that cannot be measured as it is: the message names the file or folder and what is wrong."""


# -- naming -------------------------------------------------------------------------------------
# codegraph ids in PyCG's naming.
#
# codegraph: module `pkg/mod.py`, class or function `pkg/mod.py::A.f`, nested function
# `pkg/mod.py::f.<locals>.g`, lambdas `pkg/mod.py::f.<locals>.<lambda>`, `...<lambda>#2`, ...,
# repeated definitions `pkg/mod.py::f#2`. PyCG: `pkg.mod`, `pkg.mod.A.f`, `pkg.mod.f.g`,
# `pkg.mod.f.<lambda1>`, `pkg.mod.f.<lambda2>` (numbered per scope in order of appearance), and
# one name for all definitions of the same name.


def module_dotted(relpath: str) -> str:
    """'pkg/sub/mod.py' -> 'pkg.sub.mod'; 'pkg/__init__.py' -> 'pkg'; '__init__.py' -> ''."""
    path = relpath[:-3] if relpath.endswith(".py") else relpath
    parts = path.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def pycg_name(node_id: str) -> str:
    """A codegraph node id as PyCG names the same entity."""
    path, _, qualname = node_id.partition("::")
    module = module_dotted(path)
    if not qualname:
        return module
    parts: list[str] = []
    for part in qualname.split("."):
        if part == "<locals>":
            continue
        name, _, number = part.partition("#")
        if name == "<lambda>":
            name = f"<lambda{number or 1}>"
        parts.append(name)
    return ".".join([module, *parts]) if module else ".".join(parts)


# -- the suite ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One program: `path` holds its modules and `callgraph.json` (caller -> callees)."""

    category: str
    name: str
    path: Path
    expected: dict[str, list[str]] = field(hash=False)

    @property
    def label(self) -> str:
        return f"{self.category}/{self.name}"


def load_suite(root: str | Path) -> list[Case]:
    """Every `<category>/<case>/callgraph.json` under `root`, sorted by category then case.

    A case is a folder of a category with `callgraph.json` or `main.py` (every PyCG case has
    both). One with `main.py` but no `callgraph.json` is a SuiteError naming the folder, not a
    case skipped: scores over fewer cases than the suite holds would look like the suite's
    scores (and the bench's accuracy criterion would judge them), and a half-copied suite is
    the usual cause, so the user must add the file or move the folder out. Anything else is
    not a case and is ignored: files, hidden folders (`.git`), `__pycache__`, folders without
    `main.py` (data, docs). A `callgraph.json` that is not JSON, or not an object of caller ->
    list of callee names, is a SuiteError naming the file (and the key)."""
    base = Path(root)
    if not base.is_dir():
        raise NotADirectoryError(f"{root}: not a directory holding <category>/<case>/{EXPECTED}")
    for folder in sorted(base.glob("*/*/")):
        if folder.name.startswith((".", "__")) or folder.parent.name.startswith((".", "__")):
            continue
        if (folder / "main.py").is_file() and not (folder / EXPECTED).is_file():
            raise SuiteError(f"{folder}: a case (it has main.py) without {EXPECTED}: add its expected call graph, "
                             "or move the folder out of the suite")
    cases = []
    for graph in sorted(base.glob(f"*/*/{EXPECTED}")):
        try:
            data = json.loads(graph.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SuiteError(f"{graph}: not valid JSON ({exc}); it must be an object of caller -> [callee, ...]"
                             ) from None
        expected = _expected_graph(graph, data)
        cases.append(Case(graph.parent.parent.name, graph.parent.name, graph.parent, expected))
    return cases


def _expected_graph(graph: Path, data: Any) -> dict[str, list[str]]:
    """`data`, read from `graph`, checked to be what PyCG writes: an object mapping each caller
    to a list of callee names (strings). Anything else would be scored as something it is not
    (a string's characters as callees, say), so it is a SuiteError naming the file and key."""
    if not isinstance(data, dict):
        raise SuiteError(f"{graph}: expected a JSON object of caller -> [callee, ...], got {_json_type(data)}")
    for caller, callees in data.items():
        if not isinstance(callees, list):
            raise SuiteError(f"{graph}: key {caller!r}: expected a list of callee names, got {_json_type(callees)}")
        for callee in callees:
            if not isinstance(callee, str):
                raise SuiteError(f"{graph}: key {caller!r}: callee {json.dumps(callee)} is not a string")
    return {caller: sorted(set(callees)) for caller, callees in data.items()}


def _json_type(value: Any) -> str:
    """How JSON names the type of `value` (for messages about a file the user wrote)."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def program_modules(path: str | Path) -> set[str]:
    """The dotted names of the modules of a program (its `*.py` files, relative to `path`)."""
    base = Path(path)
    return {module_dotted(p.relative_to(base).as_posix()) for p in base.rglob("*.py")}


# -- scoring --------------------------------------------------------------------------------------
@dataclass
class Tally:
    """Counts over some cases: edges expected, found (in scope), correct; exact cases."""

    cases: int = 0
    exact: int = 0
    expected: int = 0
    found: int = 0
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    def add(self, case: CaseResult) -> None:
        self.cases += 1
        self.exact += int(case.exact)
        self.expected += case.expected
        self.found += case.found
        self.correct += case.correct

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


@dataclass
class CaseResult:
    category: str
    name: str
    expected: int
    found: int
    correct: int
    exact: bool
    wrong: list[Pair] = field(default_factory=list)  # found, not expected
    missing: list[Pair] = field(default_factory=list)  # expected, not found
    out_of_scope: int = 0  # edges found to callees the expected graph does not list
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AccuracyResult:
    suite: str
    total: Tally
    categories: dict[str, Tally]
    cases: list[CaseResult]

    def to_json(self) -> dict[str, Any]:
        return {"suite": self.suite, "total": self.total.to_json(),
                "categories": {k: v.to_json() for k, v in self.categories.items()},
                "cases": [c.to_json() for c in self.cases]}

    def record(self, interpreter: str) -> AccuracyRecord:
        """What a bench run keeps (per category and in total)."""
        return AccuracyRecord(interpreter, self.suite, [_score(k, t) for k, t in self.categories.items()],
                              _score("total", self.total))

    def text(self, details: bool = True) -> str:
        """The per-category table, the totals, and the wrong and missing edges of each case."""
        rows = [f"{'category':<14} {'cases':>5} {'exact':>5} {'precision':>9} {'recall':>7}"]
        for name, t in [*self.categories.items(), ("total", self.total)]:
            rows.append(f"{name:<14} {t.cases:>5} {t.exact:>5} {t.precision:>9.1%} {t.recall:>7.1%}")
        if details:
            for c in self.cases:
                if c.exact:
                    continue
                rows.append(f"\n{c.category}/{c.name}:" + (f" error: {c.error}" if c.error else ""))
                rows += [f"  wrong    {a} -> {b}" for a, b in c.wrong]
                rows += [f"  missing  {a} -> {b}" for a, b in c.missing]
        return "\n".join(rows)


def _score(name: str, t: Tally) -> CategoryScore:
    return CategoryScore(name, t.cases, t.exact, t.correct, t.found - t.correct, t.expected - t.correct)


def case_graph(path: str | Path) -> dict[str, set[str]]:
    """Index the program at `path` alone (no database) and return its calls in PyCG names."""
    from indexer import parse_and_resolve

    _, _, resolution = parse_and_resolve(str(path))
    graph: dict[str, set[str]] = {}
    for edge in resolution.edges:
        if edge.type == "CALLS":
            graph.setdefault(pycg_name(edge.src), set()).add(pycg_name(edge.dst))
    return graph


def in_scope(callee: str, keys: Iterable[str], modules: set[str]) -> bool:
    """A callee counts when the expected graph lists it and it belongs to the program."""
    if callee.startswith("<") or callee not in keys:
        return False
    parts = callee.split(".")
    return any(".".join(parts[:n]) in modules for n in range(1, len(parts) + 1))


def score_case(case: Case, actual: dict[str, set[str]], modules: set[str]) -> CaseResult:
    keys = set(case.expected)
    expected = {(caller, callee) for caller, callees in case.expected.items() for callee in callees
                if in_scope(callee, keys, modules)}
    found_all = {(caller, callee) for caller, callees in actual.items() for callee in callees}
    found = {pair for pair in found_all if in_scope(pair[1], keys, modules)}
    correct = expected & found
    return CaseResult(
        case.category, case.name, len(expected), len(found), len(correct), expected == found,
        wrong=[list(p) for p in sorted(found - expected)], missing=[list(p) for p in sorted(expected - found)],
        out_of_scope=len(found_all) - len(found))


def run_suite(root: str | Path, *, categories: Iterable[str] | None = None) -> AccuracyResult:
    """Score every case of the suite at `root` (or of some categories only)."""
    wanted = set(categories) if categories is not None else None
    total = Tally()
    per_category: dict[str, Tally] = {}
    results = []
    for case in load_suite(root):
        if wanted is not None and case.category not in wanted:
            continue
        try:
            result = score_case(case, case_graph(case.path), program_modules(case.path))
        except Exception as exc:  # one broken case must not hide the others
            expected = sum(len(v) for v in case.expected.values())
            result = CaseResult(case.category, case.name, expected, 0, 0, False,
                                error=f"{type(exc).__name__}: {exc}")
        results.append(result)
        total.add(result)
        per_category.setdefault(case.category, Tally()).add(result)
    return AccuracyResult(str(root), total, dict(sorted(per_category.items())), results)
