"""The client's report methods against the sandbox over HTTP: listings page by page (typed
rows, the page as Zoom sent it), a missing scope, an unknown or not yet ended webinar; and the
report fetch, which goes through these methods only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from zoomorch.db.store import StateStore
from zoomorch.db.tables import ReportPage, ReportSnapshot
from zoomorch.report.fetch import fetch_reports
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import (
    ParticipantReportRow,
    Registrant,
    RetryPolicy,
    ZoomClient,
    ZoomNotFound,
    ZoomScopeError,
    load_settings,
)

FAST = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.05, jitter=0.01)
GUESTS = 610  # joins: pages of 300 + 300 + 10
ABSENT = 305  # approved registrants who never joined: pages of 300 + 5
UNKNOWN = 99_999_999_999


def client_for(sb: Sandbox) -> ZoomClient:
    return ZoomClient(load_settings(environ=sb.env()).credentials, retry=FAST)


def _past_webinar(sb: Sandbox) -> int:
    """An ended webinar: GUESTS joins by guests, ABSENT approved registrants who stayed away,
    one panelist, one question."""
    store = sb.store
    wid = int(store.create_webinar("me", {"topic": "Past", "type": 5,
                                          "settings": {"approval_type": 0}})["id"])
    for i in range(ABSENT):
        store.add_registrant(wid, {"email": f"away{i:03}@example.org", "first_name": "Away"})
    store.add_panelists(wid, [{"name": "Ana María Diez", "email": "ana@example.org"}])
    store.start_webinar(wid)
    for i in range(GUESTS):
        store.record_join(wid, name=f"Guest {i:03}")
    store.clock.advance(600)
    store.end_webinar(wid)
    return wid


@pytest.fixture
def past(sandbox: Sandbox) -> Iterator[tuple[ZoomClient, int]]:
    wid = _past_webinar(sandbox)
    with client_for(sandbox) as client:
        yield client, wid


def test_the_participants_report_comes_in_typed_pages_as_zoom_sent_them(
        past: tuple[ZoomClient, int]) -> None:
    client, wid = past

    pages = list(client.iter_participants_report_pages(wid))

    assert [len(page.items) for page in pages] == [300, 300, GUESTS - 600]
    assert [bool(page.next_page_token) for page in pages] == [True, True, False]
    assert {page.total_records for page in pages} == {GUESTS}
    assert client.calls["GET /report/webinars/{webinarId}/participants"] == 3
    rows = [row for page in pages for row in page.participants]
    assert all(isinstance(row, ParticipantReportRow) for row in rows)
    assert sorted(row.name for row in rows) == [f"Guest {i:03}" for i in range(GUESTS)]
    assert all(row.join_time is not None and row.join_time.tzinfo is not None for row in rows)
    # Each page also keeps Zoom's JSON untouched: times as Zoom's strings, every field.
    first = pages[0].raw["participants"][0]
    assert isinstance(first["join_time"], str) and first["join_time"].endswith("Z")
    assert "registrant_id" in first  # asked for with include_fields
    assert [len(page.raw["participants"]) for page in pages] == [300, 300, GUESTS - 600]


def test_absentees_and_registrants_come_in_pages_by_uuid_and_by_status(
        past: tuple[ZoomClient, int]) -> None:
    client, wid = past
    uuid = client.get_webinar_report(wid).uuid
    assert uuid

    absent = list(client.iter_absentee_pages(uuid))
    approved = list(client.iter_registrant_pages(wid, "approved"))
    pending = list(client.iter_registrant_pages(wid, "pending"))

    assert [len(page.registrants) for page in absent] == [300, ABSENT - 300]
    assert all(isinstance(r, Registrant) for page in absent for r in page.registrants)
    assert {r.email for page in absent for r in page.registrants} == {
        f"away{i:03}@example.org" for i in range(ABSENT)}
    assert [len(page.registrants) for page in approved] == [300, ABSENT - 300]
    assert [len(page.registrants) for page in pending] == [0]  # one empty page, not none
    assert client.calls["GET /past_webinars/{webinarId}/absentees"] == 2


def test_single_answers_are_typed_and_keep_zoom_s_json(past: tuple[ZoomClient, int]) -> None:
    client, wid = past

    report = client.get_webinar_report(wid)
    panelists = client.get_panelists(wid)

    assert report.id == wid and report.start_time is not None and report.end_time is not None
    assert report.end_time - report.start_time >= timedelta(minutes=10)
    assert report.raw == client.request("GET", f"/report/webinars/{wid}")
    assert [(p.name, p.email) for p in panelists.panelists] == [
        ("Ana María Diez", "ana@example.org")]
    assert panelists.raw["panelists"][0]["email"] == "ana@example.org"
    assert client.get_qa_report(wid).raw["questions"] == []
    assert client.get_polls_report(wid).questions == []


def test_a_missing_report_scope_is_a_scope_error_naming_the_scope(sandbox: Sandbox) -> None:
    wid = _past_webinar(sandbox)
    sandbox.scopes = frozenset({"webinar:read:admin"})  # no report:read:admin

    with client_for(sandbox) as client:
        calls = [
            lambda: client.get_webinar_report(wid),
            lambda: next(client.iter_participants_report_pages(wid)),
            lambda: client.get_qa_report(wid),
            lambda: client.get_polls_report(wid),
        ]
        for call in calls:
            with pytest.raises(ZoomScopeError) as refused:
                call()
            assert (refused.value.status, refused.value.code) == (400, 4711)
            assert "report:read:admin" in refused.value.missing
        # The scopes it has still work.
        assert len(client.get_panelists(wid).panelists) == 1


def test_an_unknown_or_unfinished_webinar_is_not_found(sandbox: Sandbox) -> None:
    running = int(sandbox.store.create_webinar("me", {"topic": "Now", "type": 5})["id"])
    sandbox.store.start_webinar(running)

    with client_for(sandbox) as client:
        for webinar in (UNKNOWN, running):
            with pytest.raises(ZoomNotFound) as missing:
                client.get_webinar_report(webinar)
            assert missing.value.status == 404
            with pytest.raises(ZoomNotFound):
                next(client.iter_participants_report_pages(webinar))
        with pytest.raises(ZoomNotFound):
            next(client.iter_absentee_pages("no-such-occurrence"))
        with pytest.raises(ZoomNotFound):
            client.get_panelists(UNKNOWN)


# -- the report fetch goes through these methods ------------------------------------------------


def _store(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path / 'state.db'}")


def test_the_fetch_stores_each_page_as_the_client_read_it(past: tuple[ZoomClient, int],
                                                         tmp_path: Path) -> None:
    client, wid = past
    store = _store(tmp_path)

    stats = fetch_reports(client, store, "past", wid)

    assert stats.pages["participants"] == 3 and stats.rows["participants"] == GUESTS
    assert stats.pages["absentees"] == 2 and stats.rows["absentees"] == ABSENT
    assert stats.rows["panelists"] == 1 and stats.missing == {}
    with store.session() as session:
        stored = session.scalars(select(ReportPage.payload).where(
            ReportPage.snapshot_id == stats.snapshot_id, ReportPage.kind == "participants")
            .order_by(ReportPage.seq)).all()
    again = [page.raw for page in client.iter_participants_report_pages(wid)]
    assert [set(page) for page in stored] == [set(page) for page in again]  # every field
    # The same rows, as Zoom wrote them (only the page tokens differ from one walk to another).
    assert [page["participants"] for page in stored] == [page["participants"] for page in again]


def test_a_missing_scope_for_one_part_fails_the_fetch_and_keeps_no_half_snapshot(
        sandbox: Sandbox, tmp_path: Path) -> None:
    wid = _past_webinar(sandbox)
    store = _store(tmp_path)
    sandbox.scopes = frozenset({"report:read:admin"})  # registrants need webinar:read

    with client_for(sandbox) as client, pytest.raises(ZoomScopeError):
        fetch_reports(client, store, "past", wid)

    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ReportSnapshot)) == 0
        assert session.scalar(select(func.count()).select_from(ReportPage)) == 0


def test_the_fetch_of_an_unknown_webinar_is_not_found_and_stores_nothing(
        sandbox: Sandbox, tmp_path: Path) -> None:
    store = _store(tmp_path)
    with client_for(sandbox) as client, pytest.raises(ZoomNotFound):
        fetch_reports(client, store, "gone", UNKNOWN)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ReportSnapshot)) == 0
