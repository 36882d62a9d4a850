"""Replicas of ``zoomorch serve`` on one PostgreSQL database (real processes on loopback):
every cue once across replicas, also when the delivering one is killed -9; every board sees
every cue and live-state change within a second, whichever replica did it; a second serve on
one SQLite store is refused, naming the fix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from http_receiver import Answer, HttpReceiver, Received
from postgres_support import fresh_schema, postgres_server_url
from replica_support import board_stream, cue_keys, start_replica
from service_support import BOARD_KEY, wait_for
from zoomorch.board.tokens import BoardTokens
from zoomorch.db.store import open_store
from zoomorch.delivery.log import DeliveryStatus, deliveries

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"
SLUG = "imrf-2022-latam"
LEASE = 2.0
# Event time runs this many times faster: the quick seed's 20 minutes take 10 real seconds.
SPEED = 120.0


def quick_seed(tmp_path: Path) -> Path:
    """The seed event, advanced by the clock and 20 minutes long: at 120x a cue every second
    or two for 10 seconds, without waiting for Zoom's "started"."""
    text = SEED.read_text(encoding="utf-8")
    for old, new in (('advance = "manual"', 'advance = "auto"'),
                     ("duration_minutes = 60", "duration_minutes = 20"),
                     ("minutes = 50", "minutes = 10")):
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "imrf-quick.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_replicas_deliver_every_cue_once_across_a_kill_9_and_every_board_sees_everything(
        tmp_path: Path) -> None:
    seed = quick_seed(tmp_path)
    start = (datetime.now(UTC) + timedelta(seconds=12)).replace(microsecond=0)
    env = {"ZOOMORCH_CLAIM_LEASE_SECONDS": str(LEASE)}
    with fresh_schema(postgres_server_url()) as url, HttpReceiver() as rx:
        a = start_replica("replica-a", url, [seed], tmp_path, webhook=rx.url,
                          start_at=start.isoformat(), speed=SPEED, extra_env=env)
        b = start_replica("replica-b", url, [seed], tmp_path, webhook=rx.url,
                          start_at=start.isoformat(), speed=SPEED, extra_env=env)
        try:
            for r in (a, b):
                health = wait_for(lambda r=r: (h := r.health())["database"]["listening"] and h)
                assert health["replica"] == r.name
                assert health["database"]["dialect"] == "postgresql"
                assert health["database"]["reachable"] is True
            # Each sees both listening (PostgreSQL's own view: their connections).
            for r in (a, b):
                wait_for(lambda r=r: r.health()["database"]["replicas"] == [a.name, b.name])
            board_b = board_stream(b, SLUG)
            wait_for(lambda: board_b.states)
            # A control on A reaches B's board within a second.
            revision = board_b.states[-1][1].get("revision") or 0
            controller = BoardTokens(BOARD_KEY).issue(SLUG, "controller", timedelta(hours=1))
            sent = time.time()
            answer = httpx.post(f"{a.base}/api/events/{SLUG}/shift", json={"amount": "1m"},
                                headers={"authorization": f"Bearer {controller}"}, timeout=5)
            assert answer.status_code == 200, answer.text
            seen = wait_for(lambda: [t for t, s in board_b.states
                                     if (s.get("revision") or 0) > revision], timeout=5)
            assert seen[0] - sent < 1.0, f"B's board saw A's shift after {seen[0] - sent:.2f}s"
            # Cues flow from both replicas; then the one delivering is killed mid-stream.
            wait_for(lambda: len(rx.requests) >= 3, timeout=40)
            os.kill(a.process.pid, signal.SIGKILL)
            killed = time.time()
            # B sees A gone as soon as PostgreSQL drops A's connection: it sends every cue
            # first from then on.
            wait_for(lambda: b.health()["database"]["replicas"] == [b.name], timeout=5)
            assert time.time() - killed < 3
            # The survivor delivers the rest: the hard stop is the last cue.
            wait_for(lambda: any("hard_stop" in k for k in cue_keys(rx.requests)), timeout=45)
            time.sleep(LEASE + 1.5)
            board_b.stop()
            store = open_store(url)

            def settled() -> list[object]:
                rows = deliveries(store, SLUG)
                return [] if any(r.status is DeliveryStatus.SENDING for r in rows) else rows
            rows = wait_for(settled, timeout=10)
            store.close()
        finally:
            b.stop()
            a.stop()
    keys = cue_keys(rx.requests)
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    webhook = [r for r in rows if r.channel == "webhook"]  # type: ignore[attr-defined]
    delivered = {r.key for r in webhook if r.status is DeliveryStatus.DELIVERED}  # type: ignore[attr-defined]
    assert delivered == set(keys)
    statuses = Counter(r.status for r in webhook)  # type: ignore[attr-defined]
    assert set(statuses) <= {DeliveryStatus.DELIVERED, DeliveryStatus.MISSED,
                             DeliveryStatus.INTERRUPTED}, statuses
    # Cues due after the kill (and its lease) were all delivered by the survivor.
    after = [r for r in webhook if r.due.timestamp() > killed + LEASE + 1]  # type: ignore[attr-defined]
    assert after and all(r.status is DeliveryStatus.DELIVERED for r in after)  # type: ignore[attr-defined]
    # B's board got every cue pushed, whichever replica delivered it, within a second.
    board_rows = [r for r in rows if r.channel == "board"  # type: ignore[attr-defined]
                  and r.status is DeliveryStatus.DELIVERED]  # type: ignore[attr-defined]
    first = {}
    for r in board_rows:
        t = r.delivered_at.timestamp()  # type: ignore[attr-defined]
        first[r.cue_id] = min(first.get(r.cue_id, t), t)  # type: ignore[attr-defined]
    # Those delivered once B's board was open (it joins with a snapshot, not past cues).
    joined = board_b.states[0][0]
    first = {c: t for c, t in first.items() if t > joined}
    assert len(first) >= 4, first
    pushed = {}
    for t, item in board_b.cues:
        pushed.setdefault(item["cue_id"], t)
    assert set(first) <= set(pushed), sorted(set(first) - set(pushed))
    late = {c: round(pushed[c] - first[c], 2) for c in first if pushed[c] - first[c] > 1.0}
    assert not late, late
    for r in (a, b):
        assert "Traceback" not in r.log(), r.log()[-3000:]


