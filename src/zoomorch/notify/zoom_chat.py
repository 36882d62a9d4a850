"""Zoom Team Chat channel: a chat message to the recipient's Zoom user, through the API."""

from __future__ import annotations

from typing import Protocol

from zoomorch.notify.base import CueMessage, DeliveryError


class ChatSender(Protocol):
    """What this channel needs of :class:`zoomorch.zoom.ZoomClient`."""

    def send_chat_message(self, message: str, *, to_contact: str | None = None,
                          to_channel: str | None = None, user_id: str = "me") -> str: ...


class ZoomChatNotifier:
    """Sends each cue as a Team Chat message from the account's user to the recipient's email.

    Recipients without an email address are not targeted (``accepts``): Zoom addresses a
    contact by email.
    """

    def __init__(self, client: ChatSender, *, name: str = "zoom_chat",
                 sender_user_id: str = "me") -> None:
        self.name = name
        self._client = client
        self._sender = sender_user_id

    def accepts(self, message: CueMessage) -> bool:
        return bool(message.recipient_email)

    def deliver(self, message: CueMessage) -> None:
        if not message.recipient_email:
            raise DeliveryError(
                f"{self.name}: {message.recipient_name!r} has no email address to chat with; "
                "add one to the person in the event file"
            )
        text = f"{message.text} ({message.event_slug})" if message.late else message.text
        try:
            self._client.send_chat_message(text, to_contact=message.recipient_email,
                                           user_id=self._sender)
        except ValueError:
            raise
        except Exception as exc:
            # ZoomError and its subclasses carry status and code, never credentials.
            ambiguous = bool(getattr(exc, "ambiguous", False))
            note = " (the message may have been sent; not resent)" if ambiguous else ""
            # Team Chat has no idempotency key: after a lost answer a retry could post the
            # cue twice, so the scheduler must not retry it.
            raise DeliveryError(f"{self.name}: {type(exc).__name__}: {exc}{note}",
                                retry=not ambiguous) from None
