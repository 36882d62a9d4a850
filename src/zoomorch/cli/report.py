"""``zoomorch report``: attendance after the event."""

from __future__ import annotations

from pathlib import Path

import typer

from zoomorch.cli.common import START_AT


def report_cmd(
    event: Path = typer.Argument(..., exists=True, dir_okay=False, help="The event file (TOML)."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default reports/KEY)."),
    formats: str = typer.Option("csv,xlsx,html", "--format", help="Any of csv,xlsx,html."),
    offline: bool = typer.Option(False, "--offline",
                                 help="Use the reports stored by an earlier run; no Zoom calls."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
    language: str = typer.Option("en", "--lang",
                                 help="Language of the run-of-show story: en, es or fr."),
    start_at: str | None = START_AT,
) -> None:
    """Attendance per person and per agenda segment (planned vs actual, from the live record
    in the state store), the run of show, absentees, Q&A, polls, charts."""
    from zoomorch.report.command import report_command

    raise typer.Exit(report_command(event, out=out, formats=formats, offline=offline,
                                    env_file=env_file, language=language, start_at=start_at))
