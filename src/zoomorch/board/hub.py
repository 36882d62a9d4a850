"""The cue board's hand-off from the scheduler's threads to the service: the latest cues per
event, and a wake-up for whoever serves the boards.

The scheduler delivers from worker threads; the boards are served on the service's event loop
(:class:`zoomorch.board.feed.BoardFeed`). A listener is called in the publishing thread, once
per cue or change whatever the number of open boards, and hands over to its own loop.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

FeedItem = dict[str, Any]
# (event slug, the cue published, or None: the event's plan changed)
Listener = Callable[[str, FeedItem | None], None]
# Tells the other replicas of a cue published here (PostgreSQL NOTIFY: zoomorch.db.notify).
Relay = Callable[[str, FeedItem], None]


class BoardHub:
    """Holds the latest cues per event and tells its listeners of each cue and change."""

    def __init__(self, keep: int = 20) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._recent: dict[str, deque[FeedItem]] = {}
        self._seen: dict[str, set[str]] = {}
        self._keep = keep
        self.relay: Relay | None = None

    def publish(self, slug: str, item: FeedItem, *, dedupe_key: str | None = None,
                relay: bool = True) -> bool:
        """Record ``item`` for ``slug`` and tell the listeners; False if ``dedupe_key`` was
        seen. A new item goes to :attr:`relay` too (the other replicas' boards), unless it
        came from there (``relay=False``)."""
        with self._lock:
            if dedupe_key is not None:
                seen = self._seen.setdefault(slug, set())
                if dedupe_key in seen:
                    return False
                seen.add(dedupe_key)
            self._recent.setdefault(slug, deque(maxlen=self._keep)).append(item)
            listeners = list(self._listeners)
        self._tell(listeners, slug, item)
        if relay and self.relay is not None:
            try:
                self.relay(slug, item)
            except Exception:
                log.exception("relaying a cue of %s to the other replicas failed", slug)
        return True

    def poke(self, slug: str) -> None:
        """Tell the listeners that the plan of ``slug`` changed, without recording a cue."""
        with self._lock:
            listeners = list(self._listeners)
        self._tell(listeners, slug, None)

    def recent(self, slug: str) -> list[FeedItem]:
        with self._lock:
            return list(self._recent.get(slug, ()))

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @staticmethod
    def _tell(listeners: list[Listener], slug: str, item: FeedItem | None) -> None:
        for listener in listeners:
            try:
                listener(slug, item)
            except Exception:
                log.exception("a board listener failed for %s", slug)
