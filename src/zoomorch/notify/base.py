"""What every delivery channel shares: the message it delivers, the one :class:`Notifier`
protocol, the protocol of a channel's settings and what reading and building a channel get,
and the errors.

A channel module (``console``, ``zoom_chat``, ``webhook``, ``email``, ``board``) implements
two things against this module: its notifier (a :class:`Notifier`) and its settings (a
:class:`ChannelConfig`, read from the event file's ``[notifications.<name>]`` section).
:mod:`zoomorch.notify.channels` puts them in its registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self

if TYPE_CHECKING:
    from zoomorch.board.hub import BoardHub
    from zoomorch.notify.console import ConsoleNotifier
    from zoomorch.notify.zoom_chat import ChatSender


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


# --------------------------------------------------------------------------- errors


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


class ChannelSetupError(ValueError):
    """A channel cannot be set up as configured; the message names the field and the fix."""


# --------------------------------------------------------------------------- the protocol


class Notifier(Protocol):
    """A delivery channel (console, Zoom Team Chat, webhook, email, cue board).

    ``name`` is the channel's name in the delivery log (``webhook1`` for a second webhook).
    Before delivering, the scheduler asks:

    - ``per_cue``: the channel takes each cue once, for all its recipients together (a Team
      Chat channel); otherwise it gets one message per recipient;
    - ``per_person``: a person's own choice of channels (``notifications.people``) applies;
      False for a channel that belongs to the event, not to a person (the cue board);
    - ``accepts(message)``: the channel can address this recipient at all (Team Chat needs
      an email address); a recipient it does not accept gets no delivery on it.

    A channel class subclasses this protocol to inherit the defaults (per person, every cue
    for every recipient) and overrides what differs.
    """

    name: str
    per_person: bool = True
    per_cue: bool = False

    def accepts(self, message: CueMessage) -> bool:
        """Whether this channel can address ``message``'s recipient."""
        return True

    def deliver(self, message: CueMessage) -> None:
        """Deliver one message or raise DeliveryError."""
        ...


# --------------------------------------------------------------------------- setting channels up


def choose(command_line: bool | None, file: bool) -> bool:
    """A command-line switch wins over the event file; ``None`` leaves it to the file."""
    return file if command_line is None else command_line


@dataclass(frozen=True)
class ChannelOverrides:
    """Command-line choices that win over the event file; ``None`` (or empty): the file
    decides. ``webhooks`` replaces the file's webhook URL (its timeout still applies);
    ``smtp_*`` replace single fields of its email settings (``smtp_host`` alone turns email
    on)."""

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
class ReadContext:
    """What reading a channel's settings may use besides its section of the event file:
    the file's name (for error messages), the command line's overrides and the environment
    (secrets such as a webhook's URL live there, never in the file)."""

    source: str | Path
    overrides: ChannelOverrides
    env: Mapping[str, str]


@dataclass(frozen=True)
class BuildContext:
    """What building a channel may need of the running command: a Zoom client (Team Chat),
    the console shared by every event of a run, the board's hub (the service's)."""

    zoom: ChatSender | None = None
    console: ConsoleNotifier | None = None
    hub: BoardHub | None = None


class ChannelConfig(Protocol):
    """A channel's settings, as one event uses it.

    ``from_file`` reads the event file's ``[notifications.<name>]`` value (``section``: a bool
    for ``console = true``, the section's model for a table, or None when it is absent) under
    the command line's overrides; None means the channel is off. It raises
    :class:`ChannelSetupError`, naming the file, the field and the fix, when the channel
    cannot work (e.g. a secret's variable is not set), and never shows a secret.
    """

    @classmethod
    def from_file(cls, section: Any, context: ReadContext) -> Self | None: ...

    def names(self) -> list[str]:
        """The names of the notifiers it makes, as the delivery log and ``cues status``
        show them."""
        ...
