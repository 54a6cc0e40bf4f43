"""Keep secrets out of logs, summaries and result files."""

from __future__ import annotations

import logging
import re

#: user:password@ after a scheme, the password up to the last '@' of the word (it may hold '/' or '@')
_URI_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>\S+)@", re.I)
_KEYS = re.compile(r"(?i)(password|passwd|api[_-]?key|secret|token)(\s*[=:]\s*)(['\"]?)([^\s'\",;&]+)")


def redact_uri(uri: str) -> str:
    """bolt://user:pw@host:7687 -> bolt://user:***@host:7687"""
    return _URI_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", uri)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    text = redact_uri(text)
    text = _KEYS.sub(lambda m: f"{m[1]}{m[2]}{m[3]}***", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def redacting(handler: logging.Handler, secrets: tuple[str, ...] = ()) -> logging.Handler:
    """`handler` writing the indexer's log format, with `secrets` and URI credentials redacted
    from the whole line, tracebacks included (the command line's handler, a worker process's)."""
    handler.setFormatter(RedactingFormatter(secrets))
    handler.addFilter(RedactingFilter(secrets))
    return handler


class RedactingFormatter(logging.Formatter):
    """The indexer's log format, redacted after formatting: an exception's text (a bolt URI
    with its password in a driver error) is in the traceback, not in the message."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message so configured secrets and URI credentials never print."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
