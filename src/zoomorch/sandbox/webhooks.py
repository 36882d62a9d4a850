"""Signed webhook delivery from a background thread, as Zoom sends them.

Before the first event the endpoint must pass ``endpoint.url_validation`` (answer with
``encryptedToken = hex HMAC-SHA256(secret, plainToken)``); events are then POSTed with
``x-zm-request-timestamp`` and ``x-zm-signature = v0=hex HMAC-SHA256(secret, "v0:{ts}:{body}")``.
Zoom retries after 5, 20 and 60 minutes; the sandbox retries the same number of times with
short delays (``retry_delays``) so a rehearsal sees the behaviour without waiting an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from zoomorch.sandbox.clock import SandboxClock, zoom_time


def sign(secret: str, timestamp: str, body: str) -> str:
    """Zoom's ``x-zm-signature`` value for a raw body."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return "v0=" + digest.hexdigest()


def encrypt_token(secret: str, plain_token: str) -> str:
    return hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """One event and what happened to it (the delivery log's row)."""

    event: str
    event_ts: int
    body: str
    status: str = "queued"  # queued | delivered | failed | validation_failed
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "event_ts": self.event_ts, "status": self.status,
                "attempts": list(self.attempts), "payload": json.loads(self.body)}


class WebhookDispatcher:
    """Queues events and delivers them from one worker thread (never in the request path)."""

    def __init__(self, url: str, secret: str, account_id: str, clock: SandboxClock,
                 retry_delays: Sequence[float] = (0.2, 0.5, 1.0), timeout: float = 3.0) -> None:
        self.url = url
        self._secret = secret
        self.account_id = account_id
        self.clock = clock
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.validated = False
        self.log: list[Delivery] = []
        self._log_lock = threading.Lock()
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._stop = threading.Event()
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)

    def __repr__(self) -> str:
        return f"WebhookDispatcher(url={self.url!r}, validated={self.validated})"

    def start(self) -> None:
        self._thread.start()

    def stop(self, drain_seconds: float = 2.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout=drain_seconds)
        self._stop.set()
        self._thread.join(timeout=self.timeout + 1)
        self._session.close()

    def emit(self, event: str, obj: dict[str, Any]) -> None:
        """Queue ``event`` with ``obj`` as ``payload.object`` (returns at once)."""
        event_ts = int(self.clock.now().timestamp() * 1000)
        envelope = {"event": event, "event_ts": event_ts,
                    "payload": {"account_id": self.account_id, "object": obj}}
        delivery = Delivery(event, event_ts, json.dumps(envelope, separators=(",", ":")))
        with self._log_lock:
            self.log.append(delivery)
        self._queue.put(delivery)

    def deliveries(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return [d.to_json() for d in self.log]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued event was delivered or gave up (tests use this)."""
        deadline = self.clock_free_deadline(timeout)
        while True:
            with self._log_lock:
                pending = any(d.status == "queued" for d in self.log)
            if not pending:
                return True
            if self._stop.wait(0.02) or _monotonic() > deadline:
                return False

    @staticmethod
    def clock_free_deadline(timeout: float) -> float:
        return _monotonic() + timeout

    # ----- worker ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None or self._stop.is_set():
                return
            self._deliver(delivery)

    def _post(self, body: str) -> requests.Response:
        # The delivery moment is real (receivers refuse timestamps older than 5 minutes of
        # wall time), unlike event_ts and payload times, which follow the sandbox clock.
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "User-Agent": "Zoom Marketplace/1.0a",
                   "x-zm-request-timestamp": timestamp,
                   "x-zm-signature": sign(self._secret, timestamp, body)}
        return self._session.post(self.url, data=body.encode(), headers=headers,
                                  timeout=self.timeout)

    def _validate(self) -> tuple[bool, str]:
        plain = secrets.token_urlsafe(16)
        body = json.dumps({"event": "endpoint.url_validation",
                           "payload": {"plainToken": plain},
                           "event_ts": int(self.clock.now().timestamp() * 1000)},
                          separators=(",", ":"))
        try:
            response = self._post(body)
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            return False, f"url_validation: {type(exc).__name__}"
        expected = encrypt_token(self._secret, plain)
        if (response.status_code == 200 and isinstance(answer, dict)
                and answer.get("plainToken") == plain
                and hmac.compare_digest(str(answer.get("encryptedToken", "")), expected)):
            return True, "validated"
        return False, f"url_validation: wrong answer (HTTP {response.status_code})"

    def _deliver(self, delivery: Delivery) -> None:
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            if delay and self._stop.wait(delay):
                break
            at = zoom_time(self.clock.now())
            if not self.validated:
                ok, note = self._validate()
                if not ok:
                    delivery.attempts.append({"attempt": attempt + 1, "at": at, "error": note})
                    continue
                self.validated = True
            try:
                response = self._post(delivery.body)
            except requests.RequestException as exc:
                delivery.attempts.append({"attempt": attempt + 1, "at": at,
                                          "error": type(exc).__name__})
                continue
            delivery.attempts.append({"attempt": attempt + 1, "at": at,
                                      "status": response.status_code})
            if 200 <= response.status_code < 300:
                delivery.status = "delivered"
                return
        delivery.status = "failed" if self.validated else "validation_failed"


def _monotonic() -> float:
    import time

    return time.monotonic()
