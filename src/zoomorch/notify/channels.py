"""From an event file's ``[notifications]`` (and command-line overrides) to working channels.

Two steps, so a command can fail before it starts anything: :func:`resolve_channels` decides
which channels an event uses and reads the secrets they need from the environment (a webhook's
``url_env``); :func:`build_notifiers` makes the channel objects. Every error names the file,
the field and the fix, and never shows a secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from zoomorch.notify.base import Notifier
from zoomorch.notify.email import SMTP_PASSWORD_ENV, SmtpSettings
from zoomorch.notify.webhook import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from zoomorch.board.hub import BoardHub
    from zoomorch.event import Notifications
    from zoomorch.notify.console import ConsoleNotifier
    from zoomorch.notify.zoom_chat import ChatSender


CHAT_SENDER_ENV = "ZOOMORCH_CHAT_SENDER"


class ChannelSetupError(ValueError):
    """A channel cannot be set up as configured; the message names the field and the fix."""


@dataclass(frozen=True)
class ChatPlan:
    """Team Chat as an event uses it: who sends, to each person and/or to a channel."""

    sender: str
    people: bool = True
    channel: str | None = None


@dataclass(frozen=True)
class ChannelOverrides:
    """Command-line choices that win over the event file; ``None`` (or empty): the file
    decides. ``webhooks`` replaces the file's webhook; ``smtp_*`` replace single fields of
    its email settings (``smtp_host`` alone turns email on)."""

    console: bool | None = None
    zoom_chat: bool | None = None
    board: bool | None = None
    webhooks: tuple[str, ...] = field(default=(), repr=False)  # URLs may carry tokens
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_from: str | None = None
    smtp_user: str | None = None
    smtp_starttls: bool | None = None


@dataclass(frozen=True)
class ChannelPlan:
    """The channels one event's cues go out on, with everything needed to build them."""

    console: bool = True
    zoom_chat: ChatPlan | None = None
    board: bool = True
    webhooks: tuple[str, ...] = field(default=(), repr=False)
    # Seconds: the file's notifications.webhook.timeout_seconds (for --webhook URLs too).
    webhook_timeout: float = DEFAULT_TIMEOUT
    email: SmtpSettings | None = None

    def names(self) -> list[str]:
        """The channel names, as the delivery log and ``cues status`` show them."""
        out = ["console"] if self.console else []
        if self.zoom_chat is not None and self.zoom_chat.people:
            out.append("zoom_chat")
        if self.zoom_chat is not None and self.zoom_chat.channel:
            out.append("zoom_chat_channel")
        out += [_webhook_name(n) for n in range(len(self.webhooks))]
        if self.email is not None:
            out.append("email")
        if self.board:
            out.append("board")
        return out


def _webhook_name(n: int) -> str:
    return "webhook" if n == 0 else f"webhook{n}"


def resolve_channels(notifications: Notifications, *, source: str | Path = "<event>",
                     overrides: ChannelOverrides | None = None,
                     env: Mapping[str, str] | None = None) -> ChannelPlan:
    """Which channels an event uses: its file's ``[notifications]`` under ``overrides``.

    Raises :class:`ChannelSetupError` when a webhook's ``url_env`` is not set, or Team Chat
    has no sender (the file's ``notifications.zoom_chat.sender`` or ``ZOOMORCH_CHAT_SENDER``).
    """
    o = overrides or ChannelOverrides()
    env = os.environ if env is None else env
    n = notifications

    def pick(cli: bool | None, file: bool) -> bool:
        return file if cli is None else cli

    webhooks: tuple[str, ...] = tuple(o.webhooks)
    webhook_timeout = n.webhook.timeout_seconds if n.webhook is not None else DEFAULT_TIMEOUT
    if not webhooks and n.webhook is not None:
        hook = n.webhook
        if hook.url_env is not None:
            url = env.get(hook.url_env, "").strip()
            if not url:
                raise ChannelSetupError(
                    f"{source}: notifications.webhook.url_env: {hook.url_env} is not set — "
                    f"export {hook.url_env} with the webhook's URL (or remove "
                    "[notifications.webhook])")
            webhooks = (url,)
        elif hook.url is not None:
            webhooks = (hook.url,)
    email: SmtpSettings | None = None
    file_email = n.email
    host = o.smtp_host or (file_email.host if file_email else None)
    if host:
        email = SmtpSettings(
            host=host,
            port=o.smtp_port or (file_email.port if file_email else 587),
            sender=o.smtp_from or (file_email.sender if file_email else "zoomorch@localhost"),
            starttls=pick(o.smtp_starttls, file_email.starttls if file_email else True),
            user=o.smtp_user or (file_email.user if file_email else None),
            password_env=SMTP_PASSWORD_ENV,
        )
    return ChannelPlan(console=pick(o.console, n.console),
                       zoom_chat=_chat_plan(n, pick(o.zoom_chat, bool(n.zoom_chat)), source, env),
                       board=pick(o.board, n.board), webhooks=webhooks,
                       webhook_timeout=webhook_timeout, email=email)


