from __future__ import annotations

import sys

import pytest

from indexer import runtime
from indexer.runtime import RuntimeFacts, decide


def facts(version: tuple[int, int], ft: bool, gil: bool, cpus: int = 8) -> RuntimeFacts:
    return RuntimeFacts(version, ft, gil, version >= (3, 14), cpus)


@pytest.mark.parametrize(
    ("version", "ft", "gil", "expected"),
    [
        ((3, 10), False, True, "process"),
        ((3, 11), False, True, "process"),
        ((3, 12), False, True, "process"),
        ((3, 13), False, True, "process"),
        ((3, 14), False, True, "interpreter"),  # subinterpreters: measured faster to start, less memory
        ((3, 13), True, False, "thread"),
        ((3, 14), True, False, "thread"),
        ((3, 13), True, True, "thread"),  # GIL forced back on: warn, keep threads
        ((3, 14), True, True, "thread"),
    ],
)
def test_auto_decision_table(version, ft, gil, expected) -> None:
    decision = decide("auto", 500, 4, facts=facts(version, ft, gil))
    assert (decision.mode, decision.workers) == (expected, 4)
    assert decision.reason


def test_auto_goes_sequential_for_small_or_single_or_disabled() -> None:
    f = facts((3, 14), True, False)
    assert decide("auto", 49, 4, min_files=50, facts=f).mode == "sequential"
    assert decide("auto", 50, 4, min_files=50, facts=f).mode == "thread"
    assert decide("auto", 500, 1, facts=f).mode == "sequential"
    off = decide("auto", 500, 4, parallel_enabled=False, facts=f)
    assert (off.mode, off.reason) == ("sequential", "PARALLEL_INDEXING_ENABLED=false")


def test_explicit_modes_and_interpreter_fallback() -> None:
    assert decide("process", 5, 3, facts=facts((3, 14), True, False)).mode == "process"
    assert decide("sequential", 500, 8, facts=facts((3, 12), False, True)).workers == 1
    assert decide("interpreter", 500, 4, facts=facts((3, 14), False, True)).mode == "interpreter"
    old = decide("interpreter", 500, 4, facts=facts((3, 12), False, True))
    assert old.mode == "process" and "3.14" in old.reason


def test_helper_functions_on_this_interpreter() -> None:
    here = RuntimeFacts.current()
    assert here.version == sys.version_info[:2]
    assert runtime.is_free_threading_available() == here.free_threading_build
    assert runtime.should_use_threads(here) == (here.free_threading_build and not here.gil_enabled)
    assert 1 <= runtime.get_optimal_worker_count(here) <= 8
    assert runtime.get_optimal_worker_count(facts((3, 14), True, False, cpus=64)) == 8
    if not here.free_threading_build:
        assert runtime.is_gil_enabled()


def test_gil_reenabled_warning() -> None:
    start = facts((3, 14), True, False)
    assert runtime.gil_reenabled_warning(start, facts((3, 14), True, False)) is None
    text = runtime.gil_reenabled_warning(start, facts((3, 14), True, True))
    assert text is not None and "re-enabled" in text
    assert runtime.gil_reenabled_warning(facts((3, 12), False, True), facts((3, 12), False, True)) is None


def test_label() -> None:
    assert facts((3, 14), True, False).label == "3.14t"
    assert facts((3, 12), False, True).label == "3.12"
