"""One clock per sandbox: tokens live on it, webhook payload times follow it, while the
webhook delivery timestamp stays real (receivers judge replay on wall time)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import requests

from sandbox_helpers import ZoomSession, create_webinar
from test_sandbox_webhooks import SECRET, Receiver
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, ZoomCredentials
from zoomorch.zoom.webhooks import verify


def test_tokens_issued_after_the_clock_jumped_ahead_are_accepted(sandbox: Sandbox) -> None:
    sandbox.store.clock.advance(timedelta(hours=2))
    assert ZoomSession(sandbox).get("/users/me").status_code == 200
    sandbox.store.clock.advance(timedelta(days=30))
    assert ZoomSession(sandbox).get("/users/me").status_code == 200


def test_tokens_follow_an_accelerated_clock_and_expire_on_it(sandbox: Sandbox) -> None:
    clock = sandbox.store.clock
    clock.set_speed(600)  # the token's hour is 6 real seconds
    session = ZoomSession(sandbox)
    assert session.get("/users/me").status_code == 200
    time.sleep(0.05)  # 30 sandbox seconds later: still valid
    assert session.get("/users/me").status_code == 200
    clock.advance(3600)
    expired = session.get("/users/me")
    assert (expired.status_code, expired.json()["code"]) == (401, 124)
    assert expired.json()["message"] == "Access token is expired."
    assert ZoomSession(sandbox).get("/users/me").status_code == 200


def test_zoom_client_keeps_working_while_the_clock_runs_fast(sandbox: Sandbox) -> None:
    env = sandbox.env()
    client = ZoomClient(ZoomCredentials.model_validate({
        "account_id": env["ZOOM_ACCOUNT_ID"], "client_id": env["ZOOM_CLIENT_ID"],
        "client_secret": env["ZOOM_CLIENT_SECRET"], "api_base_url": env["ZOOM_API_BASE_URL"],
        "oauth_url": env["ZOOM_OAUTH_URL"]}))
    sandbox.store.clock.set_speed(3600)
    sandbox.store.clock.advance(timedelta(hours=5))
    for _ in range(3):
        client.request("GET", "/users/me")
        sandbox.store.clock.advance(timedelta(hours=1, minutes=1))  # every token dies between


def test_webhook_timestamp_is_wall_time_while_payload_times_follow_the_clock() -> None:
    receiver = Receiver()
    try:
        with Sandbox(client_secret="x", rate_limits=False, webhook_url=receiver.url,
                     webhook_secret=SECRET) as sb:
            sb.store.clock.set(datetime(2031, 3, 4, 12, 0, tzinfo=UTC))
            sb.store.clock.set_speed(600)
            wid = create_webinar(ZoomSession(sb))["id"]
            sb.store.start_webinar(wid)
            sb.store.record_join(wid, name="Ana", email="ana@example.org")
            assert sb.wait_webhooks(5)
            assert len(receiver.raw) == 2
            for headers, raw in receiver.raw:
                # Our own receiver's check: signed, and fresh on wall time.
                assert verify(SECRET, headers, raw)
                assert abs(int(headers["x-zm-request-timestamp"]) - time.time()) < 60
            started, joined = receiver.events
            assert started["event_ts"] >= datetime(2031, 3, 4, tzinfo=UTC).timestamp() * 1000
            assert started["payload"]["object"]["start_time"].startswith("2031-03-04T12:")
            assert joined["payload"]["object"]["participant"]["join_time"].startswith(
                "2031-03-04T12:")
            log = requests.get(sb.admin_url + "/webhooks", timeout=5).json()["deliveries"]
            assert [d["status"] for d in log] == ["delivered", "delivered"]
    finally:
        receiver.close()
