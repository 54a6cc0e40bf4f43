"""codegraph's indexer: Python code into a graph database over Bolt, in parallel."""

__version__ = "0.1.0"
