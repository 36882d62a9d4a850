"""The run-of-show: each segment's times in the event's zone and every participant's zone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from rich.console import Group
from rich.table import Table

from zoomorch.event import EventSpec, Person, ScheduledSegment, language_name


@dataclass(frozen=True)
class ZoneTimes:
    zone: str
    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RunOfShowRow:
    """One segment of the run-of-show with its times in every zone that matters."""

    index: int
    title: str
    minutes: int
    start: datetime  # in the event's zone
    end: datetime
    speakers: tuple[Person, ...]
    moderator: Person | None
    language: str
    notes: str
    zones: tuple[ZoneTimes, ...]

    @property
    def duration(self) -> timedelta:
        """Real elapsed time. (Subtracting two datetimes of the same zone gives wall-clock
        time in Python, which is wrong across a clock change.)"""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)


def run_of_show(spec: EventSpec) -> list[RunOfShowRow]:
    """The agenda placed in time, shown in the event's zone and each participant's zone."""
    event_zone = spec.webinar.zone
    zones = [(zone, spec.zone_label(zone), ZoneInfo(zone)) for zone in spec.time_zones]
    return [_row(placed, event_zone, zones) for placed in spec.schedule()]


def _row(placed: ScheduledSegment, event_zone: ZoneInfo,
         zones: list[tuple[str, str, ZoneInfo]]) -> RunOfShowRow:
    return RunOfShowRow(
        index=placed.index,
        title=placed.title,
        minutes=placed.segment.minutes,
        start=placed.start.astimezone(event_zone),
        end=placed.end.astimezone(event_zone),
        speakers=placed.speakers,
        moderator=placed.moderator,
        language=placed.language,
        notes=placed.segment.notes,
        zones=tuple(ZoneTimes(name, label, placed.start.astimezone(info),
                              placed.end.astimezone(info)) for name, label, info in zones),
    )


def speaker_line(row: RunOfShowRow, *, detailed: bool = True) -> str:
    """Who speaks, as one line: moderator first, TBC people marked."""
    parts = []
    if row.moderator is not None:
        parts.append(f"{_person_label(row.moderator, detailed)} (moderator)")
    parts += [_person_label(p, detailed) for p in row.speakers]
    return "; ".join(parts)


def _person_label(person: Person, detailed: bool) -> str:
    tbc = " [TBC]" if person.tbc and "TBC" not in person.name else ""
    if not detailed:
        return f"{person.name}{tbc}" + (f" ({person.country})" if person.country else "")
    where = f", {person.country}" if person.country else ""
    org = f" — {person.organisation}" if person.organisation else ""
    return f"{person.name}{tbc}{org}{where}"


def to_json(spec: EventSpec, rows: list[RunOfShowRow]) -> str:
    """The run-of-show as JSON (ISO datetimes with offsets)."""
    def person(p: Person) -> dict[str, Any]:
        return {"id": p.id, "name": p.name, "organisation": p.organisation,
                "country": p.country, "timezone": p.timezone, "language": p.language,
                "tbc": p.tbc}

    document = {
        "event": spec.key,
        "title": spec.webinar.title,
        "timezone": spec.webinar.timezone,
        "start": spec.webinar.start.isoformat(),
        "duration_minutes": spec.webinar.duration_minutes,
        "segments": [
            {
                "index": r.index,
                "title": r.title,
                "minutes": r.minutes,
                "start": r.start.isoformat(),
                "end": r.end.isoformat(),
                "language": r.language,
                "language_name": language_name(r.language),
                "moderator": person(r.moderator) if r.moderator else None,
                "speakers": [person(p) for p in r.speakers],
                "notes": r.notes,
                "zones": [{"timezone": z.zone, "label": z.label, "start": z.start.isoformat(),
                           "end": z.end.isoformat()} for z in r.zones],
            }
            for r in rows
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def to_ics(spec: EventSpec, rows: list[RunOfShowRow], *, join_url: str | None = None,
           stamp: datetime | None = None) -> bytes:
    """An iCalendar file with one event per segment (times in UTC, which every app imports)."""
    calendar = Calendar()
    calendar.add("prodid", "-//zoomorch//run-of-show//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", spec.webinar.title)
    stamp = stamp or datetime.now(UTC)
    for row in rows:
        entry = Event()
        # Stable per event and segment so re-importing updates instead of duplicating.
        entry.add("uid", f"{spec.key}-segment-{row.index}@zoomorch")
        entry.add("dtstamp", stamp.astimezone(UTC))
        entry.add("dtstart", row.start.astimezone(UTC))
        entry.add("dtend", row.end.astimezone(UTC))
        entry.add("summary", f"{row.title} — {spec.webinar.title}")
        lines = [f"Language: {language_name(row.language)} ({row.language})"]
        if speaker_line(row):
            lines.append(f"Speakers: {speaker_line(row)}")
        if row.notes:
            lines.append(row.notes)
        lines += [f"{z.label}: {z.start:%H:%M}–{z.end:%H:%M} ({z.zone})" for z in row.zones]
        entry.add("description", "\n".join(lines))
        if join_url:
            entry.add("location", join_url)
            entry.add("url", join_url)
        calendar.add_component(entry)
    return calendar.to_ical()


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_cell(times: ZoneTimes, event_date: datetime) -> str:
    """``HH:MM–HH:MM`` with the day when it differs from the event's and the UTC offset."""
    day = "" if times.start.date() == event_date.date() else f"{times.start:%a %d} "
    offset = _offset(times.start)
    end_offset = _offset(times.end)
    # On the day the clocks change the end can carry a different offset than the start.
    suffix = offset if offset == end_offset else f"{offset}→{end_offset}"
    return f"{day}{times.start:%H:%M}–{times.end:%H:%M} {suffix}"


def _short_cell(times: ZoneTimes, event_date: datetime, header_offset: str) -> str:
    """``HH:MM–HH:MM``; the day and offset only where they differ from the column's."""
    cell = zone_cell(times, event_date)
    return cell.removesuffix(f" {header_offset}")


def agenda_table(spec: EventSpec, rows: list[RunOfShowRow]) -> Group:
    """The run-of-show as rich tables: who speaks when, then each segment in every zone.

    Two tables rather than one wide one, so that the speakers stay readable on a terminal.
    """
    event_zone = spec.webinar.timezone
    show = Table(title=f"{spec.webinar.title}\n{spec.webinar.start:%A %d %B %Y}",
                 show_lines=True)
    show.add_column(f"{spec.zone_label(event_zone)}", no_wrap=True)
    show.add_column("Segment")
    show.add_column("Min", justify="right")
    show.add_column("Who speaks")
    show.add_column("Lang")
    zones = Table(title="In every participant's time zone")
    zones.add_column("Segment", min_width=10)
    header_offsets = [_offset(z.start) for z in rows[0].zones] if rows else []
    for zone, offset in zip(spec.time_zones, header_offsets, strict=False):
        zones.add_column(f"{spec.zone_label(zone)}\n{offset}", no_wrap=True)
    for row in rows:
        who = speaker_line(row, detailed=False) or "—"
        here = next((z for z in row.zones if z.zone == event_zone), row.zones[0])
        show.add_row(zone_cell(here, row.start), row.title, str(row.minutes), who, row.language)
        zones.add_row(row.title, *(_short_cell(z, row.start, offset)
                                   for z, offset in zip(row.zones, header_offsets, strict=False)))
    return Group(show, zones)
