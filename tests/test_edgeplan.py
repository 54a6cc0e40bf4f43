from __future__ import annotations

import random
from collections import Counter

from indexer import edgeplan
from indexer.model import Edge


def edges(n: int, modules: int, seed: int = 1) -> list[Edge]:
    rng = random.Random(seed)
    out = set()
    while len(out) < n:
        a, b = rng.randrange(modules), rng.randrange(modules)
        src, dst = f"m{a:03}.py::f{rng.randrange(9)}", f"m{b:03}.py::g{rng.randrange(9)}"
        out.add(Edge("CALLS", "Function", src, "Function", dst))
    return sorted(out, key=lambda e: (e.src, e.dst))


def test_every_edge_is_written_once_and_create_follows_the_written_modules() -> None:
    es = edges(3000, 40)
    written = {f"m{i:03}.py" for i in range(0, 40, 2)}
    stages = edgeplan.plan(es, written, size=100, lanes=2)
    planned = [(e, b.create) for stage in stages for task in stage for b in task for e in b.edges]
    assert Counter(e for e, _ in planned) == Counter(es)
    assert all(create == (edgeplan.module_of(e.src) in written) for e, create in planned)
    assert all(len(b.edges) <= 100 for stage in stages for task in stage for b in task)


def test_tasks_of_a_stage_never_touch_the_same_modules() -> None:
    es = edges(5000, 60, seed=7)
    for lanes in (2, 3, 4):
        stages = edgeplan.plan(es, set(), size=200, lanes=lanes)
        assert len(stages) <= 2 * lanes - 1
        for stage in stages:
            assert len(stage) <= lanes
            touched = [{edgeplan.module_of(n) for b in task for e in b.edges for n in (e.src, e.dst)}
                       for task in stage]
            for i in range(len(touched)):
                for j in range(i + 1, len(touched)):
                    assert not touched[i] & touched[j], (lanes, i, j)


def test_round_robin_meets_every_pair_once() -> None:
    rounds = edgeplan.round_robin(6)
    pairs = [frozenset(p) for r in rounds for p in r]
    assert len(rounds) == 5 and len(pairs) == len(set(pairs)) == 15
    assert all(sorted(x for p in r for x in p) == list(range(6)) for r in rounds)


def test_one_lane_or_few_edges_is_one_stage_of_single_batches() -> None:
    es = edges(250, 5)
    (stage,) = edgeplan.plan(es, set(), size=100, lanes=1)
    assert [len(task) for task in stage] == [1, 1, 1]
    assert len(edgeplan.plan(es, set(), size=1000, lanes=2)) == 1
