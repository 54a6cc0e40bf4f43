"""The cyclic garbage collector kept away from work that allocates millions of objects.

Parsing (syntax trees) and resolution (the solver's sets) allocate so many containers that
the collector keeps triggering, and each collection rescans everything the run holds, while
what they allocate is freed by reference counting. Measured on the stdlib (3.11): parsing
44 s -> 22 s (paused per file) -> 18 s (GC off), resolution 33 s -> 12.5 s with the collector
paused. The facts a run accumulates for resolution hold no cycles: `keep_out` moves them out
of the collector's sight (`gc.freeze`) so later collections do not rescan them, and `thaw`
gives everything back at the end of the run. Stdlib only.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic collections inside; the previous state is restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def keep_out() -> None:
    """What this process holds now is long-lived and acyclic: collections skip it from now on."""
    gc.freeze()


def thaw() -> None:
    """Undo `keep_out`: what it kept out is collectable again (at the end of a run)."""
    gc.unfreeze()
