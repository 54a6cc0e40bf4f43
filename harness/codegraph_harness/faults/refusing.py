"""A worker initializer that refuses to start, as numpy does in a subinterpreter.

Its own module, importing nothing: a subinterpreter imports it fresh (a patch made in the
parent does not reach there), and must get this function and nothing else.
"""

from __future__ import annotations


def refuse() -> None:
    raise ImportError("planted: this module does not support loading in subinterpreters")
