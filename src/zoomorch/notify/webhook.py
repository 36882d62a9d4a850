"""Generic webhook channel: a Slack-compatible JSON body (``{"text": …}``) plus cue fields.

Slack, Mattermost, Rocket.Chat and Teams-style incoming webhooks read ``text``; receivers of our
own read the structured fields. The URL of an incoming webhook is itself a secret, so it never
appears in errors or reprs — only its scheme and host do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from zoomorch.notify.base import CueMessage, DeliveryError

# Seconds to wait for the receiver (to connect, then for its answer), unless the event file's
# notifications.webhook.timeout_seconds says otherwise.
DEFAULT_TIMEOUT = 5.0


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}/…"


def webhook_body(message: CueMessage) -> dict[str, Any]:
    """The JSON body posted for one cue."""
    return {
        "text": message.text,
        "event": message.event_slug,
        "kind": message.kind,
        "segment": message.segment,
        "due": message.due.isoformat(),
        "recipient": message.recipient_name,
        "late": message.late,
        "key": message.key,
    }


class WebhookNotifier:
    """POSTs each cue as JSON to one URL; any non-2xx answer or network error is a failure."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "webhook",
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(
                f"webhook URL must start with http:// or https:// (got {_safe_url(url)}); "
                "fix the notification's url in the event file"
            )
        self.name = name
        self._url = url
        self.timeout = timeout
        self._headers = dict(headers or {})
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"WebhookNotifier(name={self.name!r}, url={_safe_url(self._url)!r})"

    def deliver(self, message: CueMessage) -> None:
        # The key lets a receiver drop a retried delivery it has already accepted.
        headers = {"Idempotency-Key": message.key, **self._headers}
        try:
            response = self._session.post(
                self._url, json=webhook_body(message), headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise DeliveryError(
                f"{self.name}: POST {_safe_url(self._url)} failed: {exc.__class__.__name__}"
            ) from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(
                f"{self.name}: POST {_safe_url(self._url)} answered HTTP {response.status_code}"
            )
