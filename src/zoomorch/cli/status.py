"""``zoomorch status PATH…``: the conference overview in the terminal, from the state store
(no service needed): each event's start, phase, current segment, delay and next cue."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from zoomorch.cli.common import START_AT, exit_with, load_event_or_exit
from zoomorch.vocab.languages import cue_languages_accepted

_PHASE_STYLE = {"before": "", "late": "bold yellow", "live": "bold green",
                "overrun": "bold red", "ended": "dim"}


def _files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for item in paths:
        if item.is_dir():
            files.extend(sorted(item.glob("*.toml")))
        elif item.is_file():
            files.append(item)
        else:
            raise typer.BadParameter(f"{item}: no such event file or folder", param_hint="PATH")
    if not files:
        raise typer.BadParameter("no event files found; give EVENT.toml files or a folder",
                                 param_hint="PATH")
    return files


def status_cmd(
    paths: list[Path] = typer.Argument(..., help="Event files (TOML), or folders of them."),
    start_at: str | None = START_AT,
    language: str = typer.Option("en", "--lang",
                                 help=f"Segment and cue texts in: {cue_languages_accepted()}."),
    zone: str | None = typer.Option(None, "--zone",
                                    help="Show times in this IANA zone (default: this machine's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the overview as JSON."),
) -> None:
    """Every event's phase (before / late / live / overrun / ended), current segment, delay and
    next cue, read from the state store (the same as the service's overview page)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from zoomorch.board.overview import behind_text, overview_state
    from zoomorch.cues import LANGUAGES, agenda_from_event
    from zoomorch.db.store import open_store

    if language not in LANGUAGES:
        raise typer.BadParameter(f"use {cue_languages_accepted()}", param_hint="--lang")
    try:
        tz = ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"{zone}: not an IANA time zone", param_hint="--zone") from None
    agendas = [agenda_from_event(load_event_or_exit(f, start_at)) for f in _files(paths)]
    slugs = [a.slug for a in agendas]
    if len(set(slugs)) != len(slugs):
        raise exit_with("status", ValueError("two event files have the same key"))
    state = overview_state(open_store(), agendas, language=language)
    if as_json:
        typer.echo(json.dumps(state, ensure_ascii=False, indent=2))
        return

    from rich.console import Console
    from rich.table import Table

    def clock(iso: str | None) -> str:
        if not iso:
            return "—"
        at = datetime.fromisoformat(iso).astimezone(tz)
        return at.strftime("%a %d %b %H:%M")

    def delay(row: dict[str, Any]) -> str:
        seconds = row["behind_seconds"]
        if seconds is None:
            return "—"
        if seconds >= 1:
            return f"{behind_text(seconds)} behind"
        if seconds <= -1:
            return f"{behind_text(-seconds)} to spare"
        return "on time"

    shown_zone = str(tz) if tz else (datetime.now().astimezone().tzname() or "local")
    table = Table(title=f"zoomorch status — times in {shown_zone}")
    for column in ("Event", "Start", "Phase", "Now", "Delay", "Next cue"):
        table.add_column(column, overflow="fold")
    for row in state["events"]:
        cue = row["next_cue"]
        table.add_row(
            f"{row['title']}\n[dim]{row['event']}[/dim]",
            clock(row["actual_start"] or row["scheduled_start"]),
            f"[{_PHASE_STYLE[row['phase']]}]{row['phase']}[/]" if _PHASE_STYLE[row["phase"]]
            else row["phase"],
            row["current"]["title"] if row["current"] else "—",
            delay(row),
            f"{clock(cue['due'])} {cue['kind']}: {cue['text']}" if cue else "—")
    Console(width=max(120, Console().width)).print(table)
