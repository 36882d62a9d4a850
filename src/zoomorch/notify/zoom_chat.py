"""Zoom Team Chat channels: a message to each person (``to_contact``) and/or one message per cue
to the event's Team Chat channel (``to_channel``), both sent by a named user of the account.

Zoom delivers a chat message only to a contact of the sending user (the account's own users,
and people they added) or to a channel the sender is a member of. With Server-to-Server OAuth
``me`` is the app's owner, so the sender is configured explicitly. A person of another
organisation is usually not a contact: Zoom refuses the message, and this channel raises
:class:`RecipientUnreachable` so the scheduler falls back to their next channel. A channel can
hold people of any organisation: it is the way to reach an external moderator through Zoom.

On with ``[notifications] zoom_chat = true`` or a ``[notifications.zoom_chat]`` table
(``sender``, ``people``, ``channel``), or ``--zoom-chat``; ``ZOOMORCH_CHAT_SENDER`` names the
sender over the file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from zoomorch.notify.base import (
    BuildContext,
    ChannelSetupError,
    CueMessage,
    DeliveryError,
    Notifier,
    ReadContext,
    RecipientUnreachable,
    choose,
)

NAME = "zoom_chat"
CHANNEL_NAME = "zoom_chat_channel"
CHAT_SENDER_ENV = "ZOOMORCH_CHAT_SENDER"

# Zoom's refusal codes that concern the app or account, not the recipient (token, scopes).
_ACCOUNT_CODES = frozenset({124, 4711})


class ChatSender(Protocol):
    """What these channels need of :class:`zoomorch.zoom.ZoomClient`."""

    def send_chat_message(self, message: str, *, to_contact: str | None = None,
                          to_channel: str | None = None, user_id: str = "me") -> str: ...


def _named_sender(sender: str) -> str:
    if not sender or sender == "me":
        raise ValueError("the Team Chat sender must be a named user of the Zoom account "
                         "(with Server-to-Server OAuth 'me' is the app's owner)")
    return sender


def _chat_text(message: CueMessage) -> str:
    # A late cue names its event: it may arrive among another event's messages.
    return f"{message.text} ({message.event_slug})" if message.late else message.text


def _failure(name: str, exc: Exception) -> DeliveryError:
    # ZoomError and its subclasses carry status and code, never credentials.
    ambiguous = bool(getattr(exc, "ambiguous", False))
    note = " (the message may have been sent; not resent)" if ambiguous else ""
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    # Team Chat has no idempotency key: after a lost answer a retry could post the cue twice.
    # A 4xx refusal (scopes, an unknown sender or channel) will not change on a retry either.
    permanent = status is not None and 400 <= status < 500 and status != 429
    return DeliveryError(f"{name}: {type(exc).__name__}: {exc}{note}",
                         retry=not (ambiguous or permanent or code in _ACCOUNT_CODES))


class ZoomChatNotifier(Notifier):
    """Sends each cue as a Team Chat message from ``sender`` to the recipient's email.

    Recipients without an email address are not targeted (``accepts``): Zoom addresses a
    contact by email. Someone Zoom refuses as a non-contact is remembered, so later cues fall
    back at once without another refused call.
    """

    def __init__(self, client: ChatSender, *, sender: str, name: str = NAME) -> None:
        self.name = name
        self.sender = _named_sender(sender)
        self._client = client
        self._unreachable: dict[str, str] = {}  # email -> Zoom's refusal
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ZoomChatNotifier(sender={self.sender!r})"

    def accepts(self, message: CueMessage) -> bool:
        return bool(message.recipient_email)

    def deliver(self, message: CueMessage) -> None:
        email = message.recipient_email
        if not email:
            raise DeliveryError(
                f"{self.name}: {message.recipient_name!r} has no email address to chat with; "
                "add one to the person in the event file"
            )
        key = email.strip().lower()
        with self._lock:
            refused = self._unreachable.get(key)
        if refused is not None:
            raise RecipientUnreachable(f"{self.name}: {email} {refused}")
        try:
            self._client.send_chat_message(_chat_text(message), to_contact=email,
                                           user_id=self.sender)
        except ValueError:
            raise
        except Exception as exc:
            if getattr(exc, "status", None) == 400 and getattr(exc, "code", None) \
                    not in _ACCOUNT_CODES:
                reason = (f"is not in the Team Chat contacts of {self.sender} (Zoom: "
                          f"{str(getattr(exc, 'message', exc)).rstrip('.')})")
                with self._lock:
                    self._unreachable[key] = reason
                raise RecipientUnreachable(f"{self.name}: {email} {reason}") from None
            raise _failure(self.name, exc) from None


class ZoomChatChannelNotifier(Notifier):
    """Posts each cue once to a Team Chat channel the sender is a member of.

    The channel is the event's, not a person's: the scheduler hands it one message per cue
    (``per_cue``), whose text holds the cue in every language and zone of its recipients.
    """

    per_person = False
    per_cue = True

    def __init__(self, client: ChatSender, *, sender: str, channel: str,
                 name: str = CHANNEL_NAME) -> None:
        self.name = name
        self.sender = _named_sender(sender)
        self.channel = channel
        self._client = client

    def __repr__(self) -> str:
        return f"ZoomChatChannelNotifier(sender={self.sender!r}, channel={self.channel!r})"

    def deliver(self, message: CueMessage) -> None:
        try:
            self._client.send_chat_message(_chat_text(message), to_channel=self.channel,
                                           user_id=self.sender)
        except ValueError:
            raise
        except Exception as exc:
            raise _failure(self.name, exc) from None


class ZoomChatSection(Protocol):
    """What this channel reads of the event file's ``[notifications.zoom_chat]`` table."""

    @property
    def sender(self) -> str | None: ...
    @property
    def people(self) -> bool: ...
    @property
    def channel(self) -> str | None: ...


