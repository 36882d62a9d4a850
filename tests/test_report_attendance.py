"""Attendance analytics on hand-made report rows: every counting rule and real-data edge case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from zoomorch.report.attendance import (
    AttendanceReport,
    Connection,
    IdentifiedBy,
    ParticipantJoin,
    PersonAttendance,
    PlannedSegment,
    PollAnswer,
    QuestionAsked,
    RegistrantAnswers,
    Role,
    Roster,
    WebinarRun,
    build_report,
    parse_zoom_time,
)
from zoomorch.report.tables import local, report_tables

PLANNED = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
START = PLANNED + timedelta(minutes=7)  # started 7 minutes late
END = START + timedelta(minutes=60)


def at(minutes: float) -> datetime:
    """Minutes after the actual start."""
    return START + timedelta(minutes=minutes)


def row(name: str, email: str, join: float, leave: float | None, *, registrant_id: str = "",
        participant_id: str = "", user_id: str = "", status: str = "in_meeting") -> ParticipantJoin:
    return ParticipantJoin(name=name, email=email, join_time=at(join),
                           leave_time=None if leave is None else at(leave),
                           registrant_id=registrant_id, participant_id=participant_id,
                           user_id=user_id, status=status)


def registrant(rid: str, email: str, first: str, last: str = "", *, status: str = "approved",
               country: str = "", org: str = "", language: str = "") -> RegistrantAnswers:
    return RegistrantAnswers(registrant_id=rid, email=email, first_name=first, last_name=last,
                             status=status, country=country, organisation=org,
                             preferred_language=language)


WEBINAR = WebinarRun(topic="Water Futures", start=START, end=END, planned_start=PLANNED,
                     uuid="u-1", webinar_id=81234567890, host_email="host@example.org")


def report(rows: list[ParticipantJoin], registrants: list[RegistrantAnswers] = (),  # type: ignore[assignment]
           *, webinar: WebinarRun = WEBINAR, roster: Roster = Roster(),
           segments: list[PlannedSegment] = (), as_of: datetime = END + timedelta(days=1),  # type: ignore[assignment]
           **kw: object) -> AttendanceReport:
    return build_report(webinar, iter(rows), registrants, roster, as_of=as_of,
                        segments=segments, **kw)  # type: ignore[arg-type]


def only(rep: AttendanceReport, name: str) -> PersonAttendance:
    found = [p for p in rep.people if p.name == name]
    assert len(found) == 1, found
    return found[0]


def test_three_joins_of_one_person_are_one_row_with_summed_minutes() -> None:
    rep = report([row("Ana", "ana@x.org", 0, 10), row("Ana", "ana@x.org", 20, 30),
                  row("Ana", "ana@x.org", 40, 45)])
    ana = only(rep, "Ana")
    assert ana.joins == 3
    assert ana.minutes == pytest.approx(25)
    assert ana.first_join == at(0) and ana.last_leave == at(45)
    assert ana.percent_of_webinar == pytest.approx(25 / 60 * 100)
    assert len(ana.spans) == 3


def test_overlapping_joins_from_two_devices_count_once() -> None:
    rep = report([row("Ana", "ana@x.org", 0, 30), row("Ana (phone)", "ana@x.org", 20, 40)])
    ana = rep.people[0]
    assert len(rep.people) == 1
    assert ana.minutes == pytest.approx(40)
    assert rep.totals.peak_concurrency == 1


def test_time_outside_the_webinar_does_not_count() -> None:
    rep = report([row("Early", "e@x.org", -15, 10), row("Late", "l@x.org", 50, 75)])
    assert only(rep, "Early").minutes == pytest.approx(10)
    assert only(rep, "Early").first_join == at(-15)
    assert only(rep, "Late").minutes == pytest.approx(10)


def test_missing_leave_time_runs_to_the_end_of_an_ended_webinar() -> None:
    rep = report([row("Stayer", "s@x.org", 30, None)])
    stayer = only(rep, "Stayer")
    assert stayer.last_leave == END
    assert stayer.minutes == pytest.approx(30)
    assert not stayer.still_in_room


def test_missing_leave_time_while_live_means_still_in_the_room() -> None:
    live = WebinarRun(topic="Live", start=START, end=None, planned_start=PLANNED)
    rep = report([row("Stayer", "s@x.org", 30, None), row("Gone", "g@x.org", 0, 10)],
                 webinar=live, as_of=at(40))
    stayer = only(rep, "Stayer")
    assert stayer.still_in_room
    assert stayer.last_leave == at(40)
    assert stayer.minutes == pytest.approx(10)
    assert not only(rep, "Gone").still_in_room
    assert rep.totals.webinar_end == at(40)


def test_two_people_with_the_same_name_stay_apart() -> None:
    regs = [registrant("r1", "maria.g@a.org", "Maria", "Garcia", country="ES"),
            registrant("r2", "maria.g@b.org", "Maria", "Garcia", country="MX")]
    rep = report([row("Maria Garcia", "maria.g@a.org", 0, 60, registrant_id="r1"),
                  row("Maria Garcia", "maria.g@b.org", 10, 20, registrant_id="r2")], regs)
    marias = [p for p in rep.people if p.name == "Maria Garcia"]
    assert sorted((p.country, round(p.minutes)) for p in marias) == [("ES", 60), ("MX", 10)]


def test_name_changed_mid_event_is_one_person_under_the_latest_name() -> None:
    rep = report([row("iPhone", "kim@x.org", 0, 10), row("Kim Lee (Acme)", "kim@x.org", 12, 50)])
    assert len(rep.people) == 1
    kim = rep.people[0]
    assert kim.name == "Kim Lee (Acme)"
    assert kim.other_names == ("iPhone",)
    assert kim.minutes == pytest.approx(48)


def test_rejoin_without_registrant_id_still_merges_by_email() -> None:
    regs = [registrant("r1", "ana@x.org", "Ana", country="PT")]
    rep = report([row("Ana", "", 0, 10, registrant_id="r1"),
                  row("Ana S.", "ana@x.org", 20, 30)], regs)
    assert len(rep.people) == 1
    ana = rep.people[0]
    assert ana.connection is Connection.REGISTERED
    assert ana.country == "PT" and ana.email == "ana@x.org"
    assert ana.minutes == pytest.approx(20)


def test_guests_without_email_keep_their_own_rows_even_with_equal_names() -> None:
    rep = report([row("Guest", "", 0, 10, participant_id="p1"),
                  row("Guest", "", 5, 30, participant_id="p2"),
                  row("Guest", "", 40, 50, participant_id="p1"),
                  row("+44 20 7946 0958", "", 0, 60, user_id="16778240"),
                  row("+44 20 7946 0958", "", 0, 30, user_id="16779264")])
    guests = sorted((p.connection, round(p.minutes), p.joins, p.identified_by)
                    for p in rep.people)
    # Two lines on the same number at once are two callers: Zoom cannot tell them apart.
    assert guests == [(Connection.DIAL_IN, 30, 1, IdentifiedBy.UNIDENTIFIED),
                      (Connection.DIAL_IN, 60, 1, IdentifiedBy.UNIDENTIFIED),
                      (Connection.GUEST, 20, 2, IdentifiedBy.ZOOM_ACCOUNT),
                      (Connection.GUEST, 25, 1, IdentifiedBy.ZOOM_ACCOUNT)]
    assert rep.totals.attended == 4
    assert rep.totals.unidentified_connections == 2


def test_guest_renaming_mid_event_stays_one_row() -> None:
    rep = report([row("Zoom user", "", 0, 10, participant_id="p9"),
                  row("Dr. Okafor", "", 15, 25, participant_id="p9")])
    assert [(p.name, p.other_names) for p in rep.people] == [("Dr. Okafor", ("Zoom user",))]


def test_waiting_room_rows_are_not_attendance() -> None:
    rep = report([row("Ana", "ana@x.org", 0, 5, status="in_waiting_room"),
                  row("Ana", "ana@x.org", 5, 15)])
    assert rep.people[0].minutes == pytest.approx(10)
    assert rep.people[0].joins == 1


def test_roles_come_from_the_roster_and_only_the_audience_is_counted() -> None:
    roster = Roster.of(panelists=["pan@x.org", "interp@x.org"], interpreters=["interp@x.org"])
    rep = report([row("Host", "host@example.org", -30, 60), row("Pan", "PAN@x.org", -20, 60),
                  row("Interp", "interp@x.org", -10, 60), row("Ana", "ana@x.org", 0, 60)],
                 roster=roster)
    roles = {p.name: p.role for p in rep.people}
    assert roles == {"Host": Role.HOST, "Pan": Role.PANELIST, "Interp": Role.INTERPRETER,
                     "Ana": Role.ATTENDEE}
    assert [p.name for p in rep.people] == ["Host", "Pan", "Interp", "Ana"]
    assert rep.totals.attended == 1
    assert rep.totals.peak_concurrency == 1


def test_segments_are_measured_on_the_actual_start() -> None:
    segments = [PlannedSegment("Opening", PLANNED, PLANNED + timedelta(minutes=20)),
                PlannedSegment("Panel", PLANNED + timedelta(minutes=20),
                               PLANNED + timedelta(minutes=60))]
    rep = report([
        row("A", "a@x.org", 0, 60),      # whole webinar
        row("B", "b@x.org", 0, 5),       # leaves early in the opening
        row("C", "c@x.org", 15, 60),     # arrives late, stays for the panel
        row("D", "d@x.org", 25, 35),     # drops in during the panel
    ], segments=segments)
    opening, panel = rep.segments
    assert opening.start == at(0) and opening.end == at(20)
    assert panel.start == at(20) and panel.end == at(60)
    assert (opening.present_at_start, opening.peak, opening.present_for_most) == (2, 2, 1)
    assert opening.average == pytest.approx((2 * 5 + 1 * 10 + 2 * 5) / 20)
    assert opening.percent_present_for_most == pytest.approx(25)
    assert (panel.present_at_start, panel.peak, panel.present_for_most) == (2, 3, 2)
    assert panel.peak_at == at(25)
    assert panel.average == pytest.approx((2 * 40 + 10) / 40)


def test_totals_count_registered_approved_attended_and_conversion() -> None:
    regs = [registrant("r1", "a@x.org", "A"), registrant("r2", "b@x.org", "B"),
            registrant("r3", "c@x.org", "C"), registrant("r4", "d@x.org", "D", status="pending"),
            registrant("r5", "e@x.org", "E", status="denied")]
    rep = report([row("A", "a@x.org", 0, 10), row("B", "b@x.org", 0, 40),
                  row("Walk-in", "w@x.org", 30, 60)], regs)
    t = rep.totals
    assert (t.registered, t.approved, t.attended, t.attended_registered, t.guests) == (
        5, 3, 3, 2, 1)
    assert t.conversion == pytest.approx(2 / 3)
    assert t.median_minutes == pytest.approx(30)
    assert (t.peak_concurrency, t.peak_at) == (2, at(0))
    assert [a.email for a in rep.absentees] == ["c@x.org"]


def test_peak_concurrency_reports_when_it_first_happened() -> None:
    rep = report([row("A", "a@x.org", 0, 60), row("B", "b@x.org", 10, 20),
                  row("C", "c@x.org", 15, 50), row("D", "d@x.org", 45, 55)])
    assert rep.totals.peak_concurrency == 3
    assert rep.totals.peak_at == at(15)
    assert rep.concurrency[0] == (at(0), 1)
    assert rep.concurrency[-1] == (at(60), 0)


def test_absentees_from_zoom_are_used_when_given() -> None:
    zoom_absent = [registrant("r9", "z@x.org", "Zed", country="KE", language="English")]
    rep = report([], [registrant("r1", "a@x.org", "A")], absentees=zoom_absent)
    assert [(a.name, a.country, a.preferred_language) for a in rep.absentees] == [
        ("Zed", "KE", "English")]


def test_registration_answers_come_from_standard_and_custom_questions() -> None:
    raw = {"id": "r1", "email": "Ana@X.org", "first_name": "Ana", "last_name": "Silva",
           "country": "BR", "org": "Rios", "status": "approved",
           "create_time": "2024-02-01T09:00:00Z",
           "custom_questions": [{"title": "Sector", "value": "NGO"},
                                {"title": "Preferred language", "value": "Português"}]}
    parsed = RegistrantAnswers.from_zoom(raw)
    assert (parsed.email, parsed.name, parsed.country, parsed.organisation,
            parsed.preferred_language) == ("ana@x.org", "Ana Silva", "BR", "Rios", "Português")
    assert parsed.registered_at == datetime(2024, 2, 1, 9, tzinfo=UTC)


def test_zoom_rows_parse_with_fractions_and_missing_leave_time() -> None:
    parsed = ParticipantJoin.from_zoom({
        "id": "", "user_id": "16778240", "participant_user_id": "", "name": "Guest",
        "user_email": "", "join_time": "2019-02-01T12:34:12.660Z", "status": "in_meeting"})
    assert parsed.join_time == datetime(2019, 2, 1, 12, 34, 12, 660000, tzinfo=UTC)
    assert parsed.leave_time is None and parsed.user_id == "16778240"
    assert parse_zoom_time("2019-02-01T12:34:12") == datetime(2019, 2, 1, 12, 34, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="join_time"):
        ParticipantJoin.from_zoom({"name": "x"})


def test_qa_and_polls_are_flattened_and_counted() -> None:
    qa = QuestionAsked.iter_from_zoom({"questions": [
        {"name": "Ana", "email": "ana@x.org", "question_details": [
            {"question": "When?", "answer": "Soon",
             "answer_details": [{"user_display_name": "Pan", "content": "Soon"}]},
            {"question": "Where?", "answer": ""}]},
        {"name": "Anonymous Attendee", "email": "", "question_details": [
            {"question": "Why?", "answer": "live answered"}]}]})
    assert [(q.question, q.asker_name, q.answered_by) for q in qa] == [
        ("When?", "Ana", "Pan"), ("Where?", "Ana", ""), ("Why?", "Anonymous Attendee", "")]
    polls = PollAnswer.iter_from_zoom({"questions": [
        {"name": "Ana", "email": "ana@x.org", "question_details": [
            {"polling_id": "p1", "question": "Useful?", "answer": "Yes",
             "date_time": "2024-03-05T14:30:00Z"},
            {"polling_id": "p1", "question": "Topics?", "answer": "Rivers;Rain"}]},
        {"name": "Bo", "email": "", "question_details": [
            {"polling_id": "p1", "question": "Useful?", "answer": "Yes"},
            {"polling_id": "p1", "question": "Topics?", "answer": "Rain"}]}]})
    rep = report([], questions=qa, poll_answers=polls)
    assert [(r.question, r.answer, r.count) for r in rep.poll_results] == [
        ("Topics?", "Rain", 2), ("Topics?", "Rivers", 1), ("Useful?", "Yes", 2)]
    assert rep.poll_answers[0].answered_at == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


def test_tables_show_times_in_the_event_zone() -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    rep = report([row("Ana", "ana@x.org", 0, 10)])
    tables = {t.name: t for t in report_tables(rep, zone)}
    people = tables["people"]
    first_join = people.rows[0][people.header.index("First join (America/Sao_Paulo)")]
    assert first_join == datetime(2024, 3, 5, 11, 7)  # 14:07 UTC is 11:07 in São Paulo
    assert local(None, zone) is None
    assert set(tables) == {"totals", "people", "segments", "absentees", "qa", "polls",
                           "poll_results"}


def test_rows_are_consumed_as_a_stream_and_merged_per_person() -> None:
    # Speed is measured by benchmarks/bench_report.py; here: a generator is enough input.
    def rows() -> object:
        for i in range(5_000):
            yield row(f"P{i % 2000}", f"p{i % 2000}@x.org", (i % 50), (i % 50) + 5 + i % 7)
    rep = build_report(WEBINAR, rows(), [], Roster(), as_of=END)  # type: ignore[arg-type]
    assert len(rep.people) == 2_000


def test_a_row_with_two_known_ids_joins_the_two_people_they_belonged_to() -> None:
    # Seen apart first (an email with a Zoom account; a registrant id alone), then one row
    # carries the account and the registrant id: all three rows are one person, named by
    # the latest join, with every connection and the registration's answers.
    rows = [row("Ana (laptop)", "ana.private@x.org", 0, 10, participant_id="acc-1",
                user_id="u1"),
            row("Ana García", "", 12, 20, registrant_id="r-ana", user_id="u2"),
            row("Bo", "bo@x.org", 0, 60, user_id="u3"),
            row("Ana (phone)", "", 25, 40, registrant_id="r-ana", participant_id="acc-1",
                user_id="u4")]
    rep = report(rows, [registrant("r-ana", "ana@x.org", "Ana", "García", country="MX")])
    assert sorted(p.name for p in rep.people) == ["Ana (phone)", "Bo"]
    ana = only(rep, "Ana (phone)")
    assert ana.joins == 3 and ana.minutes == pytest.approx(10 + 8 + 15)
    assert ana.identified_by is IdentifiedBy.REGISTRANT and ana.registrant_id == "r-ana"
    assert ana.email == "ana.private@x.org"  # the first-seen person's email stays
    assert ana.country == "MX" and ana.connection is Connection.REGISTERED
    assert sorted(ana.connections) == ["u1", "u2", "u4"]
    assert set(ana.other_names) == {"Ana García", "Ana (laptop)"}
    # A later row with only the first email still finds the merged person.
    rep = report([*rows, row("Ana again", "ana.private@x.org", 50, 55, user_id="u5")],
                 [registrant("r-ana", "ana@x.org", "Ana", "García")])
    assert len(rep.people) == 2 and only(rep, "Ana again").joins == 4


def test_building_a_report_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    rows = [row("Ana", "ana@x.org", 0, 10)]
    assert gc.isenabled()
    report(rows)
    assert gc.isenabled()
    gc.disable()
    try:
        report(rows)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError):
        build_report(WEBINAR, (ParticipantJoin.from_zoom({"name": "x"}) for _ in range(1)),
                     [], Roster(), as_of=END)
    assert gc.isenabled()
