"""`codegraph report RUN_DIR`: REPORT.md and report.html with plots, verdict first.

Reads every record of a run folder (typed, versioned), judges them with `criteria`, and
writes a report a release manager can read top-down: the verdict and why, each criterion with
its numbers and intervals, which interpreters and modes ran (and why not), the runs that did
not complete, speed with intervals and ceilings, where the time went, memory, leaks,
accuracy, reliability, and the machines the figures came from.
"""

from __future__ import annotations

import html
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegraph_harness import records as rec
from codegraph_harness.records import (
    AccuracyRecord,
    BadInputRecord,
    FailedRun,
    FaultRecord,
    LeakCheck,
    NotRun,
    Record,
    RunRecord,
)
from codegraph_harness.verdict import criteria as crit
from codegraph_harness.verdict import stats

MODES = ["sequential", "thread", "process", "interpreter", "dask", "auto"]


class ReportError(RuntimeError):
    pass


@dataclass
class Report:
    verdict: str
    verdicts: list[crit.Verdict]
    markdown: Path
    html: Path
    warnings: list[str]


def require_plots() -> Any:
    try:
        from codegraph_harness.verdict import plots
    except ImportError as exc:
        raise ReportError(f"the report's plots need matplotlib ({exc}): pip install 'codegraph-harness[report]'"
                          ) from None
    return plots


def build(run_dir: Path, criteria_path: Path = crit.DEFAULT, *, complete_matrix: bool = False) -> Report:
    plots = require_plots()
    spec = crit.load(criteria_path)  # before the run folder: a bad --criteria is named whatever the run holds
    run = rec.load_run(run_dir)
    if not run.documents:
        raise ReportError(f"{run_dir} holds no result files: run `codegraph bench --results {run_dir.parent} "
                          f"--run-id {run_dir.name}` first")
    records = run.records
    machines = run.machines()
    cores = min((m.cpu_count for m in machines.values()), default=os.cpu_count() or 1)
    verdicts = crit.evaluate(records, spec, cores=cores, complete_matrix=complete_matrix)
    verdict = crit.overall(verdicts)
    big = spec["large_gil_processes"]["min_files"]
    pngs = {
        "speedup": plots.speedup(records, run_dir / "speedup.png", cores=cores, min_files=big,
                                 thresholds={"GIL builds, processes": spec["large_gil_processes"]["min_speedup"],
                                             "free-threaded, threads":
                                                 spec["large_free_threaded_threads"]["min_speedup"]}),
        "auto": plots.auto_vs_sequential(records, run_dir / "auto.png",
                                         limit=1 + spec["small_auto"]["max_slowdown"]),
        "timeline": plots.timeline(records, run_dir / "timeline.png"),
        "memory": plots.memory(records, run_dir / "memory.png", thread_limit=spec["thread_memory"]["max_ratio"]),
    }
    md = _markdown(run_dir, run, verdict, verdicts, spec, cores, pngs)
    (run_dir / "REPORT.md").write_text(md)
    (run_dir / "report.html").write_text(_html(md, run_dir.name))
    return Report(verdict, verdicts, run_dir / "REPORT.md", run_dir / "report.html", run.warnings())


def _short(title: str) -> str:
    return title.split(":")[0]


def _markdown(run_dir: Path, run: rec.Run, verdict: str, verdicts: list[crit.Verdict], spec: dict[str, Any],
              cores: int, pngs: dict[str, Path | None]) -> str:
    records = run.records
    counts = {s: sum(v.status == s for v in verdicts) for s in (crit.GO, crit.NOGO, crit.INCONCLUSIVE)}
    out = [f"# Parallel indexing go/no-go: **{verdict}**", "",
           f"Run `{run_dir.name}`: {counts[crit.GO]} GO, {counts[crit.NOGO]} NO-GO, {counts[crit.INCONCLUSIVE]} "
           f"INCONCLUSIVE (criteria version {spec.get('version')}; {cores} cores). Ratios are paired by repeat; "
           "intervals are 95% confidence intervals; GO and NO-GO need the whole interval on one side.", ""]
    out += [f"> **Warning:** {w}" for w in run.warnings()]
    if verdict != crit.GO:
        out += ["", "## Why not GO", ""]
        out += [f"- **{_short(v.title)}** — {v.status}: {v.detail}" for v in verdicts if v.status != crit.GO]
    out += ["", "## Criteria", "", "| criterion | verdict | numbers |", "|---|---|---|"]
    for v in verdicts:
        out.append(f"| {v.title} | **{v.status}** | {'<br>'.join(v.numbers or [v.detail])} |")
    out += _matrix(records, spec)
    out += _failed(records)
    out += _speed(records, cores, pngs)
    out += _phases(records, pngs)
    if pngs.get("memory"):
        out += ["", "## Memory", "", "![Peak memory](memory.png)"]
    out += _leaks(records)
    out += _accuracy(records)
    out += _reliability(records)
    out += _environment(run)
    return "\n".join(out) + "\n"


