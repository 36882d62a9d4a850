"""`zoomorch serve` under hostile input and load (issue 16): board tokens never reach a log,
webhook bodies are refused before they are buffered, malformed signature headers get 401,
a replayed `webinar.started` leaves the end alone, and the board's state is computed once per
change for every open board instead of once a second per board."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from service_support import (
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
from zoomorch.live.state import live_revision, load_live_record, record_actual_start
from zoomorch.zoom.webhooks import sign, verify

WEBINAR_ID = 81234567890


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return store_at(tmp_path)


# -- item 9: malformed signature headers are a 401, never a 500 -----------------------------

BAD_TIMESTAMPS = [
    "9" * 401,  # raised OverflowError (int too large for a float)
    "1" * 5000,  # beyond Python's int-from-text digit limit
    "-1700000000",
    "1.7e9",
    "1700000000.5",
    "",
    " ",
    "0x6553f100",
    "١٧٠٠٠٠٠٠٠٠",  # Arabic-Indic digits: int() reads them, Zoom never sends them
    "1_700_000_000",
    "nan",
    "inf",
]


@pytest.mark.parametrize("timestamp", BAD_TIMESTAMPS)
def test_verify_refuses_a_malformed_timestamp_without_raising(timestamp: str) -> None:
    body = b'{"event":"webinar.started"}'
    headers = {"x-zm-request-timestamp": timestamp,
               "x-zm-signature": sign(WEBHOOK_SECRET, timestamp, body)}
    assert verify(WEBHOOK_SECRET, headers, body) is False


def test_malformed_signature_headers_get_401_never_500(store: StateStore) -> None:
    store.save_binding("board", webinar_id=WEBINAR_ID)
    body = zoom_event("webinar.started", {"id": str(WEBINAR_ID)})
    good = signed_headers(body)
    cases: list[dict[str, str]] = [
        {**good, "x-zm-request-timestamp": ts} for ts in BAD_TIMESTAMPS
        if ts.isascii() and ts == ts.strip()]
    cases += [
        {**good, "x-zm-signature": ""},
        {**good, "x-zm-signature": "v0="},
        {**good, "x-zm-signature": "v0=" + "z" * 64},
        {**good, "x-zm-signature": "v0=" + "a" * 10_000},
        {**good, "x-zm-signature": "v1=" + good["x-zm-signature"][3:]},
        # A signature that is right for the absurd timestamp: still a 401.
        {**good, "x-zm-request-timestamp": "9" * 401,
         "x-zm-signature": sign(WEBHOOK_SECRET, "9" * 401, body)},
    ]
    with running_service(store, [live_agenda()]) as service:
        url = f"{service.base_url}/zoom/webhook"
        answers = [httpx.post(url, content=body, headers=h).status_code for h in cases]
        # Non-ASCII header bytes (latin-1 on the wire), as a raw client can send them.
        raw = httpx.post(url, content=body, headers=[
            ("content-type", "application/json"),
            ("x-zm-request-timestamp", "\u00b9\u00b2\u00b3".encode("latin-1")),
            ("x-zm-signature", good["x-zm-signature"])]).status_code
        assert service.ctx.events is not None and service.ctx.events.drain()
    assert answers == [401] * len(cases)
    assert raw == 401
    assert live_revision(store, "board") == 0


# -- item 8: a webhook body is refused before it is buffered --------------------------------


def _asgi_post(app: Any, headers: list[tuple[bytes, bytes]], chunks: Iterator[bytes]
               ) -> tuple[int, int]:
    """POST /zoom/webhook straight into the ASGI app; (status, bytes the app pulled)."""
    pulled = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
             "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/zoom/webhook", "raw_path": b"/zoom/webhook", "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8400)}
    asyncio.run(app(scope, receive, send))
    return status, pulled


def test_a_chunked_webhook_body_past_the_cap_is_refused_without_reading_the_rest(
        store: StateStore) -> None:
    from zoomorch.service.app import MAX_WEBHOOK_BODY, create_app

    with running_service(store, [live_agenda()]) as service:
        app = create_app(service.ctx)
        chunk = b"x" * 65536
        total = 64 * 1024 * 1024  # 64 MiB offered, unsigned, no Content-Length (chunked)
        chunks = iter([chunk] * (total // len(chunk)))
        status, pulled = _asgi_post(app, [(b"content-type", b"application/json"),
                                          (b"transfer-encoding", b"chunked")], chunks)
    assert status == 413
    assert pulled <= MAX_WEBHOOK_BODY + len(chunk), f"read {pulled} bytes of {total}"


def test_a_declared_content_length_past_the_cap_is_refused_at_once(store: StateStore) -> None:
    import socket

    with running_service(store, [live_agenda()]) as service:
        host, port = service.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            # Declares 1 GB and sends nothing: the answer must not wait for the body.
            sock.sendall(b"POST /zoom/webhook HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n")
            sock.settimeout(3)
            answer = sock.recv(200)
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_body_under_the_cap_sent_in_chunks_is_still_verified_and_applied(
        store: StateStore) -> None:
    agenda = live_agenda()
    store.save_binding(agenda.slug, webinar_id=WEBINAR_ID)
    body = zoom_event("webinar.started", {"id": str(WEBINAR_ID),
                                          "start_time": "2030-01-01T10:00:00Z"})

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i:i + 7]

    with running_service(store, [agenda]) as service:
        response = httpx.post(f"{service.base_url}/zoom/webhook", content=pieces(),
                              headers=signed_headers(body))
        assert service.ctx.events is not None and service.ctx.events.drain()
    assert response.status_code == 200
    assert live_revision(store, agenda.slug) == 1


# -- item 11c: a replayed webinar.started never reopens an ended webinar --------------------


def test_a_replayed_webinar_started_after_the_end_leaves_the_end(store: StateStore) -> None:
    agenda = live_agenda(started_minutes_ago=3)
    store.save_binding(agenda.slug, webinar_id=WEBINAR_ID)
    start = agenda.scheduled_start + timedelta(minutes=1)
    # Zoom's clock a little ahead of ours: the end it stamps is still to come here.
    end = (datetime.now(UTC) + timedelta(seconds=40)).replace(microsecond=0)
    started = zoom_event("webinar.started", {"id": str(WEBINAR_ID),
                                             "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ")})
    ended = zoom_event("webinar.ended", {"id": str(WEBINAR_ID),
                                         "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ")})
    # Zoom's retry of the start, and a start stamped after the end (another retry path).
    later = zoom_event("webinar.started", {
        "id": str(WEBINAR_ID),
        "start_time": (end + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    with running_service(store, [agenda]) as service:
        url = f"{service.base_url}/zoom/webhook"
        token = service.ctx.tokens.issue(agenda.slug)
        for body in (started, ended):
            assert httpx.post(url, content=body, headers=signed_headers(body)).status_code == 200
            assert service.ctx.events is not None and service.ctx.events.drain()
        revision = live_revision(store, agenda.slug)
        for body in (started, later, started):
            assert httpx.post(url, content=body, headers=signed_headers(body)).status_code == 200
            assert service.ctx.events.drain()
        state = httpx.get(f"{service.base_url}/api/events/{agenda.slug}/state",
                          params={"token": token}).json()
    record = load_live_record(store, agenda.slug)
    assert record.live.ended_at == end
    assert record.live.actual_start == start
    assert live_revision(store, agenda.slug) == revision  # the replays wrote nothing
    assert state["phase"] == "ended" and state["ended_at"] == end.isoformat()


# -- item 4: board tokens never reach a log -------------------------------------------------

SERVICE_LOGGERS = ("", "uvicorn", "uvicorn.access", "uvicorn.error", "uvicorn.asgi",
                   "zoomorch", "fastapi", "starlette")


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("httpx", "httpcore")):
            return  # the test's own client, not the service
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")


def test_no_log_line_of_a_served_session_holds_a_board_token(
        store: StateStore, capfd: pytest.CaptureFixture[str]) -> None:
    agenda = live_agenda(minutes=(5, 10, 5))
    record_actual_start(store, agenda.slug, agenda.scheduled_start)
    keep = _Keep()
    with running_service(store, [agenda]) as service:
        saved = {name: logging.getLogger(name).level for name in SERVICE_LOGGERS}
        for name in SERVICE_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
            logging.getLogger(name).addHandler(keep)
        try:
            tokens: BoardTokens = service.ctx.tokens
            viewer = tokens.issue(agenda.slug, "viewer", language="fr")
            controller = tokens.issue(agenda.slug, "controller")
            base = service.base_url
            with httpx.Client(base_url=base, timeout=10) as browser:
                page = browser.get(f"/board/{agenda.slug}", params={"token": controller})
                assert page.status_code == 200
                # The stream as the page opens it (the page's own URL, its cookies), and as
                # an API client may (the token in the query).
                path = f"/board/{agenda.slug}/stream"
                for params in ({}, {"token": viewer}):
                    if not params and not browser.cookies:
                        params = {"token": controller}  # a page that carries no cookie
                    with browser.stream("GET", path, params=params) as response:
                        assert response.status_code == 200
                        assert next(read_sse(response))[0] == "state"
                assert browser.post(f"/api/events/{agenda.slug}/next",
                                    headers={"authorization": f"Bearer {controller}"}
                                    ).status_code == 200
                assert browser.get(f"/api/events/{agenda.slug}/state",
                                   params={"token": viewer}).status_code == 200
                assert browser.get(f"/board/{agenda.slug}",
                                   params={"token": viewer + "x"}).status_code == 401
        finally:
            for name in SERVICE_LOGGERS:
                logging.getLogger(name).removeHandler(keep)
                logging.getLogger(name).setLevel(saved[name])
    out, err = capfd.readouterr()
    lines = keep.lines + out.splitlines() + err.splitlines()
    assert any("/board/" in line for line in lines), "the session was not logged at all"
    assert any("GET /board/" in line and "200" in line for line in lines), lines
    # ... and uvicorn's own access handler printed it (a rewritten record still formats).
    assert any('"GET /board/' in line and '" 200' in line for line in out.splitlines()), out
    assert not [line for line in lines if "Logging error" in line or "Traceback" in line]
    for secret in (viewer, controller, viewer + "x"):
        for part in secret.split("."):
            leaked = [line for line in lines if part in line]
            assert not leaked, leaked
    assert not [line for line in lines if "eyJ" in line]


# -- item 12: one state per change, fanned out to every board -------------------------------


def _counting_plans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every computation of a board state, by event (a snapshot works out the plan once)."""
    import zoomorch.board.state as board_state_module

    calls: list[str] = []
    real = board_state_module.plan_under
    lock = threading.Lock()

    def counted(agenda: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            calls.append(agenda.slug)
        return real(agenda, *args, **kwargs)

    monkeypatch.setattr(board_state_module, "plan_under", counted)
    return calls


def test_many_open_boards_share_one_state_per_change_and_an_idle_board_costs_nothing(
        store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    agenda = live_agenda(minutes=(10, 10, 10))
    record_actual_start(store, agenda.slug, agenda.scheduled_start)
    calls = _counting_plans(monkeypatch)
    boards = 20
    with running_service(store, [agenda], poll_seconds=0.2) as service:
        viewer = service.ctx.tokens.issue(agenda.slug, "viewer")
        controller = service.ctx.tokens.issue(agenda.slug, "controller")
        received: list[list[dict[str, Any]]] = [[] for _ in range(boards)]
        stop = threading.Event()

        def board(n: int) -> None:
            with httpx.stream("GET", f"{service.base_url}/board/{agenda.slug}/stream",
                              params={"token": viewer}, timeout=30) as response:
                for name, data in read_sse(response):
                    if name == "state":
                        received[n].append(data)
                    if stop.is_set():
                        return

        threads = [threading.Thread(target=board, args=(n,), daemon=True)
                   for n in range(boards)]
        for t in threads:
            t.start()
        wait_for(lambda: all(received), timeout=15)
        calls.clear()
        time.sleep(2.0)  # ten polls' worth of nothing happening
        idle = len(calls)
        revision = received[0][-1]["revision"]
        httpx.post(f"{service.base_url}/api/events/{agenda.slug}/next",
                   headers={"authorization": f"Bearer {controller}"})
        wait_for(lambda: all(r[-1]["revision"] == revision + 1 for r in received), timeout=10)
        time.sleep(0.5)
        after_change = len(calls) - idle
        stop.set()
        # Wake every stream once so that each thread sees `stop` and hangs up.
        httpx.post(f"{service.base_url}/api/events/{agenda.slug}/extend",
                   json={"amount": "1m"}, headers={"authorization": f"Bearer {controller}"})
        for t in threads:
            t.join(timeout=10)
    # Before: every stream recomputed the whole state every poll (20 x 10 here).
    assert idle <= 1, f"{idle} state computations while nothing changed"
    # The change: the controller's answer and one shared snapshot for all 20 boards.
    assert after_change <= 3, f"{after_change} state computations for one change"
    assert all(len(r) <= 3 for r in received), [len(r) for r in received]


def test_a_board_joining_late_gets_the_current_time_and_the_feed_notices_other_processes(
        store: StateStore) -> None:
    agenda = live_agenda(minutes=(10, 10, 10))
    record_actual_start(store, agenda.slug, agenda.scheduled_start)
    with running_service(store, [agenda], poll_seconds=0.2) as service:
        viewer = service.ctx.tokens.issue(agenda.slug, "viewer")
        url = f"{service.base_url}/board/{agenda.slug}/stream"
        with httpx.stream("GET", url, params={"token": viewer}, timeout=10) as first:
            events = read_sse(first)
            snapshot = next(events)[1]
            time.sleep(1.5)
            with httpx.stream("GET", url, params={"token": viewer}, timeout=10) as second:
                late = next(read_sse(second))[1]
            assert late["revision"] == snapshot["revision"]
            # The page sets its clock from `now`: a snapshot shared by many boards still
            # tells each one the time at which it was sent.
            skew = abs(datetime.fromisoformat(late["now"]) - datetime.now(UTC))
            assert skew < timedelta(seconds=0.5), skew
            # `zoomorch cues shift` from another process: no poke here, the feed sees it.
            from zoomorch.live.state import shift

            shift(store, agenda.slug, timedelta(minutes=2))
            name, moved = next(events)
            while name != "state":
                name, moved = next(events)
    assert moved["revision"] == snapshot["revision"] + 1


def test_a_board_link_that_expires_while_open_is_told_so(store: StateStore) -> None:
    agenda = live_agenda()
    with running_service(store, [agenda], poll_seconds=0.2) as service:
        token = service.ctx.tokens.issue(agenda.slug, "viewer", timedelta(seconds=2))
        with httpx.stream("GET", f"{service.base_url}/board/{agenda.slug}/stream",
                          params={"token": token}, timeout=10) as response:
            names = [name for name, _ in read_sse(response)]
    assert names[0] == "state" and names[-1] == "expired"


def test_the_page_counts_down_from_the_snapshot_and_opens_its_stream_without_the_token(
        store: StateStore) -> None:
    agenda = live_agenda()
    with running_service(store, [agenda]) as service:
        token = service.ctx.tokens.issue(agenda.slug, "viewer")
        page = httpx.get(f"{service.base_url}/board/{agenda.slug}", params={"token": token})
    assert "setInterval(tick" in page.text
    cookie = page.headers.get("set-cookie", "")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert f"Path=/board/{agenda.slug}" in cookie
    # The stream URL the page builds carries no token: the cookie does.
    assert "new URLSearchParams({token" not in page.text
    assert json.dumps(token) not in page.text
