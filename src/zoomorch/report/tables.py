"""The report as typed tables: one shape that the CSV, XLSX and HTML exporters all render.

Times become naive wall-clock values in the event's zone (the zone is named in the column
title), because spreadsheets have no time zone type and readers think in the event's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from zoomorch.report.attendance import AttendanceReport

if TYPE_CHECKING:
    from zoomorch.live.record import RunOfShow


class Kind(StrEnum):
    """What a column holds (decides number formats and alignment)."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    PERCENT = "percent"  # a 0-100 number
    DATETIME = "datetime"
    BOOL = "bool"


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart the XLSX and HTML exporters draw from a table's own cells.

    - ``timeline``: ``columns`` = (label, planned start, planned end, actual start, actual
      end): a planned bar and an actual bar per row (a Gantt of the run of show);
    - ``bars``: ``columns`` = (label, value, value, ...): grouped bars per row.
    """

    kind: Literal["timeline", "bars"]
    title: str
    columns: tuple[int, ...]


@dataclass(frozen=True)
class Table:
    """A named table; ``name`` is a file/sheet-safe identifier, ``title`` is for people."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    chart: Chart | None = None

    @property
    def header(self) -> list[str]:
        return [c.title for c in self.columns]


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """An aware instant as naive wall-clock time in ``zone`` (seconds kept, micros dropped)."""
    if moment is None:
        return None
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def _r(value: float, digits: int = 1) -> float:
    return round(value, digits)


