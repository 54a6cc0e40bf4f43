"""Plan the writes of resolved edges so that parallel transactions do not collide.

Adding an edge changes both of its endpoints, and the embedded server detects conflicts per
page, so two transactions that add edges around the same nodes at the same time make one of
them start over (measured on the stdlib with 2 writers and batches cut at random: 8-28
retried transactions, and slower than one writer). The plan avoids that:

- modules (in path order, the order their nodes were written, so neighbouring modules share
  pages) are cut into 2 x lanes contiguous ranges of about equal edge counts;
- the edges from range i to range j form block (i, j);
- a round-robin over the ranges pairs them up into `lanes` disjoint pairs per stage; in a
  stage each lane writes the blocks between its two ranges (and, in the first stage, the
  blocks inside each of them), one batch after another, so no two lanes of a stage ever
  touch the same range. Stages run one after another.

Edges whose source module was written in this run are CREATEd; the rest are MERGEd.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from itertools import accumulate

from indexer.model import Edge, EdgeBatch

Task = list[EdgeBatch]  # written one after another by one worker
Stage = list[Task]  # tasks that run at the same time


def module_of(node_id: str) -> str:
    return node_id.partition("::")[0]


def batches(edges: Sequence[Edge], written: set[str], size: int) -> list[EdgeBatch]:
    """Edges sorted by source, cut into batches of `size`, CREATE and MERGE apart."""
    ordered = sorted(edges, key=lambda e: (e.src, e.type, e.dst))
    out: list[EdgeBatch] = []
    for create in (True, False):
        chosen = [e for e in ordered if (module_of(e.src) in written) == create]
        out += [EdgeBatch(chosen[i:i + size], create) for i in range(0, len(chosen), size)]
    return out


def ranges(edges: Sequence[Edge], count: int) -> tuple[list[str], list[int]]:
    """Modules in path order and the index where each of `count` ranges starts, balanced by
    how many edge endpoints each module has."""
    weight: dict[str, int] = defaultdict(int)
    for e in edges:
        weight[module_of(e.src)] += 1
        weight[module_of(e.dst)] += 1
    modules = sorted(weight)
    cum = list(accumulate(weight[m] for m in modules))
    total = cum[-1] if cum else 0
    starts = [0] + [bisect_right(cum, total * k / count) for k in range(1, count)]
    return modules, starts


def round_robin(players: int) -> list[list[tuple[int, int]]]:
    """Pairings of an even number of players so that every pair meets once (circle method)."""
    ring = list(range(players))
    rounds = []
    for _ in range(players - 1):
        rounds.append([(ring[i], ring[players - 1 - i]) for i in range(players // 2)])
        ring = [ring[0], ring[-1], *ring[1:-1]]
    return rounds


def plan(edges: Sequence[Edge], written: set[str], size: int, lanes: int) -> list[Stage]:
    """Stages of tasks (see the module docstring); one lane: one stage of one-batch tasks."""
    if lanes <= 1 or len(edges) < 2 * size:
        return [[[b] for b in batches(edges, written, size)]]
    count = 2 * lanes
    modules, starts = ranges(edges, count)
    position = {m: i for i, m in enumerate(modules)}

    def range_of(node_id: str) -> int:
        return bisect_right(starts, position[module_of(node_id)]) - 1

    blocks: dict[tuple[int, int], list[Edge]] = defaultdict(list)
    for e in edges:
        blocks[(range_of(e.src), range_of(e.dst))].append(e)
    stages: list[Stage] = []
    for n, pairing in enumerate(round_robin(count)):
        stage: Stage = []
        for a, b in pairing:
            mine = blocks.pop((a, b), []) + blocks.pop((b, a), [])
            if n == 0:
                mine += blocks.pop((a, a), []) + blocks.pop((b, b), [])
            if mine:
                stage.append(batches(mine, written, size))
        if stage:
            stages.append(stage)
    assert not blocks, "every block belongs to one pair of ranges"
    return stages
