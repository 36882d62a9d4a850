"""The one small interface every delivery channel implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class CueMessage:
    """One cue, rendered for one recipient, ready to deliver on one channel.

    ``key`` is the idempotency key of the delivery (cue id + channel + recipient): a channel that
    can deduplicate (e.g. by a message header) passes it on.
    """

    key: str
    event_slug: str
    kind: str  # e.g. "segment_start", "warning", "time_up", "overrun", "handover", "hard_stop"
    due: datetime  # tz-aware
    text: str  # already in the recipient's language, times in the recipient's zone
    recipient_name: str
    recipient_email: str | None = None
    segment: str | None = None
    late: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class DeliveryError(Exception):
    """A channel could not deliver; the scheduler retries with backoff and records it.

    ``retry=False`` says a retry is unsafe — the message may have arrived (e.g. the answer to
    a chat message was lost) and sending it again could show it twice: the scheduler records
    the delivery as failed at once, with the reason.
    """

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class RecipientUnreachable(DeliveryError):
    """This channel cannot reach this person at all (e.g. they are not in the Team Chat
    contacts of the sending user): retrying is pointless, so the scheduler records the
    delivery as "fell back" and uses the person's next channel (email, else the cue board)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retry=False)


class Notifier(Protocol):
    """A delivery channel (console, Zoom Team Chat, webhook, email, cue board)."""

    name: str

    def deliver(self, message: CueMessage) -> None:
        """Deliver one message or raise DeliveryError."""
        ...
