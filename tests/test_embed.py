from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from indexer.config import EmbedSettings
from indexer.embed import EmbeddingError, HashEmbedder, OpenAIEmbedder, cosine, make_embedder


def test_hash_embedding_is_deterministic_normalised_and_meaningful() -> None:
    emb = HashEmbedder(dims=256)
    a = "def parse_config(path):\n    return json.load(open(path))\n"
    b = "def load_config(path):\n    return json.load(open(path))\n"
    c = "class Matrix:\n    def transpose(self):\n        return [list(r) for r in zip(*self.rows)]\n"
    va, vb, vc = emb.embed([a, b, c])
    assert va == emb.embed([a])[0]
    assert len(va) == 256 and abs(np.linalg.norm(va) - 1.0) < 1e-5
    assert cosine(va, vb) > 0.6 > cosine(va, vc)
    assert emb.embed([""])[0] == [0.0] * 256


def test_make_embedder_modes() -> None:
    assert make_embedder(EmbedSettings(mode="none")) is None
    assert isinstance(make_embedder(EmbedSettings(mode="hash", dims=64)), HashEmbedder)
    with pytest.raises(EmbeddingError, match="OPENAI_API_KEY"):
        make_embedder(EmbedSettings(mode="openai"))


class _FakeOpenAI(BaseHTTPRequestHandler):
    """A small OpenAI-compatible /v1/embeddings endpoint; fails the first request with 500."""

    calls: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if len(type(self).calls) == 1:
            self.send_response(500)
            self.end_headers()
            return
        data = [{"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.0]}
                for i, t in enumerate(body["input"])]
        payload = json.dumps({"object": "list", "data": data, "model": body["model"],
                              "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def openai_endpoint() -> Iterator[str]:
    _FakeOpenAI.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_openai_sdk_path_batches_truncates_and_retries(openai_endpoint: str) -> None:
    settings = EmbedSettings(mode="openai", base_url=openai_endpoint, api_key="sk-test", model="m-small",
                             batch_size=2, max_tokens=16, max_retries=2)
    embedder = OpenAIEmbedder(settings)
    texts = ["a", "bb", "word " * 100]
    vectors = embedder.embed(texts)
    assert [v[0] for v in vectors[:2]] == [1.0, 2.0]
    assert len(vectors) == 3
    posted = [c for c in _FakeOpenAI.calls if c["path"].endswith("/embeddings")]
    assert len(posted) == 3  # one 500 retried by the SDK, then two batches of <= 2
    assert posted[0]["auth"] == "Bearer sk-test"
    assert len(posted[-1]["body"]["input"][0].split()) <= 16  # cut to the token limit


def test_openai_failure_is_a_clear_error() -> None:
    settings = EmbedSettings(mode="openai", base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0,
                             timeout=2)
    with pytest.raises(EmbeddingError, match="embedding request to http://127.0.0.1:9/v1"):
        OpenAIEmbedder(settings).embed(["x"])
