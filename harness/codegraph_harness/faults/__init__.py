"""Fault injection from outside the indexer: `proxy` sits between the driver and the server and
cuts, delays, refuses or resets connections; `scenarios` runs the indexer through it and
judges the outcome; `badinput` builds a tree of hostile files; `reliability` runs all of it
as a bench phase; `plants` patches regressions into a run's process for the self-test (from
outside `indexer/`: a release cannot ship with one switched on)."""