def _matrix(records: Sequence[Record], spec: dict[str, Any]) -> list[str]:
    expected = list(spec.get("interpreters", []))
    not_run = crit.not_run_reasons(records, expected)
    mode_not_run = {(r.interpreter, r.mode): r.reason for r in records if isinstance(r, NotRun) and r.mode}
    done: dict[tuple[str, str], int] = defaultdict(int)
    dead: dict[tuple[str, str], int] = defaultdict(int)
    builds: dict[str, str] = {}
    packstream: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if isinstance(r, RunRecord) and not r.warmup:
            done[(r.interpreter, r.requested_mode)] += 1
            build = str(r.runtime.get("build", "?"))
            builds[r.interpreter] = "GIL" if build == "gil" else build
            packstream[r.interpreter].add(r.packstream)
        elif isinstance(r, FailedRun):
            dead[(r.interpreter, r.requested_mode)] += 1
    labels = [*expected, *sorted({i for i, _ in done} - set(expected))]
    out = ["", "## Interpreters and modes", "",
           "Each cell: counted runs, or why the mode did not run there. *build*: GIL or free-threaded.", "",
           "| interpreter | build | PackStream | " + " | ".join(MODES) + " |", "|---|---|---|" + "---|" * len(MODES)]
    for label in labels:
        if label in not_run:
            out.append(f"| {label} | {'free-threaded' if label.endswith('t') else 'GIL'} | - | "
                       + " | ".join(f"not run: {not_run[label]}" if m == MODES[0] else "" for m in MODES) + " |")
            continue
        cells = []
        for m in MODES:
            n, f = done.get((label, m), 0), dead.get((label, m), 0)
            if n or f:
                cells.append(f"{n} runs" + (f", **{f} failed**" if f else ""))
            else:
                cells.append(f"not run: {mode_not_run[(label, m)]}" if (label, m) in mode_not_run else "-")
        out.append(f"| {label} | {builds.get(label, '?')} | {', '.join(sorted(packstream[label])) or '-'} | "
                   + " | ".join(cells) + " |")
    return out


def _failed(records: Sequence[Record]) -> list[str]:
    failed = stats.failed(records)
    if not failed:
        return []
    out = ["", "## Runs that did not complete", "",
           "| interpreter | corpus | mode | repeat | exit status | cause | last error line |",
           "|---|---|---|---|---|---|---|"]
    for f in failed:
        repeat = "warm-up" if f.warmup else str(f.repeat)
        status = "killed (time limit)" if f.exit_status is None else str(f.exit_status)
        out.append(f"| {f.interpreter} | {f.corpus.name} | {f.requested_mode} x{f.workers} | {repeat} | {status} | "
                   f"{f.cause} | `{f.error[:200].replace('|', '/')}` |")
    return out


def _speed(records: Sequence[Record], cores: int, pngs: dict[str, Path | None]) -> list[str]:
    cells, pairs = stats.cells(records), stats.pairs(records)
    if not cells:
        return []
    out = ["", "## Speed", ""]
    if pngs.get("speedup"):
        out += ["![Speedup](speedup.png)", "", "Bars: speedup over the sequential run of the same repeat (geometric "
                "mean, 95% interval); dashed outline: the ceiling on this machine, from the runs' own CPU and "
                "serial-phase accounting.", ""]
    if pngs.get("auto"):
        out += ["![auto against sequential](auto.png)", ""]
    out += ["*start-up*: seconds until the pool answered a first task per worker (processes, subinterpreters, a "
            "Dask cluster: their imports and initializers); "
            "*CPU*: the indexer's whole process tree (workers and cluster processes included) and the database "
            "server, medians.", "",
            "| interpreter | corpus | files | mode | workers | index seconds | speedup (95% interval) | ceiling "
            "| start-up s | indexer CPU s | server CPU s | peak RSS MiB | max conns | retries |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(cells, key=lambda k: (k[0], cells[k][0].corpus.files, MODES.index(k[3])
                                           if k[3] in MODES else 9, k[2])):
        rs, ps = cells[key], pairs.get(key, [])
        chosen = {r.mode for r in rs}
        mode = key[3] if chosen == {key[3]} else f"{key[3]} ({'/'.join(sorted(chosen))})"
        t = stats.spread(r.index_seconds for r in rs)
        m = stats.spread(r.peak_rss / 2**20 for r in rs)
        iv, ceiling = stats.speedup(ps), stats.ceilings(ps, cores)
        start = stats.spread(p.seconds for r in rs for p in r.phases if p.name == "start_workers")
        cpu = stats.spread(r.cpu_seconds for r in rs)
        server = stats.spread(r.server_cpu_seconds for r in rs if r.server_cpu_seconds is not None)
        out.append(f"| {key[0]} | {key[1]} | {rs[0].corpus.files} | {mode} | {key[2]} | "
                   f"{t.text() if t else '-'} | {iv.text() if iv else '-'} | "
                   f"{f'{ceiling:.2f}x' if ceiling and key[3] != 'sequential' else '-'} | "
                   f"{f'{start.median:.2f}' if start else '-'} | {f'{cpu.median:.1f}' if cpu else '-'} | "
                   f"{f'{server.median:.1f}' if server else '-'} | "
                   f"{m.text('{:.0f}') if m else '-'} | {max(r.max_connections for r in rs)} | "
                   f"{sum(r.counters.retries for r in rs)} |")
    return out


