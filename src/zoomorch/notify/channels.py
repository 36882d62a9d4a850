"""From an event file's ``[notifications]`` (and command-line overrides) to working channels.

Setting an event's channels up is one loop over :data:`~zoomorch.notify.registry.REGISTRY`,
in two steps, so a command can fail before it starts anything: :func:`resolve_channels` reads
each channel's config from the file, with the secrets it needs from the environment (a
webhook's ``url_env``); :func:`build_notifiers` makes the notifiers. Every error names the
file, the field and the fix, and never shows a secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from zoomorch.notify.base import (
    BuildContext,
    ChannelConfig,
    ChannelOverrides,
    ChannelSetupError,
    Notifier,
    ReadContext,
)
from zoomorch.notify.board import BoardConfig
from zoomorch.notify.console import ConsoleConfig
from zoomorch.notify.email import SmtpSettings
from zoomorch.notify.registry import REGISTRY
from zoomorch.notify.webhook import WebhookConfig
from zoomorch.notify.zoom_chat import CHAT_SENDER_ENV, ChatPlan

if TYPE_CHECKING:
    from zoomorch.board.hub import BoardHub
    from zoomorch.event import Notifications
    from zoomorch.notify.console import ConsoleNotifier
    from zoomorch.notify.zoom_chat import ChatSender

C = TypeVar("C", bound=ChannelConfig)


@dataclass(frozen=True)
class ChannelPlan:
    """The channels one event's cues go out on: the config of each channel that is on, by
    name, in the registry's order."""

    configs: Mapping[str, ChannelConfig] = field(default_factory=dict)

    def names(self) -> list[str]:
        """The notifiers' names, as the delivery log and ``cues status`` show them."""
        return [name for config in self.configs.values() for name in config.names()]

    def config(self, model: type[C]) -> C | None:
        """The config of the channel whose config model is ``model``; None when it is off."""
        return next((c for c in self.configs.values() if isinstance(c, model)), None)

    # Typed shortcuts for callers that ask about one channel (doctor, the composition root).

    @property
    def console(self) -> bool:
        return self.config(ConsoleConfig) is not None

    @property
    def board(self) -> bool:
        return self.config(BoardConfig) is not None

    @property
    def zoom_chat(self) -> ChatPlan | None:
        return self.config(ChatPlan)

    @property
    def webhooks(self) -> tuple[str, ...]:
        hooks = self.config(WebhookConfig)
        return hooks.urls if hooks is not None else ()

    @property
    def email(self) -> SmtpSettings | None:
        return self.config(SmtpSettings)


def resolve_channels(notifications: Notifications, *, source: str | Path = "<event>",
                     overrides: ChannelOverrides | None = None,
                     env: Mapping[str, str] | None = None) -> ChannelPlan:
    """Which channels an event uses: its file's ``[notifications]`` under ``overrides``.

    Raises :class:`ChannelSetupError` when a channel cannot work as configured, e.g. a
    webhook's ``url_env`` is not set, or Team Chat has no sender (the file's
    ``notifications.zoom_chat.sender`` or ``ZOOMORCH_CHAT_SENDER``).
    """
    context = ReadContext(source=source, overrides=overrides or ChannelOverrides(),
                          env=os.environ if env is None else env)
    configs: dict[str, ChannelConfig] = {}
    for name, channel in REGISTRY.items():
        config = channel.config.from_file(getattr(notifications, name), context)
        if config is not None:
            configs[name] = config
    return ChannelPlan(configs)


def build_notifiers(plan: ChannelPlan, *, zoom: ChatSender | None = None,
                    console: ConsoleNotifier | None = None,
                    hub: BoardHub | None = None) -> list[Notifier]:
    """The notifiers of a plan. ``console`` is shared between events when given; the board
    channel needs the service's ``hub`` (without one, e.g. ``cues run``, it is left out);
    Team Chat needs ``zoom`` (ChannelSetupError without it)."""
    parts = BuildContext(zoom=zoom, console=console, hub=hub)
    return [notifier for name, config in plan.configs.items()
            for notifier in REGISTRY[name].build(config, parts)]


def channel_names(notifiers: Sequence[Notifier]) -> str:
    """``console, webhook, board`` — for a start-up line."""
    return ", ".join(n.name for n in notifiers) or "none"


__all__ = ["CHAT_SENDER_ENV", "ChannelOverrides", "ChannelPlan",
           "ChannelSetupError", "ChatPlan", "build_notifiers", "channel_names",
           "resolve_channels"]
