"""Board links are credentials: no log line may carry one.

uvicorn's access log writes each request line with its query string, and a board page is
opened as ``/board/EVENT?token=eyJ…``. :class:`TokenRedactor` rewrites any record whose message
holds a ``token=`` parameter, an ``Authorization: Bearer`` value or a JWT before a handler sees
it; :func:`install` puts it on the loggers uvicorn writes requests and errors to.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

REDACTED = "[redacted]"

_PATTERNS = (
    # token=… in a query string (also access_token, id_token), up to the next separator
    re.compile(r"(?i)(\b[a-z_]*token=)[^&\s\"'#]+"),
    # Authorization: Bearer …
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    # a JWT anywhere: three base64url parts, the first from '{"' (eyJ)
    re.compile(r"()eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?"),
)

# Where uvicorn writes the request line, its errors and its ASGI trace.
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn.asgi")


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class TokenRedactor(logging.Filter):
    """Rewrites a record whose message carries a token; lets every record through.

    The arguments are rewritten in place where they are strings (uvicorn's access formatter
    unpacks them: client, method, path, version, status); the message itself otherwise."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        if redact(message) == message:
            return True
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v
                           for k, v in record.args.items()}
        try:
            still = redact(record.getMessage()) != record.getMessage()
        except Exception:
            still = True
        if still:  # a token inside a non-string argument: the whole message, rewritten
            record.msg, record.args = redact(message), None
        return True


_REDACTOR = TokenRedactor()


def install() -> None:
    """Put the redactor on every logger the service writes requests and errors to (once).

    A logger's filter sees the records logged to that logger itself, before any handler, so
    the handlers uvicorn configures and any other (a test's, a log shipper's) get the
    rewritten record."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the redactor on each of its handlers too
    (whatever logger a record comes from, nothing it prints carries a token)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": TokenRedactor}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_tokens")
    return config
