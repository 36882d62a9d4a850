"""Replicas on PostgreSQL share the events: each event's cues are sent by one first sender
(rendezvous hashing over the replicas listening), the others stand by ``backup_delay`` later;
when a replica leaves, the survivors send its events' cues at their due time again.

Two schedulers in this process stand for two replicas: each has its own delivery log, its own
channel (both named alike, so the deliveries' keys are the same) and its own replica id.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from cue_agendas import RecordingNotifier, quick_agenda
from postgres_support import fresh_schema, postgres_server_url
from zoomorch.db.store import open_store
from zoomorch.delivery.log import DeliveryStatus, deliveries
from zoomorch.delivery.scheduler import CueScheduler

SPEED = 60.0  # an event minute a second
MINUTES = (1, 1, 1)
BACKUP = timedelta(seconds=2)


def _agendas(start: datetime, events: int) -> list:
    return [quick_agenda(start, f"side-event-{n}", speed=SPEED, minutes=MINUTES,
                         recipients=2) for n in range(events)]


def _pair(url: str, agendas: list) -> tuple[list[CueScheduler], list[RecordingNotifier]]:
    channels = [RecordingNotifier("webhook"), RecordingNotifier("webhook")]
    names = ("replica-a", "replica-b")
    schedulers = [CueScheduler(open_store(url), [channel], agendas, replica=name,
                               backup_delay=BACKUP)
                  for name, channel in zip(names, channels, strict=True)]
    for scheduler in schedulers:
        scheduler.set_peers(names)  # both listening, as their listeners would see
    return schedulers, channels


def _wait_until_delivered(url: str, slugs: list[str], timeout: float = 30) -> list:
    store = open_store(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            rows = [r for s in slugs for r in deliveries(store, s)]
            # Every event's last cue (its hard stop) is in, and nothing is left to send.
            ended = {r.key.split("|", 1)[0] for r in rows if r.kind == "hard_stop"}
            if ended == set(slugs) and all(r.status is DeliveryStatus.DELIVERED
                                           for r in rows):
                return rows
            assert time.monotonic() < deadline, Counter(r.status for r in rows)
            time.sleep(0.2)
    finally:
        store.close()


@pytest.mark.slow
def test_each_event_is_sent_by_its_first_sender_and_the_other_replica_only_stands_by() -> None:
    start = datetime.now(UTC) + timedelta(seconds=4)
    agendas = _agendas(start, 8)
    slugs = [a.slug for a in agendas]
    with fresh_schema(postgres_server_url()) as url:
        open_store(url).close()
        schedulers, channels = _pair(url, agendas)
        first = {slug: [s.first_sender(slug) for s in schedulers] for slug in slugs}
        # Both replicas agree: exactly one first sender per event, and both have some.
        assert all(sum(flags) == 1 for flags in first.values()), first
        assert {flags.index(True) for flags in first.values()} == {0, 1}, first
        try:
            for scheduler in schedulers:
                scheduler.start()
            rows = _wait_until_delivered(url, slugs)
        finally:
            for scheduler in schedulers:
                scheduler.stop()
    # Every delivery once, by the event's first sender, at its due time.
    for i, channel in enumerate(channels):
        sent = Counter(m.event_slug for _, m in channel.received)
        assert set(sent) == {slug for slug, flags in first.items() if flags[i]}, (i, sent)
    keys = Counter(m.key for channel in channels for _, m in channel.received)
    assert keys and max(keys.values()) == 1
    assert set(keys) == {r.key for r in rows}
    lateness = [(at - m.due).total_seconds() for channel in channels
                for at, m in channel.received]
    assert max(lateness) < BACKUP.total_seconds() - 0.5, max(lateness)


@pytest.mark.slow
def test_when_a_replica_leaves_the_survivor_sends_its_events_at_their_due_time() -> None:
    start = datetime.now(UTC) + timedelta(seconds=5)
    agendas = _agendas(start, 6)
    slugs = [a.slug for a in agendas]
    with fresh_schema(postgres_server_url()) as url:
        open_store(url).close()
        (a, b), (_, channel_b) = _pair(url, agendas)
        theirs = [slug for slug in slugs if a.first_sender(slug)]
        assert theirs and len(theirs) < len(slugs)
        try:
            a.start()
            b.start()
            a.stop()  # replica-a goes before any cue is due
            b.set_peers(["replica-b"])  # what its listener sees once a's connection is gone
            assert all(b.first_sender(slug) for slug in slugs)
            rows = _wait_until_delivered(url, slugs)
        finally:
            b.stop()
    assert {m.key for _, m in channel_b.received} == {r.key for r in rows}
    # The events replica-a sent first went out on time, not a backup delay late.
    late = [(at - m.due).total_seconds() for at, m in channel_b.received
            if m.event_slug in theirs]
    assert late and max(late) < BACKUP.total_seconds() - 0.5, max(late)
