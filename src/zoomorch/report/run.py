"""``zoomorch report`` as a plain function: fetch (or reuse) the raw reports, analyse, export."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from zoomorch.cues import CueAgenda, LiveState, agenda_from_event
from zoomorch.db.store import StateStore
from zoomorch.event import EventSpec, Role
from zoomorch.live.record import RunOfShow, from_record
from zoomorch.live.state import LiveRecord, load_live_record
from zoomorch.private_files import write_private_text
from zoomorch.report.attendance import (
    AttendanceReport,
    PlannedSegment,
    Roster,
    WebinarRun,
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
    run_of_show: RunOfShow
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
    """The agenda as planned, to be moved onto the webinar's actual start."""
    return [PlannedSegment(s.title, s.start, s.end) for s in spec.schedule()]


def measured_segments(ros: RunOfShow, until: datetime) -> list[PlannedSegment]:
    """The segments that were held, on their actual (or estimated) boundaries; one still on
    is measured ``until`` the report's end of the webinar."""
    return [PlannedSegment(s.run.title, s.run.actual_start, s.run.actual_end or until,
                           placed=True)
            for s in ros.segments if s.run.actual_start is not None]


# A live record belongs to the webinar of the report when it names it, or, when Zoom never
# said which webinar it was (a start by `cues start`), when its start is this close to Zoom's.
_SAME_RUN = timedelta(hours=2)


def record_for(record: LiveRecord, agenda: CueAgenda, webinar: WebinarRun,
               warnings: list[str]) -> LiveRecord:
    """The live record if it is of this webinar's run, else an empty one (and a warning)."""
    if record.revision == 0:
        return record
    empty = LiveRecord(record.event_slug, LiveState(), 0)
    if record.webinar_id is not None and webinar.webinar_id is not None \
            and record.webinar_id != webinar.webinar_id:
        warnings.append(f"the live record of {record.event_slug} is of webinar "
                        f"{record.webinar_id}, not {webinar.webinar_id}: the segments are "
                        "estimated")
        return empty
    start = record.live.actual_start
    if record.webinar_id is None and start is not None and \
            abs(agenda.to_event_time(start) - webinar.start) > _SAME_RUN:
        warnings.append(f"the live record of {record.event_slug} started at "
                        f"{agenda.to_event_time(start):%Y-%m-%d %H:%M} UTC, not near Zoom's "
                        f"start {webinar.start:%Y-%m-%d %H:%M} UTC: the segments are "
                        "estimated")
        return empty
    return record


def language_question(spec: EventSpec) -> str:
    """The custom registration question that asks for the preferred language."""
    for question in spec.registration.custom_questions:
        if "language" in question.title.lower() or "idioma" in question.title.lower() \
                or "langue" in question.title.lower():
            return question.title
    return "language"


def run_of_show_for(spec: EventSpec, stored: StoredReport, store: StateStore | None, *,
                    agenda: CueAgenda | None = None, now: datetime | None = None,
                    warnings: list[str] | None = None,
                    webinar: WebinarRun | None = None) -> RunOfShow:
    """The run of show the report's segments are measured over: the event's live record in
    ``store`` if it is of this webinar (``agenda``: the clock a rehearsal ran on; default the
    event file's), else estimated from Zoom's times and the planned lengths. ``webinar``: the
    stored webinar report, when the caller has read it already."""
    webinar = webinar or planned_webinar(spec, stored)
    agenda = agenda or agenda_from_event(spec)
    record = (load_live_record(store, agenda.slug) if store is not None
              else LiveRecord(agenda.slug, LiveState(), 0))
    record = record_for(record, agenda, webinar, warnings if warnings is not None else [])
    return from_record(record, agenda, now, zoom_start=webinar.start, zoom_end=webinar.end)


def planned_webinar(spec: EventSpec, stored: StoredReport) -> WebinarRun:
    """The stored webinar report, with the event file's planned start."""
    return stored.webinar(planned_start=spec.webinar.start_utc)


def analyse(spec: EventSpec, stored: StoredReport, ros: RunOfShow | None = None, *,
            webinar: WebinarRun | None = None) -> AttendanceReport:
    """The attendance report of the stored snapshot, read page by page, with the segments
    measured over the run of show ``ros`` (default: estimated from Zoom's times).
    ``webinar``: the stored webinar report, when the caller has read it already."""
    question = language_question(spec)
    webinar = webinar or planned_webinar(spec, stored)
    as_of = stored.snapshot.completed_at or stored.snapshot.started_at
    ros = ros or run_of_show_for(spec, stored, None, webinar=webinar)
    return build_report(
        webinar, stored.participants(), stored.registrants(question),
        roster_for(spec, *_unzip(stored.panelists())), as_of=as_of,
        segments=measured_segments(ros, webinar.end or as_of),
        absentees=stored.absentees(question),
        questions=stored.questions(), poll_answers=stored.poll_answers())


def export(report: AttendanceReport, spec: EventSpec, out_dir: Path,
           formats: Sequence[str], ros: RunOfShow | None = None,
           language: str = "en") -> list[Path]:
    """Write the chosen formats into ``out_dir`` (and the run of show as
    ``KEY-run-of-show.json``); returns the files written."""
    zone = spec.webinar.zone
    tables = report_tables(report, zone, ros, language)
    files: list[Path] = []
    if "csv" in formats:
        files += write_csv_tables(tables, out_dir, spec.key)
    if "xlsx" in formats:
        files.append(write_xlsx(tables, out_dir / f"{spec.key}-attendance.xlsx"))
    if "html" in formats:
        files.append(write_html(report, tables, zone, out_dir / f"{spec.key}-attendance.html",
                                ros=ros, language=language))
    if ros is not None:
        path = out_dir / f"{spec.key}-run-of-show.json"
        write_private_text(path, json.dumps(ros.as_json(), indent=2, ensure_ascii=False)
                           + "\n")
        files.append(path)
    return files


def make_report(spec: EventSpec, store: StateStore, client: ZoomClient | None, *,
                out_dir: Path, formats: Sequence[str] = FORMATS,
                offline: bool = False, agenda: CueAgenda | None = None,
                language: str = "en") -> ReportOutcome:
    """Fetch the event's reports from Zoom (unless ``offline``), keep them, export them, with
    the run of show from the live record in ``store`` (``agenda``: the clock a rehearsal
    ran on; default the event file's). ``language``: of the run-of-show sentence.

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
    webinar = planned_webinar(spec, stored)
    ros = run_of_show_for(spec, stored, store, agenda=agenda, warnings=warnings,
                          webinar=webinar)
    report = analyse(spec, stored, ros, webinar=webinar)
    if ros.estimated:
        warnings.append("no live record of the segments (the service did not run, or nobody "
                        "said `next`): segment boundaries are estimated from Zoom's times and "
                        "the planned lengths")
    files = export(report, spec, out_dir, formats, ros, language)
    return ReportOutcome(report=report, run_of_show=ros, files=files, fetched=fetched,
                         warnings=warnings,
                         fetch_seconds=fetch_seconds,
                         process_seconds=time.perf_counter() - began)
