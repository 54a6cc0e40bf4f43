"""PNG plots for the report (matplotlib, presentation only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from codegraph_harness.verdict import stats  # noqa: E402

Record = dict[str, Any]


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def throughput(records: list[Record], path: Path) -> Path | None:
    data = stats.throughput(records)
    if not data:
        return None
    keys = sorted(data)
    labels = [f"{i}\n{c}\n{m} x{w}" for i, c, w, m in keys]
    fig, ax = plt.subplots(figsize=(max(6, 0.75 * len(keys)), 4.5))
    med = [data[k].median for k in keys]
    err = [[data[k].median - data[k].low for k in keys], [data[k].high - data[k].median for k in keys]]
    palette = {"sequential": "#888888", "thread": "#1f77b4", "process": "#ff7f0e", "auto": "#2ca02c"}
    colors = [palette.get(k[3], "#9467bd") for k in keys]
    ax.bar(range(len(keys)), med, yerr=err, color=colors, capsize=3)
    ax.set_xticks(range(len(keys)), labels, fontsize=7)
    ax.set_ylabel("files per second (median, min-max)")
    ax.set_title("Throughput by interpreter, corpus and mode")
    return _save(fig, path)


def speedup(records: list[Record], path: Path) -> Path | None:
    ups = stats.speedups(records)
    series: dict[tuple[str, str, str], list[tuple[int, float, float, float]]] = {}
    for (interp, corpus, workers, mode), s in ups.items():
        if mode != "sequential":
            series.setdefault((interp, corpus, mode), []).append((workers, s.median, s.low, s.high))
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (interp, corpus, mode), pts in sorted(series.items()):
        pts.sort()
        xs = [p[0] for p in pts]
        ax.errorbar(xs, [p[1] for p in pts], yerr=[[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]],
                    marker="o", capsize=3, label=f"{interp} {corpus} {mode}")
    ax.axhline(1.0, color="#888888", linewidth=0.8)
    ax.set_xlabel("workers")
    ax.set_ylabel("speedup over sequential (same repeat)")
    ax.set_title("Speedup against workers")
    ax.legend(fontsize=7)
    return _save(fig, path)


def memory(records: list[Record], path: Path) -> Path | None:
    data = stats.peak_rss(records)
    if not data:
        return None
    keys = sorted(data)
    fig, ax = plt.subplots(figsize=(max(6, 0.75 * len(keys)), 4.5))
    ax.bar(range(len(keys)), [data[k].median / 2**20 for k in keys], color="#1f77b4")
    ax.set_xticks(range(len(keys)), [f"{i}\n{c}\n{m} x{w}" for i, c, w, m in keys], fontsize=7)
    ax.set_ylabel("peak RSS of the process tree (MiB)")
    ax.set_title("Peak memory")
    return _save(fig, path)


def connections(records: list[Record], path: Path) -> Path | None:
    """Bolt connections open over one run per mode (the first counted repeat of the largest corpus)."""
    runs = [r for r in stats.runs(records) if r.get("rss_timeline") and r["repeat"] == 0]
    if not runs:
        return None
    biggest = max(r["corpus"]["files"] for r in runs)
    picked = [r for r in runs if r["corpus"]["files"] == biggest]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in sorted(picked, key=lambda r: (r["interpreter"], r["mode"], r["workers"])):
        t = [p[0] for p in r["rss_timeline"]]
        requested = r.get("requested_mode", r["mode"])
        mode = requested if requested == r["mode"] else f"{requested} ({r['mode']})"
        ax.step(t, [p[2] for p in r["rss_timeline"]], where="post",
                label=f"{r['interpreter']} {mode} x{r['workers']} (pool {r['connections']['pool_size']})")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("Bolt connections open to the server")
    ax.set_title(f"Connections over time ({picked[0]['corpus']['name']})")
    ax.legend(fontsize=7)
    return _save(fig, path)
