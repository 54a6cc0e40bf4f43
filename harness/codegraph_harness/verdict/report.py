"""`codegraph report RUN_DIR`: REPORT.md and report.html with plots, verdict first."""

from __future__ import annotations

import html
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegraph_harness import records as results
from codegraph_harness.verdict import criteria as crit
from codegraph_harness.verdict import plots, stats

Record = dict[str, Any]


@dataclass
class Report:
    verdict: str
    verdicts: list[crit.Verdict]
    markdown: Path
    html: Path


def _records(run_dir: Path) -> tuple[list[Record], list[dict[str, Any]]]:
    docs = results.load_records(run_dir)
    return [d["record"] for d in docs], docs


def _not_run_reasons(records: list[Record], expected: list[str]) -> dict[str, str]:
    ran = {r["interpreter"] for r in stats.runs(records)}
    reasons = {r["interpreter"]: r["reason"] for r in records if r.get("kind") == "not-run"}
    for label in expected:
        if label not in ran and label not in reasons:
            found = shutil.which(f"python{label}")
            reasons[label] = ("interpreter not found" if found is None
                              else "no results (its run failed or was not requested)")
    return {k: v for k, v in reasons.items() if k not in ran}


def build(run_dir: Path, criteria_path: Path = crit.DEFAULT) -> Report:
    records, docs = _records(run_dir)
    spec = crit.load(criteria_path)
    expected = list(spec.get("interpreters", []))
    not_run = _not_run_reasons(records, expected)
    records += [{"kind": "not-run", "interpreter": k, "reason": v} for k, v in not_run.items()
                if not any(r.get("kind") == "not-run" and r["interpreter"] == k for r in records)]
    machines = {d["record"].get("interpreter", "?"): d["machine"] for d in docs}
    cores = min((m.get("cpu_count") or 1 for m in machines.values()), default=os.cpu_count() or 1)
    local = any(r.get("server", {}).get("provider") in ("embedded", "neo4j-container") for r in stats.runs(records))
    verdicts = crit.evaluate(records, spec, cores=cores, local_server=local)
    verdict = crit.overall(verdicts)
    pngs = {name: fn(records, run_dir / f"{name}.png") for name, fn in
            (("throughput", plots.throughput), ("speedup", plots.speedup), ("memory", plots.memory),
             ("connections", plots.connections))}
    md = _markdown(run_dir, verdict, verdicts, records, expected, not_run, machines, pngs, spec)
    (run_dir / "REPORT.md").write_text(md)
    (run_dir / "report.html").write_text(_html(md, run_dir.name))
    return Report(verdict, verdicts, run_dir / "REPORT.md", run_dir / "report.html")


def _markdown(run_dir: Path, verdict: str, verdicts: list[crit.Verdict], records: list[Record], expected: list[str],
              not_run: dict[str, str], machines: dict[str, Any], pngs: dict[str, Path | None],
              spec: dict[str, Any]) -> str:
    counts = {s: sum(v.status == s for v in verdicts) for s in (crit.GO, crit.NOGO, crit.INCONCLUSIVE)}
    out = [f"# Parallel indexing go/no-go: **{verdict}**", "",
           f"Run `{run_dir.name}` — {counts[crit.GO]} GO, {counts[crit.NOGO]} NO-GO, "
           f"{counts[crit.INCONCLUSIVE]} INCONCLUSIVE (criteria version {spec.get('version')}).", ""]
    if verdict != crit.GO:
        out += ["Why: " + "; ".join(f"{v.title.split(':')[0]} — {v.status}: {v.detail}" for v in verdicts
                                    if v.status != crit.GO), ""]
    out += ["## Criteria", "", "| criterion | verdict | numbers |", "|---|---|---|"]
    for v in verdicts:
        numbers = "<br>".join([v.detail, *v.numbers])
        out.append(f"| {v.title} | **{v.status}** | {numbers} |")
    out += ["", "## Interpreters", "", "| interpreter | status |", "|---|---|"]
    ran = {r["interpreter"] for r in stats.runs(records)}
    for label in [*expected, *sorted(ran - set(expected))]:
        status = "measured" if label in ran else f"not run: {not_run.get(label, 'no results')}"
        out.append(f"| {label} | {status} |")
    failed = [r for r in records if r.get("kind") == "failed"]
    if failed:
        out += ["", "Failed runs:", *[f"- {r['interpreter']} {r['corpus']['name']} {r['mode']}: {r['error'][:300]}"
                                     for r in failed]]
    tp, ups, rss = stats.throughput(records), stats.speedups(records), stats.peak_rss(records)
    out += ["", "## Throughput, speedup and memory", "",
            "Medians over repeats with min-max; speedups are taken within each repeat against that repeat's "
            f"sequential run. *noisy* = repeats spread more than {stats.NOISE:.0%}.", "",
            "| interpreter | corpus | files | mode | workers | files/s | speedup | peak RSS MiB | max conns "
            "| retries |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(tp):
        interp, corpus, workers, mode = key
        cell = stats.cells(records)[key]
        t, s, m = tp[key], ups.get(key), rss[key]
        noisy = " *noisy*" if t.noisy else ""
        chosen = cell[0]["mode"]
        shown = f"{mode} ({chosen})" if chosen != mode else mode
        out.append(f"| {interp} | {corpus} | {cell[0]['corpus']['files']} | {shown} | {workers} | {t.text('{:.1f}')}"
                   f"{noisy} | {s.text() + 'x' if s and mode != 'sequential' else '-'} | "
                   f"{m.median / 2**20:.0f} | {max(r['connections']['max_open'] for r in cell)} | "
                   f"{sum(r['connections']['retries'] for r in cell)} |")
    for name, caption in (("throughput", "Throughput"), ("speedup", "Speedup against workers"),
                          ("memory", "Peak memory"), ("connections", "Connections open over time")):
        if pngs.get(name):
            out += ["", f"![{caption}]({name}.png)"]
    leaks = [r for r in records if r.get("kind") == "leak"]
    if leaks:
        out += ["", "## Leak check", "",
                "| interpreter | mode | RSS after each run (MiB) | growth | open Bolt connections |",
                "|---|---|---|---|---|"]
        for r in leaks:
            sizes = ", ".join(f"{x / 2**20:.0f}" for x in r["rss"])
            out.append(f"| {r['interpreter']} | {r['mode']} x{r['workers']} | {sizes} | {r['growth']:+.1%} | "
                       f"{r['open_connections']} |")
    out += _reliability(records)
    out += ["", "## Environment", ""]
    for label, m in sorted(machines.items()):
        server: dict[str, Any] = next((r["server"] for r in stats.runs(records) if r["interpreter"] == label), {})
        out += [f"- **{label}**: Python {m['python']['version']} {m['python']['implementation']}"
                f"{' free-threaded' if m['python']['free_threading_build'] else ''}; {m['cpu_model']}, "
                f"{m['cpu_count']} CPUs, {(m['ram_bytes'] or 0) / 2**30:.0f} GiB; {m['os']}; "
                f"server {server.get('provider', '?')} {server.get('flavour', '')} {server.get('version', '')}; "
                f"commit {(m.get('git_commit') or '?')[:12]}; packages "
                + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)]
    return "\n".join(out) + "\n"


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
        elif line:
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _inline(text: str) -> str:
    import re

    safe = html.escape(text).replace("&lt;br&gt;", "<br>")
    safe = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", safe)
    safe = re.sub(r"\*(.+?)\*", r"<i>\1</i>", safe)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", safe)