def _chat_plan(notifications: Notifications, on: bool, source: str | Path,
               env: Mapping[str, str]) -> ChatPlan | None:
    if not on:
        return None
    from zoomorch.event import ZoomChatChannel

    chat = notifications.zoom_chat
    settings = chat if isinstance(chat, ZoomChatChannel) else ZoomChatChannel()
    sender = env.get(CHAT_SENDER_ENV, "").strip() or settings.sender
    if not sender:
        raise ChannelSetupError(
            f"{source}: notifications.zoom_chat: no sender — with Server-to-Server OAuth 'me' "
            "is the app's owner, so name the user of the Zoom account who sends the cues: "
            'write [notifications.zoom_chat] sender = "tech.host@your-org.org", or export '
            f"{CHAT_SENDER_ENV}")
    if not settings.people and not settings.channel:
        raise ChannelSetupError(
            f"{source}: notifications.zoom_chat sends nothing (people = false and no "
            'channel) — set channel = "<Team Chat channel id>" or people = true')
    return ChatPlan(sender=sender, people=settings.people, channel=settings.channel)


def build_notifiers(plan: ChannelPlan, *, zoom: ChatSender | None = None,
                    console: ConsoleNotifier | None = None,
                    hub: BoardHub | None = None) -> list[Notifier]:
    """The channel objects of a plan. ``console`` is shared between events when given; the
    board channel needs the service's ``hub`` (without one, e.g. ``cues run``, it is left
    out)."""
    out: list[Notifier] = []
    if plan.console:
        from zoomorch.notify.console import ConsoleNotifier

        out.append(console or ConsoleNotifier())
    chat = plan.zoom_chat
    if chat is not None:
        if zoom is None:
            raise ChannelSetupError("zoom_chat needs a Zoom API client; set ZOOM_ACCOUNT_ID, "
                                    "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET")
        from zoomorch.notify.zoom_chat import ZoomChatChannelNotifier, ZoomChatNotifier

        if chat.people:
            out.append(ZoomChatNotifier(zoom, sender=chat.sender))
        if chat.channel:
            out.append(ZoomChatChannelNotifier(zoom, sender=chat.sender, channel=chat.channel))
    for i, url in enumerate(plan.webhooks):
        from zoomorch.notify.webhook import WebhookNotifier

        try:
            out.append(WebhookNotifier(url, name=_webhook_name(i), timeout=plan.webhook_timeout))
        except ValueError as exc:
            raise ChannelSetupError(str(exc)) from None
    if plan.email is not None:
        from zoomorch.notify.email import EmailNotifier

        out.append(EmailNotifier(plan.email))
    if plan.board and hub is not None:
        from zoomorch.notify.board import BoardNotifier

        out.append(BoardNotifier(hub))
    return out


def channel_names(notifiers: Sequence[Notifier]) -> str:
    """``console, webhook, board`` — for a start-up line."""
    return ", ".join(n.name for n in notifiers) or "none"


__all__ = ["CHAT_SENDER_ENV", "ChannelOverrides", "ChannelPlan", "ChannelSetupError", "ChatPlan",
           "build_notifiers",
           "channel_names", "resolve_channels"]
