"""codegraph's indexer: Python code into a graph database over Bolt, in parallel.

A run goes discover -> parse -> resolve -> write, one module each:

- `discover`  lists the `*.py` files under a root (honouring .gitignore);
- `parse`     turns one file into nodes, DEFINES edges and flow facts; `scopes` applies
              Python's scoping rules while walking it (both stdlib only: they run in
              threads, processes and subinterpreters alike); `tokens` counts tokens and
              `embed` embeds them where the nodes are written;
- `resolve`   finds each file's importable names (package roots, src/ layouts, namespace
              packages) and solves every module's facts together with `flow` (values through
              assignments, attributes, containers, calls; C3 MRO) into IMPORTS, INHERITS,
              CALLS and INSTANTIATES edges;
- `write`     holds the Cypher; `store` (GraphStore) owns the driver, retries and counters;
              `edgeplan` cuts edges into tasks that do not collide, `edgewriter` writes them
              while resolution runs and after;
- `worker`    is what each worker does with a batch; `workforce` says who works in each mode
              and `pool` runs them in an executor (`cluster`: a Dask cluster's); `runtime`
              decides the mode; `pipeline` orchestrates a run;
- `model`     is the plain data between stages, `config` the settings, `gcpause` keeps the
              garbage collector off work that allocates millions of objects, `interrupts`
              delivers Ctrl+C at safe points, `redact` keeps secrets out of logs;
- `graphstats` counts and digests what was written; `server` and `project` run the
              embedded ArcadeDB; `cli` is the `codegraph` command.

What other packages may use is exported here (and loaded on first use, so that importing
`indexer.parse` in a subinterpreter does not pull in the neo4j driver or numpy). Functions
named like their module are exported under another name (`list_files`, `resolve_facts`,
`redact_text`): a submodule import would otherwise replace them with the module.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS: dict[str, str] = {
    # a run
    "run_index": "indexer.pipeline", "Summary": "indexer.pipeline", "Phase": "indexer.pipeline",
    "IndexInterrupted": "indexer.pipeline", "parse_and_resolve": "indexer.pipeline",
    # settings and runtime
    "Settings": "indexer.config", "EmbedSettings": "indexer.config", "load_settings": "indexer.config",
    "ConfigError": "indexer.config", "MODES": "indexer.config",
    "RuntimeFacts": "indexer.runtime", "decide": "indexer.runtime", "describe_runtime": "indexer.runtime",
    "find_gil_culprit": "indexer.runtime", "is_gil_enabled": "indexer.runtime",
    "has_interpreter_pool": "indexer.runtime",
    # the database
    "GraphStore": "indexer.store", "DatabaseError": "indexer.store", "ServerInfo": "indexer.store",
    "packstream_implementation": "indexer.store", "Rows": "indexer.write",
    "GraphStats": "indexer.graphstats", "graph_stats": "indexer.graphstats",
    "EmbeddedServer": "indexer.server", "ServerHandle": "indexer.server", "ServerError": "indexer.server",
    "arcadedb_home": "indexer.server", "pid_alive": "indexer.server", "stop_pid": "indexer.server",
    # the stages and their data
    "list_files": "indexer.discover:discover", "parse_file": "indexer.parse",
    "resolve_facts": "indexer.resolve:resolve",
    "Resolution": "indexer.resolve", "count_nodes": "indexer.tokens",
    "SourceFile": "indexer.model", "ParsedFile": "indexer.model", "NodeRecord": "indexer.model",
    "Edge": "indexer.model", "Counters": "indexer.model", "ErrorKind": "indexer.model",
    "LABELS": "indexer.model", "EDGE_TYPES": "indexer.model", "FileError": "indexer.model",
    "redact_text": "indexer.redact:redact",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module 'indexer' has no attribute {name!r}")
    module, _, attr = where.partition(":")
    value = getattr(import_module(module), attr or name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from indexer.config import MODES, ConfigError, EmbedSettings, Settings, load_settings
    from indexer.discover import discover as list_files
    from indexer.graphstats import GraphStats, graph_stats
    from indexer.model import (
        EDGE_TYPES,
        LABELS,
        Counters,
        Edge,
        ErrorKind,
        FileError,
        NodeRecord,
        ParsedFile,
        SourceFile,
    )
    from indexer.parse import parse_file
    from indexer.pipeline import IndexInterrupted, Phase, Summary, parse_and_resolve, run_index
    from indexer.redact import redact as redact_text
    from indexer.resolve import Resolution
    from indexer.resolve import resolve as resolve_facts
    from indexer.runtime import (
        RuntimeFacts,
        decide,
        describe_runtime,
        find_gil_culprit,
        has_interpreter_pool,
        is_gil_enabled,
    )
    from indexer.server import EmbeddedServer, ServerError, ServerHandle, arcadedb_home, pid_alive, stop_pid
    from indexer.store import DatabaseError, GraphStore, ServerInfo, packstream_implementation
    from indexer.tokens import count_nodes
    from indexer.write import Rows
