"""The cue board's live feed: a thread-safe fan-out from the scheduler to SSE streams.

The scheduler delivers from worker threads; each browser stream is an asyncio task on the
server's loop. A subscriber is a loop plus a queue; publishing hands the item over with
``call_soon_threadsafe`` so neither side blocks the other.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

FeedItem = dict[str, Any]


@dataclass
class _Subscriber:
    slug: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[FeedItem] = field(default_factory=lambda: asyncio.Queue(maxsize=100))


class BoardHub:
    """Holds the latest cues per event and wakes every board stream of that event."""

    def __init__(self, keep: int = 20) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[_Subscriber] = []
        self._recent: dict[str, deque[FeedItem]] = {}
        self._seen: dict[str, set[str]] = {}
        self._keep = keep

    def publish(self, slug: str, item: FeedItem, *, dedupe_key: str | None = None) -> bool:
        """Record ``item`` for ``slug`` and wake its streams; False if ``dedupe_key`` was seen."""
        with self._lock:
            if dedupe_key is not None:
                seen = self._seen.setdefault(slug, set())
                if dedupe_key in seen:
                    return False
                seen.add(dedupe_key)
            self._recent.setdefault(slug, deque(maxlen=self._keep)).append(item)
            targets = [s for s in self._subscribers if s.slug == slug]
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(_offer, sub.queue, item)
            except RuntimeError:  # the stream's loop has closed; it unsubscribes itself
                pass
        return True

    def poke(self, slug: str) -> None:
        """Wake the streams of ``slug`` (the plan changed) without recording a cue."""
        with self._lock:
            targets = [s for s in self._subscribers if s.slug == slug]
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(_offer, sub.queue, {"type": "changed"})
            except RuntimeError:
                pass

    def recent(self, slug: str) -> list[FeedItem]:
        with self._lock:
            return list(self._recent.get(slug, ()))

    def subscribe(self, slug: str) -> _Subscriber:
        """Call from the stream's event loop."""
        sub = _Subscriber(slug, asyncio.get_running_loop())
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: _Subscriber) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def subscriber_count(self, slug: str) -> int:
        with self._lock:
            return sum(1 for s in self._subscribers if s.slug == slug)


def _offer(queue: asyncio.Queue[FeedItem], item: FeedItem) -> None:
    # A stalled browser must not grow memory: drop its oldest wake-up, the snapshot it
    # eventually reads is complete anyway.
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)
