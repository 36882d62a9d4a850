"""The state store on a real PostgreSQL over TCP: bindings, provision, registrant sync, the cue
scheduler's delivery log across a restart, stored report pages and Zoom's webinar events.

Needs ``ZOOMORCH_TEST_POSTGRES_URL`` (``scripts/ci-postgres.sh start`` prints it); skipped
without it, failed without it under CI. Every test runs in a schema of its own.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from cue_agendas import RecordingNotifier, quick_agenda
from postgres_support import SESSION_TIME_ZONE, fresh_schema, postgres_server_url
from registrants_support import client_for, make_webinar
from test_report_sandbox import client_for as report_client_for
from test_report_sandbox import stage_event
from zoomorch.cues import plan_cues
from zoomorch.db.store import StateStore, open_store
from zoomorch.delivery.log import deliveries
from zoomorch.delivery.scheduler import CueScheduler
from zoomorch.event import load_event
from zoomorch.live.state import LiveSource, live_revision, load_live, load_live_record, shift
from zoomorch.live.webhooks import WebinarEventProcessor, webinar_index
from zoomorch.provision import apply, plan
from zoomorch.registrants.ledger import SENT, SyncLedger
from zoomorch.registrants.normalise import normalise_table
from zoomorch.registrants.plan import Outcome
from zoomorch.registrants.source import decode_source, parse_table
from zoomorch.registrants.sync import RegistrantSync
from zoomorch.report.fetch import ReportPage, ReportSnapshot, StoredReport
from zoomorch.report.run import make_report
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, load_settings

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"
START = "2030-05-17T08:30:00-04:00"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh, empty schema on the test PostgreSQL server."""
    with fresh_schema(postgres_server_url()) as url:
        yield url


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[StateStore]:
    store = open_store(pg_url)
    yield store
    store.close()


def writes_since(sandbox: Sandbox, mark: int) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in sandbox.requests_log()[mark:]
            if e["method"] != "GET"]


def test_store_runs_on_postgres_over_tcp_in_its_own_schema(pg_store: StateStore) -> None:
    pg_store.save_binding("ev", webinar_id=1)
    with pg_store.engine.connect() as conn:
        assert conn.dialect.name == "postgresql"
        assert conn.scalar(text("SELECT host(inet_server_addr())")) == "127.0.0.1"  # not a socket
        schema = conn.scalar(text("SELECT current_schema()"))
        assert schema is not None and schema.startswith("zt_")
        assert conn.scalar(text("SHOW TimeZone")) == SESSION_TIME_ZONE
        column_type = conn.scalar(text(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = :s "
            "AND table_name = 'webinar_binding' AND column_name = 'intent_start_time'"),
            {"s": schema})
        in_public = conn.scalar(text("SELECT to_regclass('public.webinar_binding')"))
    assert column_type == "timestamp with time zone"
    assert in_public is None


def test_binding_round_trips_aware_datetimes_as_utc_on_postgres(pg_store: StateStore) -> None:
    start = datetime(2022, 5, 17, 8, 30, 0, 123456, tzinfo=timezone(timedelta(hours=-4)))
    pg_store.save_binding("ev", intent_topic="Foro — Sáenz", intent_start_time=start,
                          last_applied={"topic": "Foro — Sáenz", "nested": {"n": [1, 2.5]}})
    pg_store.save_binding("ev", webinar_id=98765432101)  # beyond 32 bits, like Zoom's ids
    again = StateStore(pg_store.url).binding("ev")  # a second handle, like another process
    assert again is not None
    assert again.intent_start_time == datetime(2022, 5, 17, 12, 30, 0, 123456, tzinfo=UTC)
    assert again.intent_start_time.tzinfo is UTC  # not the session's +05:45
    assert again.created_at.tzinfo is UTC and again.updated_at >= again.created_at
    assert again.last_applied == {"topic": "Foro — Sáenz", "nested": {"n": [1, 2.5]}}
    assert pg_store.webinar_id_for("ev") == 98765432101
    assert pg_store.webinar_id_for("other") is None
    assert [b.event_key for b in pg_store.bindings()] == ["ev"]


def test_naive_datetime_is_refused_on_postgres(pg_store: StateStore) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        pg_store.save_binding("ev", intent_start_time=datetime(2022, 5, 17, 8, 30))
    assert pg_store.binding("ev") is None  # the failed transaction left nothing behind


