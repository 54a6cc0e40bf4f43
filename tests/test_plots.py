"""Every plot of the report draws from typed records (and says so when there is nothing to draw)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the report's plots need the 'report' extra of codegraph-harness")

from codegraph_harness.verdict import plots  # noqa: E402

from .builders import paired  # noqa: E402


def records() -> list:
    out = paired("3.12", "process", 2, [(10.0, 7.0), (10.2, 7.2), (9.9, 6.8)])
    out += paired("3.12", "thread", 2, [(10.0, 9.0), (10.2, 9.4), (9.9, 9.1)])
    out += paired("3.12", "auto", 2, [(1.0, 1.4), (1.1, 1.5), (0.9, 1.3)], corpus="small60", files=60,
                  chosen="process")
    for r in out:
        if r.repeat == 0:
            r.timeline = [[t / 10, 100 * 2**20, 1, t / 20, t / 40] for t in range(0, int(r.index_seconds * 10))]
    return out


def is_png(path: Path | None) -> bool:
    return path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_each_plot_is_a_png(tmp_path: Path) -> None:
    rs = records()
    assert is_png(plots.speedup(rs, tmp_path / "s.png", cores=2, thresholds={"GIL builds, processes": 1.5},
                                min_files=1000))
    assert is_png(plots.auto_vs_sequential(rs, tmp_path / "a.png", limit=1.05))  # 1.4x: the axis is not clipped
    assert is_png(plots.timeline(rs, tmp_path / "t.png"))
    assert is_png(plots.memory(rs, tmp_path / "m.png", thread_limit=1.3))


def test_nothing_to_draw_is_none(tmp_path: Path) -> None:
    assert plots.speedup([], tmp_path / "s.png", cores=2, thresholds={}, min_files=1000) is None
    assert plots.timeline([], tmp_path / "t.png") is None
    assert not (tmp_path / "s.png").exists()
