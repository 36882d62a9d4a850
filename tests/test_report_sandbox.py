"""`zoomorch report` against the sandbox over HTTP: a scripted seed event whose ground truth
(who was in the room, when) is known, fetched, stored, rebuilt offline and exported."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zoomorch.db.store import StateStore, open_store
from zoomorch.event import EventSpec, load_event
from zoomorch.report.attendance import IdentifiedBy, Role
from zoomorch.report.fetch import ReportPage, ReportSnapshot, StoredReport
from zoomorch.report.run import ReportError, make_report
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient
from zoomorch.zoom.config import load_settings

SEED = Path(__file__).resolve().parent.parent / "config" / "imrf-2022-latam.toml"
LATE = timedelta(minutes=4)  # the webinar really started 4 minutes late
LENGTH = timedelta(minutes=62)


@dataclass
class Script:
    """What happened in the room, as the test made it happen: the ground truth."""

    spec: EventSpec
    webinar_id: int
    start: datetime
    end: datetime
    # email (or name for guests) -> list of (join, leave) minutes after the actual start
    presence: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    audience: set[str] = field(default_factory=set)
    approved: int = 0
    registered: int = 0

    def minutes(self, who: str) -> float:
        length = (self.end - self.start).total_seconds() / 60
        return sum(min(b, length) - max(a, 0) for a, b in self.presence[who]
                   if min(b, length) > max(a, 0))

    def present_at(self, minute: float) -> int:
        return sum(1 for who in self.audience
                   if any(a <= minute < b for a, b in self.presence[who]))


def client_for(sb: Sandbox) -> ZoomClient:
    settings = load_settings(environ=sb.env())
    return ZoomClient(settings.credentials, settings.plan)


def stage_event(sb: Sandbox, store: StateStore) -> Script:
    """Create the seed event's webinar, registrants and a realistic attendance."""
    spec = load_event(SEED)
    planned = spec.webinar.start_utc
    start, end = planned + LATE, planned + LATE + LENGTH
    sb.store.clock.set(planned - timedelta(days=3))
    body = {"topic": spec.webinar.title, "type": 5, "duration": spec.webinar.duration_minutes,
            "timezone": spec.webinar.timezone,
            "start_time": planned.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "settings": {"approval_type": 1}}
    wid = int(sb.store.create_webinar("me", body)["id"])
    store.save_binding(spec.key, webinar_id=wid)
    script = Script(spec, wid, start, end)

    def register(email: str, first: str, last: str, country: str, org: str, lang: str,
                 status: str = "approved") -> None:
        created = sb.store.add_registrant(wid, {
            "email": email, "first_name": first, "last_name": last, "country": country,
            "org": org, "custom_questions": [{"title": "Preferred language", "value": lang}]})
        if status != "pending":
            sb.store.update_registrant_status(
                wid, "approve" if status == "approved" else "deny",
                [{"id": created["registrant_id"]}])
        script.registered += 1
        script.approved += status == "approved"

    register("ana@ong.example", "Ana", "Pérez", "CO", "=cmd|' /C calc'!A0", "Español")
    register("maria.garcia@un.example", "Maria", "Garcia", "MX", "UNDP", "Español")
    register("maria.garcia@ilo.example", "Maria", "Garcia", "ES", "ILO", "English")
    register("dani@city.example", "Daniel", "Ruiz", "AR", "Ciudad", "Español")
    register("paul@fr.example", "Paul", "Martin", "FR", "OFII", "Français")
    register("jo@uk.example", "Jo", "Smith", "GB", "IOM", "English")
    register("nobody@absent.example", "Nadia", "Ausente", "PE", "—", "Español")
    register("late@absent.example", "Luis", "Tarde", "CL", "—", "Español")
    register("pending@x.example", "Pat", "Pending", "US", "—", "English", status="pending")
    register("denied@x.example", "Dan", "Denied", "US", "—", "English", status="denied")

    def attend(who: str, name: str, spans: list[tuple[float, float | None]], *,
               email: str = "", role: str = "attendee") -> None:
        script.presence[who] = []
        for a, b in spans:
            sb.store.record_join(wid, name=name, email=email, role=role,
                                 at=start + timedelta(minutes=a))
            if b is not None:
                sb.store.record_leave(wid, email=email or None, name=None if email else name,
                                      at=start + timedelta(minutes=b))
            script.presence[who].append((a, LENGTH.total_seconds() / 60 if b is None else b))
        if role == "attendee":
            script.audience.add(who)

    sb.store.start_webinar(wid, at=start)
    attend("host@example.org", "Technical host", [(-20, None)], email="host@example.org",
           role="host")
    attend("johanna.saenz@example.org", "Johanna Sáenz", [(-10, None)],
           email="johanna.saenz@example.org", role="panelist")
    attend("interpreter.es-en.a@example.org", "Intérprete ES-EN", [(-5, None)],
           email="interpreter.es-en.a@example.org", role="panelist")
    attend("ana@ong.example", "Ana Pérez", [(0, 30), (35, None)], email="ana@ong.example")
    attend("maria.garcia@un.example", "Maria Garcia", [(1, 61)], email="maria.garcia@un.example")
    attend("maria.garcia@ilo.example", "Maria Garcia", [(20, 25)],
           email="maria.garcia@ilo.example")
    # Renamed mid-event: joined from a phone, came back from the laptop with the real name.
    attend("dani@city.example", "iPhone de Dani", [(2, 20)], email="dani@city.example")
    sb.store.record_join(wid, name="Daniel Ruiz (Ciudad)", email="dani@city.example",
                         at=start + timedelta(minutes=22))
    sb.store.record_leave(wid, email="dani@city.example", at=start + timedelta(minutes=50))
    script.presence["dani@city.example"].append((22, 50))
    attend("paul@fr.example", "Paul Martin", [(-3, 8)], email="paul@fr.example")
    attend("jo@uk.example", "Jo Smith", [(58, None)], email="jo@uk.example")
    # A walk-in who never registered: Zoom hides the email of a guest outside the account,
    # so the report knows them by their name only.
    attend("Reporter", "Reporter", [(10, 40)], email="walkin@press.example")
    attend("Invitado", "Invitado", [(5, 45)])  # a guest without email
    attend("+52 55 1234 5678", "+52 55 1234 5678", [(3, 57)])  # a dial-in caller
    # A panelist on a second device, without email: the event file's name gives the role
    # (Zoom itself sees an attendee, so the script takes them out of the audience).
    attend("lucas  gómez", "lucas  gómez", [(12, 30)])
    script.audience.discard("lucas  gómez")
    sb.store.add_question(wid, name="Ana Pérez", email="ana@ong.example",
                          question="¿Habrá grabación?", answer="Sí, en una semana")
    sb.store.add_question(wid, name="Reporter", email="walkin@press.example",
                          question="Numbers for 2023?")
    poll = sb.store.add_poll(wid, title="Feedback", questions=[
        {"name": "Useful?", "answers": ["Yes", "No"]}])
    for name, email, answer in (("Ana Pérez", "ana@ong.example", "Yes"),
                                ("Maria Garcia", "maria.garcia@un.example", "Yes"),
                                ("Jo Smith", "jo@uk.example", "No")):
        sb.store.record_poll_answer(wid, poll_id=poll, name=name, email=email,
                                    question="Useful?", answer=answer,
                                    at=start + timedelta(minutes=59))
    sb.store.end_webinar(wid, at=end)
    sb.store.clock.set(end + timedelta(hours=2))
    return script


