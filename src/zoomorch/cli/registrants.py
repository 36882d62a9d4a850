"""``zoomorch registrants …``: Zoom's registrants kept in step with the organisers' list."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer


class OutputFormatOption(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


registrants_app = typer.Typer(help="Zoom's registrants, kept in step with the organisers' list.",
                              rich_markup_mode=None,
                              no_args_is_help=True)


@registrants_app.command("sync")
def registrants_sync_cmd(
    events: list[Path] = typer.Argument(
        ..., exists=True, help="The event file (TOML), several, or a folder of them (every "
        "*.toml in it)."),
    source: Path | None = typer.Option(
        None, "--source", help="The registration list: an Excel workbook (.xlsx) or a CSV/TSV "
        "(UTF-8, UTF-16 or Windows-1252). Default: registrants.source in the event file. "
        "One event only."),
    source_dir: Path | None = typer.Option(
        None, "--source-dir", exists=True, file_okay=False,
        help="A folder of lists named after the event keys (KEY.xlsx, KEY.csv, KEY.tsv or "
        "KEY.txt); an event without one there uses its registrants.source."),
    sheet: str | None = typer.Option(
        None, "--sheet", help="The workbook's sheet to read (default: its first visible one)."),
    prune: bool = typer.Option(False, "--prune",
                               help="Cancel registrants who are no longer on the list."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; write nothing."),
    out: Path = typer.Option(Path("."), "--out",
                             help="Folder for registrants-KEY.csv and the rejects file."),
    output_format: OutputFormatOption = typer.Option(
        OutputFormatOption.csv, "--output-format", case_sensitive=False,
        help="The output files as CSV (default) or as Excel workbooks (.xlsx)."),
    workers: int = typer.Option(4, "--workers", min=1, max=16,
                                help="Calls in flight at once (paced within Zoom's limits)."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Add, approve, deny or cancel Zoom registrants so they follow the list; safe to re-run.
    Over a folder or several files: every event, then a per-event table."""
    from zoomorch.registrants.command import sync_command

    raise typer.Exit(sync_command(events, source=source, source_dir=source_dir, prune=prune,
                                  dry_run=dry_run, out_dir=out, env_file=env_file,
                                  workers=workers, sheet=sheet,
                                  output_format="xlsx" if output_format is OutputFormatOption.xlsx
                                  else "csv"))
