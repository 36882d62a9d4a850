"""The run-of-show: times in every participant's zone, JSON, iCalendar, DST days."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar

from zoomorch.event import load_event, parse_event
from zoomorch.event.run_of_show import run_of_show, to_ics, to_json, zone_cell

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"


def hhmm(row: Any, label: str) -> str:
    times = next(z for z in row.zones if z.label == label)
    return f"{times.start:%H:%M}-{times.end:%H:%M}"


def test_seed_agenda_in_every_participants_zone() -> None:
    spec = load_event(SEED)
    rows = run_of_show(spec)
    labels = [z.label for z in rows[0].zones]
    assert labels == ["New York", "Geneva", "Bogotá", "Panamá", "Mexico City", "Buenos Aires"]
    opening, dialogue, closing = rows
    assert hhmm(opening, "New York") == "08:30-08:35"
    assert hhmm(opening, "Geneva") == "14:30-14:35"
    assert hhmm(dialogue, "Bogotá") == "07:35-08:25"
    # Mexico City still observed daylight saving time in May 2022 (abolished in October).
    assert hhmm(dialogue, "Mexico City") == "07:35-08:25"
    assert hhmm(closing, "Buenos Aires") == "10:25-10:30"
    assert [r.language for r in rows] == ["ES", "ES", "US"]
    assert dialogue.moderator is not None and dialogue.moderator.name == "Ana María Diez"


def test_json_run_of_show_has_segments_zones_and_speakers() -> None:
    spec = load_event(SEED)
    document = json.loads(to_json(spec, run_of_show(spec)))
    assert document["start"] == "2022-05-17T08:30:00-04:00"
    dialogue = document["segments"][1]
    assert dialogue["start"] == "2022-05-17T08:35:00-04:00"
    assert dialogue["language_name"] == "Spanish"
    assert [s["tbc"] for s in dialogue["speakers"]] == [False, True, False, False]
    assert {z["label"]: z["start"] for z in dialogue["zones"]}["Geneva"] == \
        "2022-05-17T14:35:00+02:00"


def test_ics_has_one_importable_event_per_segment() -> None:
    spec = load_event(SEED, start_at="2030-05-17T08:30:00-04:00")
    data = to_ics(spec, run_of_show(spec), join_url="https://zoom.example/j/1",
                  stamp=datetime(2030, 1, 1, tzinfo=UTC))
    calendar = Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]).split(" — ")[0] for e in events] == [
        "Opening Remarks", "Interactive Dialogue", "Closing Remarks"]
    assert events[0].decoded("dtstart") == datetime(2030, 5, 17, 12, 30, tzinfo=UTC)
    assert events[2].decoded("dtend") == datetime(2030, 5, 17, 13, 30, tzinfo=UTC)
    assert len({str(e["uid"]) for e in events}) == 3
    assert "Geneva: 14:35–15:25" in str(events[1]["description"])
    assert b"BEGIN:VCALENDAR" in data and b"VERSION:2.0" in data and b"PRODID" in data


def _dst_event(start: str, zone: str, minutes: list[int]) -> dict[str, Any]:
    data = tomllib.loads(SEED.read_text(encoding="utf-8"))
    data["webinar"]["start"] = datetime.fromisoformat(start)
    data["webinar"]["timezone"] = zone
    data["webinar"]["duration_minutes"] = sum(minutes)
    for segment, length in zip(data["agenda"], minutes, strict=True):
        segment["minutes"] = length
    return data


def test_event_across_the_us_clock_change_shows_correct_times() -> None:
    # 13 March 2022: New York jumps from 02:00 EST to 03:00 EDT; Geneva changes two weeks later.
    spec = parse_event(_dst_event("2022-03-13T01:30:00-05:00", "America/New_York", [20, 20, 20]))
    opening, dialogue, closing = run_of_show(spec)
    assert hhmm(opening, "New York") == "01:30-01:50"
    assert hhmm(dialogue, "New York") == "01:50-03:10"  # 20 real minutes over the jump
    assert hhmm(closing, "New York") == "03:10-03:30"
    assert hhmm(dialogue, "Geneva") == "07:50-08:10"
    assert hhmm(dialogue, "Buenos Aires") == "03:50-04:10"
    assert dialogue.duration == closing.duration == timedelta(minutes=20)
    cell = zone_cell(next(z for z in dialogue.zones if z.label == "New York"), dialogue.start)
    assert cell == "01:50–03:10 UTC−05:00→UTC−04:00"


def test_event_across_the_european_clock_change_shows_correct_times() -> None:
    # 30 October 2022: Geneva falls back from 03:00 CEST to 02:00 CET; New York a week later.
    spec = parse_event(_dst_event("2022-10-30T02:30:00+02:00", "Europe/Zurich", [20, 20, 20]))
    opening, dialogue, closing = run_of_show(spec)
    assert hhmm(opening, "Geneva") == "02:30-02:50"
    assert hhmm(dialogue, "Geneva") == "02:50-02:10"  # the hour repeats
    assert hhmm(closing, "Geneva") == "02:10-02:30"
    assert hhmm(closing, "New York") == "21:10-21:30"
    assert closing.start.utcoffset() != opening.start.utcoffset()


def test_clock_times_across_dst_keep_real_durations_when_re_dated() -> None:
    spec = load_event(SEED, start_at="2022-03-13T01:30:00-05:00")
    rows = run_of_show(spec)
    assert [r.duration for r in rows] == [timedelta(minutes=m) for m in (5, 50, 5)]
    assert hhmm(rows[1], "New York") == "01:35-03:25"
