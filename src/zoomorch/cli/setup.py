"""``zoomorch plan``, ``apply``, ``doctor`` and ``agenda``: the event in Zoom, checked and shown."""

from __future__ import annotations

from pathlib import Path

import typer

from zoomorch.cli.common import EVENT_ARG as _EVENT_ARG
from zoomorch.cli.common import EVENTS_ARG as _EVENTS_ARG
from zoomorch.cli.common import START_AT as _START_AT


def plan_cmd(
    events: list[Path] = _EVENTS_ARG,
    start_at: str | None = _START_AT,
    prune: bool = typer.Option(False, "--prune", help="Show extra panelists as removals."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Show what apply would change in Zoom, and any drift since the last apply. Writes nothing.
    Over a folder or several files: each event, then a per-event table."""
    from zoomorch.plan_view import plan_command

    raise typer.Exit(plan_command(events, start_at=start_at, prune=prune, env_file=env_file))


def apply_cmd(
    events: list[Path] = _EVENTS_ARG,
    start_at: str | None = _START_AT,
    prune: bool = typer.Option(False, "--prune", help="Remove panelists that are not in the file."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Make the webinar in Zoom match the event file (safe to re-run). Over a folder or several
    files: every event (past any one's failure), a per-event table, exit non-zero if any
    failed."""
    from zoomorch.plan_view import apply_command

    raise typer.Exit(apply_command(events, start_at=start_at, prune=prune, env_file=env_file))


def doctor_cmd(
    events: list[Path] = typer.Argument(
        None, exists=True, help="Event files or folders of them (default: check the account "
        "for every feature)."),
    as_json: bool = typer.Option(False, "--json", help="Print the checklist as JSON."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Preflight before a real event: credentials, scopes, licenses, Team Chat, secrets, SMTP,
    state store — each ✓ or ✗ with the fix. Exits 1 if anything must be fixed."""
    from zoomorch.doctor import doctor_command

    raise typer.Exit(doctor_command(events or [], as_json=as_json, env_file=env_file))


def agenda_cmd(
    event: Path = _EVENT_ARG,
    start_at: str | None = _START_AT,
    as_json: bool = typer.Option(False, "--json", help="Print the run-of-show as JSON."),
    ics: Path | None = typer.Option(None, "--ics", help="Write one calendar event per segment."),
    join_url: str | None = typer.Option(
        None, "--join-url",
        help="Link to put in each calendar event (e.g. the registration URL apply printed)."),
) -> None:
    """The run-of-show: every segment in the event's and each participant's time zone."""
    from zoomorch.plan_view import agenda_command

    raise typer.Exit(agenda_command(event, start_at=start_at, as_json=as_json, ics=ics,
                                    join_url=join_url))
