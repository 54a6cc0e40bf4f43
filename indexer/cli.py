"""`codegraph`: index a codebase, inspect the graph, run the project's embedded database.

Other installed packages add commands through the entry point group `codegraph.commands`:
each entry is a function `register(subparsers, common_parser)`.

Exit status: 0 done (files whose code could not be parsed are listed in the summary), 1 the
run could not complete or some files could not be written (database unreachable, ...), 2
invalid configuration or usage, 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from indexer import __version__, interrupts, project, runtime
from indexer.config import MODES, ConfigError, Settings, load_settings, pool_warning
from indexer.discover import check_root
from indexer.model import INFRASTRUCTURE_ERRORS
from indexer.pool import ClusterUnreachable
from indexer.redact import redacting
from indexer.server import ServerError
from indexer.store import DatabaseError, GraphStore

log = logging.getLogger("codegraph")

EXIT_FAILED, EXIT_USAGE, EXIT_SIGINT, EXIT_SIGTERM = 1, 2, 130, 143
PLUGIN_GROUP = "codegraph.commands"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines on stderr; with a progress bar on the terminal, each line is written above it
    (`around` moves the bar out of the way and draws it again) instead of through it."""

    def __init__(self, around: Callable[[], AbstractContextManager[Any]] | None = None) -> None:
        super().__init__(sys.stderr)
        self.around = around

    def emit(self, record: logging.LogRecord) -> None:
        with self.around() if self.around is not None else nullcontext():
            super().emit(record)


def setup_logging(verbosity: int, secrets: tuple[str, ...],
                  around: Callable[[], AbstractContextManager[Any]] | None = None) -> None:
    """Log to stderr at the verbosity asked, with `secrets` redacted; `around`: see _StderrHandler."""
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    handler = redacting(_StderrHandler(around), secrets)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # the driver logs every retried transaction as a warning: they are counted in the summary
    logging.getLogger("neo4j").setLevel(logging.ERROR if verbosity < 1 else logging.WARNING if verbosity < 2
                                        else logging.DEBUG)


def resolve_settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "NEO4J_URI": getattr(args, "uri", None),
        "INDEXING_MODE": getattr(args, "mode", None),
        "MAX_WORKERS": getattr(args, "workers", None),
        "DASK_SCHEDULER_ADDRESS": getattr(args, "scheduler", None),
        "NEO4J_MAX_CONNECTION_POOL_SIZE": getattr(args, "pool_size", None),
        "EMBED_MODE": getattr(args, "embed", None),
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    settings = load_settings(overrides)
    if settings.uri is None:
        handle = project.running()
        if handle is not None:
            settings = load_settings({**handle.env(), **overrides})
    return settings


def _need_database(settings: Settings) -> None:
    if settings.uri is None:
        raise DatabaseError(
            "no graph database configured: run `codegraph db start` for a local one, "
            "or set NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD)"
        )


