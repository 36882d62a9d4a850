"""Console channel: one rich line per cue, for the operator's terminal and `zoomorch demo`.

On with ``[notifications] console = true`` (the default) or ``--console``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from zoomorch.notify.base import (
    BuildContext,
    CueMessage,
    DeliveryError,
    Notifier,
    ReadContext,
    choose,
)

NAME = "console"

# Urgency reads at a glance: the closer to (or past) the end, the hotter the colour.
_STYLE_BY_KIND = {
    "tech_check": "cyan",
    "doors_open": "cyan",
    "event_start": "bold green",
    "segment_start": "bold green",
    "warning": "yellow",
    "time_up": "bold red",
    "overrun": "bold white on red",
    "handover": "magenta",
    "hard_stop": "bold white on red",
    "behind": "bold yellow",
    "message": "bold magenta",  # the control room's message to the presenter
}


class ConsoleNotifier(Notifier):
    """Prints each cue as one line: local due time, kind, segment, text."""

    name = NAME

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    def deliver(self, message: CueMessage) -> None:
        style = _STYLE_BY_KIND.get(message.kind, "bold")
        when = message.due.strftime("%H:%M:%S %Z").strip()
        late = " [dim](late)[/dim]" if message.late else ""
        where = f" · {escape(message.segment)}" if message.segment else ""
        line = (
            f"[dim]{escape(when)}[/dim] [{style}]{escape(message.kind)}[/{style}]{where}"
            f" → {escape(message.recipient_name)}: {escape(message.text)}{late}"
        )
        try:
            self.console.print(line, soft_wrap=True)
        except OSError as exc:  # a closed terminal or broken pipe must not stop the scheduler
            raise DeliveryError(f"console: cannot write ({exc.__class__.__name__})") from exc


@dataclass(frozen=True)
class ConsoleConfig:
    """The console channel is on; it has no settings."""

    @classmethod
    def from_file(cls, section: bool, context: ReadContext) -> ConsoleConfig | None:
        return cls() if choose(context.overrides.console, section) else None

    def names(self) -> list[str]:
        return [NAME]


def build(config: ConsoleConfig, parts: BuildContext) -> list[Notifier]:
    """The console notifier: the run's shared one when there is one, so that the lines of
    several events do not interleave."""
    return [parts.console or ConsoleNotifier()]