def _reliability(records: list[Record]) -> list[str]:
    out = ["", "## Reliability", ""]
    fault_runs = [r for r in records if r.get("kind") == "fault"]
    bad = [r for r in records if r.get("kind") == "bad-input"]
    load = [r for r in stats.runs(records) if r["corpus"]["files"] >= 10_000]
    if not (fault_runs or bad or load):
        return [*out, "Not run in this bench: `codegraph bench --reliability` adds database faults, a server "
                      "restart and bad input in every mode; the full bench adds the xlarge load test."]
    lost = sum(1 for r in fault_runs if r["data_lost"])
    hangs = sum(1 for r in fault_runs if r["hung"])
    survived = sum(1 for r in fault_runs if r["acceptable"])
    out += [f"Faults injected: {len(fault_runs)}, survived: {survived}; data lost: **{lost}**; hangs: **{hangs}**; "
            f"bad-input runs as expected: {sum(1 for r in bad if r['as_expected'])} of {len(bad)}.", ""]
    if fault_runs:
        out += ["| interpreter | fault | mode | outcome | seconds | proxy |", "|---|---|---|---|---|---|"]
        for r in fault_runs:
            if r["hung"]:
                what = "**hung**"
            elif r["completed"]:
                what = "completed, clean digest" if r["digest_ok"] else "**completed with another digest**"
            else:
                what = (f"stopped: {r['error'][:120]}; re-run "
                        + ("gave the clean digest" if r["rerun_ok"] else "**failed**"))
            proxy = ", ".join(f"{k} {v}" for k, v in r["proxy"].items() if v)
            out.append(f"| {r['interpreter']} | {r['fault']} | {r['mode']} | {what} | {r['seconds']} | {proxy} |")
    if bad:
        out += ["", "Bad inputs tried in every mode: " + ", ".join(f"`{n}`" for n in bad[0]["inputs"]), "",
                "| interpreter | mode | exit | as expected | errors |", "|---|---|---|---|---|"]
        for r in bad:
            errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items()))
            out.append(f"| {r['interpreter']} | {r['mode']} x{r['workers']} | {r['exit_code']} | "
                       f"{'yes' if r['as_expected'] else '**no**'} | {errors} |")
    if load:
        out += ["", "Load (codebases of 10,000+ files):", "",
                "| interpreter | corpus | mode | files/s | peak RSS MiB | max conns | failed files |",
                "|---|---|---|---|---|---|---|"]
        for r in load:
            out.append(f"| {r['interpreter']} | {r['corpus']['name']} | {r['requested_mode']} x{r['workers']} | "
                       f"{r['files_per_s']:.1f} | {r['peak_rss'] / 2**20:.0f} | {r['connections']['max_open']} | "
                       f"{r['files']['failed']} |")
    return out