def test_a_second_serve_on_one_sqlite_store_is_refused_naming_postgresql(
        tmp_path: Path) -> None:
    env = {**os.environ, "ZOOMORCH_STATE_DIR": str(tmp_path / "state"),
           "ZOOMORCH_BOARD_SECRET": BOARD_KEY, "ZOOMORCH_REPLICA_ID": "solo"}
    env.pop("ZOOMORCH_STATE_URL", None)
    first = start_replica("solo", "", [SEED], tmp_path,
                          extra_env={"ZOOMORCH_STATE_URL": ""})
    try:
        health = first.health()
        assert health["replica"] == "solo"
        assert health["database"] == {"dialect": "sqlite", "reachable": True,
                                      "listening": False, "replicas": [],
                                      "last_notification_age_seconds": None}
        second = subprocess.run(
            [sys.executable, "-m", "zoomorch.cli.main", "serve", str(SEED), "--port", "0",
             "--no-console"], env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode != 0
        assert "SQLite" in second.stderr and "PostgreSQL" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.stop()


@pytest.mark.slow
def test_a_claim_held_by_a_killed_replica_is_recorded_interrupted_after_its_lease(
        tmp_path: Path) -> None:
    seed = quick_seed(tmp_path)
    start = (datetime.now(UTC) + timedelta(seconds=10)).replace(microsecond=0)
    lease = 8.0  # longer than the survivor takes to start
    env = {"ZOOMORCH_CLAIM_LEASE_SECONDS": str(lease)}
    release = threading.Event()

    def hold_the_first(request: Received) -> Answer:
        if len(rx.requests) == 1:
            release.wait(20)  # replica A is sending this one when it is killed
        return Answer()

    with fresh_schema(postgres_server_url()) as url, \
            HttpReceiver(respond=hold_the_first) as rx:
        a = start_replica("replica-a", url, [seed], tmp_path, webhook=rx.url,
                          start_at=start.isoformat(), speed=SPEED, extra_env=env)
        b = None
        try:
            wait_for(lambda: rx.requests, timeout=30)
            held = cue_keys(rx.requests[:1]).most_common(1)[0][0]
            os.kill(a.process.pid, signal.SIGKILL)
            a.process.wait()
            release.set()
            # The survivor comes up while the dead replica's claim is still fresh: it is
            # neither resent nor taken over before its lease is over.
            b = start_replica("replica-b", url, [seed], tmp_path, webhook=rx.url,
                              start_at=start.isoformat(), speed=SPEED, extra_env=env)
            up = time.time()
            store = open_store(url)

            def status_of(key: str) -> DeliveryStatus:
                return next(r.status for r in deliveries(store, SLUG) if r.key == key)
            assert status_of(held) is DeliveryStatus.SENDING
            wait_for(lambda: status_of(held) is DeliveryStatus.INTERRUPTED, timeout=lease + 5)
            wait_for(lambda: any("hard_stop" in k for k in cue_keys(rx.requests)), timeout=45)
            time.sleep(1.0)
            rows = deliveries(store, SLUG)
            store.close()
            log_b = b.log()
        finally:
            if b is not None:
                b.stop()
            a.stop()
    keys = cue_keys(rx.requests)
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    row = next(r for r in rows if r.key == held)
    assert row.last_error is not None and "lease" in row.last_error
    assert not [r for r in rows if r.status is DeliveryStatus.SENDING]
    after = [r for r in rows if r.channel == "webhook" and r.due.timestamp() > up + 1]
    assert after and all(r.status is DeliveryStatus.DELIVERED for r in after), after
    assert "Traceback" not in log_b, log_b[-3000:]
