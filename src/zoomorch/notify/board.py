"""Cue board channel: publishes each cue to the board's live feed (server-sent events).

On with ``[notifications] board = true`` (the default) or ``--board``; it needs the service's
board hub, so a run without the service (``zoomorch cues run``) has no board channel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zoomorch.notify.base import BuildContext, CueMessage, Notifier, ReadContext, choose

if TYPE_CHECKING:
    from zoomorch.board.hub import BoardHub

NAME = "board"


class BoardNotifier(Notifier):
    """Publishes each cue to every open board of its event, once per cue.

    The board is the event's, not a person's: the scheduler hands it one message per cue (one
    delivery in the log, not one per recipient), with the cue's text in every board language
    (``texts``): a board shows the text in its own language. The hub keeps the first
    publication of a cue (a retry, another replica's relay) and drops the rest.
    """

    per_person = False  # per-person channel choices do not apply
    per_cue = True

    def __init__(self, hub: BoardHub, *, name: str = NAME) -> None:
        self.name = name
        self.hub = hub

    def deliver(self, message: CueMessage) -> None:
        cue_id = message.extra.get("cue_id", message.key)
        texts = json.loads(message.extra.get("texts") or "{}")
        self.hub.publish(
            message.event_slug,
            {
                "type": "cue",
                "cue_id": cue_id,
                "kind": message.kind,
                "segment": message.segment,
                "due": message.due.isoformat(),
                "text": message.text,
                "texts": texts,
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
