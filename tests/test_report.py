"""A real (small) bench run, its report, and `codegraph report`'s exit codes and errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codegraph_harness import records
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.verdict import bench, report
from codegraph_harness.verdict.bench import CorpusPlan, Plan


@pytest.fixture(scope="module")
def run_dir(graphdb: GraphDB, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("results") / "run1"
    plan = Plan([CorpusPlan("small", [("sequential", 1), ("thread", 2), ("auto", 2)], repeats=2, warmup="first"),
                 CorpusPlan("medium", [("sequential", 1), ("process", 2)], repeats=2, warmup="none")],
                leak_corpus="small", leak_cells=[("sequential", 1), ("process", 2)], leak_runs=3)
    bench.Bench(graphdb, folder, "3.11", progress=lambda m: None).run(plan)
    records.write(folder, records.NotRun("3.14t", "interpreter not found"), label="not-run")
    records.write(folder, records.NotRun("3.11", "needs Python 3.14+", "interpreter"), label="not-run-mode")
    return folder


@pytest.mark.graphdb
def test_report_has_verdict_criteria_matrix_plots_and_phases(run_dir: Path) -> None:
    built = report.build(run_dir)
    md = built.markdown.read_text()
    assert md.startswith(f"# Parallel indexing go/no-go: **{built.verdict}**")
    assert len(built.verdicts) == 10 and all(v.status in ("GO", "NO-GO", "INCONCLUSIVE") for v in built.verdicts)
    assert all(v.detail for v in built.verdicts)
    assert "| 3.14t | free-threaded | - | not run: interpreter not found |" in md
    assert "not run: needs Python 3.14+" in md  # a mode that did not run on an interpreter, and why
    verdicts = {v.key: v for v in built.verdicts}
    assert verdicts["same_digest"].status == "GO"
    assert verdicts["connection_failures"].status == "GO"
    assert verdicts["gil_stays_off"].status == "INCONCLUSIVE"  # no free-threaded build here
    assert "## Where the time goes" in md and "| process x2 | start_workers |" in md
    assert "| start-up s | indexer CPU s | server CPU s |" in md  # what starting the workers costs, per cell
    for png in ("speedup", "auto", "timeline", "memory"):
        assert (run_dir / f"{png}.png").stat().st_size > 5000, png
        assert f"({png}.png)" in md
    html = built.html.read_text()
    assert "<table>" in html and 'src="speedup.png"' in html


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

    impossible = tmp_path / "criteria.toml"
    impossible.write_text(DEFAULT.read_text().replace("max_increase_pp = 1.0", "max_increase_pp = -1.0"))
    cmd = [sys.executable, "-m", "indexer", "report", str(run_dir)]
    assert subprocess.run([*cmd, "--strict", "--criteria", str(impossible)], capture_output=True).returncode == 1
    assert subprocess.run([*cmd, "--criteria", str(impossible)], capture_output=True).returncode == 0
    normal = subprocess.run([*cmd, "--strict"], capture_output=True, text=True)
    verdict = normal.stdout.split("verdict: ")[1].split()[0]
    assert normal.returncode == (1 if verdict == "NO-GO" else 0)


def test_report_without_matplotlib_says_which_extra_to_install(tmp_path: Path) -> None:
    records.write(tmp_path, records.NotRun("3.12", "x"), label="a")
    code = ("import sys; sys.modules['matplotlib'] = None; from indexer.cli import main; "
            f"sys.exit(main(['report', {str(tmp_path)!r}]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2 and "pip install 'codegraph-harness[report]'" in out.stderr
    bench_out = subprocess.run([sys.executable, "-c", code.replace("'report', ", "'bench', '--results', ")
                                .replace(f"{str(tmp_path)!r}]", f"{str(tmp_path)!r}, '--quick']")],
                               capture_output=True, text=True)
    assert bench_out.returncode == 2 and "codegraph-harness[report]" in bench_out.stderr


def test_a_run_folder_of_another_version_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text('{"schema": "codegraph.run/1", "record": {}}')
    out = subprocess.run([sys.executable, "-m", "indexer", "report", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 2 and "not a codegraph record" in out.stderr


def test_a_criteria_file_that_is_missing_or_not_toml_is_one_line_and_exit_2(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    records.write(run_dir, records.NotRun("3.12", "x"), label="a")
    bad = tmp_path / "bad.toml"
    bad.write_text("garbage = [\n")
    for criteria, says in ((tmp_path / "nope.toml", "cannot be read (No such file or directory)"),
                           (bad, "not valid TOML")):
        out = subprocess.run([sys.executable, "-m", "indexer", "report", str(run_dir), "--criteria", str(criteria)],
                             capture_output=True, text=True)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
        assert out.stderr.startswith(f"codegraph report: criteria file {criteria}: {says}"), out.stderr
