"""The registry of channels: each channel's name — its key under the event file's
``[notifications]`` and in ``notifications.people`` — mapped to its config model (read from
the file, see :class:`~zoomorch.notify.base.ChannelConfig`) and its factory (the notifiers it
makes). :mod:`zoomorch.notify.channels` sets an event's channels up with one loop over it.

A new channel is a module with a :class:`~zoomorch.notify.base.Notifier`, a config model and a
``build`` function, one line here, and its section in the event-file model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from zoomorch.notify import board, console, email, webhook, zoom_chat
from zoomorch.notify.base import BuildContext, ChannelConfig, Notifier

C = TypeVar("C", bound=ChannelConfig)


@dataclass(frozen=True)
class Channel(Generic[C]):
    """One kind of channel: its config model and its factory."""

    config: type[C]
    build: Callable[[C, BuildContext], list[Notifier]]


# In this order the channels are set up, listed and offered each cue.
REGISTRY: Mapping[str, Channel[Any]] = {
    console.NAME: Channel(console.ConsoleConfig, console.build),
    zoom_chat.NAME: Channel(zoom_chat.ChatPlan, zoom_chat.build),
    webhook.NAME: Channel(webhook.WebhookConfig, webhook.build),
    email.NAME: Channel(email.SmtpSettings, email.build),
    board.NAME: Channel(board.BoardConfig, board.build),
}
