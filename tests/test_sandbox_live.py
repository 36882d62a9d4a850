"""Live webinars on the sandbox: the seeded attendance model, played in simulated time, and
everything Zoom would produce from it (reports, webhooks) agreeing with the ground truth."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
import requests

from sandbox_helpers import ZoomSession, create_webinar
from test_sandbox_webhooks import SECRET, Receiver
from zoom_openapi import SPEC_PATH, RecordingSession, validation_errors, zoom_openapi
from zoomorch.report.attendance import (
    ParticipantJoin,
    RegistrantAnswers,
    Roster,
    WebinarRun,
    build_report,
)
from zoomorch.sandbox import Sandbox, SandboxClock
from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.simulation import Simulation

T0 = datetime(2031, 5, 17, 12, 30, tzinfo=UTC)
PANEL = [{"title": "Welcome", "minutes": 5}, {"title": "Keynote", "minutes": 10},
         {"title": "Panel", "minutes": 20}, {"title": "Q&A", "minutes": 10},
         {"title": "Closing", "minutes": 5}]


@pytest.fixture
def frozen() -> Iterator[Sandbox]:
    """A sandbox whose clock stands still at T0: simulations move it with run()/step()."""
    with Sandbox(account_id="acc-test", client_id="cid-test", client_secret="s3cret-test",
                 rate_limits=False, clock=SandboxClock(speed=0, start=T0)) as sb:
        yield sb


def setup_webinar(sb: Sandbox, registrants: int = 120, duration: int = 50,
                  panelists: int = 3) -> int:
    """A webinar with approved registrants, panelists and two interpreters."""
    s = ZoomSession(sb)
    wid = int(create_webinar(s, approval_type=0, duration=duration, settings={
        "approval_type": 0, "language_interpretation": {"enable": True, "interpreters": [
            {"email": "interp.es@example.org", "languages": "US,ES"},
            {"email": "interp.fr@example.org", "languages": "US,FR"}]}})["id"])
    if panelists:
        s.post(f"/webinars/{wid}/panelists", json={"panelists": [
            {"name": f"Panelist {i}", "email": f"panelist{i}@example.org"}
            for i in range(panelists)]}).raise_for_status()
    people = [{"email": f"person{i}@example.org", "first_name": f"Person{i}",
               "last_name": "Example"} for i in range(registrants)]
    for start in range(0, registrants, 30):
        s.post(f"/webinars/{wid}/batch_registrants", json={
            "auto_approve": True, "registrants": people[start:start + 30]}).raise_for_status()
    return wid


def all_rows(s: requests.Session, base: str, wid: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    token = ""
    while True:
        page = s.get(f"{base}/report/webinars/{wid}/participants", timeout=10, params={
            "page_size": 50, "include_fields": "registrant_id", "next_page_token": token}).json()
        rows += page["participants"]
        token = page["next_page_token"]
        if not token:
            return rows


def truth_spans(truth: dict[str, Any]) -> dict[str, tuple[str, str | None, str]]:
    """Every connection of the truth: user_id -> (join, leave, the name Zoom showed)."""
    return {s["user_id"]: (s["join"], s["leave"], s["name"])
            for p in truth["people"] for s in p["spans"]}


def report_spans(rows: list[dict[str, Any]]) -> dict[str, tuple[str, str | None, str]]:
    """Every row of the participants report: user_id (one per connection) -> the same."""
    spans = {row["user_id"]: (row["join_time"], row["leave_time"], row["name"]) for row in rows}
    assert len(spans) == len(rows)  # Zoom's user_id is per connection
    return spans


@cache
def zoom_email_pattern() -> re.Pattern[str]:
    """The ``pattern`` of ``user_email`` in the participants report of Zoom's description."""
    zoom_openapi()  # skips (or fails on CI) without the description, as every fidelity test
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    answer = spec["paths"]["/report/webinars/{webinarId}/participants"]["get"]["responses"]
    row = answer["200"]["content"]["application/json"]["schema"]["properties"]["participants"]
    return re.compile(row["items"]["properties"]["user_email"]["pattern"])


