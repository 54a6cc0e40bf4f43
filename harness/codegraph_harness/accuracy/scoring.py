"""Index each case of a suite, compare its CALLS edges with the expected graph, and tally."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codegraph_harness.accuracy.naming import pycg_name
from codegraph_harness.accuracy.suite import Case, load_suite, program_modules

Pair = list[str]  # [caller, callee]


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