def test_provision_second_apply_makes_no_write_call_with_state_on_postgres(
        sandbox: Sandbox, pg_url: str) -> None:
    spec = load_event(SEED, start_at=START)
    with ZoomClient(load_settings(environ=sandbox.env()).credentials) as client:
        first = apply(spec, client, open_store(pg_url))
        mark = len(sandbox.requests_log())
        store = open_store(pg_url)  # the next run: state only from the database
        again = plan(spec, client, store)
        assert again.in_sync and again.webinar == "unchanged" and not again.drift
        second = apply(spec, client, store)
    assert second.webinar_id == first.webinar_id
    assert writes_since(sandbox, mark) == []
    binding = store.binding(spec.key)
    assert binding is not None and binding.webinar_id == first.webinar_id
    assert binding.applied_at is not None and binding.applied_at.tzinfo is UTC
    assert binding.last_applied


def test_registrant_resync_of_an_unchanged_list_writes_nothing_with_ledger_on_postgres(
        sandbox: Sandbox, pg_store: StateStore) -> None:
    client = client_for(sandbox)
    webinar_id = make_webinar(client, automatic=True)
    ledger = SyncLedger(pg_store, "ev", webinar_id)
    rows = "email,first name,last name\n" + "".join(
        f"p{i}@example.org,Persona{i},Núñez{i}\n" for i in range(35))
    source = normalise_table(parse_table(decode_source(rows.encode()), "list.csv"))

    def sync() -> tuple[int, int, int]:
        report = RegistrantSync(client, webinar_id, ledger=ledger,
                                automatic_approval=True).run(source)
        return (report.counts[Outcome.ADDED], report.counts[Outcome.UNCHANGED],
                report.write_calls)

    assert sync() == (35, 0, 2)  # a batch of 30 and one of 5
    mark = len(sandbox.requests_log())
    assert sync() == (0, 35, 0)
    assert writes_since(sandbox, mark) == []
    calls = ledger.calls()
    # The two batches go out in parallel: the ledger records them in either order.
    assert sorted((c.kind, c.state, len(c.emails)) for c in calls) == [
        ("batch_add", SENT, 5), ("batch_add", SENT, 30)]
    assert all(c.created_at.tzinfo is UTC and c.finished_at is not None for c in calls)
    assert ledger.interrupted() == []
    assert sum(ledger.adds_today().values()) == 35
    client.close()


def test_cue_jobs_are_rebuilt_from_the_delivery_log_on_postgres_each_cue_delivered_once(
        pg_url: str) -> None:
    start = datetime.now(UTC) + timedelta(seconds=0.8)
    # speed 240: tech check 0.5 s before the start, the whole event over in 1.75 s.
    agenda = quick_agenda(start, speed=240, recipients=2)
    # Event files put no limit on a segment's title; the delivery log must take it whole.
    long_title = "Diálogo regional sobre migración laboral, " * 12
    agenda = replace(agenda, segments=(replace(agenda.segments[0], title=long_title),
                                       *agenda.segments[1:]))
    cues = plan_cues(agenda)
    first_sink, second_sink = RecordingNotifier("sink"), RecordingNotifier("sink")
    with CueScheduler(open_store(pg_url), [first_sink], [agenda]):
        time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + 0.1)
    store = open_store(pg_url)
    settled = {d.cue_id for d in deliveries(store, agenda.slug)}
    second = CueScheduler(store, [second_sink], [agenda])
    with second:
        # The rest of the event, rebuilt from the delivery log: every cue without a row.
        waiting = set(second.scheduled(agenda.slug))
        assert waiting and waiting == {c.id for c in cues} - settled
        time.sleep(max(0.0, (cues[-1].due - datetime.now(UTC)).total_seconds()) + 0.6)
    delivered = Counter(m.key for _, m in [*first_sink.received, *second_sink.received])
    expected = {f"{agenda.slug}|{c.id}|sink|{r.id}" for c in cues
                for r in agenda.recipients_for(c)}
    assert set(delivered) == expected and set(delivered.values()) == {1}
    assert first_sink.received and second_sink.received
    assert all((at - m.due).total_seconds() >= 0 for at, m in
               [*first_sink.received, *second_sink.received])  # never early
    log = deliveries(store, agenda.slug)
    assert {d.status for d in log} == {"delivered"} and len(log) == len(expected)
    assert all(d.due.tzinfo is UTC and d.delivered_at is not None
               and d.delivered_at.tzinfo is UTC for d in log)
    assert long_title in {d.segment for d in log}
    assert [d.due for d in log] == sorted(c.due for c in cues
                                          for _ in agenda.recipients_for(c))


def test_a_retried_cue_is_not_resent_to_channels_that_already_have_it_on_postgres(
        pg_store: StateStore) -> None:
    start = datetime.now(UTC) + timedelta(seconds=0.6)
    agenda = quick_agenda(start, speed=240, minutes=(2,), late_grace=timedelta(seconds=5))
    cues = plan_cues(agenda)
    good, flaky = RecordingNotifier("good"), RecordingNotifier("flaky", fail_times=2)
    with CueScheduler(pg_store, [good, flaky], [agenda], max_attempts=4,
                      backoff=timedelta(milliseconds=100)):
        time.sleep(max(0.0, (cues[-1].due - datetime.now(UTC)).total_seconds()) + 0.8)
    for sink in (good, flaky):
        received = Counter(m.key for _, m in sink.received)
        assert len(received) == len(cues) and set(received.values()) == {1}, sink.name
    log = deliveries(pg_store, agenda.slug)
    assert {d.status for d in log} == {"delivered"}
    assert {d.attempts for d in log if d.channel == "good"} == {1}
    assert max(d.attempts for d in log if d.channel == "flaky") > 1


