"""PNG plots for the report (matplotlib; presentation only). Each returns its path, or None
when the run has nothing to draw."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from codegraph_harness.records import Record, RunRecord  # noqa: E402
from codegraph_harness.verdict import stats  # noqa: E402

MODE_COLOURS = {"sequential": "#9e9e9e", "thread": "#1f77b4", "process": "#ff7f0e", "interpreter": "#9467bd",
                "auto": "#2ca02c", "dask": "#8c564b"}
PHASE_COLOURS = {"discover": "#e0e0e0", "connect": "#cfd8dc", "start_workers": "#ffe0b2", "parse_write": "#c8e6c9",
                 "resolve": "#bbdefb", "edges": "#f8bbd0", "cleanup": "#eeeeee"}
MODE_ORDER = ["thread", "process", "interpreter", "dask", "auto"]


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _corpora_with(records: Sequence[Record], keep: Any) -> list[tuple[str, int]]:
    seen = {(r.corpus.name, r.corpus.files) for r in stats.runs(records) if keep(r)}
    return sorted(seen, key=lambda c: c[1])


def speedup(records: Sequence[Record], path: Path, *, cores: int, thresholds: dict[str, float],
            min_files: int) -> Path | None:
    """Per corpus with parallel cells: bars of speedup over sequential (geometric mean, 95%
    interval) per interpreter and mode, the machine's ceiling as an outline beside each bar,
    and the thresholds that apply to codebases over `min_files` files."""
    pairs = stats.pairs(records)
    corpora = [c for c in _corpora_with(records, lambda r: r.requested_mode not in ("sequential", "auto")
                                        or r.mode != "sequential")]
    if not pairs or not corpora:
        return None
    widest = max(len({k[0] for k in pairs if k[1] == c}) * len({k[3] for k in pairs if k[1] == c})
                 for c, _ in corpora)
    fig, axes = plt.subplots(len(corpora), 1, figsize=(max(10.0, 0.5 * widest + 3), 3.4 * len(corpora)),
                             squeeze=False)
    handles: dict[str, Any] = {}
    for ax, (corpus, files) in zip(axes[:, 0], corpora, strict=True):
        cells = {k: v for k, v in pairs.items() if k[1] == corpus}
        interps = sorted({k[0] for k in cells})
        modes = [m for m in MODE_ORDER if any(k[3] == m for k in cells)]
        width = 0.8 / max(1, len(modes))
        top = 1.0
        for i, interp in enumerate(interps):
            present = [m for m in modes if any(k[0] == interp and k[3] == m for k in cells)]  # no gaps
            for j, mode in enumerate(present):
                ps = [p for k, v in cells.items() if k[0] == interp and k[3] == mode for p in v]
                iv, ceiling = stats.speedup(ps), stats.ceilings(ps, cores)
                if iv is None:
                    continue
                x = i + (j - (len(present) - 1) / 2) * width
                chosen = {p.run.mode for p in ps}
                name = mode if mode != "auto" or chosen == {"auto"} else f"auto ({'/'.join(sorted(chosen))})"
                err = None if iv.n < 2 else [[iv.point - iv.low], [iv.high - iv.point]]
                bar = ax.bar(x, iv.point, width * 0.9, color=MODE_COLOURS.get(mode, "#777"), yerr=err, capsize=3)
                handles.setdefault(mode, bar)
                if ceiling:
                    c = ax.bar(x, ceiling, width * 0.9, fill=False, edgecolor="#333", linestyle="--", linewidth=0.8)
                    handles.setdefault("ceiling on this machine", c)
                    top = max(top, ceiling)
                top = max(top, iv.high if iv.n > 1 and math.isfinite(iv.high) else iv.point)
                # the value only: the ceiling is the outline (its number is in the report's table)
                ax.annotate(f"{iv.point:.2f}x", (x, iv.high if iv.n > 1 and math.isfinite(iv.high) else iv.point),
                            textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
                if name != mode:
                    ax.annotate(name.split(" ", 1)[1], (x, 0.05), ha="center", fontsize=6, rotation=90)
        ax.axhline(1.0, color="#555", linewidth=0.8)
        if files > min_files:
            for label, value in thresholds.items():
                line = ax.axhline(value, color="#c62828", linestyle=":" if "free" in label else "-.", linewidth=1)
                handles.setdefault(f"threshold: {label}", line)
                top = max(top, value)
        ax.set_xticks(range(len(interps)), interps)
        ax.set_ylim(0, top * 1.15)
        ax.set_ylabel("speedup over sequential")
        ax.set_title(f"{corpus} ({files} files)" + ("" if files > min_files else
                                                   f" — under {min_files} files: not judged for speedup"),
                     fontsize=10, loc="left")
    order = sorted(handles, key=lambda k: (k not in MODE_COLOURS, k.startswith("threshold"), k))
    fig.legend([handles[k] for k in order], order, loc="upper left", bbox_to_anchor=(1.0, 0.98), fontsize=8,
               title="bars: 95% interval of paired repeats", title_fontsize=8)
    fig.suptitle("Speedup over sequential, with this machine's ceiling", x=0.01, ha="left", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return _save(fig, path)


def auto_vs_sequential(records: Sequence[Record], path: Path, *, limit: float) -> Path | None:
    """auto's time over sequential's at each corpus size (interval per interpreter)."""
    pairs = stats.pairs(records)
    series: dict[str, list[tuple[int, stats.Interval, str]]] = defaultdict(list)
    for k, ps in pairs.items():
        if k[3] == "auto" and (iv := stats.slowdown(ps)) is not None:
            series[k[0]].append((ps[0].run.corpus.files, iv, "/".join(sorted({p.run.mode for p in ps}))))
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(9, 4))
    for n, (interp, pts) in enumerate(sorted(series.items())):
        pts.sort(key=lambda p: p[0])
        shift = 1 + 0.04 * (n - len(series) / 2)
        xs = [p[0] * shift for p in pts]
        ys = [p[1].point for p in pts]
        err = [[p[1].point - p[1].low if p[1].n > 1 else 0 for p in pts],
               [p[1].high - p[1].point if p[1].n > 1 else 0 for p in pts]]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=interp)
    chosen: dict[int, set[str]] = defaultdict(set)  # what auto chose at each size, on any interpreter
    for pts in series.values():
        for files, _, mode in pts:
            chosen[files].add(mode)
    ax.axhspan(0, limit, color="#c8e6c9", alpha=0.4, label=f"allowed (<= {limit:.2f})")
    ax.axhline(1.0, color="#555", linewidth=0.8)
    ax.set_xscale("log")
    sizes = sorted({p[0] for pts in series.values() for p in pts})
    ax.set_xticks(sizes, [f"{s}\n" + "\n".join(sorted(chosen[s])) for s in sizes], fontsize=8)
    ax.minorticks_off()
    finite = [v for pts in series.values() for p in pts for v in (p[1].low, p[1].high) if p[1].n > 1
              and math.isfinite(v)] + [p[1].point for pts in series.values() for p in pts]
    ax.set_ylim(min(0.5, min(finite) * 0.95), max(1.6, max(finite) * 1.05))  # never clip an interval
    ax.set_xlabel("files in the corpus (log scale), and the executor auto chose there")
    ax.set_ylabel("auto time / sequential time")
    ax.set_title("auto against sequential at every size (95% interval of paired repeats)", loc="left", fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def timeline(records: Sequence[Record], path: Path) -> Path | None:
    """One row per mode (first counted repeat of the corpus and interpreter with the most modes,
    the larger corpus on a tie): phases as bands, Bolt connections open, and the cores the
    indexer's processes and the database server used."""
    candidates = [r for r in stats.runs(records) if r.timeline and r.phases and r.repeat == 0]
    if not candidates:
        return None
    groups: dict[tuple[str, str, int], list[RunRecord]] = defaultdict(list)
    for r in candidates:
        groups[(r.interpreter, r.corpus.name, r.corpus.files)].append(r)
    interp, _, biggest = max(sorted(groups), key=lambda g: (len({r.requested_mode for r in groups[g]}), g[2]))
    by_interp = {interp: groups[max((g for g in groups if g[0] == interp and g[2] == biggest),
                                    key=lambda g: len(groups[g]))]}
    picked = sorted(by_interp[interp], key=lambda r: (["sequential", *MODE_ORDER].index(r.requested_mode)
                                                      if r.requested_mode in MODE_ORDER or r.requested_mode ==
                                                      "sequential" else 9, r.workers))
    end = max(r.timeline[-1][0] for r in picked)
    fig, axes = plt.subplots(len(picked), 1, figsize=(10, 1.7 * len(picked) + 0.6), sharex=True, squeeze=False)
    handles: dict[str, Any] = {}
    for ax, r in zip(axes[:, 0], picked, strict=True):
        offset = r.run_start  # the interpreter starts up before the run's clock does
        for p in r.phases:
            band = ax.axvspan(offset + p.start, offset + p.end, color=PHASE_COLOURS.get(p.name, "#eee"))
            handles.setdefault(p.name.replace("_", " "), band)
        t = [s[0] for s in r.timeline]
        (conn,) = ax.step(t, [s[2] for s in r.timeline], where="post", color="#c62828", linewidth=1.2)
        handles.setdefault("Bolt connections open", conn)
        busy = [0.0] + [(b[3] - a[3]) / (b[0] - a[0]) if b[0] > a[0] else 0.0
                        for a, b in zip(r.timeline, r.timeline[1:], strict=False)]
        (cpu,) = ax.plot(t, busy, color="#1a237e", linewidth=0.7, alpha=0.8)
        handles.setdefault("cores busy (indexer processes)", cpu)
        if all(len(s) > 4 and s[4] is not None for s in r.timeline):
            server = [0.0] + [(b[4] - a[4]) / (b[0] - a[0]) if b[0] > a[0] else 0.0
                              for a, b in zip(r.timeline, r.timeline[1:], strict=False)]
            (srv,) = ax.plot(t, server, color="#6a1b9a", linewidth=0.7, alpha=0.7, linestyle="--")
            handles.setdefault("cores busy (database server)", srv)
        ax.set_xlim(0, end)
        ax.set_ylim(0, max(3.0, r.max_connections + 1))
        ax.set_ylabel(f"{r.requested_mode}\nx{r.workers}" if r.requested_mode == r.mode
                      else f"{r.requested_mode} ({r.mode})\nx{r.workers}", rotation=0, ha="right", va="center",
                      fontsize=8)
        ax.text(end, ax.get_ylim()[1] * 0.85, f"{r.index_seconds:.1f}s ", ha="right", fontsize=8)
    axes[-1, 0].set_xlabel("seconds since the command started")
    order = [k for k in [p.replace("_", " ") for p in PHASE_COLOURS] if k in handles] + \
        [k for k in handles if k.replace(" ", "_") not in PHASE_COLOURS]
    fig.legend([handles[k] for k in order], order, loc="upper left", bbox_to_anchor=(1.0, 0.95), fontsize=8)
    fig.suptitle(f"Where the time goes: {picked[0].corpus.name} ({biggest} files) on {interp}", x=0.01, ha="left",
                 fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return _save(fig, path)


def memory(records: Sequence[Record], path: Path, *, thread_limit: float) -> Path | None:
    """Peak RSS of the whole process tree, per corpus, interpreter and mode (median of repeats),
    with the threads' limit drawn over each interpreter's sequential bar."""
    cells = stats.cells(records)
    corpora = sorted({(k[1], v[0].corpus.files) for k, v in cells.items() if len({x[3] for x in cells
                                                                                   if x[1] == k[1]}) > 2},
                     key=lambda c: c[1])
    if not corpora:
        return None
    fig, axes = plt.subplots(1, len(corpora), figsize=(4.5 * len(corpora) + 1.5, 3.6), squeeze=False)
    handles: dict[str, Any] = {}
    for ax, (corpus, files) in zip(axes[0], corpora, strict=True):
        keys = [k for k in cells if k[1] == corpus]
        interps = sorted({k[0] for k in keys})
        modes = [m for m in ["sequential", *MODE_ORDER] if any(k[3] == m for k in keys)]
        width = 0.8 / len(modes)
        for i, interp in enumerate(interps):
            for j, mode in enumerate(modes):
                rs = [r for k in keys if k[0] == interp and k[3] == mode for r in cells[k]]
                s = stats.spread(r.peak_rss / 2**20 for r in rs)
                if s is None:
                    continue
                x = i + (j - (len(modes) - 1) / 2) * width
                bar = ax.bar(x, s.median, width * 0.9, color=MODE_COLOURS.get(mode, "#777"))
                handles.setdefault(mode, bar)
                if mode == "sequential":
                    (line,) = ax.plot([i - 0.45, i + 0.45], [s.median * thread_limit] * 2, color="#c62828",
                                      linestyle="--", linewidth=1)
                    handles.setdefault(f"threads' limit ({thread_limit}x sequential)", line)
        ax.set_xticks(range(len(interps)), interps, fontsize=8)
        ax.set_title(f"{corpus} ({files} files)", fontsize=10, loc="left")
        ax.set_ylabel("peak RSS of the process tree (MiB)")
    fig.legend(list(handles.values()), list(handles), loc="upper left", bbox_to_anchor=(1.0, 0.95), fontsize=8)
    fig.tight_layout()
    return _save(fig, path)
