"""The codebase stays ruff- and mypy-clean: `make test` fails otherwise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff() -> None:
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "indexer", "harness", "tests"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy() -> None:
    out = subprocess.run([sys.executable, "-m", "mypy", "indexer", "harness/codegraph_harness"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_indexer_never_names_the_harness() -> None:
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in sorted((ROOT / "indexer").rglob("*.py"))
            for n, line in enumerate(p.read_text().splitlines(), 1) if "harness" in line]
    assert hits == []


def test_the_harness_uses_only_the_indexers_public_api() -> None:
    import ast

    import indexer

    wrong = []
    for path in sorted((ROOT / "harness" / "codegraph_harness").rglob("*.py")):
        if path.name == "plants.py":  # plants patch regressions into the internals, on purpose
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("indexer"):
                if node.module != "indexer":
                    wrong.append(f"{path.name}: from {node.module} import ...")
                wrong += [f"{path.name}: indexer.{a.name} is not exported" for a in node.names
                          if node.module == "indexer" and a.name not in indexer.__all__]
            elif isinstance(node, ast.Import):
                wrong += [f"{path.name}: import {a.name}" for a in node.names if a.name.startswith("indexer.")]
    assert wrong == []


def test_every_export_resolves() -> None:
    import indexer

    missing = [name for name in indexer.__all__ if getattr(indexer, name, None) is None]
    assert missing == []
