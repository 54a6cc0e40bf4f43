"""Harness commands added to `codegraph`: corpora (and, later, bench and report)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from harness import corpus as corpora


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("corpus", parents=[common], help="codebases for benchmarks: list, or make one")
    p.add_argument("action", choices=("list", "make"))
    p.add_argument("name", nargs="?", help="preset (small, medium, large, xlarge), stdlib, or an sdist")
    p.add_argument("dir", nargs="?", help="for make: where to write a synthetic preset")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bad-share", type=float, default=0.0, help="share of deliberately broken files (0..0.5)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_corpus)


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