def kind_zoom() -> dict[str, float]:
    """Settings for a kinder Zoom than the real one: everyone signed in, nobody renames."""
    return {"signed_in_rate": 1.0, "walk_in_signed_in_rate": 1.0, "rename_rate": 0.0}


def test_same_seed_gives_the_same_report(frozen: Sandbox) -> None:
    reports = []
    for _ in range(2):
        frozen.store.clock.set(T0)
        wid = setup_webinar(frozen)
        frozen.simulate(wid, seed=7, segments=PANEL).run()
        email_of = {r["id"]: r["email"] for r in frozen.store.webinar(wid).registrants.values()}
        rows = all_rows(ZoomSession(frozen), frozen.base_url, wid)
        for row in rows:
            row["registrant_id"] = email_of.get(row["registrant_id"], "")
        reports.append(rows)
    assert reports[0] == reports[1]
    frozen.store.clock.set(T0)
    other = setup_webinar(frozen)
    frozen.simulate(other, seed=8, segments=PANEL).run()
    assert [r["name"] for r in all_rows(ZoomSession(frozen), frozen.base_url, other)] != [
        r["name"] for r in reports[0]]


def test_attendance_looks_like_a_real_webinar(frozen: Sandbox) -> None:
    wid = setup_webinar(frozen, registrants=600)
    sim = frozen.simulate(wid, seed=3, late_minutes=3, segments=PANEL)
    sim.run()
    truth = sim.truth()
    plan = sim.plan
    attendees = [p for p in truth["people"] if p["role"] == "attendee"]
    registered = [p for p in attendees if p["registrant_id"]]
    assert 0.4 < len(registered) / 600 < 0.6  # show-up rate near 50 %
    assert len(registered) + len(truth["absent_registrants"]) == 600
    phones = [p for p in attendees if p["via"] == "phone"]
    assert phones and all(p["phone_number"].startswith("+") and not p["signed_in"]
                          and all(s["name"] == p["phone_number"] for s in p["spans"])
                          for p in phones)
    walk_ins = [p for p in attendees if p["via"] == "link"]
    assert walk_ins and all(p["registrant_id"] is None for p in walk_ins)
    assert sum(1 for p in attendees if len(p["spans"]) > 1) > 0.05 * len(attendees)
    program = zoom_time(plan.program_start)
    crew = [p for p in truth["people"] if p["role"] != "attendee"]
    assert Counter(p["role"] for p in crew) == {"host": 1, "panelist": 3, "interpreter": 2}
    assert all(p["spans"][0]["join"] < program for p in crew)
    assert any(len(p["spans"]) == 2 for p in crew if p["role"] == "panelist")
    # Arrivals peak right after the late start, with a second wave for the panel.
    panel = plan.segments[2]
    first = [datetime.fromisoformat(p["spans"][0]["join"]) for p in attendees]
    early = sum(1 for t in first if plan.program_start <= t < plan.program_start
                + timedelta(minutes=5))
    for_panel = sum(1 for t in first if panel.start - timedelta(minutes=3) <= t
                    < panel.start + timedelta(minutes=3))
    quiet = sum(1 for t in first if panel.start + timedelta(minutes=8) <= t
                < panel.start + timedelta(minutes=14))
    assert early > 0.4 * len(attendees) and for_panel > 2 * max(quiet, 1)
    # People leave during the closing.
    last = [datetime.fromisoformat(p["spans"][-1]["leave"]) for p in attendees]
    closing = plan.segments[-1]
    in_closing = sum(1 for t in last if closing.start <= t < closing.end)
    in_keynote = sum(1 for t in last if plan.segments[1].start <= t < plan.segments[1].end)
    assert in_closing > 2 * in_keynote
    assert truth["questions"] and all(q["answered_by"].startswith("Panelist")
                                      for q in truth["questions"])
    assert len(truth["poll"]["answers"]) > 0.3 * len(attendees)


