"""Zoom Team Chat channels: a message to each person (``to_contact``) and/or one message per cue
to the event's Team Chat channel (``to_channel``), both sent by a named user of the account.

Zoom delivers a chat message only to a contact of the sending user (the account's own users,
and people they added) or to a channel the sender is a member of. With Server-to-Server OAuth
``me`` is the app's owner, so the sender is configured explicitly. A person of another
organisation is usually not a contact: Zoom refuses the message, and this channel raises
:class:`RecipientUnreachable` so the scheduler falls back to their next channel. A channel can
hold people of any organisation: it is the way to reach an external moderator through Zoom.
"""

from __future__ import annotations

import threading
from typing import Protocol

from zoomorch.notify.base import CueMessage, DeliveryError, RecipientUnreachable

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


class ZoomChatNotifier:
    """Sends each cue as a Team Chat message from ``sender`` to the recipient's email.

    Recipients without an email address are not targeted (``accepts``): Zoom addresses a
    contact by email. Someone Zoom refuses as a non-contact is remembered, so later cues fall
    back at once without another refused call.
    """

    def __init__(self, client: ChatSender, *, sender: str, name: str = "zoom_chat") -> None:
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


class ZoomChatChannelNotifier:
    """Posts each cue once to a Team Chat channel the sender is a member of.

    The channel is the event's, not a person's: the scheduler hands it one message per cue
    (``per_cue``), whose text holds the cue in every language and zone of its recipients.
    """

    per_person = False
    per_cue = True

    def __init__(self, client: ChatSender, *, sender: str, channel: str,
                 name: str = "zoom_chat_channel") -> None:
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
