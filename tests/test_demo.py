"""`zoomorch demo` and `zoomorch rehearse`, run as the console command would be (subprocesses
of `python -m zoomorch`), against the in-process sandbox they start themselves."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cue_agendas import RecordingNotifier, quick_agenda
from zoomorch.cli.rehearsal import _SPEED_DEMO
from zoomorch.cues import CueAgenda, agenda_from_event, plan_cues
from zoomorch.db.store import open_store
from zoomorch.delivery.log import deliveries
from zoomorch.delivery.scheduler import CueScheduler
from zoomorch.demo import (
    DEMO_SPEED,
    PRESHOW_LEAD,
    SAMPLE_REGISTRATIONS,
    RehearsalOptions,
    bundled,
    preshow_real_seconds,
    preshow_skip,
    setup_estimate,
)
from zoomorch.event import load_event
from zoomorch.registrants.command import load_list

ROOT = Path(__file__).resolve().parents[1]
SEED_EVENT = ROOT / "config" / "imrf-2022-latam.toml"
M = timedelta(minutes=1)


def _zoomorch(*args: str, cwd: Path, timeout: float = 110) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    for name in list(env):
        if name.startswith(("ZOOM_", "ZOOMORCH_")):
            del env[name]  # the demo needs no credentials, and must not pick any up
    return subprocess.run([sys.executable, "-m", "zoomorch", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


# --------------------------------------------------------------------------- bundled data


def test_bundled_seed_event_is_the_config_file() -> None:
    with bundled("events/imrf-2022-latam.toml") as shipped:
        assert shipped.read_bytes() == SEED_EVENT.read_bytes(), (
            "src/zoomorch/data/events/imrf-2022-latam.toml differs from config/: copy it over")


def test_sample_list_is_what_the_seeded_script_makes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_sample_registrations", ROOT / "scripts" / "make_sample_registrations.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.OUT = tmp_path / "sample.csv"
    script.main()
    with bundled("sample-registrations.csv") as shipped:
        assert shipped.read_bytes() == script.OUT.read_bytes()


def test_sample_list_has_hundreds_of_people_and_a_handful_of_reported_bad_rows() -> None:
    spec = load_event(SEED_EVENT)
    with bundled("sample-registrations.csv") as path:
        people, _ = load_list(spec, path)
    assert people.data_rows > 250
    reasons = " | ".join(r.reason for r in people.rejections)
    assert "no email" in reasons and "malformed email" in reasons
    assert "unknown status" in reasons
    assert len(people.rejections) <= 8
    assert len(people.merges) == 1  # the same email in capitals
    assert len(people.registrations) + len(people.rejections) + len(people.merges) == \
        people.data_rows
    emails = [r.email for r in people.registrations]
    assert all(e.rsplit("@", 1)[1] in ("example.org", "example.com", "example.net")
               for e in emails)
    assert {r.language.value for r in people.registrations if r.language} == {"ES", "EN", "FR"}
    assert any(ch in "áéíóúñçèêëàâîïôûü" for r in people.registrations
               for ch in (r.first_name + r.last_name).lower())


# --------------------------------------------------------------------------- the pre-show skip


def test_a_jump_of_the_event_clock_keeps_the_past_and_moves_the_future() -> None:
    start = datetime(2030, 5, 17, 12, 30, tzinfo=UTC)
    origin = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    agenda = CueAgenda("e", "E", ZoneInfo("UTC"), start, 60 * M, (), speed=60, origin=origin)
    at = origin - timedelta(seconds=20)  # the clock shows 12:10 and jumps to 12:25
    jumped = agenda.skipping(at, 15 * M)
    before, after = at - timedelta(seconds=5), at + timedelta(seconds=2)
    assert jumped.to_event_time(before) == agenda.to_event_time(before)  # the past stays
    assert jumped.to_event_time(after) == agenda.to_event_time(after) + 15 * M
    assert jumped.to_real_time(start - 25 * M) == agenda.to_real_time(start - 25 * M)
    assert jumped.to_real_time(start - 3 * M) == at + timedelta(seconds=2)
    assert jumped.to_real_time(start - 15 * M) == at  # skipped over: reached at the jump
    assert jumped.real_start == origin - timedelta(seconds=15)
    for wall in (before, at, after, origin + 30 * M):
        assert jumped.to_real_time(jumped.to_event_time(wall)) == wall
    twice = jumped.skipping(at + timedelta(seconds=1), M)
    assert twice.real_start == jumped.real_start - timedelta(seconds=1)


def test_a_skip_is_whole_minutes_and_lands_just_before_what_comes_next() -> None:
    now = datetime(2030, 5, 17, 12, 0, 10, tzinfo=UTC)
    doors = datetime(2030, 5, 17, 12, 20, tzinfo=UTC)
    gap = preshow_skip(now, [doors, doors + 10 * M])
    assert gap == 19 * M
    assert PRESHOW_LEAD <= doors - (now + gap) < PRESHOW_LEAD + M
    assert preshow_skip(doors - PRESHOW_LEAD - timedelta(seconds=59), [doors]) == timedelta(0)
    assert preshow_skip(now, []) == timedelta(0)


def test_the_default_demo_fits_its_time_budget_on_the_event_clock() -> None:
    """The demo's real time, from the event clock: setup (Pro's rate limits), the pre-show
    with its empty stretches skipped, and the event hour, leave 15 s of the 90 s for start-up,
    the report and a busy machine."""
    assert _SPEED_DEMO.default == DEMO_SPEED
    spec = load_event(SEED_EVENT)
    agenda = agenda_from_event(spec, speed=DEMO_SPEED)
    preshow = preshow_real_seconds(agenda)
    # The tech check, doors open and the start: each waited for at most lead + 1 min.
    assert preshow == 3 * (PRESHOW_LEAD + M).total_seconds() / DEMO_SPEED
    assert preshow <= 4
    hour = (agenda.duration + agenda.settings.hard_stop_grace).total_seconds() / DEMO_SPEED
    with bundled(SAMPLE_REGISTRATIONS) as sample:
        setup = setup_estimate(sample)
    assert setup + preshow + hour <= 75, (setup, preshow, hour)
    # Without the skip, the 30-minute pre-show alone would take this long:
    assert agenda.settings.tech_check_before.total_seconds() / DEMO_SPEED > 5 * preshow
    assert RehearsalOptions().late_minutes * 60 / DEMO_SPEED < 2


def test_the_scheduler_delivers_each_cue_once_on_time_across_a_jump(tmp_path: Path) -> None:
    """The demo's jump on a real scheduler: after the tech check went out, the event clock
    skips to just before doors open; the tech check is not sent again, doors open comes at
    its event time, sooner in wall time, and nothing is late, missed or early."""
    store = open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    speed = 600.0
    start = datetime(2030, 5, 17, 12, 30, tzinfo=UTC)
    wall_start = datetime.now(UTC) + timedelta(seconds=3.5)  # tech check in 0.5 s
    agenda = replace(quick_agenda(start, speed=speed, minutes=(2, 2), tech_check_before=30 * M,
                                  doors_open_before=10 * M, late_after=timedelta(seconds=2),
                                  late_grace=timedelta(seconds=30)), origin=wall_start)
    sink = RecordingNotifier("sink")
    tech = next(c for c in plan_cues(agenda) if c.kind == "tech_check")
    doors_at = agenda.to_event_time(next(c for c in plan_cues(agenda)
                                         if c.kind == "doors_open").due)
    with CueScheduler(store, [sink], [agenda]) as scheduler:
        deadline = time.monotonic() + 10
        while not any(m.kind == "tech_check" for _, m in sink.received):
            assert time.monotonic() < deadline, "the tech check never went out"
            time.sleep(0.01)
        jump_at = datetime.now(UTC)
        gap = preshow_skip(agenda.to_event_time(jump_at), [doors_at])
        assert gap >= 18 * M
        jumped = agenda.skipping(jump_at, gap)
        scheduler.reschedule(jumped)
        last = plan_cues(jumped)[-1].due
        while datetime.now(UTC) < last + timedelta(seconds=0.5):
            time.sleep(0.05)
    keys = Counter(m.key for _, m in sink.received)
    expected = {f"{agenda.slug}|{c.id}|sink|{r.id}" for c in plan_cues(jumped)
                for r in jumped.recipients_for(c)}
    assert set(keys) == expected and set(keys.values()) == {1}
    assert tech.id in {c.id for c in plan_cues(jumped)}  # its time is in the past: unchanged
    assert all(at >= m.due for at, m in sink.received)  # never early
    doors = next(m for _, m in sink.received if m.kind == "doors_open")
    assert jumped.to_event_time(doors.due) == doors_at  # on time on the event clock
    moved = agenda.to_real_time(doors_at) - gap / speed
    assert abs((doors.due - moved).total_seconds()) < 0.001
    assert {(d.status, d.late) for d in deliveries(store, agenda.slug)} == {("delivered", False)}
    # The pre-show took 30 min of event time less the skip.
    assert jumped.real_start - tech.due == (30 * M - gap) / speed


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_demo_runs_the_seed_event_end_to_end_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _zoomorch("demo", "--speed", "600", "--out", str(out),
                     "--state-dir", str(tmp_path / "state"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    text = done.stdout
    # setup: the webinar with interpretation, panelists, the TBC flag; the sync's bad rows
    assert "webinar id" in text and "interpretation on: Spanish, English, French" in text
    assert "TBC" in text
    assert "rejected row" in text and "counts add up" in text
    # a strict account: one person already registered 3 times today is deferred, not fatal;
    # Team Chat reaches the sender's contacts and the channel, the others fall back
    assert "deferred row" in text and "Zoom's per-person daily limit" in text
    assert "retry after" in text and "00:00 UTC" in text
    assert "cues posted to #imrf-side-event-cues" in text and "fell back to the cue board" in text
    assert (out / "registrants" / "registrants-imrf-2022-latam-deferred.csv").is_file()
    # live: cues as they fire, the webhook fixing the start, the host's actions, the board
    for kind in ("segment_start", "warning", "time_up", "hard_stop"):
        assert f"cue {kind}" in text, kind
    assert "signed webinar.started webhook verified" in text
    assert "host: `next`" in text and "ends the webinar through the Zoom API" in text
    assert "/board/imrf-2022-latam?token=" in text

    report = out / "report"
    html = report / "imrf-2022-latam-attendance.html"
    xlsx = report / "imrf-2022-latam-attendance.xlsx"
    assert html.stat().st_size > 5_000 and "Interactive Dialogue" in html.read_text("utf-8")
    assert xlsx.read_bytes()[:2] == b"PK" and xlsx.stat().st_size > 5_000
    people = (report / "imrf-2022-latam-people.csv").read_text("utf-8").splitlines()
    assert len(people) > 50
    assert (out / "registrants" / "registrants-imrf-2022-latam-rejects.csv").is_file()

    summary = json.loads((out / "demo-summary.json").read_text("utf-8"))
    assert summary["sync_adds_up"] and summary["rejected_rows"] >= 5
    assert summary["deferred_rows"] == 1 and summary["chat_fell_back"] > 0
    assert summary["registered"] >= 290
    truth = summary["truth_attendees"]
    assert truth > 50
    assert abs(summary["attended"] - truth) <= max(5, truth // 10)
    assert 0 < summary["peak"] <= summary["attended"]
    assert summary["best_segment"] in ("Opening Remarks", "Interactive Dialogue",
                                       "Closing Remarks")
    assert summary["cues_delivered"] > 20 and summary["ended_at"] is not None
    _check_the_run_of_show(text, summary, report)
    _check_the_pre_show_skip(text, tmp_path / "state" / "zoomorch.sqlite3")


def _check_the_run_of_show(text: str, summary: dict, report: Path) -> None:
    """The record matches what the demo's host did; the report's segments are those
    boundaries, their audience is the simulation's truth over them, the closing ends no later
    than the webinar, and the cues told the closing its real budget."""
    def at(value: str) -> datetime:
        return datetime.fromisoformat(value)

    second = timedelta(seconds=1)
    ros = summary["run_of_show"]
    assert summary["run_of_show_basis"] == "recorded"
    assert [s["segment"] for s in ros] == ["Opening Remarks", "Interactive Dialogue",
                                           "Closing Remarks"]
    assert [(s["ended_by"], s["by"]) for s in ros] == [
        ("next", "rehearsal"), ("next", "rehearsal"), ("hard_stop", None)]
    log = summary["host_log"]
    assert [a["action"] for a in log] == ["start", "next", "next", "end"], log
    # Zoom's webinar.started stamps the start (the sandbox's clock, a few event seconds from
    # the host's at 600x); each `next` is recorded at the host's moment.
    assert abs(at(ros[0]["actual_start"]) - at(log[0]["at"])) <= timedelta(seconds=60)
    for i, action in ((0, log[1]), (1, log[2])):
        assert abs(at(ros[i]["actual_end"]) - at(action["at"])) < second, (ros[i], action)
        assert ros[i + 1]["actual_start"] == ros[i]["actual_end"]
    closing_end = at(ros[2]["actual_end"])
    assert closing_end >= at(log[3]["at"]) - timedelta(seconds=60)
    # The webinar's end as Zoom's report gives it: the closing never ends after it.
    totals = dict(csv.reader((report / "imrf-2022-latam-totals.csv")
                             .read_text("utf-8-sig").splitlines()))
    zone = at(ros[2]["actual_end"]).tzinfo
    webinar_end = datetime.fromisoformat(
        totals["Actual end (America/New_York)"]).replace(tzinfo=zone)
    assert closing_end.replace(microsecond=0) <= webinar_end
    assert "Closing Remarks had" in totals["Run of show"] and "hard stop" in totals["Run of show"]
    # The report's segment table uses those boundaries (to the second, as spreadsheets show).
    rows = list(csv.DictReader((report / "imrf-2022-latam-segments.csv")
                               .read_text("utf-8-sig").splitlines()))
    for row, seg in zip(rows, ros, strict=True):
        for column, key in (("Actual start", "actual_start"), ("Actual end", "actual_end")):
            shown = datetime.fromisoformat(row[f"{column} (America/New_York)"])
            assert shown == at(seg[key]).replace(tzinfo=None, microsecond=0), (column, seg)
        assert row["Boundaries"] == "recorded"
    assert float(rows[1]["Over (+) / under (-) minutes"]) >= 1.0  # the dialogue ran over
    # Segment attendance over those boundaries is the simulation's truth over them.
    for seg in summary["segments_vs_truth"]:
        assert abs(seg["present_for_most"] - seg["truth_present_for_most"]) <= max(
            2, seg["truth_present_for_most"] // 20), seg
    assert "agrees with the simulation: yes" in text
    run_json = json.loads((report / "imrf-2022-latam-run-of-show.json").read_text("utf-8"))
    assert run_json["segments"] == ros
    # The overrun left the closing less than planned: its cues say its real budget.
    assert "until the hard stop" in text and "cue behind" in text


def _check_the_pre_show_skip(text: str, database: Path) -> None:
    """The clock jumped over the empty pre-show, and every cue still went out once, on time:
    one cue of each pre-show kind, every delivery settled as delivered (or fell back to the
    board), none late, missed or early; and Zoom's clock jumped with ours (the webhook's
    start time is the host's)."""
    skips = re.findall(r"… skipping (\d+) min of pre-show \(nothing happens until (.+?) at",
                       text)
    assert [what for _, what in skips][-2:] == ["doors open", "the start"], skips
    assert sum(int(minutes) for minutes, _ in skips) >= 25
    order = [text.index(f"cue {kind}") for kind in ("tech_check", "doors_open", "event_start",
                                                     "not_started", "segment_start")]
    assert order == sorted(order)
    at = [m.start() for m in re.finditer("… skipping", text)]
    assert any(order[0] < a < order[1] for a in at) and any(order[1] < a < order[2] for a in at)
    # On the event clock: the cues at their minute, the host 2 min late, Zoom agreeing.
    start = re.search(r"re-dated to start \S+ (\d\d):(\d\d)", text)
    assert start is not None
    t = int(start.group(1)) * 60 + int(start.group(2))

    def at(minutes: int) -> str:
        return f"{(t + minutes) // 60 % 24:02d}:{(t + minutes) % 60:02d}:"

    for kind, minutes in (("tech_check", -30), ("doors_open", -10), ("event_start", 0)):
        assert f"{at(minutes)}00 cue {kind}" in text, kind
    host = re.search(r"(\d\d:\d\d):(\d\d) host: starts the webinar", text)
    zoom = re.search(r"(\d\d:\d\d):(\d\d) Zoom → service: signed webinar.started", text)
    assert host and zoom
    assert host.group(1) + ":" == at(2), host.group(0)

    def seconds(clock: re.Match[str]) -> int:
        hours, minutes = clock.group(1).split(":")
        return (int(hours) * 60 + int(minutes)) * 60 + int(clock.group(2))

    # Zoom's stamp agrees with the host's start on the event clock. At 600x an event second is
    # under 2 ms of real time, so the two clocks (sandbox, service) may differ by a few event
    # seconds on a busy machine; 60 of them (0.1 s real) still tells a jump gone wrong (minutes).
    assert abs(seconds(zoom) - seconds(host)) <= 60, (host.group(0), zoom.group(0))

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT kind, cue_id, channel, recipient, status, late, due, "
                          "delivered_at FROM cue_delivery").fetchall()
    cues = {kind: {r[1] for r in rows if r[0] == kind} for kind in {r[0] for r in rows}}
    for kind in ("tech_check", "doors_open", "event_start", "hard_stop"):
        assert len(cues.get(kind, ())) == 1, (kind, cues.get(kind))
    assert len({(r[1], r[2], r[3]) for r in rows}) == len(rows)
    assert {r[4] for r in rows} <= {"delivered", "fell_back"}, Counter(r[4] for r in rows)
    assert not [r for r in rows if r[5]], "late deliveries"
    for kind, _cue, _channel, _who, status, _late, due, delivered_at in rows:
        if status == "delivered":
            late = (datetime.fromisoformat(delivered_at) - datetime.fromisoformat(due))
            assert timedelta(0) <= late < timedelta(seconds=5), (kind, due, delivered_at)


