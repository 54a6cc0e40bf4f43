"""A real (small) bench run, its report, and `codegraph report --strict` exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.verdict import bench, report


@pytest.fixture(scope="module")
def run_dir(graphdb: GraphDB, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("results") / "run1"
    plan = bench.Plan(corpora=["small"], modes=["sequential", "thread", "auto"], workers=[2], repeat=2,
                      small_corpus=None, leak_corpus="small", leak_runs=5)
    bench.run_plan(graphdb, plan, folder, progress=lambda m: None)
    bench.not_run(folder, "3.14t", "interpreter not found")
    return folder


@pytest.mark.graphdb
def test_report_has_verdict_criteria_plots_and_not_run_rows(run_dir: Path) -> None:
    built = report.build(run_dir)
    md = built.markdown.read_text()
    assert md.startswith(f"# Parallel indexing go/no-go: **{built.verdict}**")
    assert len(built.verdicts) == 9 and all(v.status in ("GO", "NO-GO", "INCONCLUSIVE") for v in built.verdicts)
    assert all(v.detail for v in built.verdicts)
    assert "| 3.14t | not run: interpreter not found |" in md
    verdicts = {v.key: v for v in built.verdicts}
    assert verdicts["same_digest"].status == "GO"
    assert verdicts["no_leak"].status == "GO", verdicts["no_leak"].numbers
    assert verdicts["connection_failures"].status == "GO"
    assert verdicts["gil_stays_off"].status == "INCONCLUSIVE"  # no free-threaded build here
    for png in ("throughput", "speedup", "memory", "connections"):
        assert (run_dir / f"{png}.png").stat().st_size > 5000
        assert f"({png}.png)" in md
    html = built.html.read_text()
    assert "<table>" in html and 'src="throughput.png"' in html


@pytest.mark.graphdb
def test_result_files_never_contain_the_password(run_dir: Path, graphdb: GraphDB) -> None:
    files = list(run_dir.glob("*.json"))
    assert len(files) >= 10
    for path in files:
        text = path.read_text()
        assert graphdb.password not in text and '"password"' not in text, path.name


@pytest.mark.graphdb
def test_strict_exit_codes(run_dir: Path, tmp_path: Path) -> None:
    from codegraph_harness.verdict.criteria import DEFAULT

    strict = DEFAULT.read_text().replace("max_increase_pp = 1.0", "max_increase_pp = -1.0")
    impossible = tmp_path / "criteria.toml"
    impossible.write_text(strict)
    cmd = [sys.executable, "-m", "indexer", "report", str(run_dir)]
    assert subprocess.run([*cmd, "--strict", "--criteria", str(impossible)], capture_output=True).returncode == 1
    assert subprocess.run([*cmd, "--criteria", str(impossible)], capture_output=True).returncode == 0
    normal = subprocess.run([*cmd, "--strict"], capture_output=True, text=True)
    verdict = normal.stdout.split(":")[0]
    assert normal.returncode == (1 if verdict == "NO-GO" else 0)
