"""codegraph's harness: real graph databases, corpora and measurements for indexing runs."""
