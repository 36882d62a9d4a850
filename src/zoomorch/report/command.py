"""``zoomorch report``: the command's work and its printed summary (``zoomorch.cli.report``
only parses)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from zoomorch.db.store import open_store
from zoomorch.event import EventSpec, load_event
from zoomorch.outcome import EXIT_OK, run_guarded
from zoomorch.report.run import ReportError, ReportOutcome, make_report, parse_formats
from zoomorch.report.run_of_show import what_happened, words
from zoomorch.zoom import ZoomClient


def report_command(event: Path, *, out: Path | None = None, formats: str = "csv,xlsx,html",
                   offline: bool = False, env_file: Path | None = None,
                   console: Console | None = None, language: str = "en",
                   start_at: str | None = None) -> int:
    """Fetch, keep and export the event's attendance report; returns the exit code.
    ``start_at``: the event was run re-dated (``--start-at`` of ``serve`` / ``cues``): the
    planned times, and the run-of-show record's, read on that schedule."""
    say = console or Console(soft_wrap=True)
    err = Console(stderr=True, soft_wrap=True)

    def work() -> int:
        chosen = parse_formats(formats)
        words(language)  # an unknown language fails before any Zoom call
        spec = load_event(event, start_at=start_at)
        store = open_store()
        client = None if offline else ZoomClient.from_env(env_file)
        try:
            outcome = make_report(spec, store, client, out_dir=out or Path("reports") / spec.key,
                                  formats=chosen, offline=offline, language=language)
        finally:
            if client is not None:
                client.close()
        _print_outcome(spec, outcome, say, err, language)
        return EXIT_OK

    return run_guarded(err, work, input_errors=(ValueError, ReportError),
                       credentials_hint=" (or use --offline for the stored report)")


def _print_outcome(spec: EventSpec, outcome: ReportOutcome, say: Console, err: Console,
                   language: str = "en") -> None:
    for warning in outcome.warnings:
        err.print(f"note: {warning}", markup=False)
    t = outcome.report.totals
    zone = spec.webinar.zone
    conversion = "—" if t.conversion is None else f"{100 * t.conversion:.0f}%"
    peak_at = f" at {t.peak_at.astimezone(zone):%H:%M}" if t.peak_at else ""
    say.print(f"Registered {t.registered} · approved {t.approved} · Attended {t.attended} "
              f"({t.unidentified_connections} unidentified connections, "
              f"conversion {conversion}) · median {t.median_minutes:.0f} min · "
              f"peak {t.peak_concurrency}{peak_at} ({zone.key})", markup=False)
    ros = outcome.run_of_show
    say.print(f"Run of show ({ros.basis}): {what_happened(ros, language)}", markup=False)
    for path in outcome.files:
        say.print(f"wrote {path}", markup=False, highlight=False)
