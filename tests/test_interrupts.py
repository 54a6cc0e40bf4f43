from __future__ import annotations

import os
import signal
import threading

import pytest

from indexer import interrupts


def test_signal_inside_a_protected_call_is_raised_when_it_returns() -> None:
    restore = interrupts.install()
    try:
        reached_end = False
        with pytest.raises(KeyboardInterrupt), interrupts.protected():
            os.kill(os.getpid(), signal.SIGINT)
            reached_end = True  # the driver call runs to its end
        assert reached_end
        held: list[bool] = []

        def inner_call() -> None:
            with interrupts.protected():
                os.kill(os.getpid(), signal.SIGTERM)
            held.append(True)  # still inside the outer call: held

        with pytest.raises(interrupts.Terminated), interrupts.protected():
            inner_call()
        assert held == [True]
        with pytest.raises(KeyboardInterrupt):  # outside any call: at once
            os.kill(os.getpid(), signal.SIGINT)
            threading.Event().wait(1.0)
    finally:
        restore()


def test_other_threads_are_not_held() -> None:
    entered: list[bool] = []

    def worker() -> None:
        with interrupts.protected():
            entered.append(interrupts._depth == 0)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert entered == [True]