# -- index --------------------------------------------------------------------------------
def cmd_index(args: argparse.Namespace) -> int:
    from indexer import pipeline

    settings = resolve_settings(args)
    bar = _progress_bar(args)
    setup_logging(args.verbose - args.quiet, settings.secrets(),
                  bar.writing if bar else None)
    check_root(args.path)  # (said before a missing database: it is the first thing to fix)
    _need_database(settings)
    restore = interrupts.install()
    ended = "stopped"  # what the bar's last line says (a failure's message follows it)
    try:
        summary = pipeline.run_index(args.path, settings, clear=args.clear, prune=args.prune,
                                     progress=bar.update if bar else None,
                                     on_phase=bar.phase if bar else None)
        ended = "indexed"
    except pipeline.WrongFolder as exc:
        print(f"codegraph: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except pipeline.IndexInterrupted as stop:
        if bar:
            bar.close("interrupted")
        _print_summary(stop.summary, args.json)
        print(f"interrupted: at least {stop.summary.counters.files_indexed} files were written before the stop "
              "(workers may have committed more); run the same command again to finish: stored files are skipped",
              file=sys.stderr)
        code = EXIT_SIGTERM if isinstance(stop.__context__, interrupts.Terminated) else EXIT_SIGINT
        if stop.workers_running:  # a thread is still inside the driver: leave now, the OS closes sockets
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    finally:
        restore()
        if bar:
            bar.close(ended)  # (a second close does nothing)
    _print_summary(summary, args.json)
    unwritten = sum(n for kind, n in summary.errors_by_type.items() if kind in INFRASTRUCTURE_ERRORS)
    if unwritten:
        print(f"codegraph: {unwritten} files could not be written ({', '.join(sorted(INFRASTRUCTURE_ERRORS))}); "
              "see the errors above and run the same command again to finish", file=sys.stderr)
        return EXIT_FAILED
    return 0


#: What the progress bar says during the phases of a run that come once it shows (it appears
#: with the first files written). After the files, resolution and the last edges take seconds
#: (10-20 s on 12,000 files): the bar says so.
PHASE_LABELS = {"parse_write": "indexing", "resolve": "resolving calls", "edges": "writing edges",
                "cleanup": "cleaning up"}


class _Bar:
    def __init__(self) -> None:
        from tqdm import tqdm

        self.tqdm: Any = None
        self.factory: Any = tqdm  # (the tqdm class: bars, and `external_write_mode`)
        self.label = PHASE_LABELS["parse_write"]

    def update(self, done: int, total: int) -> None:
        if self.tqdm is None:
            self.tqdm = self.factory(total=total, unit="file", desc=self.label, file=sys.stderr, smoothing=0.1)
        self.tqdm.update(done - self.tqdm.n)

    def writing(self) -> AbstractContextManager[Any]:
        """Around a line written to the terminal: the bar is cleared, then drawn again below it."""
        if self.tqdm is None:
            return nullcontext()
        return self.factory.external_write_mode(file=sys.stderr)  # type: ignore[no-any-return]

    def phase(self, name: str) -> None:
        """A phase of the run starts: the bar says what is going on once the files are done."""
        self.label = PHASE_LABELS.get(name, name)
        if self.tqdm is not None:
            self.tqdm.set_description(self.label)

    def close(self, label: str) -> None:
        """The run ended: the bar's last line says how (indexed, interrupted, stopped)."""
        if self.tqdm is not None:
            self.tqdm.set_description(label, refresh=False)
            self.tqdm.close()
            self.tqdm = None


def _progress_bar(args: argparse.Namespace) -> _Bar | None:
    if args.json or args.quiet or not sys.stderr.isatty():
        return None
    return _Bar()


def _print_summary(summary: Any, as_json: bool) -> None:
    data = summary.to_dict()
    if as_json:
        print(json.dumps(data, indent=2))
        return
    c = summary.counters
    lines = [
        f"{'interrupted' if summary.interrupted else 'indexed'} {summary.root}",
        f"  files      {c.files_indexed} written, {c.files_unchanged} unchanged, "
        f"{summary.files_failed} failed, {summary.files_removed} removed (of {summary.files_total})",
    ]
    for kind, n in summary.errors_by_type.items():
        lines.append(f"    {kind:<16} {n}")
    for err in summary.errors[:20]:
        lines.append(f"      {err['path']}: {err['type']}: {err['message']}")
    if len(summary.errors) > 20:
        lines.append(f"      ... {len(summary.errors) - 20} more (use --json for all)")
    references = ("; resolved " + ", ".join(f"{k} {v}" for k, v in sorted(summary.edges_resolved.items()))
                  + "; unresolved " + ", ".join(f"{k} {v}" for k, v in sorted(summary.unresolved.items()))
                  if summary.edges_resolved or summary.unresolved else "; references not resolved (the run "
                  "stopped before)")
    lines += [
        f"  graph      {c.nodes_written} nodes and {c.edges_written} edges written{references}",
        f"  time       {summary.wall_time:.1f}s, {_rate(summary.files_per_s)} files/s, "
        f"{_rate(summary.lines_per_s)} lines/s",
        f"  executor   {summary.mode} x{summary.workers} ({summary.reason}), pool {summary.pool_size}",
        "  phases     " + ", ".join(f"{p.name} {p.end - p.start:.1f}s" for p in summary.phases),
        f"  database   {summary.server.get('flavour', '?')} {summary.server.get('version', '')} "
        f"(PackStream in {summary.packstream}); retries {c.retries}, acquisition timeouts "
        f"{c.acquisition_timeouts}, connection failures {c.connection_failures}",
    ]
    lines += [f"  warning    {w}" for w in summary.warnings]
    print("\n".join(lines))


def _rate(per_s: float) -> str:
    return f"{per_s:.1f}" if per_s < 10 else f"{per_s:.0f}"  # (4 files in 16 s is not "0 files/s")


# -- stats --------------------------------------------------------------------------------
def cmd_stats(args: argparse.Namespace) -> int:
    from indexer import graphstats

    settings = resolve_settings(args)
    setup_logging(args.verbose - args.quiet, settings.secrets())
    _need_database(settings)
    with GraphStore(settings) as store:
        store.verify()
        stats = graphstats.graph_stats(store, with_digest=not args.no_digest)
    if args.json:
        print(json.dumps(stats.to_dict(), indent=2))
    else:
        for label, n in stats.nodes.items():
            print(f"{label:<10} {n}")
        for kind, n in stats.edges.items():
            print(f"{kind:<10} {n}")
        if stats.digest:
            print(f"digest     {stats.digest}")
    return 0


# -- doctor -------------------------------------------------------------------------------
def cmd_doctor(args: argparse.Namespace) -> int:
    settings = resolve_settings(args)
    setup_logging(args.verbose - args.quiet, settings.secrets())
    facts = runtime.RuntimeFacts.current()
    n_files, n_bytes = settings.min_files_for_parallel, None
    if args.path:
        from indexer.discover import discover

        found = discover(args.path)[0]
        n_files, n_bytes = len(found), sum(f.size for f in found)
    decision = runtime.decide(settings.mode, n_files, settings.max_workers,
                              parallel_enabled=settings.parallel_enabled,
                              min_files=settings.min_files_for_parallel, facts=facts, n_bytes=n_bytes)
    report: dict[str, Any] = {
        "codegraph": __version__,
        "runtime": runtime.describe_runtime(facts),
        "executor": {"mode": decision.mode, "workers": decision.workers, "reason": decision.reason,
                     "for_files": n_files},
        "max_workers": settings.max_workers,
        "pool_size": settings.effective_pool_size,
        "pool_warning": pool_warning(settings, decision.workers),
    }
    ok = True
    if settings.uri is None:
        report["database"] = {"reachable": False, "reason": "not configured: run `codegraph db start` or set NEO4J_URI"}
        ok = False
    else:
        try:
            with GraphStore(settings) as store:
                info = store.verify()
            report["database"] = {"reachable": True, "flavour": info.flavour, "version": info.version,
                                  "agent": info.agent, "bolt": info.protocol}
        except DatabaseError as exc:
            report["database"] = {"reachable": False, "reason": str(exc)}
            ok = False
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        rt = report["runtime"]
        print(f"python     {rt['python']} {rt['implementation']} ({rt['build']} build, "
              f"GIL {'enabled' if rt['gil_enabled'] else 'disabled'}, {rt['cpus']} CPUs)")
        ex = report["executor"]
        print(f"executor   {ex['mode']} x{ex['workers']} for {ex['for_files']} files: {ex['reason']}")
        print(f"pool       {report['pool_size']} connections for {settings.max_workers} workers")
        if report["pool_warning"]:
            print(f"warning    {report['pool_warning']}")
        db = report["database"]
        if db["reachable"]:
            print(f"database   reachable: {db['flavour']} {db['version']} ({db['agent']}, Bolt {db['bolt']})")
        else:
            print(f"database   NOT reachable: {db['reason']}")
    return 0 if ok else EXIT_FAILED


# -- db -----------------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace) -> int:
    setup_logging(args.verbose - args.quiet, ())
    if args.action == "start":
        handle, started = project.start(".")
        verb = "started" if started else "already running"
        print(f"embedded ArcadeDB {verb}: {handle.uri} (database {handle.database}, pid {handle.pid}); "
              f"connection details in {project.STATE_DIR}/{project.STATE_FILE}")
        return 0
    if args.action == "stop":
        stopped = project.stop(".")
        print("stopped" if stopped else "no embedded server for this project")
        return 0
    info = project.status(".")
    if args.json:
        print(json.dumps(info, indent=2))
    elif info["running"]:
        print(f"running: {info['uri']} pid {info['pid']}, reachable {info['reachable']}, data {info['data']}")
    else:
        print(f"not running: {info['reason']}")
    return 0 if info["running"] else EXIT_FAILED


# -- parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codegraph", description="Index Python code into a graph database.")
    parser.add_argument("--version", action="version", version=f"codegraph {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: driver too)")
    common.add_argument("-q", "--quiet", action="count", default=0, help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", parents=[common], help="index a Python codebase")
    p.add_argument("path")
    p.add_argument("--mode", choices=MODES, help="executor (default: auto)")
    p.add_argument("--workers", type=int, help="worker count (MAX_WORKERS)")
    p.add_argument("--scheduler", help="with --mode dask: a Dask scheduler's address (DASK_SCHEDULER_ADDRESS; "
                                       "default: a LocalCluster on this machine)")
    p.add_argument("--pool-size", type=int, help="Bolt connection pool size (default workers x 2)")
    p.add_argument("--clear", action="store_true", help="delete the indexed graph first")
    p.add_argument("--prune", action="store_true",
                   help="remove what the graph holds that is not under PATH, even half of it or more (refused "
                        "without it: the wrong folder, another codebase)")
    p.add_argument("--embed", choices=("none", "hash", "openai"), help="embeddings (default: none)")
    p.add_argument("--uri", help="Bolt URI (NEO4J_URI)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("stats", parents=[common], help="node/edge counts and the graph digest")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-digest", action="store_true", help="counts only (faster on big graphs)")
    p.add_argument("--uri", help="Bolt URI (NEO4J_URI)")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("doctor", parents=[common], help="runtime, executor choice and database check")
    p.add_argument("path", nargs="?", help="codebase to size the executor decision for")
    p.add_argument("--json", action="store_true")
    p.add_argument("--uri", help="Bolt URI (NEO4J_URI)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("db", parents=[common], help="the project's embedded ArcadeDB server")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_db)

    for entry in _plugin_commands():
        try:
            entry.load()(sub, common)
        except Exception as exc:  # a broken plugin must not take the indexer down with it
            log.warning("commands from %s (%s) are unavailable: %s: %s", entry.name, entry.value,
                        type(exc).__name__, exc)
    return parser


def _plugin_commands() -> list[Any]:
    from importlib.metadata import entry_points

    return sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if words and not words[0].startswith("-") and words[0] not in commands:
        # The indexer knows nothing of who adds commands; it says where they come from.
        hint = "" if _plugin_commands() else (
            f"; more commands come from plugins (entry point group {PLUGIN_GROUP!r}): the benchmark's "
            "bench, report, corpus and accuracy are installed with codegraph's benchmarking distribution "
            "(README, Install)")
        print(f"codegraph: unknown command {words[0]!r}; installed commands: {', '.join(sorted(commands))}{hint}",
              file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(words)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"codegraph: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NotADirectoryError as exc:  # a path given that is no folder: usage
        print(f"codegraph: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (DatabaseError, ServerError, ClusterUnreachable) as exc:
        print(f"codegraph: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except interrupts.Terminated:
        return EXIT_SIGTERM
    except KeyboardInterrupt:
        return EXIT_SIGINT


if __name__ == "__main__":
    sys.exit(main())
