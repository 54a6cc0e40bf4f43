"""Result files: one versioned JSON per run, append-only, with the machine's metadata.

Schema (version 1): {"schema": "codegraph.run/1", "run_id", "created", "machine": {...},
"record": {... as measure.measure_run returns ...}}. Figures never travel without the
metadata that says where they came from; passwords never appear.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import sysconfig
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

SCHEMA = "codegraph.run/1"
PACKAGES = ("codegraph", "neo4j", "numpy", "tiktoken", "openai", "psutil", "arcadedb-embedded", "pytest")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def git_commit(root: Path | None = None) -> str | None:
    """The commit of the indexer's source tree (None when it is not a git checkout)."""
    if root is None:
        import indexer

        root = Path(indexer.__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def machine() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu_model": _cpu_model(), "cpu_count": os.cpu_count(), "ram_bytes": _ram_bytes(),
        "os": f"{platform.system()} {platform.release()}", "platform": platform.platform(),
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation(),
                   "executable": sys.executable,
                   "free_threading_build": sysconfig.get_config_var("Py_GIL_DISABLED") == 1,
                   "config_args": sysconfig.get_config_var("CONFIG_ARGS") or ""},
        "packages": versions, "git_commit": git_commit(),
    }


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def write_record(run_dir: Path, record: dict[str, Any], *, label: str) -> Path:
    """Append one run's record as a new file (never overwrites)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    doc = {"schema": SCHEMA, "run_id": run_dir.name, "created": dt.datetime.now(dt.timezone.utc).isoformat(),
           "machine": machine(), "record": record}
    path = run_dir / f"{label}-{uuid.uuid4().hex[:8]}.json"
    with open(path, "x") as fh:
        json.dump(doc, fh, indent=1)
    return path


def load_records(run_dir: Path) -> list[dict[str, Any]]:
    docs = []
    for path in run_dir.glob("*.json"):
        doc = json.loads(path.read_text())
        if doc.get("schema") == SCHEMA:
            docs.append(doc)
    return sorted(docs, key=lambda d: d["created"])
