"""The collector paused, and the accumulated facts kept out of its sight, then given back."""

from __future__ import annotations

import gc
import threading

import pytest

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


def test_disposed_parts_are_freed_before_the_collector_resumes() -> None:
    freed_in: list[str] = []
    dispose: list[object] = []
    with gcpause.paused_gc(dispose):
        dispose.append([_Recorder(freed_in) for _ in range(5)])
    here = threading.current_thread().name
    assert freed_in == [f"{here}, collector off"] * 5 and not dispose  # here, before it came back
    assert gc.isenabled()


def test_the_collector_resumes_when_freeing_is_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(parts: list[object]) -> None:
        raise KeyboardInterrupt  # Ctrl+C while the solver is being freed

    monkeypatch.setattr(gcpause, "_free", interrupted)
    with pytest.raises(KeyboardInterrupt), gcpause.paused_gc([[1, 2, 3]]):
        pass
    assert gc.isenabled()


@pytest.mark.skipif(gcpause.BIASED_REFCOUNT, reason="free-threaded build: objects are freed by the thread that "
                                                   "made them, so the free happens in place")
def test_disposed_parts_go_to_a_helper_thread_while_the_caller_keeps_the_collector_paused() -> None:
    freed_in: list[str] = []
    with gcpause.paused_gc():
        with gcpause.paused_gc(dispose := [[_Recorder(freed_in) for _ in range(5)]]):
            pass
        helpers = [t for t in threading.enumerate() if t.name == "codegraph-free"]
        for thread in helpers:
            thread.join(10)
    assert freed_in == ["codegraph-free, collector off"] * 5 and not dispose


class _Recorder:
    """Records the thread that frees it."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __del__(self) -> None:
        self.log.append(threading.current_thread().name + ("" if gc.isenabled() else ", collector off"))


def test_keep_out_then_thaw() -> None:
    kept = [[i] for i in range(1000)]
    gcpause.keep_out()
    try:
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gcpause.thaw()
    assert gc.get_freeze_count() == 0


@pytest.mark.skipif(gcpause.BIASED_REFCOUNT, reason="free-threaded build: objects are freed by the thread that "
                                                   "made them, so the free happens in place (next test)")
def test_free_in_background_drops_every_part_in_its_thread() -> None:
    freed_in, thread = _free_parts(biased=False)
    assert thread is not None and not thread.is_alive()
    assert len(freed_in) == 2 * gcpause.SLICE + 8 and set(freed_in) == {"codegraph-free"}


def test_free_in_place_where_objects_go_back_to_their_thread() -> None:
    freed_in, thread = _free_parts(biased=True)
    assert thread is None
    assert len(freed_in) == 2 * gcpause.SLICE + 8 and set(freed_in) == {threading.current_thread().name}


def _free_parts(biased: bool) -> tuple[list[str], threading.Thread | None]:
    """Free a long list and a dict of objects that record the thread freeing them."""
    freed_in: list[str] = []

    class Big:
        def __del__(self) -> None:
            freed_in.append(threading.current_thread().name)

    # built in the call: no other reference to them
    thread = gcpause.free_in_background([[Big() for _ in range(2 * gcpause.SLICE + 7)], {"k": Big()}], biased=biased)
    if thread is not None:
        thread.join(10)
    return freed_in, thread