@pytest.fixture
def staged(sandbox: Sandbox, tmp_path: Path) -> tuple[Sandbox, StateStore, Script]:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    return sandbox, store, stage_event(sandbox, store)


def test_report_numbers_match_the_ground_truth(staged: tuple[Sandbox, StateStore, Script],
                                               tmp_path: Path) -> None:
    sb, store, script = staged
    with client_for(sb) as client:
        outcome = make_report(script.spec, store, client, out_dir=tmp_path / "out",
                              formats=["csv"])
    rep = outcome.report
    by_email = {p.email: p for p in rep.people if p.email}
    for who in script.presence:
        person = by_email.get(who) or next(p for p in rep.people if p.name == who)
        assert person.minutes == pytest.approx(script.minutes(who), abs=0.02), who
    assert by_email["dani@city.example"].name == "Daniel Ruiz (Ciudad)"
    assert by_email["dani@city.example"].other_names == ("iPhone de Dani",)
    assert by_email["ana@ong.example"].joins == 2
    assert by_email["ana@ong.example"].preferred_language == "Español"
    assert by_email["maria.garcia@ilo.example"].country == "ES"
    assert by_email["host@example.org"].role is Role.HOST
    assert by_email["johanna.saenz@example.org"].role is Role.PANELIST
    assert by_email["interpreter.es-en.a@example.org"].role is Role.INTERPRETER
    assert {p.connection.value for p in rep.people if not p.email} == {"guest", "dial-in"}
    reporter = next(p for p in rep.people if p.name == "Reporter")
    assert (reporter.email, reporter.identified_by) == ("", IdentifiedBy.NAME)
    lucas = next(p for p in rep.people if p.name == "lucas  gómez")
    assert (lucas.role, lucas.identified_by) == (Role.PANELIST, IdentifiedBy.NAME)
    assert by_email["ana@ong.example"].identified_by is IdentifiedBy.REGISTRANT
    assert by_email["host@example.org"].identified_by is IdentifiedBy.EMAIL

    totals = rep.totals
    assert totals.webinar_start == script.start and totals.webinar_end == script.end
    assert (totals.registered, totals.approved) == (script.registered, script.approved)
    assert totals.attended == len(script.audience)
    assert totals.unidentified_connections == 0
    assert totals.attended_registered == 6
    assert totals.conversion == pytest.approx(6 / script.approved)
    truth_peak = max(script.present_at(m / 10) for m in range(0, 620))
    assert totals.peak_concurrency == truth_peak

    # Segments sit on the actual start: Opening Remarks is minutes 0-5 after it.
    opening, dialogue, closing = rep.segments
    assert opening.start == script.start
    assert dialogue.start == script.start + timedelta(minutes=5)
    assert closing.end == script.start + timedelta(minutes=60)
    assert opening.present_at_start == script.present_at(0)
    assert dialogue.present_at_start == script.present_at(5)
    assert closing.present_at_start == script.present_at(55)
    assert sorted(a.email for a in rep.absentees) == ["late@absent.example",
                                                       "nobody@absent.example"]
    assert [(q.asker_name, q.answer) for q in rep.questions] == [
        ("Ana Pérez", "Sí, en una semana"), ("Reporter", "")]
    assert [(r.answer, r.count) for r in rep.poll_results] == [("Yes", 2), ("No", 1)]


