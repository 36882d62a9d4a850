"""`zoomorch serve`: Zoom's webhook receiver, the JSON API, board links and the SSE feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from service_support import (
    BOARD_KEY,
    WEBHOOK_SECRET,
    live_agenda,
    read_sse,
    running_service,
    signed_headers,
    store_at,
    wait_for,
    zoom_event,
)
from zoomorch.board.tokens import BoardTokens
from zoomorch.db.store import StateStore
from zoomorch.live.state import (
    LiveSource,
    live_revision,
    load_live,
    load_live_record,
    record_actual_start,
)
from zoomorch.sandbox import Sandbox
from zoomorch.zoom.webhooks import url_validation_response

WEBINAR_ID = 81234567890


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return store_at(tmp_path)


def _bind(store: StateStore, slug: str, webinar_id: int = WEBINAR_ID) -> None:
    store.save_binding(slug, webinar_id=webinar_id)


def _state_unchanged(store: StateStore, slug: str) -> bool:
    record = load_live_record(store, slug)
    return (live_revision(store, slug) == 0 and record.live.actual_start is None
            and record.live.ended_at is None and record.webinar_id is None)


def test_healthz_answers_without_secrets(store: StateStore) -> None:
    with running_service(store, [live_agenda()]) as service:
        answer = httpx.get(f"{service.base_url}/healthz").json()
    assert answer["status"] == "ok" and answer["events"] == ["board"]
    assert WEBHOOK_SECRET not in str(answer)


def test_url_validation_is_answered_with_the_encrypted_token(store: StateStore) -> None:
    body = b'{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}'
    with running_service(store, [live_agenda()]) as service:
        response = httpx.post(f"{service.base_url}/zoom/webhook", content=body,
                              headers=signed_headers(body))
    assert response.status_code == 200
    assert response.json() == url_validation_response(WEBHOOK_SECRET, "qgg8vlvZRS6UYooatFL8Aw")


def test_forged_stale_and_malformed_webhooks_are_rejected_without_state_change(
    store: StateStore,
) -> None:
    _bind(store, "board")
    started = zoom_event("webinar.started", {"id": str(WEBINAR_ID),
                                             "start_time": "2030-01-01T10:00:00Z"})
    ended = zoom_event("webinar.ended", {"id": str(WEBINAR_ID)})
    forged = signed_headers(started, secret="not-the-secret")
    stale = signed_headers(started, at=datetime.now(UTC) - timedelta(minutes=6))
    tampered = signed_headers(ended)  # signed for another body
    with running_service(store, [live_agenda()]) as service:
        url = f"{service.base_url}/zoom/webhook"
        answers = [
            httpx.post(url, content=started, headers=forged).status_code,
            httpx.post(url, content=started, headers=stale).status_code,
            httpx.post(url, content=started, headers=tampered).status_code,
            httpx.post(url, content=started, headers={"content-type": "application/json"}
                       ).status_code,
            httpx.post(url, content=started, headers={
                **signed_headers(started), "x-zm-request-timestamp": "yesterday"}).status_code,
            httpx.post(url, content=b"{not json", headers=signed_headers(b"{not json")
                       ).status_code,
            httpx.post(url, content=b'{"payload":{}}', headers=signed_headers(b'{"payload":{}}')
                       ).status_code,
            httpx.post(url, content=b'{"event":"endpoint.url_validation","payload":{}}',
                       headers=signed_headers(
                           b'{"event":"endpoint.url_validation","payload":{}}')).status_code,
        ]
        assert service.ctx.events is not None and service.ctx.events.drain()
    assert answers == [401, 401, 401, 401, 401, 400, 400, 400]
    assert _state_unchanged(store, "board")


def test_webhooks_are_refused_when_no_secret_is_configured(store: StateStore) -> None:
    body = zoom_event("webinar.started", {"id": str(WEBINAR_ID)})
    with running_service(store, [live_agenda()], webhook_secret=None) as service:
        response = httpx.post(f"{service.base_url}/zoom/webhook", content=body,
                              headers=signed_headers(body))
    assert response.status_code == 503
    assert _state_unchanged(store, "board")


def test_signed_webinar_started_fixes_the_actual_start_and_shifts_the_plan(
    store: StateStore,
) -> None:
    agenda = live_agenda(started_minutes_ago=3)  # the host is three minutes late
    _bind(store, agenda.slug)
    actual = agenda.scheduled_start + timedelta(minutes=3)
    body = zoom_event("webinar.started", {
        "id": str(WEBINAR_ID), "start_time": actual.strftime("%Y-%m-%dT%H:%M:%SZ")})
    with running_service(store, [agenda]) as service:
        token = service.ctx.tokens.issue(agenda.slug, "viewer")
        before = httpx.get(f"{service.base_url}/api/events/{agenda.slug}/plan",
                           params={"token": token}).json()
        response = httpx.post(f"{service.base_url}/zoom/webhook", content=body,
                              headers=signed_headers(body), timeout=3)
        assert response.status_code == 200
        assert response.elapsed < timedelta(seconds=3)
        assert service.ctx.events is not None and service.ctx.events.drain()
        after = httpx.get(f"{service.base_url}/api/events/{agenda.slug}/plan",
                          params={"token": token}).json()
        # A retried delivery of the same event changes nothing more.
        httpx.post(f"{service.base_url}/zoom/webhook", content=body,
                   headers=signed_headers(body))
        assert service.ctx.events.drain()
    assert load_live(store, agenda.slug).actual_start == actual
    assert live_revision(store, agenda.slug) == 1
    assert after["actual_start"] == actual.isoformat()

    def due(plan: dict[str, object], kind: str) -> tuple[datetime, bool]:
        cues = plan["cues"]
        assert isinstance(cues, list)
        return next((datetime.fromisoformat(c["due"]), c["projected"]) for c in cues
                    if c["kind"] == kind)

    # Manual advance: the first segment waited (projected) and begins at the actual start;
    # the booked end (hard stop) stays.
    assert due(before, "segment_start") == (agenda.scheduled_start, True)
    assert due(after, "segment_start") == (actual, False)
    assert due(after, "time_up")[0] - due(before, "time_up")[0] == timedelta(minutes=3)
    assert due(after, "hard_stop") == due(before, "hard_stop")


def test_webinar_ended_marks_the_event_ended_on_the_board(store: StateStore) -> None:
    agenda = live_agenda()
    _bind(store, agenda.slug)
    body = zoom_event("webinar.ended", {"id": str(WEBINAR_ID),
                                        "end_time": "2030-01-01T11:00:00Z"})
    with running_service(store, [agenda]) as service:
        httpx.post(f"{service.base_url}/zoom/webhook", content=body,
                   headers=signed_headers(body))
        assert service.ctx.events is not None and service.ctx.events.drain()
        token = service.ctx.tokens.issue(agenda.slug)
        state = httpx.get(f"{service.base_url}/api/events/{agenda.slug}/state",
                          params={"token": token}).json()
    assert state["phase"] == "ended" and state["current"] is None
    record = load_live_record(store, agenda.slug)
    assert record.live.ended_at == datetime(2030, 1, 1, 11, tzinfo=UTC)
    assert (record.end_source, record.webinar_id) == (LiveSource.ZOOM, WEBINAR_ID)
    assert state["ended_at"] == "2030-01-01T11:00:00+00:00"


def test_sandbox_webinar_start_reaches_the_receiver_signed_and_moves_the_plan(
    store: StateStore,
) -> None:
    agenda = live_agenda()
    with running_service(store, [agenda]) as service, Sandbox(
        account_id="acc-test", client_id="cid-test", client_secret="s3cret-test",
        rate_limits=False, webhook_url=f"{service.base_url}/zoom/webhook",
        webhook_secret=WEBHOOK_SECRET,
    ) as sb:
        created = sb.store.create_webinar("me", {"topic": agenda.title, "type": 5,
                                                 "start_time": agenda.scheduled_start.strftime(
                                                     "%Y-%m-%dT%H:%M:%SZ"),
                                                 "duration": 20})
        _bind(store, agenda.slug, int(created["id"]))
        sb.store.start_webinar(created["id"])
        wait_for(lambda: load_live(store, agenda.slug).actual_start is not None)
    start = load_live(store, agenda.slug).actual_start
    assert start is not None and abs(start - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.slow
def test_a_sandbox_at_speed_60_starting_late_moves_the_cues_by_the_real_delay(
    store: StateStore,
) -> None:
    """`serve --speed 60` against `sandbox --speed 60`: the sandbox stamps its webhooks in
    event time; the service records the real start and the cues follow it."""
    import time

    from cue_agendas import RecordingNotifier, quick_agenda
    from zoomorch.cues import plan_cues
    from zoomorch.sandbox import SandboxClock

    scheduled = (datetime.now(UTC) + timedelta(seconds=1.5)).replace(microsecond=0)
    # Segment 0 lasts 3 event minutes (3 real seconds); the host is one event minute late.
    agenda = quick_agenda(scheduled, "sped", speed=60, minutes=(3, 2), advance="auto")
    sink = RecordingNotifier("sink")
    clock = SandboxClock(speed=60, start=agenda.to_event_time(datetime.now(UTC)))
    with running_service(store, [agenda], notifiers=[sink], run_scheduler=True) as service, \
            Sandbox(account_id="acc-test", client_id="cid-test", client_secret="s3cret-test",
                    rate_limits=False, webhook_url=f"{service.base_url}/zoom/webhook",
                    webhook_secret=WEBHOOK_SECRET, clock=clock) as sb:
        created = sb.store.create_webinar("me", {
            "topic": agenda.title, "type": 5, "duration": 5,
            "start_time": scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")})
        _bind(store, agenda.slug, int(created["id"]))
        late = agenda.to_real_time(scheduled + timedelta(minutes=1))
        time.sleep(max(0.0, (late - datetime.now(UTC)).total_seconds()))
        started_wall = datetime.now(UTC)
        sb.store.start_webinar(created["id"])
        after_start = datetime.now(UTC)
        sandbox_start = sb.store.webinar(created["id"]).started_at
        wait_for(lambda: load_live(store, agenda.slug).actual_start is not None)
        recorded = load_live(store, agenda.slug).actual_start
        assert recorded is not None
        # Segment 0 now ends three real seconds after the real start (not the scheduled one).
        wait_for(lambda: any(m.kind == "time_up" for _, m in sink.received), timeout=6.0)
    assert sandbox_start is not None
    # Zoom's times are whole seconds: one event second is 1/60 of a real second.
    tick = timedelta(seconds=1 / 60)
    assert abs(recorded - agenda.to_real_time(sandbox_start)) <= tick
    # The real moment the webinar started, read back from Zoom's event-time stamp.
    assert started_wall - tick <= recorded <= after_start
    assert recorded - scheduled >= timedelta(seconds=1) - tick  # one event minute late

    before, after = plan_cues(agenda), plan_cues(agenda, load_live(store, agenda.slug))

    def due(cues: list[Any], kind: str) -> datetime:
        return next(c.due for c in cues if c.kind == kind)

    # The agenda follows the real start; the booked end (hard stop) does not move.
    assert due(after, "hard_stop") == due(before, "hard_stop")
    time_up = [(at, m) for at, m in sink.received if m.kind == "time_up"]
    assert len(time_up) == 1
    arrived, message = time_up[0]
    assert abs(message.due - (recorded + timedelta(seconds=3))) < timedelta(milliseconds=5)
    assert arrived >= message.due - timedelta(milliseconds=5)  # never early
    # Moved by the real delay, not left at the old plan's time.
    moved = message.due - due(before, "time_up")
    assert abs(moved - (recorded - scheduled)) < timedelta(milliseconds=5)


# -- board links and the API ---------------------------------------------------------------


def test_board_links_enforce_role_event_and_expiry(store: StateStore) -> None:
    agenda = live_agenda()
    with running_service(store, [agenda, live_agenda("other")]) as service:
        tokens = service.ctx.tokens
        base = f"{service.base_url}/api/events"
        viewer = tokens.issue(agenda.slug, "viewer")
        controller = tokens.issue(agenda.slug, "controller")
        expired = tokens.issue(agenda.slug, "controller", timedelta(minutes=5),
                               now=datetime.now(UTC) - timedelta(hours=1))
        foreign = BoardTokens("another-key-entirely-0123456789-abcdef").issue(
            agenda.slug, "controller")
        other_event = tokens.issue("other", "controller")

        def post(token: str | None, action: str = "shift") -> int:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            return httpx.post(f"{base}/{agenda.slug}/{action}", json={"amount": "+3m"},
                              headers=headers).status_code

        assert post(viewer) == 403
        assert post(viewer, "next") == 403
        assert post(None) == 401
        assert post(expired) == 401
        assert post(foreign) == 401
        assert post(other_event) == 403
        assert live_revision(store, agenda.slug) == 0
        assert httpx.get(f"{service.base_url}/board/{agenda.slug}",
                         params={"token": expired}).status_code == 401
        assert httpx.get(f"{base}/{agenda.slug}/state", params={"token": viewer}
                         ).status_code == 200
        assert [e["event"] for e in httpx.get(base, params={"token": viewer}).json()] == [
            agenda.slug]
        assert post(controller) == 200
        assert post(controller, "next") == 200
    live = load_live(store, agenda.slug)
    # Manual advance, not started yet: the controller's `next` recorded the start.
    assert [a.kind for a in live.adjustments] == ["shift"]
    assert live.actual_start is not None
    assert live.adjustments[0].amount == timedelta(minutes=3)


def test_controller_input_errors_name_the_fix(store: StateStore) -> None:
    agenda = live_agenda()
    with running_service(store, [agenda]) as service:
        token = service.ctx.tokens.issue(agenda.slug, "controller")
        url = f"{service.base_url}/api/events/{agenda.slug}"
        auth = {"authorization": f"Bearer {token}"}
        bad_amount = httpx.post(f"{url}/shift", json={"amount": "soon"}, headers=auth)
        negative = httpx.post(f"{url}/extend", json={"amount": "-2m"}, headers=auth)
        missing = httpx.post(f"{url}/extend", json={}, headers=auth)
    assert bad_amount.status_code == 400 and "+3m" in bad_amount.json()["error"]
    assert negative.status_code == 400 and "positive" in negative.json()["error"]
    assert missing.status_code == 400
    assert live_revision(store, agenda.slug) == 0


def test_sse_stream_sends_a_snapshot_then_an_update_after_next(store: StateStore) -> None:
    agenda = live_agenda(minutes=(5, 10, 5))
    record_actual_start(store, agenda.slug, agenda.scheduled_start)
    with running_service(store, [agenda]) as service:
        tokens = service.ctx.tokens
        viewer = tokens.issue(agenda.slug, "viewer", language="es")
        controller = tokens.issue(agenda.slug, "controller")
        with httpx.stream("GET", f"{service.base_url}/board/{agenda.slug}/stream",
                          params={"token": viewer}, timeout=10) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            events = read_sse(response)
            name, first = next(events)
            assert name == "state"
            assert first["current"]["title"] == "Segment 0"
            assert first["next"]["title"] == "Segment 1"
            assert first["language"] == "es"
            httpx.post(f"{service.base_url}/api/events/{agenda.slug}/next",
                       headers={"authorization": f"Bearer {controller}"})
            name, second = next(events)
    assert second["revision"] == first["revision"] + 1


def test_board_key_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    from zoomorch.board.tokens import board_key

    env = {"ZOOMORCH_STATE_DIR": str(tmp_path)}
    first = board_key(env)
    assert board_key(env) == first
    assert (tmp_path / "board.key").stat().st_mode & 0o777 == 0o600
    assert board_key({**env, "ZOOMORCH_BOARD_SECRET": BOARD_KEY}) == BOARD_KEY


def test_webhook_secret_comes_from_env_first_then_a_secrets_file(tmp_path: Path) -> None:
    from zoomorch.service.app import load_webhook_secret

    secrets_file = tmp_path / "zoom.env"
    secrets_file.write_text("ZOOM_WEBHOOK_SECRET_TOKEN=from-file\n", encoding="utf-8")
    assert load_webhook_secret({"ZOOM_WEBHOOK_SECRET_TOKEN": "from-env"}, secrets_file) == (
        "from-env")
    assert load_webhook_secret({}, secrets_file) == "from-file"
    assert load_webhook_secret({}, None) is None
    secrets_file.write_text("OTHER=1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="ZOOM_WEBHOOK_SECRET_TOKEN"):
        load_webhook_secret({}, secrets_file)


def test_board_link_command_refuses_unknown_roles_and_bad_expiry(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zoomorch.cli.main import app

    runner = CliRunner()
    env = {"ZOOMORCH_STATE_DIR": str(tmp_path), "ZOOMORCH_BOARD_SECRET": BOARD_KEY}
    bad_role = runner.invoke(app, ["board-link", "imrf", "--role", "admin"], env=env)
    bad_expiry = runner.invoke(app, ["board-link", "imrf", "--expires", "soon"], env=env)
    good = runner.invoke(app, ["board-link", "imrf", "--role", "controller", "--base-url",
                               "http://127.0.0.1:9"], env=env)
    assert bad_role.exit_code == 2 and bad_expiry.exit_code == 2
    assert good.exit_code == 0
    token = good.stdout.strip().split("token=", 1)[1]
    grant = BoardTokens(BOARD_KEY).verify(token, "imrf", "controller")
    assert grant.role == "controller"
    assert timedelta(hours=5) < grant.expires - datetime.now(UTC) <= timedelta(hours=6)


def test_board_next_before_the_start_records_the_start_and_begins_the_first_segment(
        store: StateStore) -> None:
    agenda = live_agenda(started_minutes_ago=2)  # manual advance; the host is 2 minutes late
    with running_service(store, [agenda]) as service:
        token = service.ctx.tokens.issue(agenda.slug, "controller", language="es")
        state = httpx.get(f"{service.base_url}/api/events/{agenda.slug}/state",
                          params={"token": token}).json()
        assert state["phase"] == "late" and state["current"] is None
        assert state["next"]["title"] == "Segment 0" and state["next"]["projected"]
        late = [c for c in state["latest"] if c["kind"] == "not_started"]
        assert late and late[0]["text"] == "El webinar aún no ha empezado: +2 min de retraso."
        pressed = datetime.now(UTC)
        started = httpx.post(f"{service.base_url}/api/events/{agenda.slug}/next",
                             headers={"authorization": f"Bearer {token}"}).json()
        assert started["phase"] == "live"
        assert started["current"]["title"] == "Segment 0"
        assert started["next"]["title"] == "Segment 1"
        again = httpx.post(f"{service.base_url}/api/events/{agenda.slug}/next",
                           headers={"authorization": f"Bearer {token}"}).json()
        assert again["current"]["title"] == "Segment 1"
    live = load_live(store, agenda.slug)
    assert live.actual_start is not None and abs(live.actual_start - pressed) < timedelta(
        seconds=2)
    assert [a.kind for a in live.adjustments] == ["next"]  # the first `next` was the start
