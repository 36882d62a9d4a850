"""Changes told across replicas: PostgreSQL ``NOTIFY`` on one channel, and a listener thread.

Every replica of ``zoomorch serve`` on one PostgreSQL database sends a notification on
:data:`CHANNEL` when something a board shows changes (the live state's revision, a cue
published to the boards); each replica listens on one dedicated connection in
a background thread (:class:`ChangeListener`) and wakes its own boards and scheduler. The
payload is JSON: ``{"slug": …, "what": "live" | "cue", "from": replica id}``, a
cue's board item under ``"item"``. SQLite has no such thing: a single process needs none.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from zoomorch.db.store import StateStore

log = logging.getLogger(__name__)

CHANNEL = "zoomorch_live"
REPLICA_ID_ENV = "ZOOMORCH_REPLICA_ID"
# "0" turns listening off (e.g. behind PgBouncer in transaction mode, where LISTEN cannot
# work): the boards then learn of other replicas' changes by polling alone, and every
# replica fires every cue at its due time (none knows the others).
LISTEN_ENV = "ZOOMORCH_LISTEN"
# NOTIFY payloads must stay under 8000 bytes; a cue item larger than this goes without it.
_MAX_PAYLOAD = 7000


def replica_id() -> str:
    """This process's name among replicas: ZOOMORCH_REPLICA_ID, else hostname-pid."""
    return os.environ.get(REPLICA_ID_ENV, "").strip() or f"{socket.gethostname()}-{os.getpid()}"


REPLICA_ID = replica_id()


def payload(slug: str, what: str, item: dict[str, Any] | None = None) -> str:
    body: dict[str, Any] = {"slug": slug, "what": what, "from": REPLICA_ID}
    if item is not None:
        body["item"] = item
    encoded = json.dumps(body, ensure_ascii=False)
    if len(encoded.encode()) > _MAX_PAYLOAD:
        body.pop("item", None)
        encoded = json.dumps(body, ensure_ascii=False)
    return encoded


def notify_in(where: Session | Connection, slug: str, what: str,
              item: dict[str, Any] | None = None) -> None:
    """NOTIFY within ``where``'s transaction (sent at its commit); nothing on SQLite."""
    dialect = where.dialect if isinstance(where, Connection) else where.get_bind().dialect
    if dialect.name != "postgresql":
        return
    where.execute(text("SELECT pg_notify(:channel, :payload)"),
                  {"channel": CHANNEL, "payload": payload(slug, what, item)})


def notify(store: StateStore, slug: str, what: str, item: dict[str, Any] | None = None) -> None:
    """NOTIFY now, in a transaction of its own; nothing on SQLite. Never raises: the other
    replicas' polling catches up on a notification lost."""
    if store.engine.dialect.name != "postgresql":
        return
    try:
        with store.engine.begin() as conn:
            notify_in(conn, slug, what, item)
    except Exception as exc:
        log.warning("could not notify the other replicas (%s); they poll", type(exc).__name__)


Handler = Callable[[dict[str, Any]], None]
PeersHandler = Callable[[tuple[str, ...]], None]

# The listener's connection is named so in PostgreSQL (``application_name``): the replicas
# alive are the listening connections the server has, and a replica killed -9 drops out as
# soon as the server sees its connection close. No heartbeat table, no coordinator of ours.
_APPLICATION_PREFIX = "zoomorch-replica "
# The replica's id as the database lists it (application_name holds 63 bytes).
LISTED_ID = REPLICA_ID.encode()[:63 - len(_APPLICATION_PREFIX)].decode(errors="ignore")
_PEERS_SQL = ("SELECT DISTINCT substr(application_name, %(n)s) FROM pg_stat_activity "
              "WHERE datname = current_database() AND application_name LIKE %(like)s")


class ChangeListener:
    """LISTEN on :data:`CHANNEL` in a background thread; ``handler`` gets each other replica's
    notification (decoded). Reconnects with backoff (up to ``max_backoff`` seconds).

    It also keeps :attr:`peers`: the ids of the replicas listening on this database now, this
    one included (read every half second from ``pg_stat_activity``, where each listener's
    connection carries its replica id); ``on_peers`` is told each change. Empty while this
    replica is not listening: it then cannot tell who else is there."""

    def __init__(self, store: StateStore, handler: Handler, *, max_backoff: float = 5.0,
                 on_peers: PeersHandler | None = None) -> None:
        self.store = store
        self.handler = handler
        self.on_peers = on_peers
        self.max_backoff = max_backoff
        self.listening = False
        self.peers: tuple[str, ...] = ()
        self.last_notification: float | None = None  # time.monotonic()
        switched_off = os.environ.get(LISTEN_ENV, "").strip().lower() in {"0", "false", "no",
                                                                          "off"}
        self.enabled = store.engine.dialect.name == "postgresql" and not switched_off
        if store.engine.dialect.name == "postgresql" and switched_off:
            log.warning("%s=0: not listening for the other replicas' changes; the boards "
                        "poll, and every replica fires every cue at its due time", LISTEN_ENV)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.enabled or (self._thread is not None and self._thread.is_alive()):
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="zoomorch-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def notification_age(self) -> float | None:
        if self.last_notification is None:
            return None
        return round(time.monotonic() - self.last_notification, 3)

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                self._listen()
                backoff = 0.2
            except Exception as exc:
                log.warning("listening for changes of the other replicas failed (%s: %s); "
                            "again in %.1fs, polling meanwhile", type(exc).__name__, exc,
                            backoff)
            finally:
                self.listening = False
                self._set_peers(())
            if self._stop.wait(backoff):
                return
            backoff = min(self.max_backoff, backoff * 2)

    def _listen(self) -> None:
        raw = self.store.engine.raw_connection()
        conn: Any = raw.dbapi_connection
        raw.detach()  # dedicated: never back to the pool
        try:
            conn.autocommit = True
            conn.execute("SELECT set_config('application_name', %s, false)",
                         (f"{_APPLICATION_PREFIX}{LISTED_ID}",))
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening = True
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0.5):
                    self.last_notification = time.monotonic()
                    self._handle(note.payload)
                    if self._stop.is_set():
                        break
                # Who listens now (and a dead connection shows here, not never).
                rows = conn.execute(_PEERS_SQL, {"n": len(_APPLICATION_PREFIX) + 1,
                                                 "like": f"{_APPLICATION_PREFIX}%"}).fetchall()
                self._set_peers(tuple(sorted(str(r[0]) for r in rows)))
        finally:
            self.listening = False
            try:
                raw.close()
            except Exception:  # noqa: S110 - already broken
                pass

    def _set_peers(self, peers: tuple[str, ...]) -> None:
        if peers == self.peers:
            return
        self.peers = peers
        if peers:
            log.info("replicas listening on this database: %s", ", ".join(peers))
        if self.on_peers is not None:
            try:
                self.on_peers(peers)
            except Exception:
                log.exception("telling the scheduler of the replicas failed")

    def _handle(self, raw: str) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            return
        if not isinstance(body, dict) or body.get("from") == REPLICA_ID:
            return
        try:
            self.handler(body)
        except Exception:
            log.exception("handling a change of another replica failed")
