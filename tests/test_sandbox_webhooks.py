"""Signed webhooks from the sandbox to a tiny receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from sandbox_helpers import ZoomSession, create_webinar
from zoomorch.sandbox import Sandbox

SECRET = "wh-secret-token"


class Receiver:
    """Answers url_validation (correctly unless told otherwise) and keeps verified events."""

    def __init__(self, answer_correctly: bool = True) -> None:
        self.events: list[dict[str, Any]] = []
        self.raw: list[tuple[dict[str, str], str]] = []  # (headers, body) of each event
        self.bad_signatures = 0
        self.validations = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                ts = self.headers["x-zm-request-timestamp"]
                expected = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{raw}".encode(),
                                            hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, self.headers["x-zm-signature"]):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.loads(raw)
                assert raw == json.dumps(body, separators=(",", ":"))  # compact JSON
                if body["event"] == "endpoint.url_validation":
                    receiver.validations += 1
                    plain = body["payload"]["plainToken"]
                    key = SECRET if answer_correctly else "wrong"
                    answer = {"plainToken": plain, "encryptedToken": hmac.new(
                        key.encode(), plain.encode(), hashlib.sha256).hexdigest()}
                    payload = json.dumps(answer).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                receiver.events.append(body)
                receiver.raw.append(({k.lower(): v for k, v in self.headers.items()}, raw))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/zoom/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_events_are_signed_and_follow_url_validation(receiver: Receiver) -> None:
    with Sandbox(client_secret="x", rate_limits=False, webhook_url=receiver.url,
                 webhook_secret=SECRET) as sb:
        s = ZoomSession(sb)
        wid = create_webinar(s, approval_type=0)["id"]
        rid = s.post(f"/webinars/{wid}/registrants",
                     json={"email": "ana@example.org", "first_name": "Ana"}).json()["registrant_id"]
        sb.store.record_join(wid, name="Ana", email="ana@example.org")
        assert s.put(f"/webinars/{wid}/status", json={"action": "end"}).status_code == 204
        assert sb.wait_webhooks(5)
        assert receiver.validations == 1
        assert receiver.bad_signatures == 0
        names = [e["event"] for e in receiver.events]
        assert names == ["webinar.registration_created", "webinar.started",
                         "webinar.participant_joined", "webinar.participant_left",
                         "webinar.ended"]
        created = receiver.events[0]
        assert created["payload"]["account_id"] == sb.credentials.account_id
        assert created["payload"]["object"]["registrant"]["id"] == rid
        assert isinstance(created["event_ts"], int) and created["event_ts"] > 10**12
        joined = receiver.events[2]["payload"]["object"]["participant"]
        assert joined["registrant_id"] == rid and joined["email"] == "ana@example.org"
        log = requests_admin(sb)
        assert [d["status"] for d in log["deliveries"]] == ["delivered"] * 5


def requests_admin(sb: Sandbox) -> dict[str, Any]:
    import requests

    return dict(requests.get(sb.admin_url + "/webhooks", timeout=5).json())


def test_failed_url_validation_delivers_nothing() -> None:
    bad = Receiver(answer_correctly=False)
    try:
        with Sandbox(client_secret="x", rate_limits=False, webhook_url=bad.url,
                     webhook_secret=SECRET, webhook_retry_delays=(0.01, 0.01)) as sb:
            wid = create_webinar(ZoomSession(sb))["id"]
            sb.store.start_webinar(wid)
            assert sb.wait_webhooks(5)
            assert bad.events == []
            assert bad.validations == 3  # first try and two retries
            assert sb.webhook_deliveries()[0]["status"] == "validation_failed"
    finally:
        bad.close()
