"""Regressions planted into a measured run from outside the indexer, for the self-test.

    CODEGRAPH_PLANT=slow-workers python -m codegraph_harness.faults.plants index ROOT --json
    CODEGRAPH_PLANT=memory-growth python -m codegraph_harness.faults.plants leak ROOT 5

Importing this module patches the indexer in the running process, as `CODEGRAPH_PLANT`
says. It is also the `__main__` module of the run, so every worker process that
multiprocessing spawns imports it again (as `__mp_main__`) and is patched the same way.
Nothing in `indexer/` knows about plants: a release cannot ship with one switched on. This
is the one module of the harness that reaches into the indexer's internals, on purpose.

A plant acts only where its regression belongs: "in a worker" means a thread other than the
main thread, or a process whose parent is the run (sequential runs are never touched).
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

PLANTS: dict[str, str] = {
    "slow-workers": "parallel workers spend 10 ms more per file",
    "parallel-failures": "one file in six fails, only in parallel workers",
    "crash": "a parallel run's coordinator dies (exit 3) when it writes the last edges",
    "different-graph": "parallel workers write a different docstring for every module",
    "memory-growth": "each run keeps 48 MiB alive in the coordinator",
    # not regressions: faults that tests need at one exact moment
    "vanish-after-discovery": "vanishing.py is deleted between discovery and parsing",
    "broken-initializer": "every worker process or subinterpreter fails to start, as numpy did in a subinterpreter",
}
_kept: list[bytearray] = []  # what memory-growth keeps


def in_worker() -> bool:
    return multiprocessing.parent_process() is not None or threading.current_thread() is not threading.main_thread()


def _unlucky(relpath: str) -> bool:
    return hashlib.sha256(relpath.encode()).digest()[0] % 6 == 0


def install(name: str) -> None:
    """Patch the indexer of this process with the named regression."""
    from indexer import pipeline, worker

    if name == "slow-workers":
        index_batch = worker.Worker.index_batch

        @functools.wraps(index_batch)
        def slow(self: worker.Worker, batch: Sequence[Any]) -> Any:
            if in_worker():
                time.sleep(0.010 * len(batch))
            return index_batch(self, batch)

        worker.Worker.index_batch = slow  # type: ignore[method-assign]
    elif name in ("parallel-failures", "different-graph"):
        parse_file: Callable[..., Any] = worker.parse_file

        @functools.wraps(parse_file)
        def planted(src: Any, **kwargs: Any) -> Any:
            out = parse_file(src, **kwargs)
            if not in_worker() or not hasattr(out, "nodes"):
                return out
            if name == "parallel-failures" and _unlucky(src.relpath):
                from indexer import ErrorKind, FileError

                return FileError(src.relpath, ErrorKind.SYNTAX, "planted failure")
            if name == "different-graph":
                out.nodes[0].props["docstring"] = f"{out.nodes[0].props.get('docstring') or ''} (planted)"
            return out

        worker.parse_file = planted  # type: ignore[assignment]
    elif name == "crash":
        from indexer import edgewriter

        finish = edgewriter.EdgeWriter.finish

        @functools.wraps(finish)
        def crash(self: edgewriter.EdgeWriter, *args: Any, **kwargs: Any) -> Any:
            if self.team.mode != "sequential":
                print("planted crash: the coordinator exits", file=sys.stderr, flush=True)
                os._exit(3)
            return finish(self, *args, **kwargs)

        edgewriter.EdgeWriter.finish = crash  # type: ignore[method-assign]
    elif name == "memory-growth":
        run_index = pipeline.run_index

        @functools.wraps(run_index)
        def growing(*args: Any, **kwargs: Any) -> Any:
            block = bytearray(48 * 2**20)
            block[:: 4096] = b"x" * len(block[:: 4096])  # touch every page: resident, not just reserved
            _kept.append(block)
            return run_index(*args, **kwargs)

        pipeline.run_index = growing
        import codegraph_harness.measuring.runner as runner

        runner.run_index = growing  # type: ignore[attr-defined]
    elif name == "broken-initializer":
        init = worker.Worker.__init__

        @functools.wraps(init)
        def broken(self: worker.Worker, *args: Any, **kwargs: Any) -> None:
            if in_worker():  # a worker process's initializer builds its Worker: make that fail
                raise ImportError("planted: this module does not support loading in subinterpreters")
            init(self, *args, **kwargs)

        worker.Worker.__init__ = broken  # type: ignore[method-assign]
        from codegraph_harness.faults.refusing import refuse
        from indexer import workforce

        # subinterpreters import their initializer afresh: give them one that refuses
        workforce.quiet_syntax_warnings = refuse  # type: ignore[assignment]
    elif name == "vanish-after-discovery":
        discover = pipeline.discover

        @functools.wraps(discover)
        def then_delete(root: Any) -> Any:
            found = discover(root)
            os.unlink(os.path.join(root, "vanishing.py"))
            return found

        pipeline.discover = then_delete
    else:
        raise SystemExit(f"unknown plant {name!r}; plants: {', '.join(PLANTS)}")


_PLANT = os.environ.get("CODEGRAPH_PLANT")
if _PLANT:
    install(_PLANT)


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in ("index", "leak"):
        raise SystemExit("usage: python -m codegraph_harness.faults.plants index ARGS... | leak ROOT RUNS")
    if argv[0] == "leak":
        from codegraph_harness.measuring import runner

        return runner.main(argv[1:])
    from indexer.cli import main as cli_main

    return cli_main(list(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
