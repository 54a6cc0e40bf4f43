from __future__ import annotations

import logging

import pytest

from indexer.redact import RedactingFilter, redact, redact_uri


def test_uri_credentials() -> None:
    assert redact_uri("bolt://neo4j:s3cret@db:7687") == "bolt://neo4j:***@db:7687"
    assert redact_uri("bolt://db:7687") == "bolt://db:7687"


def test_keys_and_known_secrets() -> None:
    assert redact("password=hunter22 user=x") == "password=*** user=x"
    assert redact("OPENAI_API_KEY: sk-abc123") == "OPENAI_API_KEY: ***"
    assert redact("the value is hunter22 here", ("hunter22",)) == "the value is *** here"


def test_logging_filter(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    handler = caplog.handler
    handler.addFilter(RedactingFilter(("topsecretpw",)))
    try:
        logger.warning("connecting to %s with %s", "bolt://u:topsecretpw@h", "topsecretpw")
    finally:
        handler.removeFilter(handler.filters[-1])
    assert "topsecretpw" not in caplog.text and "***" in caplog.text
