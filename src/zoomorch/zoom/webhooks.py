"""Checking Zoom's webhook signatures, for our receiver.

Zoom signs ``v0:{x-zm-request-timestamp}:{raw body}`` with HMAC-SHA256 under the app's
secret token and sends ``x-zm-signature: v0=<hex>``. A receiver must compare in constant
time and refuse old timestamps, or a captured request could be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

TIMESTAMP_HEADER = "x-zm-request-timestamp"
SIGNATURE_HEADER = "x-zm-signature"
DEFAULT_TOLERANCE = timedelta(seconds=300)
# Zoom's timestamp: Unix seconds (or milliseconds), ASCII digits only. Anything else (signs,
# decimals, other scripts' digits, 400-digit numbers) is refused before any arithmetic.
_TIMESTAMP = re.compile(r"[0-9]{1,13}")

Secret = str | SecretStr


def _key(secret: Secret) -> bytes:
    raw = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return raw.encode()


def _raw(body: bytes | str) -> bytes:
    return body if isinstance(body, bytes) else body.encode()


def sign(secret: Secret, timestamp: int | str, body: bytes | str) -> str:
    """The ``x-zm-signature`` value Zoom would send for ``body`` at ``timestamp``."""
    message = b"v0:" + str(timestamp).encode() + b":" + _raw(body)
    return "v0=" + hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify(
    secret: Secret,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    now: datetime | None = None,
    tolerance: timedelta | float = DEFAULT_TOLERANCE,
) -> bool:
    """True if ``body`` was signed by Zoom with ``secret`` within ``tolerance`` of ``now``.

    ``x-zm-request-timestamp`` is in seconds (milliseconds are accepted too). A malformed
    header of either kind is a False, never an exception.
    """
    timestamp = _header(headers, TIMESTAMP_HEADER)
    signature = _header(headers, SIGNATURE_HEADER)
    if not timestamp or not signature:
        return False
    timestamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        return False
    value = int(timestamp)
    seconds = value / 1000 if value > 10**11 else value
    now = now or datetime.now(UTC)
    window = tolerance if isinstance(tolerance, timedelta) else timedelta(seconds=tolerance)
    if abs(now.timestamp() - seconds) > window.total_seconds():
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))


def url_validation_response(secret: Secret, plain_token: str) -> dict[str, str]:
    """The answer to ``endpoint.url_validation``: the token and its HMAC under ``secret``."""
    encrypted = hmac.new(_key(secret), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}
