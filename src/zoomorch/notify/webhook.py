"""Generic webhook channel: a Slack-compatible JSON body (``{"text": …}``) plus cue fields.

Slack, Mattermost, Rocket.Chat and Teams-style incoming webhooks read ``text``; receivers of our
own read the structured fields. The URL of an incoming webhook is itself a secret, so it never
appears in errors or reprs — only its scheme and host do.

Configured by ``[notifications.webhook]``: ``url_env`` (the variable holding the URL) or a
literal ``url``, and ``timeout_seconds``; ``--webhook URL`` (repeatable) replaces the URL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from zoomorch.notify.base import (
    BuildContext,
    ChannelSetupError,
    CueMessage,
    DeliveryError,
    Notifier,
    ReadContext,
)

NAME = "webhook"

# Seconds to wait for the receiver (to connect, then for its answer), unless the event file's
# notifications.webhook.timeout_seconds says otherwise.
DEFAULT_TIMEOUT = 5.0


class WebhookSection(Protocol):
    """What this channel reads of the event file's ``[notifications.webhook]``."""

    @property
    def url(self) -> str | None: ...
    @property
    def url_env(self) -> str | None: ...
    @property
    def timeout_seconds(self) -> float: ...


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}/…"


def _url_problem(url: str) -> str | None:
    if url.startswith(("http://", "https://")):
        return None
    return (f"webhook URL must start with http:// or https:// (got {_safe_url(url)}); "
            "fix the notification's url in the event file")


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


def _session_for(url: str) -> requests.Session:
    """A session for POSTs to ``url`` with the environment's settings read once (its proxy,
    honouring NO_PROXY, and REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE) instead of at every cue:
    requests otherwise looks up proxies, ``~/.netrc`` and the CA bundle on each request,
    which under a burst of cues costs more CPU than the POST itself."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    return session


class WebhookNotifier(Notifier):
    """POSTs each cue as JSON to one URL; any non-2xx answer or network error is a failure.

    ``timeout`` bounds both the connection and the wait for the answer, in seconds.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str = NAME,
        timeout: float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        problem = _url_problem(url)
        if problem is not None:
            raise ValueError(problem)
        self.name = name
        self._url = url
        self.timeout = timeout
        self._headers = dict(headers or {})
        self._session = session or _session_for(url)

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


@dataclass(frozen=True)
class WebhookConfig:
    """The webhook channel as one event uses it: one notifier per URL (``webhook``,
    ``webhook1``, …), each waiting at most ``timeout`` seconds."""

    urls: tuple[str, ...] = field(repr=False)  # a URL may carry a token
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_file(cls, section: WebhookSection | None,
                  context: ReadContext) -> WebhookConfig | None:
        """The command line's URLs, else the file's (``url_env`` read from the environment),
        with the file's ``timeout_seconds``; None when there is no URL."""
        timeout = section.timeout_seconds if section is not None else DEFAULT_TIMEOUT
        urls = tuple(context.overrides.webhooks)
        if not urls and section is not None:
            if section.url_env is not None:
                url = context.env.get(section.url_env, "").strip()
                if not url:
                    raise ChannelSetupError(
                        f"{context.source}: notifications.webhook.url_env: {section.url_env} "
                        f"is not set — export {section.url_env} with the webhook's URL (or "
                        "remove [notifications.webhook])")
                urls = (url,)
            elif section.url is not None:
                urls = (section.url,)
        for url in urls:
            problem = _url_problem(url)
            if problem is not None:
                raise ChannelSetupError(problem)
        return cls(urls, timeout) if urls else None

    def names(self) -> list[str]:
        return [NAME if i == 0 else f"{NAME}{i}" for i in range(len(self.urls))]


def build(config: WebhookConfig, parts: BuildContext) -> list[Notifier]:
    """One notifier per URL, named as :meth:`WebhookConfig.names` says."""
    return [WebhookNotifier(url, name=name, timeout=config.timeout)
            for url, name in zip(config.urls, config.names(), strict=True)]
