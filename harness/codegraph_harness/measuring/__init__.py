"""Measuring indexing runs from outside: `measure` starts one `codegraph index` in a fresh
subprocess into an empty database while `sampler` samples the process tree and the server
(`procnet` counts Bolt connections); `leak` runs several indexings in one coordinator
(`runner` is that coordinator) and inspects the tree after each; `baseline` measures the
indexer against the floors of parsing and of the server's bulk ingest."""
