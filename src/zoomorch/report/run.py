"""``zoomorch report`` as a plain function: fetch (or reuse) the raw reports, analyse, export."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zoomorch.db.store import StateStore
from zoomorch.event import EventSpec, Role
from zoomorch.report.attendance import (
    AttendanceReport,
    PlannedSegment,
    Roster,
    build_report,
)
from zoomorch.report.export_csv import write_csv_tables
from zoomorch.report.export_html import write_html
from zoomorch.report.export_xlsx import write_xlsx
from zoomorch.report.fetch import FetchStats, NoStoredReport, StoredReport, fetch_reports
from zoomorch.report.tables import report_tables
from zoomorch.zoom import ZoomClient, ZoomNotFound

log = logging.getLogger("zoomorch.report")

FORMATS = ("csv", "xlsx", "html")


class ReportError(RuntimeError):
    """The report cannot be made; the message says why and what to do."""


@dataclass
class ReportOutcome:
    """What ``make_report`` did."""

    report: AttendanceReport
    files: list[Path]
    fetched: FetchStats | None  # None when the stored copy was used
    warnings: list[str] = field(default_factory=list)
    fetch_seconds: float = 0.0
    process_seconds: float = 0.0


def parse_formats(value: str) -> list[str]:
    """``"csv,xlsx"`` -> ``["csv", "xlsx"]``; ValueError naming the unknown format."""
    chosen = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ValueError(f"unknown format {', '.join(unknown) or '(none)'}: "
                         f"use any of {','.join(FORMATS)}")
    return list(dict.fromkeys(chosen))


def roster_for(spec: EventSpec, zoom_panelists: Sequence[str] = (),
               zoom_panelist_names: Sequence[str] = ()) -> Roster:
    """Roles by email and by name: the event file's people, plus the panelists Zoom lists
    that it does not. Names give a role to someone Zoom shows without email (a panelist
    dialling in under their name, or on a device where Zoom hides it)."""
    hosts = [p for p in spec.people if p.has(Role.HOST) or p.has(Role.ALTERNATIVE_HOST)]
    interpreters = [p for p in spec.people if p.has(Role.INTERPRETER)]
    if spec.interpretation is not None:
        interpreters += [spec.person(a.person) for a in spec.interpretation.interpreters]
    panelists = [p for p in spec.people if p.has(Role.PANELIST) or p.has(Role.MODERATOR)]
    return Roster.of(
        hosts=[p.email or "" for p in hosts], host_names=[p.name for p in hosts],
        panelists=[*(p.email or "" for p in panelists), *zoom_panelists],
        panelist_names=[*(p.name for p in panelists), *zoom_panelist_names],
        interpreters=[p.email or "" for p in interpreters],
        interpreter_names=[p.name for p in interpreters])


def _unzip(pairs: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Zoom's (name, email) panelist pairs as (emails, names)."""
    return [email for _, email in pairs], [name for name, _ in pairs]


def planned_segments(spec: EventSpec) -> list[PlannedSegment]:
    return [PlannedSegment(s.title, s.start, s.end) for s in spec.schedule()]


def language_question(spec: EventSpec) -> str:
    """The custom registration question that asks for the preferred language."""
    for question in spec.registration.custom_questions:
        if "language" in question.title.lower() or "idioma" in question.title.lower() \
                or "langue" in question.title.lower():
            return question.title
    return "language"


def analyse(spec: EventSpec, stored: StoredReport) -> AttendanceReport:
    """The attendance report of the stored snapshot, read page by page."""
    question = language_question(spec)
    webinar = stored.webinar(planned_start=spec.webinar.start_utc)
    as_of = stored.snapshot.completed_at or stored.snapshot.started_at
    return build_report(
        webinar, stored.participants(), stored.registrants(question),
        roster_for(spec, *_unzip(stored.panelists())), as_of=as_of,
        segments=planned_segments(spec), absentees=stored.absentees(question),
        questions=stored.questions(), poll_answers=stored.poll_answers())


def export(report: AttendanceReport, spec: EventSpec, out_dir: Path,
           formats: Sequence[str]) -> list[Path]:
    """Write the chosen formats into ``out_dir``; returns the files written."""
    zone = spec.webinar.zone
    tables = report_tables(report, zone)
    files: list[Path] = []
    if "csv" in formats:
        files += write_csv_tables(tables, out_dir, spec.key)
    if "xlsx" in formats:
        files.append(write_xlsx(tables, out_dir / f"{spec.key}-attendance.xlsx"))
    if "html" in formats:
        files.append(write_html(report, tables, zone, out_dir / f"{spec.key}-attendance.html"))
    return files


def make_report(spec: EventSpec, store: StateStore, client: ZoomClient | None, *,
                out_dir: Path, formats: Sequence[str] = FORMATS,
                offline: bool = False) -> ReportOutcome:
    """Fetch the event's reports from Zoom (unless ``offline``), keep them, export them.

    When Zoom no longer has the webinar (deleted, or past its six-month retention), the last
    stored copy is used and a warning says so.
    """
    warnings: list[str] = []
    fetched: FetchStats | None = None
    began = time.perf_counter()
    if not offline:
        if client is None:
            raise ReportError("no Zoom client: set the ZOOM_* variables or use --offline")
        webinar_id = store.webinar_id_for(spec.key)
        if webinar_id is None:
            raise ReportError(f"event {spec.key!r} has no webinar in the state store: run "
                              "`zoomorch apply` first (or --offline for a stored report)")
        try:
            fetched = fetch_reports(client, store, spec.key, webinar_id)
        except ZoomNotFound as exc:
            warnings.append(f"Zoom has no report for webinar {webinar_id} ({exc}); using the "
                            "stored copy")
        for kind, reason in (fetched.missing if fetched else {}).items():
            warnings.append(f"Zoom gave no {kind} report: {reason}")
    fetch_seconds = time.perf_counter() - began
    try:
        stored = StoredReport.latest(store, spec.key)
    except NoStoredReport as exc:
        if warnings:
            raise ReportError(f"{warnings[0]}; but {exc}. Has the webinar ended? Zoom keeps "
                              "reports for six months.") from None
        raise ReportError(str(exc)) from None
    if fetched is None:
        when = stored.snapshot.completed_at or stored.snapshot.started_at
        warnings.append(f"using the reports fetched from Zoom at {when:%Y-%m-%d %H:%M} UTC")
    began = time.perf_counter()
    report = analyse(spec, stored)
    files = export(report, spec, out_dir, formats)
    return ReportOutcome(report=report, files=files, fetched=fetched, warnings=warnings,
                         fetch_seconds=fetch_seconds,
                         process_seconds=time.perf_counter() - began)
