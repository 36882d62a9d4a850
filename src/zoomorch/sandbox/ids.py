"""Zoom-shaped identifiers: 11-digit webinar ids, base64 uuids, opaque registrant ids."""

from __future__ import annotations

import base64
import secrets
import string

_ALNUM = string.ascii_letters + string.digits


def webinar_id() -> int:
    """An 11-digit webinar id like Zoom's (never starting with 0)."""
    return secrets.randbelow(9 * 10**10) + 10**10


def webinar_uuid() -> str:
    """A per-occurrence uuid: 16 random bytes in base64 (22 chars + '==').

    Zoom's uuids may contain '/' and '+'; we avoid '/' so paths need no double encoding.
    """
    while True:
        value = base64.b64encode(secrets.token_bytes(16)).decode()
        if "/" not in value:
            return value


def opaque_id(length: int = 22) -> str:
    """Registrant/panelist ids: letters, digits, '-' and '_' as Zoom uses."""
    return secrets.token_urlsafe(length)[:length]


def join_token() -> str:
    """The `tk` part of a personal join URL."""
    return secrets.token_urlsafe(32)


def numeric_id(digits: int = 10) -> str:
    """Numeric string ids (poll ids, chat message ids' suffix)."""
    return "".join(secrets.choice(string.digits) for _ in range(digits))


def user_id() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(22))


def chat_message_id() -> str:
    """Team Chat message ids are UUIDs."""
    import uuid

    return str(uuid.uuid4())