def test_report_and_webhooks_agree_with_the_truth() -> None:
    receiver = Receiver()
    try:
        with Sandbox(client_secret="x", rate_limits=False, webhook_url=receiver.url,
                     webhook_secret=SECRET, clock=SandboxClock(speed=0, start=T0)) as sb:
            wid = setup_webinar(sb, registrants=90, duration=30)
            sim = sb.simulate(wid, seed=11, segments=PANEL[:2] + PANEL[3:])
            sim.run()
            truth = sim.truth()
            s = ZoomSession(sb)
            rows = all_rows(s, sb.base_url, wid)
            assert report_spans(rows) == truth_spans(truth)
            assert sb.wait_webhooks(10)
            details = s.get(f"/report/webinars/{wid}").json()
            assert (details["start_time"], details["end_time"]) == (
                truth["started_at"], truth["ended_at"])
            assert details["participants_count"] == len(truth["people"])
            assert details["duration"] == 32  # 2 late minutes + the 30-minute agenda
            webhook: dict[str, tuple[str, str | None, str]] = {}
            live = [e for e in receiver.events if e["event"] != "webinar.registration_created"]
            assert live[0]["event"] == "webinar.started" and live[-1]["event"] == "webinar.ended"
            by_connection = {s["user_id"]: p for p in truth["people"] for s in p["spans"]}
            for event in live:
                participant = event["payload"]["object"].get("participant")
                if participant is not None:
                    check_participant_payload(event["event"], participant,
                                              by_connection[participant["user_id"]])
                if event["event"] == "webinar.participant_joined":
                    webhook[participant["user_id"]] = (participant["join_time"], None,
                                                       participant["user_name"])
                elif event["event"] == "webinar.participant_left":
                    join, _, name = webhook[participant["user_id"]]
                    webhook[participant["user_id"]] = (join, participant["leave_time"], name)
            assert webhook == truth_spans(truth)
            absent = s.get(f"/past_webinars/{details['uuid']}/absentees",
                           params={"page_size": 300}).json()
            phoned = {p["registrant_id"] for p in truth["people"] if p["via"] == "phone"}
            # Zoom cannot tie a dial-in to its registration: they show as absent.
            assert {r["id"] for r in absent["registrants"]} == set(
                truth["absent_registrants"]) | phoned
            qa = s.get(f"/report/webinars/{wid}/qa").json()["questions"]
            assert sorted(d["question"] for q in qa for d in q["question_details"]) == sorted(
                q["question"] for q in truth["questions"])
            polls = s.get(f"/report/webinars/{wid}/polls").json()["questions"]
            assert sum(len(p["question_details"]) for p in polls) == len(
                truth["poll"]["answers"])
    finally:
        receiver.close()


def check_participant_payload(event: str, participant: dict[str, Any],
                              who: dict[str, Any]) -> None:
    """A participant webhook carries the fields Zoom's webhook reference lists, hidden under
    the same rules as the participants report."""
    keys = {"user_id", "user_name", "id", "participant_uuid", "participant_user_id", "email",
            "registrant_id", "customer_key"}
    keys |= {"join_time"} if event == "webinar.participant_joined" else {
        "leave_time", "leave_reason"}
    keys |= {"phone_number"} if who["via"] == "phone" else set()
    assert set(participant) == keys
    assert participant["id"] == participant["participant_user_id"] == (
        who["participant_id"] if who["signed_in"] else "")
    assert re.fullmatch(r"[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}",
                        participant["participant_uuid"])
    shown = "" if who["via"] in ("phone", "link") else who["email"]
    assert participant["email"] == shown
    if event == "webinar.participant_left":
        assert participant["leave_reason"].startswith("left the meeting. Reason : ")