def _phases(records: Sequence[Record], pngs: dict[str, Path | None]) -> list[str]:
    runs = [r for r in stats.runs(records) if r.phases and r.repeat == 0]
    if not runs:
        return []
    biggest = max(r.corpus.files for r in runs)
    picked = sorted((r for r in runs if r.corpus.files == biggest),
                    key=lambda r: (r.interpreter, MODES.index(r.requested_mode) if r.requested_mode in MODES else 9))
    out = ["", "## Where the time goes", ""]
    if pngs.get("timeline"):
        out += ["![Timeline](timeline.png)", ""]
    out += [f"{picked[0].corpus.name} ({biggest} files), first counted repeat. CPU of the indexer's whole process tree "
            "and of the database server in each phase, in seconds.", "",
            "| interpreter | mode | phase | wall | indexer CPU | server CPU |", "|---|---|---|---|---|---|"]
    for r in picked:
        mode = r.requested_mode if r.requested_mode == r.mode else f"{r.requested_mode} ({r.mode})"
        for p in r.phases:
            out.append(f"| {r.interpreter} | {mode} x{r.workers} | {p.name} | {p.seconds:.2f} | "
                       f"{'-' if p.tree_cpu is None else f'{p.tree_cpu:.2f}'} | "
                       f"{'-' if p.server_cpu is None else f'{p.server_cpu:.2f}'} |")
    out += ["", "Inside the workers (worker-seconds, summed over the workers): parsing, counting tokens, "
            "writing nodes (with the read of the stored fingerprints), writing edges.", "",
            "| interpreter | mode | parse | tokens | write nodes | write edges |", "|---|---|---|---|---|---|"]
    for r in picked:
        mode = r.requested_mode if r.requested_mode == r.mode else f"{r.requested_mode} ({r.mode})"
        c = r.counters
        out.append(f"| {r.interpreter} | {mode} x{r.workers} | {c.parse_seconds:.2f} | {c.tokens_seconds:.2f} | "
                   f"{c.write_seconds:.2f} | {c.edges_seconds:.2f} |")
    return out


def _leaks(records: Sequence[Record]) -> list[str]:
    leaks = [r for r in records if isinstance(r, LeakCheck)]
    if not leaks:
        return []
    out = ["", "## Leak check", "", "Consecutive runs in one coordinator process; the whole process tree is "
           "inspected after each run.", "",
           "| interpreter | mode | RSS after each run (MiB) | growth | peak RSS per run (MiB) | processes left | "
           "connections left |", "|---|---|---|---|---|---|---|"]
    for r in leaks:
        mode = r.requested_mode if r.requested_mode == r.mode else f"{r.requested_mode} ({r.mode})"
        if r.error:
            out.append(f"| {r.interpreter} | {mode} x{r.workers} | **failed**: {r.error[:150]} | | | | |")
            continue
        after = ", ".join(f"{s.rss_after / 2**20:.0f}" for s in r.runs)
        peaks = ", ".join(f"{s.peak_rss / 2**20:.0f}" for s in r.runs)
        out.append(f"| {r.interpreter} | {mode} x{r.workers} | {after} | {r.growth:+.1%} | {peaks} | "
                   f"{max((s.processes_after for s in r.runs), default=0)} | "
                   f"{max((s.connections_after for s in r.runs), default=0)} |")
    return out


def _accuracy(records: Sequence[Record]) -> list[str]:
    found = [r for r in records if isinstance(r, AccuracyRecord)]
    if not found:
        return []
    out = ["", "## Graph accuracy", ""]
    for r in found:
        t = r.total
        out += [f"{r.interpreter}, suite `{r.suite}`: precision **{t.precision:.1%}**, recall **{t.recall:.1%}**, "
                f"{t.exact} of {t.cases} cases exact.", "",
                "| category | cases | exact | precision | recall | wrong edges | missing edges |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {c.name} | {c.cases} | {c.exact} | {c.precision:.1%} | {c.recall:.1%} | {c.wrong} | {c.missing} |"
                for c in r.categories]
    return out


