"""Deliver Ctrl+C and SIGTERM at safe points.

A KeyboardInterrupt raised asynchronously inside the neo4j driver can leave a connection
mid-protocol (seen here: the driver swallowed it during cleanup and the next transaction
failed with "BEGIN not expected in state: TX_READY"). So while the main thread is inside a
driver call (`protected()`), a signal only records the interrupt; it is raised as soon as
that call returns — after at most one transaction attempt.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl+C but reported with its own exit status."""


_pending: type[KeyboardInterrupt] | None = None
_depth = 0


def _handler(kind: type[KeyboardInterrupt]) -> Callable[[int, FrameType | None], None]:
    def handle(signum: int, frame: FrameType | None) -> None:
        global _pending
        if _depth > 0:
            _pending = kind
            return
        raise kind()

    return handle


def install() -> Callable[[], None]:
    """Route SIGINT and SIGTERM through the safe-point handler; returns a function that restores."""
    global _pending
    _pending = None
    previous = {sig: signal.signal(sig, _handler(kind))
                for sig, kind in ((signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated))}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


@contextmanager
def protected() -> Iterator[None]:
    """Hold interrupts while the main thread is inside a driver call; other threads pass."""
    global _depth, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending is not None:
            kind, _pending = _pending, None
            raise kind()
