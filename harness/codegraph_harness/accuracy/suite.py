"""The cases of a call-graph suite laid out like PyCG's micro-benchmark."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from codegraph_harness.accuracy.naming import module_dotted

EXPECTED = "callgraph.json"


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
    """Every `<category>/<case>/callgraph.json` under `root`, sorted by category then case."""
    base = Path(root)
    if not base.is_dir():
        raise NotADirectoryError(f"{root}: not a directory holding <category>/<case>/{EXPECTED}")
    cases = []
    for graph in sorted(base.glob(f"*/*/{EXPECTED}")):
        data = json.loads(graph.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{graph}: expected a JSON object of caller -> [callee, ...]")
        expected = {str(k): sorted({str(c) for c in v}) for k, v in data.items()}
        cases.append(Case(graph.parent.parent.name, graph.parent.name, graph.parent, expected))
    return cases


def program_modules(path: str | Path) -> set[str]:
    """The dotted names of the modules of a program (its `*.py` files, relative to `path`)."""
    base = Path(path)
    return {module_dotted(p.relative_to(base).as_posix()) for p in base.rglob("*.py")}