@dataclass(frozen=True)
class ChatPlan:
    """Team Chat as an event uses it: who sends, to each person and/or to a channel."""

    sender: str
    people: bool = True
    channel: str | None = None

    @classmethod
    def from_file(cls, section: bool | ZoomChatSection,
                  context: ReadContext) -> ChatPlan | None:
        """``zoom_chat = true`` or its table, under ``--zoom-chat``; the sender from
        ``ZOOMORCH_CHAT_SENDER``, else the file. Raises ChannelSetupError without a sender,
        or when it would send nothing."""
        if not choose(context.overrides.zoom_chat, bool(section)):
            return None
        table = None if isinstance(section, bool) else section
        file_sender = table.sender if table is not None else None
        sender = context.env.get(CHAT_SENDER_ENV, "").strip() or file_sender
        if not sender:
            raise ChannelSetupError(
                f"{context.source}: notifications.zoom_chat: no sender — with Server-to-Server "
                "OAuth 'me' is the app's owner, so name the user of the Zoom account who sends "
                'the cues: write [notifications.zoom_chat] sender = "tech.host@your-org.org", '
                f"or export {CHAT_SENDER_ENV}")
        if sender.lower() == "me":
            raise ChannelSetupError(
                f"{context.source}: {CHAT_SENDER_ENV}: 'me' is the owner of the "
                "Server-to-Server OAuth app, who is rarely the person meant to send cues — "
                "name the sending user by email")
        people = table.people if table is not None else True
        channel = table.channel if table is not None else None
        if not people and not channel:
            raise ChannelSetupError(
                f"{context.source}: notifications.zoom_chat sends nothing (people = false and "
                'no channel) — set channel = "<Team Chat channel id>" or people = true')
        return cls(sender=sender, people=people, channel=channel)

    def names(self) -> list[str]:
        return ([NAME] if self.people else []) + ([CHANNEL_NAME] if self.channel else [])


def build(config: ChatPlan, parts: BuildContext) -> list[Notifier]:
    """A notifier to each person and/or one to the channel, both through the run's Zoom
    client (ChannelSetupError without one)."""
    if parts.zoom is None:
        raise ChannelSetupError("zoom_chat needs a Zoom API client; set ZOOM_ACCOUNT_ID, "
                                "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET")
    out: list[Notifier] = []
    if config.people:
        out.append(ZoomChatNotifier(parts.zoom, sender=config.sender))
    if config.channel:
        out.append(ZoomChatChannelNotifier(parts.zoom, sender=config.sender,
                                           channel=config.channel))
    return out
