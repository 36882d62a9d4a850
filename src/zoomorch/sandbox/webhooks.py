"""Signed webhook delivery from background threads, as Zoom sends them.

Before the first event the endpoint must pass ``endpoint.url_validation`` (answer with
``encryptedToken = hex HMAC-SHA256(secret, plainToken)``); events are then POSTed with
``x-zm-request-timestamp`` and ``x-zm-signature = v0=hex HMAC-SHA256(secret, "v0:{ts}:{body}")``.
Zoom retries after 5, 20 and 60 minutes; the sandbox retries the same number of times with
short delays (``retry_delays``) so a rehearsal sees the behaviour without waiting an hour.

Big simulations emit hundreds of events a second, so delivery runs on several workers, each
with its own keep-alive connection; events are sharded by webinar, which keeps every webinar's
events in order (a join is never delivered after its leave) while webinars proceed in parallel.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import queue
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from zoomorch.sandbox.clock import SandboxClock, zoom_time

USER_AGENT = "Zoom Marketplace/1.0a"


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
    shard: int = 0
    due_wall: float = 0.0  # wall time when the sandbox clock passed the event's moment
    status: str = "queued"  # queued | delivered | failed | validation_failed
    attempts: list[dict[str, Any]] = field(default_factory=list)
    lag_seconds: float | None = None  # wall seconds from due to delivered

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "event_ts": self.event_ts, "status": self.status,
                "attempts": list(self.attempts), "lag_seconds": self.lag_seconds,
                "payload": json.loads(self.body)}


class _Poster:
    """POSTs over one keep-alive connection (reconnects once if the peer closed it)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in (1, 2):
            conn = self._conn or self._connect()
            self._conn = conn
            try:
                conn.request("POST", self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.close()
                return response.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError) as exc:
                self.close()
                if attempt == 2:
                    raise OSError(type(exc).__name__) from exc
            except (OSError, http.client.HTTPException):
                self.close()
                raise
        raise OSError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class WebhookDispatcher:
    """Queues events and delivers them from worker threads (never in the request path)."""

    def __init__(self, url: str, secret: str, account_id: str, clock: SandboxClock,
                 retry_delays: Sequence[float] = (0.2, 0.5, 1.0), timeout: float = 3.0,
                 workers: int = 4) -> None:
        self.url = url
        self._secret = secret
        self.account_id = account_id
        self.clock = clock
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.validated = False
        self.log: list[Delivery] = []
        self.max_lag_seconds = 0.0
        self._log_lock = threading.Lock()
        self._idle = threading.Condition(self._log_lock)
        self._pending = 0
        self._validation_lock = threading.Lock()
        self._queues: list[queue.SimpleQueue[Delivery | None]] = [
            queue.SimpleQueue() for _ in range(max(1, workers))]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(q,), daemon=True,
                                          name=f"sandbox-webhooks-{i}")
                         for i, q in enumerate(self._queues)]

    def __repr__(self) -> str:
        return f"WebhookDispatcher(url={self.url!r}, validated={self.validated})"

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, drain_seconds: float = 2.0) -> None:
        for q in self._queues:
            q.put(None)
        deadline = time.monotonic() + drain_seconds
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 1)

    def emit(self, event: str, obj: dict[str, Any], at: datetime | None = None) -> None:
        """Queue ``event`` with ``obj`` as ``payload.object`` (returns at once).

        ``at`` is the sandbox moment the event happened (default: now); it becomes
        ``event_ts``. Delivery lag is measured from the wall time the clock passed ``at``.
        """
        now = self.clock.now()
        moment = at or now
        event_ts = int(moment.timestamp() * 1000)
        speed = self.clock.speed
        behind = max(0.0, (now - moment).total_seconds())
        due_wall = time.time() - (behind / speed if speed > 0 else 0.0)
        envelope = {"event": event, "event_ts": event_ts,
                    "payload": {"account_id": self.account_id, "object": obj}}
        shard = hash(str(obj.get("id", ""))) % len(self._queues)
        delivery = Delivery(event, event_ts, json.dumps(envelope, separators=(",", ":")),
                            shard, due_wall)
        with self._log_lock:
            self.log.append(delivery)
            self._pending += 1
        self._queues[shard].put(delivery)

    def deliveries(self) -> list[dict[str, Any]]:
        with self._log_lock:
            log = list(self.log)
        return [d.to_json() for d in log]

    def stats(self) -> dict[str, Any]:
        """Counts by status and the worst delivery lag (wall seconds)."""
        with self._log_lock:
            counts: dict[str, int] = {}
            for delivery in self.log:
                counts[delivery.status] = counts.get(delivery.status, 0) + 1
            return {"events": len(self.log), "pending": self._pending, "by_status": counts,
                    "max_lag_seconds": round(self.max_lag_seconds, 3)}

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued event was delivered or gave up (tests use this)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return False
                self._idle.wait(min(left, 0.1))
            return True

    # ----- worker ---------------------------------------------------------------------------

    def _run(self, inbox: queue.SimpleQueue[Delivery | None]) -> None:
        poster = _Poster(self.url, self.timeout)
        try:
            while True:
                delivery = inbox.get()
                if delivery is None or self._stop.is_set():
                    return
                self._deliver(poster, delivery)
                with self._idle:
                    self._pending -= 1
                    if delivery.lag_seconds is not None:
                        self.max_lag_seconds = max(self.max_lag_seconds, delivery.lag_seconds)
                    if not self._pending:
                        self._idle.notify_all()
        finally:
            poster.close()

    def _post(self, poster: _Poster, body: str) -> tuple[int, bytes]:
        # The delivery moment is real (receivers refuse timestamps older than 5 minutes of
        # wall time), unlike event_ts and payload times, which follow the sandbox clock.
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "x-zm-request-timestamp": timestamp,
                   "x-zm-signature": sign(self._secret, timestamp, body)}
        return poster.post(body.encode(), headers)

    def _validate(self, poster: _Poster) -> tuple[bool, str]:
        plain = secrets.token_urlsafe(16)
        body = json.dumps({"event": "endpoint.url_validation",
                           "payload": {"plainToken": plain},
                           "event_ts": int(self.clock.now().timestamp() * 1000)},
                          separators=(",", ":"))
        try:
            status, raw = self._post(poster, body)
            answer = json.loads(raw)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return False, f"url_validation: {type(exc).__name__}"
        expected = encrypt_token(self._secret, plain)
        if (status == 200 and isinstance(answer, dict)
                and answer.get("plainToken") == plain
                and hmac.compare_digest(str(answer.get("encryptedToken", "")), expected)):
            return True, "validated"
        return False, f"url_validation: wrong answer (HTTP {status})"

    def _ensure_validated(self, poster: _Poster) -> tuple[bool, str]:
        with self._validation_lock:  # one validation, whichever worker gets there first
            if self.validated:
                return True, "validated"
            ok, note = self._validate(poster)
            self.validated = ok
            return ok, note

    def _deliver(self, poster: _Poster, delivery: Delivery) -> None:
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            if delay and self._stop.wait(delay):
                break
            at = zoom_time(self.clock.now())
            ok, note = self._ensure_validated(poster)
            if not ok:
                delivery.attempts.append({"attempt": attempt + 1, "at": at, "error": note})
                continue
            try:
                status, _ = self._post(poster, delivery.body)
            except (OSError, http.client.HTTPException) as exc:
                delivery.attempts.append({"attempt": attempt + 1, "at": at,
                                          "error": type(exc).__name__})
                continue
            delivery.attempts.append({"attempt": attempt + 1, "at": at, "status": status})
            if 200 <= status < 300:
                delivery.status = "delivered"
                delivery.lag_seconds = round(max(0.0, time.time() - delivery.due_wall), 4)
                return
        delivery.status = "failed" if self.validated else "validation_failed"
