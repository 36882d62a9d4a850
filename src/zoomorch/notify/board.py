"""Cue board channel: publishes each cue to the board's live feed (server-sent events)."""

from __future__ import annotations

from zoomorch.board.hub import BoardHub
from zoomorch.notify.base import CueMessage


class BoardNotifier:
    """Publishes each cue to every open board of its event, once per cue.

    The scheduler hands one message per recipient; the hub keeps the first of a cue and drops
    the rest, since every board shows the plan's own text in the board's language.
    """

    # The board is the event's, not a person's: per-person channel choices do not apply.
    per_person = False

    def __init__(self, hub: BoardHub, *, name: str = "board") -> None:
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
