"""The commands codegraph-harness adds to `codegraph` (entry point group `codegraph.commands`):
corpus, bench and report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from codegraph_harness import corpus as corpora

EXIT_NOGO = 1


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("corpus", parents=[common], help="codebases for benchmarks: list, or make one")
    p.add_argument("action", choices=("list", "make"))
    p.add_argument("name", nargs="?", help="preset (small, medium, large, xlarge), stdlib, or an sdist")
    p.add_argument("dir", nargs="?", help="for make: where to write a synthetic preset")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bad-share", type=float, default=0.0, help="share of deliberately broken files (0..0.5)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("bench", parents=[common], help="run the benchmark matrix on this interpreter")
    p.add_argument("--quick", action="store_true",
                   help="medium (2 repeats) + stdlib (1 repeat): under 5 minutes on 2 cores")
    p.add_argument("--corpora", help="comma-separated corpora (default: medium,stdlib,large,xlarge)")
    p.add_argument("--modes", help="comma-separated modes (default: sequential,thread,process,auto)")
    p.add_argument("--workers", help="comma-separated worker counts (default: 2,4)")
    p.add_argument("--repeat", type=int, help="repeats per cell (default 3, quick 2)")
    p.add_argument("--no-leak-check", action="store_true")
    p.add_argument("--reliability", action="store_true", help="add faults, a server restart and bad input")
    p.add_argument("--reliability-only", action="store_true", help="only the reliability scenarios")
    p.add_argument("--results", default="results", help="folder of run folders (default: results)")
    p.add_argument("--run-id", help="add to this run folder (default: a new one)")
    p.add_argument("--graphdb", default=None, help="auto, external, neo4j-container or embedded")
    p.add_argument("--not-run", metavar="LABEL", help="only record that interpreter LABEL was not run")
    p.add_argument("--reason", default="interpreter not found", help="with --not-run")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("report", parents=[common], help="go/no-go report of a bench run")
    p.add_argument("run_dir", help="e.g. results/20261121T063000Z-ab12cd")
    p.add_argument("--criteria", default=None, help="criteria TOML (default: the packaged criteria.toml)")
    p.add_argument("--strict", action="store_true", help="exit 1 on NO-GO (for CI gates)")
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
        raise SystemExit("codegraph corpus make: name a corpus (see `codegraph corpus list`)")
    if not 0.0 <= args.bad_share <= 0.5:
        raise SystemExit("codegraph corpus make: --bad-share must be between 0 and 0.5")
    if args.dir and args.name in corpora.PRESETS:
        target = Path(args.dir)
        if target.exists() and any(target.iterdir()):
            raise SystemExit(f"codegraph corpus make: {target} is not empty")
        made = corpora.generate(args.name, target, seed=args.seed, bad_share=args.bad_share)
    else:
        made = corpora.get(args.name, seed=args.seed, bad_share=args.bad_share)
    if args.json:
        print(json.dumps(made.to_dict(), indent=2))
    else:
        print(f"{made.name}: {made.files} files, {made.lines} lines, {made.bytes} bytes at {made.path}\n"
              f"fingerprint {made.fingerprint}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import os
    import sys
    import tempfile
    from dataclasses import replace

    from codegraph_harness import records as results
    from codegraph_harness.databases.providers import provision
    from codegraph_harness.verdict import bench

    root = Path(args.results)
    run_dir = root / (args.run_id or results.new_run_id())
    if args.not_run:
        path = bench.not_run(run_dir, args.not_run, args.reason)
        print(f"recorded {args.not_run}: not run: {args.reason} ({path})")
        return 0
    plan = bench.QUICK if args.quick else bench.FULL
    if args.corpora:
        plan = replace(plan, corpora=args.corpora.split(","), heavy={}, repeats={})
    if args.modes:
        plan = replace(plan, modes=args.modes.split(","), heavy={})
    if args.workers:
        plan = replace(plan, workers=[int(w) for w in args.workers.split(",")])
    if args.repeat:
        plan = replace(plan, repeat=args.repeat, repeats={})
    if args.no_leak_check:
        plan = replace(plan, leak_corpus=None)
    if args.reliability or args.reliability_only:
        plan = replace(plan, reliability=True)
    if args.reliability_only:
        plan = replace(plan, corpora=[], small_corpus=None, leak_corpus=None)
    plan = bench.with_interpreter_pool(plan)
    kind = args.graphdb or os.environ.get("CODEGRAPH_GRAPHDB", "auto")
    with tempfile.TemporaryDirectory(prefix="codegraph-bench-") as tmp:
        provisioned = provision(kind, Path(tmp))
        try:
            print(f"bench run {run_dir} on {provisioned.db.provider} {provisioned.db.flavour} "
                  f"{provisioned.db.version} with {sys.executable}", flush=True)
            records = bench.run_plan(provisioned.db, plan, run_dir, progress=lambda m: print(m, flush=True))
        finally:
            provisioned.stop()
    failed = [r for r in records if r.get("kind") == "failed"]
    print(f"{len(records)} records in {run_dir} ({len(failed)} failed); `codegraph report {run_dir}` next")
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from codegraph_harness.verdict import criteria, report

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise SystemExit(f"codegraph report: {run_dir} is not a run folder")
    built = report.build(run_dir, Path(args.criteria) if args.criteria else criteria.DEFAULT)
    print(f"{built.verdict}: {built.markdown} and {built.html}")
    for v in built.verdicts:
        print(f"  {v.status:<12} {v.title}: {v.detail}")
    return EXIT_NOGO if args.strict and built.verdict == criteria.NOGO else 0
