"""What every command group shares: the event-file argument, ``--start-at``, and reading an
event file or exiting with its error (exit code 2, see :mod:`zoomorch.outcome`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from zoomorch.outcome import EXIT_INPUT

if TYPE_CHECKING:
    from zoomorch.event import EventSpec

EVENT_ARG = typer.Argument(..., exists=True, dir_okay=False, help="The event file (TOML).")
EVENTS_ARG = typer.Argument(
    ..., exists=True, help="An event file (TOML), several, or a folder of them (every *.toml "
    "in it; each may name its Zoom account profile with account = \"...\").")
START_AT = typer.Option(None, "--start-at",
                        help="Re-date the whole event: an ISO datetime or now+10m.")


def load_event_or_exit(event: Path, start_at: str | None) -> EventSpec:
    """The event file, or its error on stderr and exit code 2 (every command that reads one)."""
    from zoomorch.event import EventFileError, load_event

    try:
        return load_event(event, start_at=start_at)
    except EventFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_INPUT) from None


def exit_with(command: str, error: Exception, code: int = EXIT_INPUT) -> typer.Exit:
    """Print ``zoomorch COMMAND: error`` on stderr; the exit to raise."""
    typer.echo(f"zoomorch {command}: {error}", err=True)
    return typer.Exit(code)
