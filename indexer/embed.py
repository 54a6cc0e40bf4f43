"""Embeddings of code chunks: `none`, offline `hash`, or `openai` through the official SDK.

Chunks are the source text of each Function and Class, cut to the model's token limit with
tiktoken. The `hash` embedder is real feature hashing (signed hashing of token unigrams and
bigrams into a fixed-width, L2-normalised numpy vector), so cosine similarity between two
chunks reflects their shared tokens; it needs no network and is deterministic.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from indexer import tokens
from indexer.config import EmbedSettings

log = logging.getLogger(__name__)

_MULT1 = np.uint64(0x9E3779B97F4A7C15)
_MULT2 = np.uint64(0xC2B2AE3D27D4EB4F)


class EmbeddingError(RuntimeError):
    pass


class Embedder(Protocol):
    model_name: str

    def embed(self, texts: list[str]) -> list[list[float]]: ...


class HashEmbedder:
    """Signed feature hashing of tiktoken token ids and bigrams into `dims` dimensions."""

    def __init__(self, dims: int = 256, max_tokens: int = 8191) -> None:
        if dims < 8:
            raise ValueError("hash embedding needs at least 8 dimensions")
        self.dims = dims
        self.max_tokens = max_tokens
        self.model_name = f"hash-{dims}"

    def vector(self, text: str) -> np.ndarray:
        ids = np.asarray(tokens.get_encoder().encode_ordinary(text)[: self.max_tokens], dtype=np.uint64)
        vec = np.zeros(self.dims, dtype=np.float64)
        if ids.size == 0:
            return vec
        feats = ids * _MULT1
        if ids.size > 1:
            feats = np.concatenate([feats, (ids[:-1] * _MULT2) ^ (ids[1:] * _MULT1)])
        mixed = feats ^ (feats >> np.uint64(29))
        index = (mixed % np.uint64(self.dims)).astype(np.int64)
        sign = np.where((mixed >> np.uint64(63)) == 1, -1.0, 1.0)
        np.add.at(vec, index, sign)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [[round(float(x), 6) for x in self.vector(t)] for t in texts]


class OpenAIEmbedder:
    """The official `openai` SDK: batched requests, the SDK's own retries with backoff."""

    def __init__(self, settings: EmbedSettings) -> None:
        import openai

        if not settings.api_key:
            raise EmbeddingError("--embed openai needs OPENAI_API_KEY (or EMBED_API_KEY) to be set")
        self.settings = settings
        self.model_name = settings.model
        self.client = openai.OpenAI(
            api_key=settings.api_key, base_url=settings.base_url,
            max_retries=settings.max_retries, timeout=settings.timeout,
        )

    def embed(self, texts: list[str]) -> list[list[float]]:
        import openai

        out: list[list[float]] = []
        size = self.settings.batch_size
        for start in range(0, len(texts), size):
            batch = [tokens.truncate(t, self.settings.max_tokens)[0] or " " for t in texts[start : start + size]]
            try:
                response = self.client.embeddings.create(model=self.settings.model, input=batch)
            except openai.OpenAIError as exc:
                raise EmbeddingError(f"embedding request to {self.client.base_url} failed: {exc}") from exc
            if len(response.data) != len(batch):
                raise EmbeddingError(f"asked for {len(batch)} embeddings, got {len(response.data)}")
            out.extend(list(item.embedding) for item in sorted(response.data, key=lambda d: d.index))
        return out


def make_embedder(settings: EmbedSettings) -> Embedder | None:
    if settings.mode == "none":
        return None
    if settings.mode == "hash":
        return HashEmbedder(settings.dims, settings.max_tokens)
    if settings.mode == "openai":
        return OpenAIEmbedder(settings)
    raise EmbeddingError(f"unknown embedding mode {settings.mode!r}; use none, hash or openai")


def cosine(a: list[float], b: list[float]) -> float:
    va, vb = np.asarray(a), np.asarray(b)
    denom = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb / denom) if denom else 0.0