def report_tables(report: AttendanceReport, zone: ZoneInfo, ros: RunOfShow | None = None,
                  language: str = "en") -> list[Table]:
    """Every table of the report, in reading order. With the run-of-show record ``ros`` (the
    segments of ``report`` measured over its boundaries, in its order of held segments), the
    segment table is planned vs actual, and the run of show, the live changes and the
    audience by preferred language follow it."""
    tz = zone.key
    t = report.totals
    totals_rows: list[tuple[str, Any, Kind]] = [
        ("Webinar", report.webinar.topic, Kind.TEXT),
        ("Webinar ID", str(report.webinar.webinar_id or ""), Kind.TEXT),
        (f"Actual start ({tz})", local(t.webinar_start, zone), Kind.DATETIME),
        (f"Actual end ({tz})", local(t.webinar_end, zone), Kind.DATETIME),
        ("Webinar minutes", _r(t.webinar_minutes), Kind.FLOAT),
        ("Registered", t.registered, Kind.INT),
        ("Approved", t.approved, Kind.INT),
        ("Attended", t.attended, Kind.INT),
        # Right next to "Attended": how many audience rows could not be tied to a person for
        # sure (docs/reports.md), so nobody reads the count as more exact than it is.
        ("Unidentified connections", t.unidentified_connections, Kind.INT),
        ("Attended (approved registrants)", t.attended_registered, Kind.INT),
        ("Attended (not registered)", t.guests, Kind.INT),
        ("Conversion (%)", None if t.conversion is None else _r(100 * t.conversion), Kind.PERCENT),
        ("Median minutes attended", _r(t.median_minutes), Kind.FLOAT),
        ("Peak concurrency", t.peak_concurrency, Kind.INT),
        (f"Peak at ({tz})", local(t.peak_at, zone), Kind.DATETIME),
        (f"Report as of ({tz})", local(report.as_of, zone), Kind.DATETIME),
    ]
    if ros is not None:
        from zoomorch.report import run_of_show as rs

        totals_rows += rs.run_of_show_totals(ros, language)
    # A totals sheet is a list of (metric, value) pairs; the value column mixes kinds, so each
    # cell carries its own kind for the typed exporters.
    totals = Table("totals", "Totals", [Column("Metric"), Column("Value")],
                   [(label, TypedValue(value, kind)) for label, value, kind in totals_rows])

    people = Table(
        "people", "Per person",
        [Column("Name"), Column("Also known as"), Column("Email"), Column("Role"),
         Column("Connection"), Column("Identified by"),
         Column(f"First join ({tz})", Kind.DATETIME),
         Column(f"Last leave ({tz})", Kind.DATETIME), Column("Still in room", Kind.BOOL),
         Column("Joins", Kind.INT), Column("Minutes", Kind.FLOAT),
         Column("% of webinar", Kind.PERCENT), Column("Country"), Column("Organisation"),
         Column("Preferred language"), Column("Registrant ID")],
        [(p.name, "; ".join(p.other_names), p.email, str(p.role), str(p.connection),
          str(p.identified_by), local(p.first_join, zone), local(p.last_leave, zone),
          p.still_in_room, p.joins,
          _r(p.minutes), _r(p.percent_of_webinar), p.country, p.organisation,
          p.preferred_language, p.registrant_id) for p in report.people])

    segments = Table(
        "segments", "Per agenda segment",
        [Column("Segment"), Column(f"Start ({tz})", Kind.DATETIME),
         Column(f"End ({tz})", Kind.DATETIME), Column("Present at start", Kind.INT),
         Column("Peak", Kind.INT), Column(f"Peak at ({tz})", Kind.DATETIME),
         Column("Average", Kind.FLOAT), Column("Present for most of it", Kind.INT),
         Column("% of attendees present for most", Kind.PERCENT)],
        [(s.title, local(s.start, zone), local(s.end, zone), s.present_at_start, s.peak,
          local(s.peak_at, zone), _r(s.average), s.present_for_most,
          _r(s.percent_present_for_most)) for s in report.segments])

    absentees = Table(
        "absentees", "Absentees",
        [Column("Name"), Column("Email"), Column("Country"), Column("Organisation"),
         Column("Preferred language"), Column(f"Registered at ({tz})", Kind.DATETIME)],
        [(a.name, a.email, a.country, a.organisation, a.preferred_language,
          local(a.registered_at, zone)) for a in report.absentees])

    qa = Table(
        "qa", "Q&A",
        [Column("Question"), Column("Asked by"), Column("Asker email"), Column("Answer"),
         Column("Answered by")],
        [(q.question, q.asker_name, q.asker_email, q.answer, q.answered_by)
         for q in report.questions])

    polls = Table(
        "polls", "Poll answers",
        [Column("Poll ID"), Column("Question"), Column("Name"), Column("Email"),
         Column("Answer"), Column(f"Answered at ({tz})", Kind.DATETIME)],
        [(a.poll_id, a.question, a.name, a.email, a.answer, local(a.answered_at, zone))
         for a in report.poll_answers])

    poll_results = Table(
        "poll_results", "Poll results",
        [Column("Poll ID"), Column("Question"), Column("Answer"), Column("Count", Kind.INT)],
        [(r.poll_id, r.question, r.answer, r.count) for r in report.poll_results])

    if ros is None:
        return [totals, people, segments, absentees, qa, polls, poll_results]
    held = [s.run.index for s in ros.segments if s.run.held]
    measured = dict(zip(held, report.segments, strict=True))
    return [totals, rs.run_of_show_table(ros, language), rs.segment_table(ros, measured),
            rs.changes_table(ros), rs.language_table(report), people, absentees, qa, polls,
            poll_results]


@dataclass(frozen=True, slots=True)
class TypedValue:
    """A cell whose kind differs from its column's (the totals table)."""

    value: Any
    kind: Kind

    def __str__(self) -> str:
        return format_value(self.value, self.kind)


def cell(value: Any, kind: Kind) -> tuple[Any, Kind]:
    """Unwrap a :class:`TypedValue` (or take the column's kind)."""
    if isinstance(value, TypedValue):
        return value.value, value.kind
    return value, kind


def format_value(value: Any, kind: Kind) -> str:
    """A cell as text (CSV and HTML)."""
    value, kind = cell(value, kind)
    if value is None:
        return ""
    if kind is Kind.DATETIME and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if kind is Kind.BOOL:
        return "yes" if value else "no"
    if kind in (Kind.FLOAT, Kind.PERCENT) and isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
