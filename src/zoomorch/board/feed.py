"""The cue board's live feed on the service's event loop: one snapshot per change, shared.

Every open board of an event in one language reads the same snapshot. A *topic* (event,
language) exists while it has boards; its one refresher task computes the snapshot when
something changed and hands the same encoded bytes to every board:

- at once when the hub says the live state changed (in this process or, through
  PostgreSQL's NOTIFY, in another replica); a cue published goes out to the boards at once,
  and costs a computation only when the snapshot does not list it yet;
- when the stored revision of the event's live state differs from the one its snapshot was
  computed at: the polling fallback, for a change whose notification was lost or made by a
  process that tells no one (``zoomorch cues shift`` from another terminal). One query reads
  the revisions of every event with an open board every ``poll_seconds``, whatever the
  number of events and boards;
- at the next moment the snapshot itself says something changes (a cue falls due, a segment
  ends, the start), :attr:`~zoomorch.board.state.BoardView.changes_at`; a cue published then
  goes out in the same write as the snapshot that lists it.

An unchanged state costs nothing but that one query; nothing is computed or sent. The
countdown runs in the page from the snapshot's times. Each board is told the server's time
when its snapshot is sent (``now``, which the page sets its clock by), so a shared snapshot is
still right for a board that joins later.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from zoomorch.board.hub import BoardHub, FeedItem
from zoomorch.board.state import BoardView, fingerprint

log = logging.getLogger(__name__)


def sse(event: str, data: Any) -> bytes:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@dataclass(frozen=True)
class Snapshot:
    """A board state encoded once; :meth:`event` adds the time it is sent at."""

    revision: int
    body: bytes  # the state's JSON without "now", from its first key on (after "{")

    @classmethod
    def of(cls, state: dict[str, Any]) -> Snapshot:
        rest = {k: v for k, v in state.items() if k != "now"}
        encoded = json.dumps(rest, ensure_ascii=False).encode()
        return cls(int(state.get("revision") or 0), encoded[1:])

    def event(self, now: datetime | None = None) -> bytes:
        stamp = (now or datetime.now(UTC)).isoformat()
        sep = b", " if self.body != b"}" else b""
        return b'event: state\ndata: {"now": "' + stamp.encode() + b'"' + sep + self.body + b"\n\n"


CLOSED = b""  # handed to every board when the feed closes


class Subscription:
    """One open board: what its stream sends next (snapshots and cues, oldest first)."""

    def __init__(self, topic: _Topic) -> None:
        self.topic = topic
        self.queue: asyncio.Queue[Snapshot | bytes] = asyncio.Queue(maxsize=64)

    def offer(self, item: Snapshot | bytes) -> None:
        # A stalled browser must not grow memory: drop its oldest item; a later snapshot
        # is complete anyway.
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(item)


@dataclass(eq=False)
class _Topic:
    slug: str
    language: str
    subscribers: set[Subscription] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # The stored state changed (a poke, another replica's change, the polling fallback):
    # the snapshot must be computed again. A wake without it only carries cues.
    dirty: bool = False
    snapshot: Snapshot | None = None
    listed: frozenset[str] = frozenset()  # the cues the snapshot lists
    toasts: list[tuple[str, bytes]] = field(default_factory=list)  # (cue id, its event)
    task: asyncio.Task[None] | None = None
    computed: int = 0  # snapshots computed (tests, the benchmark)


class BoardFeed:
    """The boards' topics on one event loop. ``compute(slug, language)`` gives a
    :class:`BoardView`; ``versions(slugs)`` the stored revision of each event's live state
    (one read for all). Create it on the loop that serves the streams (the app's lifespan)."""

    def __init__(self, hub: BoardHub, compute: Callable[[str, str], BoardView],
                 versions: Callable[[Collection[str]], Mapping[str, int]], *,
                 poll_seconds: float = 1.0, settle_seconds: float = 0.05,
                 slice_boards: int = 100) -> None:
        self.hub = hub
        self.settle_seconds = settle_seconds
        self.slice_boards = slice_boards
        self.compute = compute
        self.versions = versions
        self.poll_seconds = poll_seconds
        self._loop = asyncio.get_running_loop()
        self._topics: dict[tuple[str, str], _Topic] = {}
        self._closed = False
        self._poller: asyncio.Task[None] | None = None
        hub.add_listener(self._from_hub)

    # -- boards --------------------------------------------------------------------------

    def subscribe(self, slug: str, language: str) -> Subscription:
        """A new board of ``slug`` in ``language``; its first item is the current snapshot."""
        key = (slug, language)
        topic = self._topics.get(key)
        if topic is None:
            topic = self._topics[key] = _Topic(slug, language)
        sub = Subscription(topic)
        topic.subscribers.add(sub)
        if self._closed:
            sub.offer(CLOSED)
        elif topic.snapshot is not None:
            sub.offer(topic.snapshot)
        if topic.task is None or topic.task.done():
            topic.task = self._loop.create_task(self._refresh(topic),
                                                name=f"board-feed {slug} {language}")
        if self._poller is None or self._poller.done():
            self._poller = self._loop.create_task(self._poll(), name="board-feed poll")
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        topic = sub.topic
        topic.subscribers.discard(sub)
        if not topic.subscribers:
            topic.wake.set()  # its refresher ends

    def boards(self, slug: str | None = None) -> int:
        return sum(len(t.subscribers) for t in self._topics.values()
                   if slug is None or t.slug == slug)

    def computed(self, slug: str) -> int:
        """Snapshots computed for ``slug`` so far, every language."""
        return sum(t.computed for t in self._topics.values() if t.slug == slug)

    def close(self) -> None:
        """Tell every board the service is stopping; no topic refreshes any more."""
        if self._closed:
            return
        self._closed = True
        self.hub.remove_listener(self._from_hub)
        if self._poller is not None:
            self._poller.cancel()
        for topic in self._topics.values():
            for sub in list(topic.subscribers):
                sub.offer(CLOSED)
            topic.wake.set()

    def close_threadsafe(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self.close)
        except RuntimeError:  # the loop is gone already
            pass

    # -- changes -------------------------------------------------------------------------

    def _from_hub(self, slug: str, item: FeedItem | None) -> None:
        """From any thread: the hub published a cue (``item``) or was poked (None)."""
        try:
            self._loop.call_soon_threadsafe(self._changed, slug, item)
        except RuntimeError:  # the loop has closed
            pass

    def _changed(self, slug: str, item: FeedItem | None) -> None:
        # A cue goes out with the snapshot that lists it, in one write to each board: every
        # board is woken once per change, not once for the cue and again for the snapshot.
        toast = None
        if item is not None and item.get("type") == "cue":
            toast = (str(item.get("cue_id")), sse("cue", item))
        for topic in self._topics.values():
            if topic.slug != slug:
                continue
            if toast is not None:
                topic.toasts.append(toast)
            else:
                topic.dirty = True
            topic.wake.set()

    async def _poll(self) -> None:
        """The polling fallback: every ``poll_seconds``, one read of the revisions of the
        events with boards; a topic whose snapshot is older is woken."""
        while not self._closed and self._topics:
            await asyncio.sleep(self.poll_seconds)
            slugs = {t.slug for t in self._topics.values() if t.snapshot is not None}
            if not slugs:
                continue
            try:
                revisions = await asyncio.to_thread(self.versions, slugs)
            except Exception as exc:  # the database is away for a moment: the next round
                log.warning("reading the boards' revisions failed (%s); trying again",
                            type(exc).__name__)
                continue
            for topic in list(self._topics.values()):
                seen = topic.snapshot
                if seen is not None and revisions.get(topic.slug, seen.revision) != \
                        seen.revision:
                    topic.dirty = True
                    topic.wake.set()

    async def _refresh(self, topic: _Topic) -> None:
        """Keep one topic's snapshot current while it has boards."""
        changes_at: datetime | None = None
        mark: tuple[Any, ...] | None = None
        try:
            while topic.subscribers and not self._closed:
                due = changes_at is not None and datetime.now(UTC) >= changes_at
                if due and not topic.wake.is_set():
                    # A cue falling due is usually published by the scheduler a few
                    # milliseconds later: wait a moment for it, so that both go out together.
                    try:
                        async with asyncio.timeout(self.settle_seconds):
                            await topic.wake.wait()
                    except TimeoutError:
                        pass
                topic.wake.clear()
                forced, topic.dirty = topic.dirty, False
                pairs, topic.toasts = topic.toasts, []
                toasts = [encoded for _, encoded in pairs]
                # Cues the snapshot lists already (due, seen by its timer) go out alone: a
                # cue published by every replica wakes its boards without a computation.
                unlisted = any(cue_id not in topic.listed for cue_id, _ in pairs)
                try:
                    if forced or due or unlisted or topic.snapshot is None:
                        view = await asyncio.to_thread(self.compute, topic.slug,
                                                       topic.language)
                        topic.computed += 1
                        changes_at = view.changes_at
                        topic.listed = frozenset(str(c["id"]) for c in view.state["latest"])
                        new_mark = fingerprint(view.state)
                        if new_mark != mark or topic.snapshot is None:
                            mark = new_mark
                            topic.snapshot = Snapshot.of(view.state)
                            await self._offer(topic, [*toasts, topic.snapshot])
                            toasts = []
                except Exception:
                    log.exception("the board of %s could not be refreshed; trying again",
                                  topic.slug)
                    changes_at = datetime.now(UTC) + timedelta(seconds=self.poll_seconds)
                if toasts:
                    await self._offer(topic, toasts)  # the cues alone: the snapshot did not change
                if not topic.subscribers or self._closed:
                    break
                delay = None
                if changes_at is not None:
                    delay = max(0.0, (changes_at - datetime.now(UTC)).total_seconds())
                try:
                    async with asyncio.timeout(delay):
                        await topic.wake.wait()
                except TimeoutError:
                    pass
        finally:
            if not topic.subscribers:
                # No board left: forget the topic (a new board starts it again, fresh).
                if self._topics.get((topic.slug, topic.language)) is topic:
                    del self._topics[(topic.slug, topic.language)]

    async def _offer(self, topic: _Topic, items: Sequence[Snapshot | bytes]) -> None:
        """Hand ``items`` to every board of ``topic``, all of them to each board at once (its
        stream wakes once and writes them together), ``slice_boards`` boards per turn of the
        event loop: between slices the loop serves everything else (``/healthz``, the API,
        webhooks) instead of a thousand writes in a row."""
        for n, sub in enumerate(list(topic.subscribers), 1):
            for item in items:
                sub.offer(item)
            if n % self.slice_boards == 0:
                await asyncio.sleep(0)
