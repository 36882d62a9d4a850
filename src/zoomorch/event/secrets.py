"""Secrets never go in the event file: keys that name one, and webhook URLs that are one.

The event file is meant to be shared and committed; credentials come from the environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from zoomorch.event.problems import Problem

SECRET_KEY = re.compile(
    r"(secret|token|password|passwd|passcode|api[_-]?key|private[_-]?key|credential)", re.I
)
# Incoming-webhook services whose URL path *is* the credential.
_SECRET_URL_HOSTS: tuple[tuple[str, str], ...] = (
    ("hooks.slack.com", "/services/"), ("hooks.slack.com", "/workflows/"),
    ("hooks.slack.com", "/triggers/"), ("discord.com", "/api/webhooks/"),
    ("discordapp.com", "/api/webhooks/"), ("webhook.office.com", "/"),
    ("outlook.office.com", "/webhook"), ("chat.googleapis.com", "/"),
    ("hooks.zapier.com", "/hooks/"), ("maker.ifttt.com", "/trigger/"),
    ("api.telegram.org", "/bot"),
)
_SECRET_PARAM = re.compile(r"(token|key|secret|sig|signature|auth|code|pass|credential)", re.I)
_RANDOM_SEGMENT = re.compile(r"^[A-Za-z0-9_\-]{20,}$")


def url_secret_reason(url: str) -> str | None:
    """Why a webhook URL looks like it carries a secret (None if it does not)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.password or parts.username:
        return "it has a user name or password in it"
    for known_host, path in _SECRET_URL_HOSTS:
        if ((host == known_host or host.endswith("." + known_host))
                and parts.path.startswith(path)):
            return f"the path of a {known_host} incoming webhook is its secret"
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if _SECRET_PARAM.search(name):
            return f"its query parameter {name!r} looks like a credential"
    for segment in parts.path.split("/"):
        if (_RANDOM_SEGMENT.match(segment) and re.search(r"\d", segment)
                and re.search(r"[A-Za-z]", segment)):
            return "a part of its path looks like a token"
    return None


def safe_url(url: str) -> str:
    """A URL shown without the parts that may be secret: its scheme and host."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/…"


def secret_problems(data: Any, prefix: str = "") -> Iterable[Problem]:
    """Every key anywhere in ``data`` whose name says it holds a secret."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{prefix}.{key}" if prefix else str(key)
            if SECRET_KEY.search(str(key)):
                fix = ("remove it and set ZOOM_CLIENT_SECRET and friends in the environment or "
                       "a .env file that is not committed")
                if where.startswith("notifications.email"):
                    fix = "remove it; the SMTP password comes from ZOOMORCH_SMTP_PASSWORD only"
                elif where.startswith("notifications"):
                    fix = ("remove it; put the secret in an environment variable and name it "
                           "(e.g. url_env = \"ZOOMORCH_CUE_WEBHOOK_URL\")")
                yield Problem(where, "secrets never go in the event file", fix)
            else:
                yield from secret_problems(value, where)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from secret_problems(item, f"{prefix}[{i}]")