def test_pages_are_kept_so_a_second_run_works_offline_and_after_zoom_forgets(
        staged: tuple[Sandbox, StateStore, Script], tmp_path: Path) -> None:
    sb, store, script = staged
    with client_for(sb) as client:
        first = make_report(script.spec, store, client, out_dir=tmp_path / "a", formats=["csv"])
        participant_calls = client.calls["GET /report/webinars/{webinarId}/participants"]
    assert first.fetched is not None and participant_calls == 1
    stored = StoredReport.latest(store, script.spec.key)
    assert stored.snapshot.webinar_uuid

    sb.reset()  # Zoom no longer has the webinar (deleted, or past the retention window)
    offline = make_report(script.spec, store, None, out_dir=tmp_path / "b", formats=["csv"],
                          offline=True)
    assert offline.fetched is None
    assert offline.report.totals == first.report.totals
    assert offline.report.people == first.report.people
    with client_for(sb) as client:
        fallback = make_report(script.spec, store, client, out_dir=tmp_path / "c",
                               formats=["csv"])
    assert fallback.report.totals == first.report.totals
    assert any("stored copy" in w for w in fallback.warnings)


def test_a_refetch_replaces_the_old_snapshot_only_when_complete(
        staged: tuple[Sandbox, StateStore, Script], tmp_path: Path) -> None:
    sb, store, script = staged
    with client_for(sb) as client:
        make_report(script.spec, store, client, out_dir=tmp_path, formats=["csv"])
        make_report(script.spec, store, client, out_dir=tmp_path, formats=["csv"])
    with store.session() as session:
        snapshots = session.query(ReportSnapshot).all()
        assert len(snapshots) == 1 and snapshots[0].completed_at is not None
        kinds = {p.kind for p in session.query(ReportPage).all()}
    assert {"webinar", "participants", "registrants:approved", "absentees", "qa",
            "polls"} <= kinds


