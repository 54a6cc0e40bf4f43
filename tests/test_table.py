"""The plain-text table of runs printed at the end of a bench session."""

from __future__ import annotations

from codegraph_harness.verdict import table

from .builders import failed, run


def test_rows_for_completed_and_failed_runs() -> None:
    text = table.render([run("3.12", "process", 2, 0, 10.0, files=1500, requested="auto"),
                         failed("3.12", "thread", 2, 0, cause="database", error="codegraph: cannot reach it")])
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["corpus", "mode", "workers"] and set(lines[1]) <= {"-", " "}
    assert "auto (process)" in lines[2] and "150.0" in lines[2]  # files/s
    assert "run database" in lines[3] and "codegraph: cannot reach it" in lines[3]
