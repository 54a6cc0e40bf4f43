"""How accurate codegraph's call graph is, measured on a suite laid out like PyCG's micro-benchmark.

A suite is a folder of `<category>/<case>/` folders, each a small program (`main.py` and the
modules it imports) with `callgraph.json`, the expected call graph in PyCG's naming. The suite
is read where it lies, never copied. Each case is indexed alone, without a database
(`indexer.parse_and_resolve`), its CALLS edges are renamed the way PyCG names things, and
compared with the expected graph:

- `suite`    finds the cases (`load_suite`);
- `naming`   turns codegraph ids into PyCG names (`pycg_name`, `module_dotted`);
- `scoring`  runs the indexer on a case (`case_graph`), scores a case (`score_case`) and a
             suite (`run_suite`), with precision, recall and exact cases per category and in
             total, and the wrong and missing edges of every case (`AccuracyResult.to_json()`).

Only callees that are keys of the case's `callgraph.json` and belong to the program count
(builtins such as `<builtin>.len` and third-party names such as `ext.Cls` do not).
"""

from __future__ import annotations

from codegraph_harness.accuracy.naming import module_dotted, pycg_name
from codegraph_harness.accuracy.scoring import (
    AccuracyResult,
    CaseResult,
    Tally,
    case_graph,
    run_suite,
    score_case,
)
from codegraph_harness.accuracy.suite import Case, load_suite, program_modules

__all__ = ["AccuracyResult", "Case", "CaseResult", "Tally", "case_graph", "load_suite", "module_dotted",
           "program_modules", "pycg_name", "run_suite", "score_case"]
