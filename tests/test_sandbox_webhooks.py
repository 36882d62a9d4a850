"""Signed webhooks from the sandbox to a tiny receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from http_receiver import Answer, HttpReceiver, Received
from sandbox_helpers import ZoomSession, create_webinar
from zoomorch.sandbox import Sandbox

SECRET = "wh-secret-token"


class Receiver(HttpReceiver):
    """Zoom's endpoint: answers url_validation (correctly unless told otherwise), turns away
    bad signatures and keeps the verified events."""

    def __init__(self, answer_correctly: bool = True) -> None:
        self.answer_correctly = answer_correctly
        self.bad_signatures = 0
        self.validations = 0
        self.verified: list[Received] = []
        super().__init__("/zoom/webhook", respond=self._zoom_answer)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [request.json for request in self.verified]

    @property
    def raw(self) -> list[tuple[dict[str, str], str]]:
        """(headers, body) of each verified event."""
        return [(request.headers, request.text) for request in self.verified]

    def _zoom_answer(self, request: Received) -> Answer:
        raw = request.text
        ts = request.headers["x-zm-request-timestamp"]
        expected = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{raw}".encode(),
                                    hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers["x-zm-signature"]):
            self.bad_signatures += 1
            return Answer(401)
        body = request.json
        assert raw == json.dumps(body, separators=(",", ":"))  # compact JSON
        if body["event"] == "endpoint.url_validation":
            self.validations += 1
            plain = body["payload"]["plainToken"]
            key = SECRET if self.answer_correctly else "wrong"
            answer = {"plainToken": plain, "encryptedToken": hmac.new(
                key.encode(), plain.encode(), hashlib.sha256).hexdigest()}
            return Answer(200, json.dumps(answer).encode(), "application/json")
        self.verified.append(request)
        return Answer(200)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


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
    with Receiver(answer_correctly=False) as bad, Sandbox(
            client_secret="x", rate_limits=False, webhook_url=bad.url, webhook_secret=SECRET,
            webhook_retry_delays=(0.01, 0.01)) as sb:
        wid = create_webinar(ZoomSession(sb))["id"]
        sb.store.start_webinar(wid)
        assert sb.wait_webhooks(5)
        assert bad.events == []
        assert bad.validations == 3  # first try and two retries
        assert sb.webhook_deliveries()[0]["status"] == "validation_failed"
