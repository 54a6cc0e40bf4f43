"""codegraph-harness: the evidence that decides whether codegraph's parallel indexing ships.

It stands beside the indexer and uses only the indexer's public API (`import indexer`):

- `databases/`  real Bolt servers for tests and benchmarks (an external one, Neo4j in Docker,
                or the embedded ArcadeDB), one shared by all pytest-xdist workers, and a fresh
                empty database per test or run (`GraphDB.fresh()`);
- `corpus`      the codebases to index: deterministic synthetic presets, the stdlib, sdists;
- `measuring/`  one indexing run in a fresh subprocess, measured from outside (wall, CPU of
                the whole process tree and of the server, memory, Bolt connections, phases),
                the leak check, and the speed baseline;
- `verdict/`    the bench matrix, its statistics, the go/no-go criteria, the report and plots;
- `faults/`     fault injection: a TCP proxy between driver and server, fault scenarios and
                bad input;
- `accuracy`    the call graph measured against a suite laid out like PyCG's micro-benchmark;
- `records`     the result files every measurement writes (one typed record per file);
- `plugin`      the pytest plugin, `cli` the commands added to `codegraph` (corpus, bench,
                report, accuracy).
"""
