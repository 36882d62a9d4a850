"""--start-at: re-dating the whole event."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from zoomorch.event import EventFileError, load_event, parse_start_at

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"
NOW = datetime(2030, 1, 2, 10, 0, 20, tzinfo=UTC)


def test_relative_start_rounds_up_to_the_minute() -> None:
    assert parse_start_at("now+10m", now=NOW) == datetime(2030, 1, 2, 10, 11, tzinfo=UTC)
    assert parse_start_at("now + 1h30m", now=NOW) == datetime(2030, 1, 2, 11, 31, tzinfo=UTC)
    assert parse_start_at("now-1d", now=NOW) == datetime(2030, 1, 1, 10, 1, tzinfo=UTC)
    assert parse_start_at("now", now=NOW.replace(second=0)) == NOW.replace(second=0)


def test_iso_start_keeps_its_offset_and_naive_is_read_in_the_event_zone() -> None:
    assert parse_start_at("2030-03-01T09:00:00+01:00").utcoffset() is not None
    ny = ZoneInfo("America/New_York")
    assert parse_start_at("2030-03-01T09:00", zone=ny) == datetime(2030, 3, 1, 9, tzinfo=ny)
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_start_at("2030-03-01T09:00")


def test_garbage_start_at_says_what_to_write() -> None:
    with pytest.raises(EventFileError, match=r"--start-at: 'tomorrow' is neither .* now\+10m"):
        load_event(SEED, start_at="tomorrow")


def test_re_dating_moves_every_segment() -> None:
    spec = load_event(SEED, start_at="2030-06-10T15:00:00+02:00")
    assert spec.webinar.start == datetime(2030, 6, 10, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    starts = [s.start for s in spec.schedule()]
    assert starts == [datetime(2030, 6, 10, 13, 0, tzinfo=UTC),
                      datetime(2030, 6, 10, 13, 5, tzinfo=UTC),
                      datetime(2030, 6, 10, 13, 55, tzinfo=UTC)]
    assert spec.webinar.end_utc == datetime(2030, 6, 10, 14, 0, tzinfo=UTC)
