"""The collector paused, and the accumulated facts kept out of its sight, then given back."""

from __future__ import annotations

import gc

from indexer import gcpause


def test_paused_gc_restores_the_previous_state() -> None:
    assert gc.isenabled()
    with gcpause.paused_gc():
        assert not gc.isenabled()
        with gcpause.paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause does not re-enable it
    assert gc.isenabled()
    gc.disable()
    try:
        with gcpause.paused_gc():
            pass
        assert not gc.isenabled()  # disabled before: stays disabled
    finally:
        gc.enable()


def test_keep_out_then_thaw() -> None:
    kept = [[i] for i in range(1000)]
    gcpause.keep_out()
    try:
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gcpause.thaw()
    assert gc.get_freeze_count() == 0


def test_free_in_background_drops_every_part_in_its_thread() -> None:
    import threading

    freed_in: list[str] = []

    class Big:
        def __del__(self) -> None:
            freed_in.append(threading.current_thread().name)

    count = gcpause.SLICE * 2 + 7
    thread = gcpause.free_in_background([[Big() for _ in range(count)], {"k": Big()}])  # no other reference
    thread.join(10)
    assert not thread.is_alive()
    assert len(freed_in) == count + 1 and set(freed_in) == {"codegraph-free"}
