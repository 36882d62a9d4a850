"""Cue board channel: publishes each cue to the board's live feed (server-sent events).

On with ``[notifications] board = true`` (the default) or ``--board``; it needs the service's
board hub, so a run without the service (``zoomorch cues run``) has no board channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zoomorch.notify.base import BuildContext, CueMessage, Notifier, ReadContext, choose

if TYPE_CHECKING:
    from zoomorch.board.hub import BoardHub

NAME = "board"


class BoardNotifier(Notifier):
    """Publishes each cue to every open board of its event, once per cue.

    The scheduler hands one message per recipient; the hub keeps the first of a cue and drops
    the rest, since every board shows the plan's own text in the board's language.
    """

    # The board is the event's, not a person's: per-person channel choices do not apply.
    per_person = False

    def __init__(self, hub: BoardHub, *, name: str = NAME) -> None:
        self.name = name
        self.hub = hub

    def deliver(self, message: CueMessage) -> None:
        cue_id = message.extra.get("cue_id", message.key)
        self.hub.publish(
            message.event_slug,
            {
                "type": "cue",
                "cue_id": cue_id,
                "kind": message.kind,
                "segment": message.segment,
                "due": message.due.isoformat(),
                "text": message.text,
                "language": message.extra.get("language", ""),
                "late": message.late,
            },
            dedupe_key=cue_id,
        )


@dataclass(frozen=True)
class BoardConfig:
    """The cue board channel is on; it has no settings."""

    @classmethod
    def from_file(cls, section: bool, context: ReadContext) -> BoardConfig | None:
        return cls() if choose(context.overrides.board, section) else None

    def names(self) -> list[str]:
        return [NAME]


def build(config: BoardConfig, parts: BuildContext) -> list[Notifier]:
    """The board notifier on the service's hub; none without a hub."""
    return [BoardNotifier(parts.hub)] if parts.hub is not None else []