def test_the_strict_sandbox_shows_identity_as_zoom_does(frozen: Sandbox) -> None:
    wid = setup_webinar(frozen, registrants=400)
    sim = frozen.simulate(wid, seed=3, segments=PANEL)
    sim.run()
    truth = sim.truth()
    rows = {r["user_id"]: r for r in all_rows(ZoomSession(frozen), frozen.base_url, wid)}
    attendees = [p for p in truth["people"] if p["role"] == "attendee"]

    def rows_of(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [rows[s["user_id"]] for p in people for s in p["spans"]]

    # Registrants through their own link: registrant id and registered email, and about a
    # third not signed in to Zoom (no id).
    registrants = [p for p in attendees if p["via"] == "app"]
    assert all(r["registrant_id"] == p["registrant_id"] and r["user_email"] == p["email"]
               for p in registrants for r in rows_of([p]))
    unsigned = sum(1 for p in registrants if not p["signed_in"]) / len(registrants)
    assert 0.2 < unsigned < 0.4
    assert all((r["id"] == "") == (not p["signed_in"]) and r["id"] == r["participant_user_id"]
               for p in registrants for r in rows_of([p]))
    # Walk-ins: no email shown, no registrant id, most not signed in.
    walk_ins = [p for p in attendees if p["via"] == "link"]
    assert walk_ins and all(r["user_email"] == "" and r["registrant_id"] == ""
                            for r in rows_of(walk_ins))
    assert sum(1 for p in walk_ins if p["signed_in"]) < len(walk_ins) / 2
    # Dial-ins: their number as the name (the same on every redial), nothing else.
    phones = [p for p in attendees if p["via"] == "phone"]
    assert phones and all(
        (r["name"], r["user_email"], r["id"], r["registrant_id"]) == (p["phone_number"], "",
                                                                        "", "")
        for p in phones for r in rows_of([p]))
    # The crew was invited by email and is signed in.
    crew = [p for p in truth["people"] if p["role"] != "attendee"]
    assert all(r["user_email"] == p["email"] and r["id"] for p in crew for r in rows_of([p]))
    # Some people show another name on a later join; the report has the name of each join.
    renamed = [p for p in attendees if len({s["name"] for s in p["spans"]}) > 1]
    assert renamed and all(rows[s["user_id"]]["name"] == s["name"]
                           for p in renamed for s in p["spans"])
    several = [p for p in attendees if len(p["spans"]) > 1 and p["via"] != "phone"]
    assert 0.1 < len(renamed) / len(several) < 0.45


def test_every_email_the_sandbox_shows_matches_zooms_pattern(frozen: Sandbox) -> None:
    # Many walk-ins: their names are often not ASCII (Tomás, Müller), their emails must be.
    wid = setup_webinar(frozen, registrants=60, duration=30)
    sim = frozen.simulate(wid, seed=9, walk_ins=80, question_rate=0.5)
    sim.run()
    truth = sim.truth()
    s = ZoomSession(frozen)
    qa = s.get(f"/report/webinars/{wid}/qa").json()["questions"]
    polls = s.get(f"/report/webinars/{wid}/polls").json()["questions"]
    emails = [r["user_email"] for r in all_rows(s, frozen.base_url, wid)]
    emails += [p["email"] for p in truth["people"] if p["email"]]
    emails += [q["email"] for q in truth["questions"]] + [
        a["email"] for a in truth["poll"]["answers"]]
    emails += [q["email"] for q in qa] + [p["email"] for p in polls if "email" in p]
    assert any(not name.isascii() for name in (p["name"] for p in truth["people"]))
    pattern = zoom_email_pattern()
    assert [e for e in emails if not pattern.match(e)] == []
    # A guest's email is hidden in the Q&A report too; the polls report leaves it out.
    walk_in_emails = {p["email"] for p in truth["people"] if p["via"] == "link"}
    assert not walk_in_emails & {q["email"] for q in qa} and any(q["email"] == "" for q in qa)
    assert not walk_in_emails & {p.get("email") for p in polls}


def test_a_kinder_zoom_is_asked_for_and_keeps_the_same_attendance(frozen: Sandbox) -> None:
    spans = []
    for settings in ({}, kind_zoom()):
        frozen.store.clock.set(T0)
        wid = setup_webinar(frozen, registrants=100, duration=30)
        frozen.simulate(wid, seed=4, **settings).run()
        rows = all_rows(ZoomSession(frozen), frozen.base_url, wid)
        spans.append([(r["join_time"], r["leave_time"]) for r in rows])
    assert spans[0] == spans[1]  # who signs in or renames never moves anyone in time
    kind_rows = rows
    assert all(r["id"] for r in kind_rows if not r["name"].startswith("+"))


def test_reports_of_a_simulated_webinar_match_zooms_description(frozen: Sandbox) -> None:
    wid = setup_webinar(frozen, registrants=60, duration=20)
    frozen.simulate(wid, seed=5).run()
    api = RecordingSession()
    api.headers["Authorization"] = ZoomSession(frozen).headers["Authorization"]
    base = frozen.base_url
    all_rows(api, base, wid)
    uuid = api.get(f"{base}/webinars/{wid}", timeout=10).json()["uuid"]
    for path in (f"/report/webinars/{wid}", f"/report/webinars/{wid}/qa",
                 f"/report/webinars/{wid}/polls", f"/past_webinars/{uuid}/absentees"):
        assert api.get(base + path, timeout=10).status_code == 200
    assert len(api.exchanges) >= 6
    problems = {e.label(): validation_errors(e) for e in api.exchanges}
    assert {label: p for label, p in problems.items() if p} == {}


def test_ending_early_truncates_every_open_session_at_the_end(frozen: Sandbox) -> None:
    wid = setup_webinar(frozen, registrants=80, duration=40)
    sim = frozen.simulate(wid, seed=2)
    sim.run_until(sim.plan.program_start + timedelta(minutes=12, seconds=30))
    s = ZoomSession(frozen)
    assert s.put(f"/webinars/{wid}/status", json={"action": "end"}).status_code == 204
    end = zoom_time(frozen.store.now())
    assert sim.wait(5) and sim.done
    truth = sim.truth()
    assert truth["ended_at"] == end and truth["status"] == "ended"
    rows = all_rows(s, frozen.base_url, wid)
    assert max(r["leave_time"] for r in rows) == end
    assert all(r["join_time"] < end for r in rows)
    open_at_end = [r for r in rows if r["leave_time"] == end]
    assert len(open_at_end) > 20  # the audience still in the room was cut at the end
    assert report_spans(rows) == truth_spans(truth)
    assert sim.step() is None  # nothing plays after the end
    assert s.get(f"/report/webinars/{wid}").json()["end_time"] == end


def test_per_person_minutes_from_the_report_analytics_match_the_truth(frozen: Sandbox) -> None:
    # Minutes, not identity, are under test here: a kinder Zoom (everyone signed in, no
    # renames) lets every report person be matched to exactly one truth person.
    # tests/test_report_identity.py measures the analytics on the real, stricter Zoom.
    wid = setup_webinar(frozen, registrants=150, duration=45)
    sim = frozen.simulate(wid, seed=21, late_minutes=4, **kind_zoom())
    sim.run()
    truth = sim.truth()
    s = ZoomSession(frozen)
    rows = [ParticipantJoin.from_zoom(r) for r in all_rows(s, frozen.base_url, wid)]
    run = WebinarRun.from_zoom(s.get(f"/report/webinars/{wid}").json())
    registrants = [RegistrantAnswers.from_zoom(r) for r in s.get(
        f"/webinars/{wid}/registrants", params={"page_size": 300}).json()["registrants"]]
    roster = Roster.of(panelists=[f"panelist{i}@example.org" for i in range(3)],
                       interpreters=["interp.es@example.org", "interp.fr@example.org"])
    report = build_report(run, rows, registrants, roster, as_of=frozen.store.now())
    measured = {frozenset(p.connections): (round(p.minutes * 60), p.role.value)
                for p in report.people}
    expected = {frozenset(s["user_id"] for s in p["spans"]): (p["seconds"], p["role"])
                for p in truth["people"]}
    assert measured == expected


def test_admin_api_accelerates_the_clock_and_simulates_over_http() -> None:
    with Sandbox(client_secret="x", rate_limits=False) as sb:
        wid = setup_webinar(sb, registrants=40, duration=10, panelists=1)
        admin = sb.admin_url
        bad = requests.post(f"{admin}/webinars/{wid}/simulate", json={"show_up": 2}, timeout=5)
        assert (bad.status_code, bad.json()["code"]) == (400, 300)
        assert bad.json()["errors"][0]["field"] == "show_up"
        clock = requests.post(f"{admin}/clock", json={"speed": 1200}, timeout=5).json()
        assert clock["speed"] == 1200
        started = requests.post(f"{admin}/webinars/{wid}/simulate", timeout=5, json={
            "seed": 7, "late_minutes": 1, "show_up_rate": 0.5,
            "segments": [{"title": "Talk", "minutes": 6}, {"title": "Closing", "minutes": 3}]})
        assert started.status_code == 200, started.text
        assert started.json()["scheduled_end"] > started.json()["program_start"]
        again = requests.post(f"{admin}/webinars/{wid}/simulate", json={}, timeout=5)
        assert (again.status_code, again.json()["code"]) == (400, 3000)
        running = requests.get(f"{admin}/webinars/{wid}/truth", timeout=5).json()
        assert running["status"] == "running"
        assert sb.simulation(wid).wait(10)  # 10 sandbox minutes = 0.5 s at speed 1200
        truth = requests.get(f"{admin}/webinars/{wid}/truth", timeout=5).json()
        assert truth["status"] == "ended" and truth["ended_at"] == truth["scheduled_end"]
        rows = all_rows(ZoomSession(sb), sb.base_url, wid)
        assert report_spans(rows) == truth_spans(truth)
        listing = requests.get(f"{admin}/simulations", timeout=5).json()
        assert listing["simulations"][0]["status"] == "ended"
        missing = requests.get(f"{admin}/webinars/123/truth", timeout=5)
        assert missing.status_code == 404


def test_accelerated_clock_keeps_event_order_across_concurrent_webinars() -> None:
    receiver = Receiver()
    try:
        with Sandbox(client_secret="x", rate_limits=False, webhook_url=receiver.url,
                     webhook_secret=SECRET) as sb:
            webinars = [setup_webinar(sb, registrants=60, duration=20, panelists=1)
                        for _ in range(3)]
            sb.store.clock.set_speed(1500)  # 22 sandbox minutes in under a second
            sims: list[Simulation] = [sb.simulate(w, seed=i) for i, w in enumerate(webinars)]
            assert all(sim.wait(15) for sim in sims)
            assert sb.wait_webhooks(15)
            by_webinar: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for event in receiver.events:
                if event["event"] != "webinar.registration_created":
                    by_webinar[event["payload"]["object"]["id"]].append(event)
            for sim in sims:
                events = by_webinar[str(sim.webinar_id)]
                stamps = [e["event_ts"] for e in events]
                assert stamps == sorted(stamps)
                assert events[0]["event"] == "webinar.started"
                assert events[-1]["event"] == "webinar.ended"
                inside: set[str] = set()
                for event in events[1:-1]:
                    who = event["payload"]["object"]["participant"]["user_id"]
                    if event["event"] == "webinar.participant_joined":
                        assert who not in inside
                        inside.add(who)
                    else:
                        assert who in inside
                        inside.remove(who)
                assert not inside
                rows = all_rows(ZoomSession(sb), sb.base_url, sim.webinar_id)
                assert report_spans(rows) == truth_spans(sim.truth())
    finally:
        receiver.close()
