"""Helpers for the service and cue board tests: a running service on loopback, signed posts."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cue_agendas import quick_agenda
from zoomorch.board.tokens import BoardTokens
from zoomorch.cues import CueAgenda
from zoomorch.db.store import StateStore, open_store
from zoomorch.runtime import LiveRuntime
from zoomorch.service.app import RunningService
from zoomorch.zoom.webhooks import sign

WEBHOOK_SECRET = "whsec-test-0123456789"
BOARD_KEY = "board-key-for-tests-0123456789-abcdefghij"


def store_at(tmp_path: Path) -> StateStore:
    """A new state store (every table comes from the migrations, whatever is imported)."""
    return open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}")


def live_agenda(slug: str = "board", *, started_minutes_ago: float = 1.0,
                minutes: tuple[int, ...] = (5, 10, 5), speed: float = 1.0,
                advance: str = "manual") -> CueAgenda:
    """An event in real time whose first segment is in progress now."""
    start = (datetime.now(UTC) - timedelta(minutes=started_minutes_ago)).replace(microsecond=0)
    return quick_agenda(start, slug, speed=speed, minutes=minutes, advance=advance)


@contextmanager
def running_service(store: StateStore, agendas: Sequence[CueAgenda], *,
                    notifiers: Sequence[Any] = (), run_scheduler: bool = False,
                    webhook_secret: str | None = WEBHOOK_SECRET,
                    poll_seconds: float = 0.2) -> Iterator[RunningService]:
    runtime = LiveRuntime.of_agendas(store, agendas, notifiers)
    ctx = runtime.service_context(BoardTokens(BOARD_KEY), webhook_secret=webhook_secret,
                                  run_scheduler=run_scheduler)
    ctx.poll_seconds = poll_seconds
    with RunningService(ctx) as service:
        yield service


def signed_headers(body: bytes, *, secret: str = WEBHOOK_SECRET,
                   at: datetime | None = None) -> dict[str, str]:
    timestamp = str(int((at or datetime.now(UTC)).timestamp()))
    return {"content-type": "application/json", "x-zm-request-timestamp": timestamp,
            "x-zm-signature": sign(secret, timestamp, body)}


def zoom_event(event: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"event": event, "event_ts": int(time.time() * 1000),
                       "payload": {"account_id": "acc-test", "object": obj}}).encode()


def wait_for(check: Callable[[], Any], timeout: float = 5.0, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(every)


def came_up(base: str, process: subprocess.Popen[Any], timeout: float,
            every: float = 0.1) -> bool:
    """Whether a ``zoomorch serve`` started as ``process`` answers ``GET base/healthz`` with
    200 within ``timeout`` seconds (False as soon as the process has ended)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=min(2.0, every * 10)).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(every)


def read_sse(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs from a streaming text/event-stream response."""
    name, data = "message", ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line == "":
            if data:
                yield name, json.loads(data)
            name, data = "message", ""
