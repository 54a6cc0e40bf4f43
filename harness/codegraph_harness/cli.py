"""The commands codegraph-harness adds to `codegraph` (entry point group `codegraph.commands`):
corpus, bench, report and accuracy."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from codegraph_harness import corpus as corpora

EXIT_NOGO, EXIT_USAGE = 1, 2
EXIT_FAILED = 1  # the input was fine, the work could not be done (as the indexer's own commands)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("corpus", parents=[common], help="codebases for benchmarks: list, or make one")
    p.add_argument("action", choices=("list", "make"))
    p.add_argument("name", nargs="?", help="a preset (see `list`), stdlib, or an sdist")
    p.add_argument("dir", nargs="?", help="for make: where to write a synthetic preset")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bad-share", type=float, default=0.0, help="share of deliberately broken files (0..0.5)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("bench", parents=[common], help="run the benchmark matrix on this interpreter, then the report")
    p.add_argument("--quick", action="store_true", help="the quick plan: about 5 minutes on 2 cores")
    p.add_argument("--self-test", action="store_true",
                   help="plant regressions and check that each one turns the verdict to NO-GO on its criterion")
    p.add_argument("--scenario", action="append", help="with --self-test: only these scenarios")
    p.add_argument("--corpora", help="comma-separated corpora (replaces the plan's)")
    p.add_argument("--modes", help="comma-separated modes (default: sequential,thread,process,auto)")
    p.add_argument("--workers", help="comma-separated worker counts")
    p.add_argument("--repeat", type=int, help="repeats per corpus")
    p.add_argument("--no-leak-check", action="store_true")
    p.add_argument("--reliability", action="store_true", help="add faults, a server restart and bad input")
    p.add_argument("--reliability-only", action="store_true", help="only the reliability scenarios")
    p.add_argument("--results", default="results", help="folder of run folders (default: results)")
    p.add_argument("--run-id", help="add to this run folder (default: a new one)")
    p.add_argument("--graphdb", default=None, help="auto, external, neo4j-container or embedded")
    p.add_argument("--no-report", action="store_true", help="do not write the report at the end")
    p.add_argument("--strict", action="store_true", help="exit 1 when the verdict is NO-GO")
    p.add_argument("--accuracy", metavar="SUITE", default=os.environ.get("CODEGRAPH_ACCURACY_SUITE"),
                   help="also measure the call graph on this suite (default: $CODEGRAPH_ACCURACY_SUITE)")
    p.add_argument("--not-run", metavar="LABEL", help="only record that interpreter LABEL was not run")
    p.add_argument("--reason", default="interpreter not found", help="with --not-run")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("accuracy", parents=[common],
                       help="the call graph against a suite laid out like PyCG's micro-benchmark")
    p.add_argument("suite", help="a folder of <category>/<case>/ folders, each with callgraph.json")
    p.add_argument("--category", action="append", help="only these categories (repeatable)")
    p.add_argument("--json", action="store_true", help="everything as JSON, with each case's wrong and missing edges")
    p.add_argument("--summary", action="store_true", help="only the per-category table")
    p.set_defaults(func=cmd_accuracy)

    p = sub.add_parser("report", parents=[common], help="go/no-go report of a bench run")
    p.add_argument("run_dir", help="e.g. results/20261121T063000Z-ab12cd")
    p.add_argument("--criteria", default=None, help="criteria TOML (default: the packaged criteria.toml)")
    p.add_argument("--strict", action="store_true", help="exit 1 on NO-GO (for CI gates)")
    p.add_argument("--complete-matrix", action="store_true",
                   help="the run was meant to cover every interpreter of the criteria that this machine has: "
                        "one that is installed but left no record is NO-GO (make bench)")
    p.set_defaults(func=cmd_report)


def cmd_corpus(args: argparse.Namespace) -> int:
    if args.action == "list":
        rows: list[dict[str, Any]] = [{"name": n, "kind": "synthetic", "files": f} for n, f in corpora.PRESETS.items()]
        rows.append({"name": "stdlib", "kind": "stdlib", "files": None})
        rows += [{"name": n, "kind": "sdist", "requirement": r} for n, r in corpora.SDISTS.items()]
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for r in rows:
                detail = f"{r['files']} files" if r.get("files") else r.get("requirement", "this interpreter's")
                print(f"{r['name']:<8} {r['kind']:<9} {detail}")
        return 0
    if not args.name:
        return _usage("codegraph corpus make: name a corpus (see `codegraph corpus list`)")
    if not 0.0 <= args.bad_share <= 0.5:
        return _usage("codegraph corpus make: --bad-share must be between 0 and 0.5")
    known = args.name in corpora.PRESETS or args.name in ("stdlib", *corpora.SDISTS) or "==" in args.name
    if args.dir and known and args.name not in corpora.PRESETS:  # (an unknown name is said below)
        return _usage(f"codegraph corpus make: DIR is for the synthetic presets ({', '.join(corpora.PRESETS)}); "
                      f"{args.name} is read or downloaded where `codegraph corpus list` says: leave DIR out")
    try:
        if args.dir and args.name in corpora.PRESETS:
            target = Path(args.dir)
            if target.exists() and (not target.is_dir() or any(target.iterdir())):
                return _usage(f"codegraph corpus make: {target} is not an empty folder")
            made = corpora.generate(args.name, target, seed=args.seed, bad_share=args.bad_share)
        else:
            made = corpora.get(args.name, seed=args.seed, bad_share=args.bad_share)
    except corpora.UnknownCorpus as exc:  # bad input: say which names exist
        return _usage(f"codegraph corpus make: {exc} (see `codegraph corpus list`)")
    except (corpora.CorpusError, OSError) as exc:  # the name is fine, making it failed (download, disk)
        print(f"codegraph corpus make: {args.name}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(made.to_dict(), indent=2))
    else:
        print(f"{made.name}: {made.files} files, {made.lines} lines, {made.bytes} bytes at {made.path}\n"
              f"fingerprint {made.fingerprint}")
    return 0


def _usage(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_USAGE


def _worker_counts(text: str) -> list[int]:
    """'2,4' -> [2, 4]; anything but comma-separated positive integers is a ValueError saying so."""
    counts = []
    for word in text.split(","):
        try:
            count = int(word)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(f"--workers {text}: {word.strip()!r} is not a worker count; give comma-separated "
                             "positive integers, e.g. --workers 2,4")
        counts.append(count)
    return counts


def _modes(text: str) -> list[str]:
    """'thread,process' -> ['thread', 'process']; a mode the indexer does not have is a ValueError."""
    from indexer import MODES

    modes = text.split(",")
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"--modes {text}: unknown mode {mode!r}; modes are {', '.join(MODES)}")
    return modes


def _plan(args: argparse.Namespace) -> Any:
    """The bench plan the options ask for; a ValueError names an option that is not valid."""
    from codegraph_harness.verdict import bench

    plan = bench.QUICK if args.quick else bench.FULL
    modes = _modes(args.modes) if args.modes else None
    workers = _worker_counts(args.workers) if args.workers else None
    if modes or workers:
        plan = plan.with_modes(modes or bench.PARALLEL, workers or [2])
    if args.corpora:
        names = args.corpora.split(",")
        known = {c.name: c for c in plan.corpora}
        default = max(plan.corpora, key=lambda c: len(c.cells))  # a corpus the plan does not name: the widest cells
        plan = replace(plan, corpora=[known.get(n, replace(default, name=n)) for n in names])
    if args.repeat:
        plan = replace(plan, corpora=[replace(c, repeats=args.repeat) for c in plan.corpora])
    if args.no_leak_check:
        plan = replace(plan, leak_corpus=None)
    if args.reliability or args.reliability_only:
        plan = replace(plan, reliability=True)
    if args.reliability_only:
        plan = replace(plan, corpora=[], leak_corpus=None)
    return plan


def cmd_bench(args: argparse.Namespace) -> int:
    from codegraph_harness import records
    from codegraph_harness.databases.providers import PROVIDERS, ProviderUnavailable, provision
    from codegraph_harness.verdict import bench

    try:
        requested = _plan(args)  # the options are checked before any database or run folder is made
    except ValueError as exc:
        return _usage(f"codegraph bench: {exc}")
    root = Path(args.results)
    run_dir = root / (args.run_id or records.new_run_id())
    label = bench.label_of(sys.executable)
    if args.not_run:
        path = records.write(run_dir, records.NotRun(args.not_run, args.reason), label=f"{args.not_run}-not-run")
        print(f"recorded {args.not_run}: not run: {args.reason} ({path})")
        return 0
    if not args.no_report and not args.self_test:
        from codegraph_harness.verdict.report import ReportError, require_plots

        try:
            require_plots()  # say now, not after the bench, that the report cannot be drawn here
        except ReportError as exc:
            return _usage(f"codegraph bench: {exc}; or pass --no-report and run `codegraph report` where it is "
                          "installed")
    if args.accuracy:
        from codegraph_harness.accuracy import load_suite

        try:  # a suite that cannot be measured is said now, not after the database has started
            cases = load_suite(args.accuracy)
        except (OSError, ValueError) as exc:
            return _usage(f"codegraph bench: --accuracy {exc}")
        if not cases:
            return _usage(f"codegraph bench: --accuracy {args.accuracy}: holds no <category>/<case>/callgraph.json")
    kind = args.graphdb or os.environ.get("CODEGRAPH_GRAPHDB", "auto")
    if kind not in PROVIDERS:
        source = "--graphdb" if args.graphdb else "CODEGRAPH_GRAPHDB"
        return _usage(f"codegraph bench: {source} {kind}: unknown graph database; use one of {', '.join(PROVIDERS)}")
    with tempfile.TemporaryDirectory(prefix="codegraph-bench-") as tmp:
        try:
            provisioned = provision(kind, Path(tmp))
        except ProviderUnavailable as exc:
            return _usage(f"codegraph bench: no graph database: {exc} (set NEO4J_URI, or install the 'embedded' "
                          "extra: pip install 'codegraph[embedded]')")
        try:
            db = provisioned.db
            print(f"bench run {run_dir} on {db.provider} {db.flavour} {db.version} with {sys.executable}", flush=True)
            if args.self_test:
                return _self_test(db, args, run_dir, label)
            plan, skipped = bench.for_this_interpreter(requested)
            for item in skipped:
                records.write(run_dir, item, label=f"{label}-not-run-{item.mode}")
            if args.accuracy:
                from codegraph_harness.accuracy import run_suite

                print(f"[{label}] graph accuracy on {args.accuracy}", flush=True)
                records.write(run_dir, run_suite(args.accuracy).record(label), label=f"{label}-accuracy")
            done = bench.Bench(db, run_dir, label, progress=lambda m: print(m, flush=True)).run(plan)
        finally:
            provisioned.stop()
    failed = [r for r in done if isinstance(r, records.FailedRun)]
    print(f"{len(done)} records in {run_dir} ({len(failed)} runs did not complete)")
    if args.no_report:
        print(f"report: `codegraph report {run_dir}`")
        return 0
    return _report(run_dir, None, args.strict)


def _self_test(db: Any, args: argparse.Namespace, run_dir: Path, label: str) -> int:
    from codegraph_harness.verdict import selftest

    scenarios = [selftest.scenario_named(n) for n in args.scenario] if args.scenario else selftest.SCENARIOS
    outcomes = []
    for scenario in scenarios:
        print(f"self-test: {scenario.name} ({scenario.what})", flush=True)
        outcomes.append(selftest.run_scenario(db, scenario, run_dir, label, os.cpu_count() or 1,
                                              progress=lambda m: print("  " + m, flush=True)))
    print("\nself-test results (each folder of " + str(run_dir) + " can be reported with `codegraph report`):")
    for o in outcomes:
        print("  " + o.line())
    return 0 if all(o.passed for o in outcomes) else 1


def _report(run_dir: Path, criteria_path: Path | None, strict: bool, complete_matrix: bool = False) -> int:
    from codegraph_harness.records import RecordError
    from codegraph_harness.verdict import criteria
    from codegraph_harness.verdict.report import ReportError, build

    try:
        built = build(run_dir, criteria_path or criteria.DEFAULT, complete_matrix=complete_matrix)
    except (ReportError, RecordError, criteria.CriteriaError) as exc:
        print(f"codegraph report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for w in built.warnings:
        print(f"warning: {w}")
    print(f"verdict: {built.verdict} ({built.markdown}, {built.html})")
    for v in built.verdicts:
        print(f"  {v.status:<12} {v.title}: {v.detail}")
    return EXIT_NOGO if strict and built.verdict == criteria.NOGO else 0


def cmd_accuracy(args: argparse.Namespace) -> int:
    from codegraph_harness.accuracy import load_suite, run_suite

    try:
        cases = load_suite(args.suite)
    except (OSError, ValueError) as exc:
        return _usage(f"codegraph accuracy: {exc}")
    if not cases:
        return _usage(f"codegraph accuracy: {args.suite} holds no <category>/<case>/callgraph.json")
    result = run_suite(args.suite, categories=args.category)
    if not result.cases:
        return _usage(f"codegraph accuracy: no case in the categories {', '.join(args.category or [])}")
    print(json.dumps(result.to_json(), indent=2) if args.json else result.text(details=not args.summary))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        return _usage(f"codegraph report: {run_dir} is not a run folder")
    return _report(run_dir, Path(args.criteria) if args.criteria else None, args.strict, args.complete_matrix)