def test_rehearse_runs_any_event_file_with_checklist_timeline_and_mock_report(
        tmp_path: Path) -> None:
    event = tmp_path / "tiny.toml"
    event.write_text('''key = "tiny-rehearsal"

[webinar]
title = "Tiny rehearsal"
start = 2030-05-17T08:30:00-04:00
timezone = "America/New_York"
duration_minutes = 20

[[people]]
id = "host"
name = "Host"
email = "host@example.org"
roles = ["host"]
timezone = "America/New_York"
languages = ["English"]

[[people]]
id = "ana"
name = "Ana Pérez"
email = "ana@example.org"
roles = ["moderator"]
timezone = "America/Bogota"
languages = ["Spanish"]

[[people]]
id = "tbc"
name = "Speaker (TBC)"
roles = ["panelist"]
timezone = "Europe/Paris"
languages = ["French"]
tbc = true

[[agenda]]
title = "Welcome"
minutes = 4
speakers = ["host"]

[[agenda]]
title = "Panel"
minutes = 12
moderator = "ana"

[[agenda]]
title = "Closing"
minutes = 4

[cues]
tech_check_before = 2
doors_open_before = 1
''', encoding="utf-8")
    registrations = tmp_path / "list.csv"
    registrations.write_text(
        "Correo electrónico,Nombre,Apellido,Estado\n"
        + "".join(f"persona{i}@example.net,Persona,Número {i},aprobado\n" for i in range(12))
        + "sin-arroba.example.net,Mal,Correo,aprobado\n", encoding="utf-8")
    out = tmp_path / "mock"
    done = _zoomorch("rehearse", str(event), "--speed", "480", "--out", str(out),
                     "--registrations", str(registrations), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    text = done.stdout
    assert "the event file is valid" in text and "Speaker (TBC): TBC" in text
    assert "Cue timeline" in text and "hard_stop" in text
    assert "rejected row 14" in text
    assert "cue time_up" in text and "host: `next` → Panel" in text
    summary = json.loads((out / "demo-summary.json").read_text("utf-8"))
    assert summary["event"] == "tiny-rehearsal" and summary["registered"] == 12
    assert (out / "report" / "tiny-rehearsal-attendance.html").stat().st_size > 2_000


def test_rehearse_refuses_an_invalid_event_file_naming_the_field(tmp_path: Path) -> None:
    event = tmp_path / "bad.toml"
    event.write_text('[webinar]\ntitle = "x"\nstart = 2030-05-17T08:30:00-04:00\n'
                     'timezone = "Mars/Olympus"\nduration_minutes = 20\n\n'
                     '[[agenda]]\ntitle = "All"\nminutes = 20\n', encoding="utf-8")
    done = _zoomorch("rehearse", str(event), cwd=tmp_path, timeout=30)
    assert done.returncode == 2
    assert "webinar.timezone" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_ctrl_c_during_the_live_event_stops_the_demo_cleanly(tmp_path: Path) -> None:
    when = "live: the event"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "ZOOMORCH_"))}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "zoomorch", "demo", "--speed", "600", "--out",
         str(tmp_path / "out")], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    reached = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if when in line:
                reached.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert reached.wait(60), "".join(seen)[-2000:]
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.stderr is not None
    stderr = process.stderr.read()
    reader.join(5)
    assert code == 130, stderr[-2000:]
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert "Traceback" not in "".join(seen)