def _reliability(records: Sequence[Record]) -> list[str]:
    fault_runs = [r for r in records if isinstance(r, FaultRecord)]
    bad = [r for r in records if isinstance(r, BadInputRecord)]
    load = [r for r in stats.runs(records) if r.corpus.files >= 10_000]
    out = ["", "## Reliability", ""]
    if not (fault_runs or bad or load):
        return [*out, "Not run in this bench: `codegraph bench --reliability` adds database faults, a server "
                      "restart and bad input in every mode; the full bench adds the xlarge load test."]
    lost = sum(1 for r in fault_runs if r.data_lost)
    hangs = sum(1 for r in fault_runs if r.hung)
    survived = sum(1 for r in fault_runs if r.acceptable)
    out += [f"Faults injected: {len(fault_runs)}, survived: {survived}; data lost: **{lost}**; hangs: **{hangs}**; "
            f"bad-input runs as expected: {sum(1 for r in bad if r.as_expected)} of {len(bad)}.", ""]
    if fault_runs:
        out += ["| interpreter | fault | mode | outcome | seconds | proxy |", "|---|---|---|---|---|---|"]
        for f in fault_runs:
            if f.hung:
                what = "**hung**"
            elif f.completed:
                what = "completed, clean digest" if f.digest_ok else "**completed with another digest**"
            else:
                what = f"stopped: {f.error[:120]}; re-run " + ("gave the clean digest" if f.rerun_ok else "**failed**")
            proxy = ", ".join(f"{k} {v}" for k, v in f.proxy.items() if v)
            out.append(f"| {f.interpreter} | {f.fault} | {f.mode} | {what} | {f.seconds} | {proxy} |")
    if bad:
        out += ["", "Bad inputs tried in every mode: " + ", ".join(f"`{n}`" for n in bad[0].inputs), "",
                "| interpreter | mode | exit | as expected | errors |", "|---|---|---|---|---|"]
        for b in bad:
            errors = ", ".join(f"{k}: {v}" for k, v in sorted(b.errors.items()))
            out.append(f"| {b.interpreter} | {b.mode} x{b.workers} | {b.exit_code} | "
                       f"{'yes' if b.as_expected else '**no**'} | {errors} |")
    if load:
        out += ["", "Load (codebases of 10,000+ files):", "",
                "| interpreter | corpus | mode | files/s | peak RSS MiB | max conns | failed files |",
                "|---|---|---|---|---|---|---|"]
        for r in load:
            files = r.counters.files_indexed + r.counters.files_unchanged
            out.append(f"| {r.interpreter} | {r.corpus.name} | {r.requested_mode} x{r.workers} | "
                       f"{files / r.index_seconds:.1f} | {r.peak_rss / 2**20:.0f} | {r.max_connections} | "
                       f"{r.files_failed} |")
    return out


def _environment(run: rec.Run) -> list[str]:
    out = ["", "## Environment", ""]
    servers = {r.interpreter: r.runtime for r in run.records if isinstance(r, RunRecord)}
    for label, m in sorted(run.machines().items()):
        py = m.python
        out.append(f"- **{label}**: Python {py.version} {py.implementation}"
                   f"{' free-threaded' if py.free_threading_build else ''}; {m.cpu_model}, {m.cpu_count} CPUs, "
                   f"{(m.ram_bytes or 0) / 2**30:.0f} GiB; {m.os}; commit {(m.git_commit or '?')[:12]}; packages "
                   + ", ".join(f"{k} {v}" for k, v in m.packages.items() if v)
                   + ("" if label in servers else " (no completed run)"))
    return out


# -- HTML -------------------------------------------------------------------------------------
def _html(markdown: str, title: str) -> str:
    """A small, dependency-free rendering of the report's Markdown subset."""
    body: list[str] = []
    in_table = False
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            tag = "th" if not in_table else "td"
            if not in_table:
                body.append("<table>")
                in_table = True
            body.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("# "):
            body.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("!["):
            alt, src = line[2:].split("](", 1)
            body.append(f'<p><img src="{html.escape(src[:-1])}" alt="{html.escape(alt)}"></p>')
        elif line.startswith("- "):
            body.append(f"<p>&bull; {_inline(line[2:])}</p>")
        elif line.startswith("> "):
            body.append(f"<blockquote>{_inline(line[2:])}</blockquote>")
        elif line:
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}img{max-width:100%}"
             "blockquote{background:#fff3e0;padding:6px 12px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _inline(text: str) -> str:
    safe = html.escape(text).replace("&lt;br&gt;", "<br>")
    safe = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", safe)
    safe = re.sub(r"\*(.+?)\*", r"<i>\1</i>", safe)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", safe)