def test_offline_without_a_stored_copy_says_what_to_do(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    with pytest.raises(ReportError, match="without --offline"):
        make_report(load_event(SEED), store, None, out_dir=tmp_path, offline=True)


def test_report_command_writes_every_format(staged: tuple[Sandbox, StateStore, Script],
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from zoomorch.cli.main import app

    sb, store, script = staged
    for key, value in sb.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ZOOMORCH_STATE_URL", store.url)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", str(SEED), "--out", str(out),
                                      "--format", "csv,xlsx,html"])
    assert result.exit_code == 0, result.output
    key = script.spec.key
    assert (out / f"{key}-attendance.xlsx").exists()
    # the run of show's planned-vs-actual timeline, then audience, country, language
    assert (out / f"{key}-attendance.html").read_text(encoding="utf-8").count("<svg") == 4
    with open(out / f"{key}-people.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    ana = next(r for r in rows if r["Email"] == "ana@ong.example")
    assert ana["Organisation"].startswith("'=")  # formula injection neutralised
    # 12:34 UTC on 17 May 2022 is 08:34 in New York (EDT).
    assert ana["First join (America/New_York)"] == "2022-05-17 08:34:00"
    assert "Attended" in result.output

    offline = CliRunner().invoke(app, ["report", str(SEED), "--out", str(out), "--offline",
                                       "--format", "csv"])
    assert offline.exit_code == 0, offline.output
    bad = CliRunner().invoke(app, ["report", str(SEED), "--format", "pdf"])
    assert bad.exit_code != 0 and "pdf" in bad.output


def test_report_times_are_utc_in_the_store(staged: tuple[Sandbox, StateStore, Script],
                                           tmp_path: Path) -> None:
    sb, store, script = staged
    with client_for(sb) as client:
        outcome = make_report(script.spec, store, client, out_dir=tmp_path, formats=["csv"])
    assert all(p.first_join.tzinfo is UTC for p in outcome.report.people)
    assert outcome.report.as_of.tzinfo is UTC


def test_the_report_is_as_of_zooms_clock_not_ours(staged: tuple[Sandbox, StateStore, Script],
                                                   tmp_path: Path) -> None:
    # A rehearsal's sandbox clock runs far from the wall (here: in 2022); "as of" follows it.
    sb, store, script = staged
    with client_for(sb) as client:
        outcome = make_report(script.spec, store, client, out_dir=tmp_path / "out",
                              formats=["csv"])
    assert abs(outcome.report.as_of - sb.store.clock.now()) < timedelta(seconds=5)
    assert outcome.report.as_of.year == 2022


def test_a_missing_scope_fails_the_report_instead_of_passing_for_a_missing_part(
        staged: tuple[Sandbox, StateStore, Script], tmp_path: Path) -> None:
    from zoomorch.zoom import ZoomScopeError

    sb, store, script = staged
    # The app can read reports but not webinars (registrants, panelists): Zoom says 4711.
    sb.scopes = frozenset({"report:read:admin"})
    with client_for(sb) as client, pytest.raises(ZoomScopeError) as refused:
        make_report(script.spec, store, client, out_dir=tmp_path, formats=["csv"])
    assert "webinar:read:admin" in str(refused.value)


def _segments_csv(out: Path, key: str) -> list[dict[str, str]]:
    with open(out / f"{key}-segments.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_the_report_measures_segments_over_the_recorded_run_of_show(
        staged: tuple[Sandbox, StateStore, Script], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The host ran the event with `zoomorch cues`: the opening ran 2 min over, the dialogue
    was cut short, and the webinar ended 6 min past the hard stop. `zoomorch report` reads
    that record from the state store: planned vs actual, how each ended, and the audience
    over the actual boundaries."""
    from zoomorch.cli.main import app

    sb, store, script = staged
    for key, value in sb.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ZOOMORCH_STATE_URL", store.url)
    runner = CliRunner()

    def at(minute: float) -> str:
        return (script.start + timedelta(minutes=minute)).isoformat()

    for step in (["start", "--at", at(0)], ["next", "--at", at(7)], ["next", "--at", at(40)],
                 ["end", "--at", at(62)]):
        done = runner.invoke(app, ["cues", step[0], str(SEED), *step[1:]])
        assert done.exit_code == 0, done.output
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(SEED), "--out", str(out), "--format", "csv",
                                 "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert "Run of show (recorded): Empezó 4 min tarde." in result.output
    assert "Opening Remarks se excedió 2 min." in result.output
    assert "Closing Remarks tuvo" not in result.output  # it got 22 min of its 5
    key = script.spec.key
    rows = _segments_csv(out, key)
    tz = "(America/New_York)"

    def local(minute: float) -> str:
        moment = (script.start + timedelta(minutes=minute)).astimezone(
            script.spec.webinar.zone)
        return f"{moment:%Y-%m-%d %H:%M:%S}"

    assert [(r[f"Actual start {tz}"], r[f"Actual end {tz}"]) for r in rows] == [
        (local(0), local(7)), (local(7), local(40)), (local(40), local(62))]
    assert [r["How it ended"] for r in rows] == ["next (cli)", "next (cli)", "webinar_end"]
    assert [r["Over (+) / under (-) minutes"] for r in rows] == ["2.0", "-17.0", "17.0"]
    assert [r[f"Planned start {tz}"] for r in rows] == [
        local(-4), local(1), local(51)]  # the event file's times, not moved
    assert {r["Boundaries"] for r in rows} == {"recorded"}
    # The audience over the actual boundaries is the script's truth at those moments.
    assert [int(r["Present at start"]) for r in rows] == [
        script.present_at(0), script.present_at(7), script.present_at(40)]
    record = json.loads((out / f"{key}-run-of-show.json").read_text("utf-8"))
    assert record["basis"] == "recorded" and record["start_source"] == "cli"
    assert [c["kind"] for c in record["changes"]] == ["next", "next"]


def test_without_a_record_the_segments_are_labelled_estimated(
        staged: tuple[Sandbox, StateStore, Script], tmp_path: Path) -> None:
    """No service ran: the segments are placed on Zoom's start with their planned lengths,
    and every label says estimated."""
    sb, store, script = staged
    with client_for(sb) as client:
        outcome = make_report(script.spec, store, client, out_dir=tmp_path / "out",
                              formats=["csv"])
    assert outcome.run_of_show.estimated
    assert any("estimated" in w for w in outcome.warnings)
    rows = _segments_csv(tmp_path / "out", script.spec.key)
    assert {r["Boundaries"] for r in rows} == {"estimated"}
    assert {r["How it ended"] for r in rows} == {"planned_length"}
    totals = (tmp_path / "out" / f"{script.spec.key}-totals.csv").read_text("utf-8-sig")
    assert "Estimated from Zoom's times and the planned lengths" in totals


def test_a_re_dated_event_reads_its_plan_on_the_new_date(
        staged: tuple[Sandbox, StateStore, Script], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`report --start-at` reads the event as it was run with `serve --start-at`: the planned
    times are the re-dated ones (here: an hour later than the file)."""
    from zoomorch.cli.main import app

    sb, store, script = staged
    for key, value in sb.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ZOOMORCH_STATE_URL", store.url)
    out = tmp_path / "out"
    moved = (script.spec.webinar.start_utc + timedelta(hours=1)).isoformat()
    result = CliRunner().invoke(app, ["report", str(SEED), "--out", str(out), "--format", "csv",
                                      "--start-at", moved])
    assert result.exit_code == 0, result.output
    rows = _segments_csv(out, script.spec.key)
    assert rows[0]["Planned start (America/New_York)"] == "2022-05-17 09:30:00"
