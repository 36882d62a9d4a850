"""One duration grammar: every form accepted anywhere before is accepted everywhere, refusals
name the value and what to write, and the formatter reads back through the parser."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from event_support import problems_of, seed_data
from zoomorch.cli.main import app
from zoomorch.cues import parse_amount
from zoomorch.event import parse_event, parse_start_at
from zoomorch.vocab.durations import DurationError, format_duration, parse_duration

ROOT = Path(__file__).resolve().parents[1]
S = timedelta(seconds=1)


@pytest.mark.parametrize(("written", "seconds"), [
    # event file numbers and strings (docs/event-file.md, config/*.toml)
    (5, 300), (0.5, 30), (0, 0), ("90s", 90), ("1h30m", 5400), ("45m", 2700),
    # cues shift / extend and the board's amount box
    ("+3m", 180), ("3", 180), ("-2m", -120), ("2.5m", 150), ("+1m", 60), ("- 2 m", -120),
    # board-link --expires and --start-at now+…
    ("6h", 21600), ("90m", 5400), ("2d", 172800), ("30s", 30), ("1d2h", 93600),
    # the same grammar, spelt out or as ISO 8601
    ("1 min 30 s", 90), ("5 minutes", 300), ("2 hours", 7200), ("1 day", 86400),
    ("10 secs", 10), ("3M", 180), ("PT5M", 300), ("PT1H30M", 5400), ("P1D", 86400),
    ("pt90s", 90), ("-PT2M", -120), ("  4m  ", 240),
])
def test_every_form_reads_the_same_everywhere(written: Any, seconds: float) -> None:
    assert parse_duration(written) == timedelta(seconds=seconds)
    if isinstance(written, str):
        assert parse_amount(written) == timedelta(seconds=seconds)


@pytest.mark.parametrize(("written", "says"), [
    ("soon", "'soon' is not an amount of time; write e.g. +3m, -2m, 90s or 1h30m"),
    ("", "'' is not an amount of time"),
    ("2m30", "'2m30' is not an amount of time"),
    ("3 parsecs", "'3 parsecs' is not an amount of time"),
    ("--3m", "'--3m' is not an amount of time"),
    ("P", "'P' is not an amount of time"),
    ("1:30", "'1:30' is ambiguous (minutes:seconds or hours:minutes?); write it with units, "
             "e.g. 1m30s or 1h30m"),
])
def test_what_cannot_be_read_is_refused_with_the_forms_to_write(written: str, says: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(written)
    assert says in str(caught.value)
    assert caught.value.value == written


def test_where_an_amount_must_not_be_negative_or_must_be_positive() -> None:
    with pytest.raises(DurationError, match="'-5m' is negative; write zero or more"):
        parse_duration("-5m", sign="nonnegative")
    assert parse_duration("0", sign="nonnegative") == timedelta(0)
    with pytest.raises(DurationError, match="'0m' is not more than zero"):
        parse_duration("0m", sign="positive")
    for value in (True, None, [5]):
        with pytest.raises(DurationError, match="is not an amount of time"):
            parse_duration(value, sign="nonnegative")  # type: ignore[arg-type]


@pytest.mark.parametrize(("amount", "reads"), [
    (timedelta(minutes=5), "5 min"), (timedelta(seconds=90), "1 min 30 s"),
    (timedelta(seconds=30), "30 s"), (timedelta(minutes=90), "90 min"), (timedelta(0), "0 s"),
    (timedelta(seconds=-120), "2 min"), (timedelta(seconds=59.6), "1 min"),
])
def test_the_formatter_reads_as_people_write(amount: timedelta, reads: str) -> None:
    assert format_duration(amount) == reads


@given(st.integers(min_value=0, max_value=10 * 86400))
def test_what_the_formatter_writes_reads_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds * S)) == seconds * S


def test_every_amount_in_the_shipped_event_files_still_loads() -> None:
    for path in [*ROOT.glob("config/*.toml"), *ROOT.glob("src/zoomorch/data/events/*.toml")]:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        spec = parse_event(data, source=path)
        assert spec.cues.tech_check_before == timedelta(minutes=30), path


def test_the_event_file_reads_every_form_and_refuses_with_field_and_fix() -> None:
    data = seed_data()
    data["cues"] = {"tech_check_before": "PT45M", "doors_open_before": "15 min",
                    "hard_stop_grace": "1m 30s", "late_grace": 0.5}
    cues = parse_event(data).cues
    assert (cues.tech_check_before, cues.doors_open_before) == (45 * 60 * S, 15 * 60 * S)
    assert (cues.hard_stop_grace, cues.late_grace) == (90 * S, 30 * S)
    data["cues"] = {"overrun_every": "-1m", "handover_every": "1:30"}
    text = problems_of(data)
    assert "config/x.toml: cues.overrun_every: '-1m' is negative — write zero or more" in text
    assert ("config/x.toml: cues.handover_every: '1:30' is ambiguous (minutes:seconds or "
            "hours:minutes?) — write it with units, e.g. 1m30s or 1h30m") in text


def test_start_at_reads_the_same_amounts_after_now() -> None:
    now = datetime(2026, 3, 1, 12, 0, 20, tzinfo=UTC)
    assert parse_start_at("now+PT10M", now=now) == datetime(2026, 3, 1, 12, 11, tzinfo=UTC)
    assert parse_start_at("now + 1 hour", now=now) == datetime(2026, 3, 1, 13, 1, tzinfo=UTC)
    assert parse_start_at("now-1d", now=now) == datetime(2026, 2, 28, 12, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match=re.escape(
            "'now+soon' is neither an ISO datetime nor now+N(d|h|m|s)")):
        parse_start_at("now+soon", now=now)


def test_cli_amounts_and_expiry_use_the_grammar(tmp_path: Path) -> None:
    env = {"ZOOMORCH_STATE_DIR": str(tmp_path)}
    seed = str(ROOT / "config" / "imrf-2022-latam.toml")
    runner = CliRunner()
    shifted = runner.invoke(app, ["cues", "shift", seed, "PT2M"], env=env)
    assert shifted.exit_code == 0, shifted.output
    ambiguous = runner.invoke(app, ["cues", "shift", seed, "1:30"], env=env)
    assert ambiguous.exit_code != 0 and "write it with units" in ambiguous.output
    link = runner.invoke(app, ["board-link", "some-event", "--expires", "1 day"], env=env)
    assert link.exit_code == 0, link.output
    for bad, says in (("0m", "is not more than zero"), ("soon", "write e.g. 6h, 90m or 2d")):
        refused = runner.invoke(app, ["board-link", "some-event", "--expires", bad], env=env)
        assert refused.exit_code != 0 and says in refused.output
