"""The replicas' listener on PostgreSQL: a dropped LISTEN connection (a database restart, a
proxy cutting idle connections) is reconnected, the changes told after it arrive again, and
the replica shows itself among the replicas listening again; ZOOMORCH_LISTEN=0 turns it off."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import text

from postgres_support import fresh_schema, postgres_server_url
from service_support import wait_for
from zoomorch.db.notify import LISTED_ID, REPLICA_ID, ChangeListener, payload
from zoomorch.db.store import open_store


def _tell(store: Any, slug: str) -> None:
    """A change as another replica tells it (its own replica id, so this one handles it)."""
    body = payload(slug, "live").replace(f'"from": "{REPLICA_ID}"', '"from": "elsewhere"')
    with store.engine.begin() as conn:
        conn.execute(text("SELECT pg_notify('zoomorch_live', :p)"), {"p": body})


def test_a_dropped_listen_connection_is_reconnected_and_changes_arrive_again() -> None:
    with fresh_schema(postgres_server_url()) as url:
        store = open_store(url)
        heard: list[str] = []
        peers: list[tuple[str, ...]] = []
        listener = ChangeListener(store, lambda change: heard.append(change["slug"]),
                                  max_backoff=0.5, on_peers=peers.append)
        listener.start()
        try:
            wait_for(lambda: listener.listening and listener.peers == (LISTED_ID,))
            _tell(store, "before-the-cut")
            wait_for(lambda: "before-the-cut" in heard)
            # The server ends the listening connection (as a restart or a proxy would).
            with store.engine.begin() as conn:
                cut = conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"),
                    {"name": f"zoomorch-replica {LISTED_ID}"}).scalars().all()
            assert cut == [True]
            wait_for(lambda: () in peers, timeout=5)  # it knew it was not listening
            started = time.monotonic()
            wait_for(lambda: listener.listening and listener.peers == (LISTED_ID,), timeout=10)
            assert time.monotonic() - started < 5
            _tell(store, "after-the-cut")
            wait_for(lambda: "after-the-cut" in heard)
            assert peers[-1] == (LISTED_ID,)
        finally:
            listener.stop()
            store.close()


def test_zoomorch_listen_0_turns_the_listener_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOOMORCH_LISTEN", "0")
    with fresh_schema(postgres_server_url()) as url:
        store = open_store(url)
        try:
            listener = ChangeListener(store, lambda change: None)
            assert not listener.enabled
            listener.start()
            assert not listener.listening and listener.peers == ()
        finally:
            store.close()