def test_report_pages_are_stored_on_postgres_and_rebuilt_offline(
        sandbox: Sandbox, pg_store: StateStore, tmp_path: Path) -> None:
    script = stage_event(sandbox, pg_store)
    with report_client_for(sandbox) as client:
        online = make_report(script.spec, pg_store, client, out_dir=tmp_path / "a",
                             formats=["csv"])
        make_report(script.spec, pg_store, client, out_dir=tmp_path / "a", formats=["csv"])
    assert online.fetched is not None
    sandbox.reset()  # Zoom has forgotten the webinar: only the stored pages remain
    offline = make_report(script.spec, open_store(pg_store.url), None, out_dir=tmp_path / "b",
                          formats=["csv"], offline=True)
    assert offline.fetched is None
    assert offline.report.totals == online.report.totals
    assert offline.report.people == online.report.people
    assert offline.report.totals.webinar_start == script.start
    stored = StoredReport.latest(pg_store, script.spec.key)
    organisations = {r["org"] for page in stored.pages("registrants:approved")
                     for r in page["registrants"]}
    assert "=cmd|' /C calc'!A0" in organisations  # the raw page, exactly as Zoom sent it
    with pg_store.session() as session:
        snapshots = session.query(ReportSnapshot).all()
        assert len(snapshots) == 1 and snapshots[0].completed_at is not None
        assert snapshots[0].completed_at.tzinfo is UTC
        kinds = {p.kind for p in session.query(ReportPage).all()}
    assert {"webinar", "participants", "registrants:approved", "absentees", "qa",
            "polls"} <= kinds


def test_webinar_events_fix_start_and_end_once_on_postgres(pg_store: StateStore) -> None:
    pg_store.save_binding("ev", webinar_id=81234567890)
    index = webinar_index(pg_store, ["ev"])
    processor = WebinarEventProcessor(pg_store, index.get)
    started = {"event": "webinar.started", "payload": {"object": {
        "id": "81234567890", "start_time": "2030-05-17T12:34:00Z"}}}
    ended = {"event": "webinar.ended", "payload": {"object": {
        "id": "81234567890", "end_time": "2030-05-17T13:40:00Z"}}}
    assert processor.apply(started) == "ev"
    revision = live_revision(pg_store, "ev")
    assert processor.apply(started) == "ev"  # Zoom's retry
    assert live_revision(pg_store, "ev") == revision
    processor.apply(ended)
    processor.apply({**ended, "payload": {"object": {"id": 81234567890,
                                                     "end_time": "2030-05-17T13:50:00Z"}}})
    live = load_live(pg_store, "ev")
    assert live.actual_start == datetime(2030, 5, 17, 12, 34, tzinfo=UTC)
    assert live.ended_at == datetime(2030, 5, 17, 13, 40, tzinfo=UTC)  # the first end stands
    record = load_live_record(pg_store, "ev")
    assert record.webinar_id == 81234567890
    assert (record.start_source, record.end_source) == (LiveSource.ZOOM, LiveSource.ZOOM)
    assert live.actual_start is not None and live.actual_start.tzinfo is UTC


def test_concurrent_live_changes_from_separate_handles_are_all_kept_on_postgres(
        pg_store: StateStore) -> None:
    # Like the board, a webhook and `cues shift` in other processes, all at the same moment.
    handles = [StateStore(pg_store.url) for _ in range(8)]
    barrier = threading.Barrier(len(handles))

    def shift_once(store: StateStore) -> None:
        barrier.wait()
        shift(store, "ev", timedelta(seconds=30))

    threads = [threading.Thread(target=shift_once, args=(h,)) for h in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for handle in handles:
        handle.close()
    live = load_live(pg_store, "ev")
    assert len(live.adjustments) == len(handles)
    assert live_revision(pg_store, "ev") == len(handles)


def test_missing_server_skips_locally_but_fails_under_ci() -> None:
    with pytest.raises(pytest.skip.Exception, match="ZOOMORCH_TEST_POSTGRES_URL"):
        postgres_server_url({})
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        postgres_server_url({"CI": "true"})
    assert postgres_server_url({"ZOOMORCH_TEST_POSTGRES_URL": "postgresql+psycopg://h/d",
                                "CI": "true"}) == "postgresql+psycopg://h/d"
