"""``zoomorch demo`` and ``zoomorch rehearse``: an event's whole life on the sandbox."""

from __future__ import annotations

from pathlib import Path

import typer

_SPEED_DEMO = typer.Option(80.0, "--speed", min=1.0, max=3600.0,
                           help="Event time runs this many times faster (80: the hour in 45 s; "
                                "the empty pre-show is skipped).")
_SPEED_REHEARSE = typer.Option(30.0, "--speed", min=1.0, max=3600.0,
                               help="Event time runs this many times faster (30: the hour in "
                                    "2 min; the empty pre-show is skipped).")
_STATE_DIR = typer.Option(None, "--state-dir",
                          help="Keep the state database here (default: a temporary folder).")


def demo_cmd(
    speed: float = _SPEED_DEMO,
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the report and CSVs (default ./zoomorch-demo)."),
    state_dir: Path | None = _STATE_DIR,
    seed: int = typer.Option(2022, "--seed", help="Seed of the simulated attendance."),
) -> None:
    """The seed event's whole life on the built-in sandbox: apply, sync, live cues, report."""
    from zoomorch.demo import demo_command

    raise typer.Exit(demo_command(speed=speed, out_dir=out, state_dir=state_dir, seed=seed))


def rehearse_cmd(
    event: Path = typer.Argument(..., exists=True, dir_okay=False, help="The event file (TOML)."),
    speed: float = _SPEED_REHEARSE,
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the mock report (default ./zoomorch-rehearsal)."),
    registrations: Path | None = typer.Option(
        None, "--registrations", exists=True, dir_okay=False,
        help="A registration list to sync (CSV/TSV); without it the audience is walk-ins."),
    state_dir: Path | None = _STATE_DIR,
    seed: int = typer.Option(2022, "--seed", help="Seed of the simulated attendance."),
) -> None:
    """Dry-run any event file on the sandbox: checklist, cue timeline, live run, mock report."""
    from zoomorch.demo import rehearse_command

    raise typer.Exit(rehearse_command(event, speed=speed, out_dir=out,
                                      registrations=registrations, state_dir=state_dir,
                                      seed=seed))
