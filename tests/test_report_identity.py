"""Who is who in Zoom's participants report: the identity rule of the attendance analytics.

Zoom hides much of who joined (facts.md, "Participants report"): guests' emails, the id of
anyone not signed in, everything but a number for dial-ins, and people rename themselves
between joins. The first tests pin the rule on hand-made rows, in its order (docs/reports.md);
the last ones hold the analytics against the strict sandbox's ground truth.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sandbox_helpers import ZoomSession
from test_sandbox_live import PANEL, all_rows, setup_webinar
from zoomorch.report.attendance import (
    AttendanceReport,
    Connection,
    IdentifiedBy,
    NameOnlyJoin,
    ParticipantJoin,
    RegistrantAnswers,
    Role,
    Roster,
    WebinarRun,
    attended,
    build_report,
    normalise_name,
    tie_by_name,
)
from zoomorch.report.tables import report_tables
from zoomorch.sandbox import Sandbox, SandboxClock

START = datetime(2031, 5, 17, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=60)
WEBINAR = WebinarRun(topic="Identity", start=START, end=END, host_email="host@example.org")


def row(name: str, join: float, leave: float | None, *, email: str = "",
        registrant_id: str = "", account: str = "", user_id: str = "") -> ParticipantJoin:
    """One report row, ``join``/``leave`` in minutes after the start."""
    return ParticipantJoin(name=name, email=email, join_time=START + timedelta(minutes=join),
                           leave_time=None if leave is None else START + timedelta(minutes=leave),
                           registrant_id=registrant_id, participant_id=account, user_id=user_id)


def report(rows: list[ParticipantJoin], registrants: tuple[RegistrantAnswers, ...] = (),
           roster: Roster | None = None) -> AttendanceReport:
    return build_report(WEBINAR, rows, registrants, roster or Roster(), as_of=END)


def person(rep: AttendanceReport, name: str) -> Any:
    found = [p for p in rep.people if p.name == name]
    assert len(found) == 1, [(p.name, p.identified_by) for p in rep.people]
    return found[0]


# ----- the rule, in order -------------------------------------------------------------------


def test_the_registrant_id_ties_a_renamed_registrant_who_is_not_signed_in() -> None:
    ana = RegistrantAnswers("r1", "ana@ong.example", "Ana", "Pérez")
    rep = report([row("iPhone de Ana", 0, 10, registrant_id="r1", email="ana@ong.example"),
                  row("Ana Pérez", 12, 50, registrant_id="r1", email="ana@ong.example")], (ana,))
    ana_row = person(rep, "Ana Pérez")
    assert ana_row.identified_by is IdentifiedBy.REGISTRANT
    assert ana_row.other_names == ("iPhone de Ana",)
    assert (ana_row.joins, round(ana_row.minutes)) == (2, 48)


def test_a_registrants_email_stands_for_the_registrant_id() -> None:
    ana = RegistrantAnswers("r1", "ana@ong.example", "Ana")
    rep = report([row("Ana", 0, 10, email="ANA@ong.example")], (ana,))
    assert person(rep, "Ana").identified_by is IdentifiedBy.REGISTRANT
    assert person(rep, "Ana").registrant_id == "r1"


def test_an_email_zoom_shows_ties_rows_without_registration() -> None:
    rep = report([row("Host", -5, 30, email="host@example.org"),
                  row("Host (laptop)", 31, 60, email="host@example.org")])
    host = person(rep, "Host (laptop)")
    assert (host.identified_by, host.role, host.joins) == (IdentifiedBy.EMAIL, Role.HOST, 2)


def test_a_signed_in_guest_is_tied_by_the_zoom_account_across_renames() -> None:
    rep = report([row("Zoom user", 0, 10, account="acc-9"),
                  row("Dr. Okafor (UNHCR)", 15, 25, account="acc-9")])
    okafor = person(rep, "Dr. Okafor (UNHCR)")
    assert okafor.identified_by is IdentifiedBy.ZOOM_ACCOUNT
    assert okafor.other_names == ("Zoom user",)


def test_rows_without_identity_are_one_person_by_name_when_never_in_two_places() -> None:
    rep = report([row("Tomás Ortiz", 0, 10, user_id="16000010"),
                  row("  tomás   ORTIZ ", 12, 30, user_id="16000011"),
                  row("+57 601 555 0123", 0, 20, user_id="16000020"),
                  row("+57 601 555 0123", 21, 60, user_id="16000021")])
    tomas = person(rep, "  tomás   ORTIZ ")
    assert (tomas.identified_by, tomas.joins, round(tomas.minutes)) == (IdentifiedBy.NAME, 2, 28)
    assert set(tomas.connections) == {"16000010", "16000011"}
    phone = person(rep, "+57 601 555 0123")  # redialled with the same number
    assert (phone.identified_by, phone.connection, phone.joins) == (
        IdentifiedBy.NAME, Connection.DIAL_IN, 2)
    assert rep.totals.attended == 2 and rep.totals.unidentified_connections == 0


def test_one_name_in_two_places_at_once_is_several_people_and_counted_unidentified() -> None:
    rep = report([row("iPhone", 0, 30, user_id="a"), row("iPhone", 10, 20, user_id="b"),
                  row("iPhone", 25, 50, user_id="c"), row("Guest", 0, 60, user_id="d")])
    iphones = [p for p in rep.people if p.name == "iPhone"]
    # The fewest people whose own rows never overlap: b then c, and a.
    assert sorted(sorted(p.connections) for p in iphones) == [["a"], ["b", "c"]]
    assert {p.identified_by for p in iphones} == {IdentifiedBy.UNIDENTIFIED}
    assert person(rep, "Guest").identified_by is IdentifiedBy.NAME
    assert rep.totals.attended == 3
    assert rep.totals.unidentified_connections == 3


def test_rows_without_a_name_are_each_their_own_unidentified_person() -> None:
    rep = report([row("", 0, 10, user_id="a"), row("", 20, 30, user_id="b")])
    assert [p.identified_by for p in rep.people] == [IdentifiedBy.UNIDENTIFIED] * 2
    assert (rep.totals.attended, rep.totals.unidentified_connections) == (2, 2)


def test_name_rows_never_join_someone_identified_otherwise() -> None:
    maria = RegistrantAnswers("r1", "maria@un.example", "Maria", "Garcia")
    rep = report([row("Maria Garcia", 0, 10, registrant_id="r1", email="maria@un.example"),
                  row("Maria Garcia", 20, 30)], (maria,))
    assert sorted(p.identified_by for p in rep.people) == [IdentifiedBy.NAME,
                                                           IdentifiedBy.REGISTRANT]


def test_the_roster_gives_a_role_to_someone_shown_without_email() -> None:
    roster = Roster.of(panelists=["lucas@example.org"], panelist_names=["Lucas Gómez"],
                       interpreter_names=["Intérprete ES-EN"])
    rep = report([row("lucas gómez", 0, 60), row("INTÉRPRETE  es-en", 0, 60),
                  row("Lucas Gómez", 0, 60, email="lucas.personal@example.net")], roster=roster)
    roles = sorted((p.name, p.role.value) for p in rep.people)
    assert roles == [("INTÉRPRETE  es-en", "interpreter"), ("Lucas Gómez", "attendee"),
                     ("lucas gómez", "panelist")]
    assert rep.totals.attended == 1


def test_tie_by_name_gives_a_rejoin_to_the_person_who_left_last_before_it() -> None:
    def join(start: float, end: float) -> NameOnlyJoin:
        return NameOnlyJoin("X", start * 60, end * 60, False, f"{start:g}")

    people = tie_by_name([join(22, 30), join(0, 10), join(5, 20), join(31, 40)])
    # 22-30 follows 0-10 and 5-20 alike; it goes to 5-20, who left last (a rejoin follows
    # its drop); 31-40 then follows 22-30.
    assert sorted([j.user_id for j in p] for p in people) == [["0"], ["5", "22", "31"]]


def test_names_compare_trimmed_with_spaces_collapsed_and_case_folded() -> None:
    assert normalise_name("  Ana   PÉREZ ") == normalise_name("ana pérez")
    assert normalise_name("Ana Perez") != normalise_name("Ana Pérez")  # accents kept


def test_every_export_shows_the_unidentified_connections_next_to_attended() -> None:
    rep = report([row("iPhone", 0, 30), row("iPhone", 10, 20), row("Ana", 0, 5, email="a@x.org")])
    tables = {t.name: t for t in report_tables(rep, ZoneInfo("UTC"))}
    totals = tables["totals"]
    labels = [label for label, _ in totals.rows]
    at = labels.index("Attended")
    assert labels[at + 1] == "Unidentified connections"
    assert str(totals.rows[at + 1][1]) == "2"
    assert "Identified by" in tables["people"].header


# ----- against the strict sandbox's truth -----------------------------------------------------


def all_registrants(s: ZoomSession, wid: int) -> list[RegistrantAnswers]:
    out: list[RegistrantAnswers] = []
    token = ""
    while True:
        page = s.get(f"/webinars/{wid}/registrants",
                     params={"page_size": 300, "next_page_token": token}).json()
        out += [RegistrantAnswers.from_zoom(r) for r in page["registrants"]]
        token = page["next_page_token"]
        if not token:
            return out


def simulated_report(seed: int, registrants: int = 300,
                     **settings: Any) -> tuple[AttendanceReport, dict[str, Any]]:
    """The analytics of a simulated webinar, from the reports as Zoom would give them."""
    with Sandbox(account_id="acc-identity", client_id="cid", client_secret="s3cret",
                 rate_limits=False, clock=SandboxClock(speed=0, start=START)) as sb:
        wid = setup_webinar(sb, registrants=registrants, duration=50)
        sim = sb.simulate(wid, seed=seed, segments=PANEL, **settings)
        sim.run()
        s = ZoomSession(sb)
        rows = [ParticipantJoin.from_zoom(r) for r in all_rows(s, sb.base_url, wid)]
        run = WebinarRun.from_zoom(s.get(f"/report/webinars/{wid}").json())
        # Roles as zoomorch knows them: Zoom's panelist list, the interpreters it was given.
        panelists = s.get(f"/webinars/{wid}/panelists").json()["panelists"]
        interpretation = s.get(f"/webinars/{wid}").json()["settings"]["language_interpretation"]
        roster = Roster.of(panelists=[p["email"] for p in panelists],
                           panelist_names=[p["name"] for p in panelists],
                           interpreters=[i["email"] for i in interpretation["interpreters"]])
        rep = build_report(run, rows, all_registrants(s, wid), roster, as_of=sb.store.now())
        return rep, sim.truth()


def truth_attended(truth: dict[str, Any]) -> int:
    return sum(1 for p in truth["people"] if p["role"] == "attendee" and p["seconds"] > 0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_attended_is_within_two_percent_of_the_truth_on_the_strict_sandbox(seed: int) -> None:
    rep, truth = simulated_report(seed)
    expected = truth_attended(truth)
    assert abs(len(attended(rep.people)) - expected) <= 0.02 * expected
    # The strict sandbox is strict: much of the audience came without what Zoom needs.
    how = Counter(p.identified_by for p in rep.people)
    assert how[IdentifiedBy.NAME] > 0
    assert how[IdentifiedBy.REGISTRANT] > 0.8 * expected


def test_people_identified_by_zoom_never_mix_two_real_people() -> None:
    rep, truth = simulated_report(4, registrants=250)
    owner = {s["user_id"]: p["participant_id"] for p in truth["people"] for s in p["spans"]}
    strong = {IdentifiedBy.REGISTRANT, IdentifiedBy.EMAIL, IdentifiedBy.ZOOM_ACCOUNT}
    for someone in rep.people:
        owners = {owner[c] for c in someone.connections}
        if someone.identified_by in strong:
            assert len(owners) == 1, someone
    # And every connection of the report belongs to exactly one person of the report.
    connections = [c for p in rep.people for c in p.connections]
    assert sorted(connections) == sorted(owner)


def test_crew_never_counts_as_audience_on_the_strict_sandbox() -> None:
    rep, truth = simulated_report(5, registrants=120)
    crew = Counter(p["role"] for p in truth["people"] if p["role"] != "attendee")
    assert Counter(p.role.value for p in rep.people if p.role is not Role.ATTENDEE) == crew
