from __future__ import annotations

import io
import logging

import pytest

from indexer.redact import RedactingFilter, redact, redact_uri, redacting


def test_uri_credentials() -> None:
    assert redact_uri("bolt://neo4j:s3cret@db:7687") == "bolt://neo4j:***@db:7687"
    assert redact_uri("bolt://db:7687") == "bolt://db:7687"
    # a password holding '/' or '@' is hidden whole (the pattern stopped at the first of them)
    assert redact_uri("bolt://neo4j:se/cr@et@db:7687 and more") == "bolt://neo4j:***@db:7687 and more"
    assert redact_uri("bolt://:pw1234@db:7687") == "bolt://:***@db:7687"  # (no user name)


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


def test_a_redacting_handler_redacts_tracebacks_too() -> None:
    stream = io.StringIO()
    log = logging.getLogger("codegraph.test.redact")
    handler = redacting(logging.StreamHandler(stream), ("hunter2-pass",))
    log.addHandler(handler)
    try:
        raise RuntimeError("auth failed with hunter2-pass")
    except RuntimeError:
        log.exception("connect failed")
    finally:
        log.removeHandler(handler)
    assert "ERROR codegraph.test.redact: connect failed" in stream.getvalue()
    assert "RuntimeError: auth failed with ***" in stream.getvalue() and "hunter2" not in stream.getvalue()
