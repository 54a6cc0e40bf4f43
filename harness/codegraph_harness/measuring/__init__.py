"""Measuring indexing runs from outside: `measure` starts one run in a fresh subprocess
(`runner` is what runs inside it) into an empty database while `sampler` samples the process
tree and the server; `baseline` measures the indexer against the floors of parsing and of the
server's bulk ingest."""
