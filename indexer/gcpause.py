"""The cyclic garbage collector paused around work that allocates millions of objects.

Parsing (syntax trees) and resolution (the solver's sets) allocate so many containers that
the collector keeps triggering, and each collection rescans everything the run holds, while
what they allocate is freed by reference counting. Measured on the stdlib (3.11): parsing
22 s -> 16 s, resolution 33 s -> 12.5 s with the collector paused. Stdlib only.
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
