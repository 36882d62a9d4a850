"""The embedded state store: which webinar belongs to which event, and what we last applied.

SQLite by default (a file under ``$ZOOMORCH_STATE_DIR`` or the per-user state directory);
``ZOOMORCH_STATE_URL`` holds any SQLAlchemy URL instead (e.g. ``postgresql+psycopg://…``).

Every table is declared in :mod:`zoomorch.db.tables`, so :meth:`StateStore.create_all` always
creates the whole schema, whichever command opened the store. Datetimes are stored in UTC.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from zoomorch.db.tables import Base, WebinarBinding, utcnow

STATE_DIR_ENV = "ZOOMORCH_STATE_DIR"
STATE_URL_ENV = "ZOOMORCH_STATE_URL"
STATE_FILE_NAME = "zoomorch.sqlite3"










def default_state_url(env: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy URL of the state store chosen by the environment."""
    env = os.environ if env is None else env
    url = env.get(STATE_URL_ENV, "").strip()
    if url:
        return url
    directory = env.get(STATE_DIR_ENV, "").strip() or platformdirs.user_state_dir("zoomorch")
    return f"sqlite:///{Path(directory).expanduser() / STATE_FILE_NAME}"


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the scheduler read while an apply or sync writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class StateStore:
    """A handle on the state database: an engine and a session factory."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_state_url()
        self.engine: Engine = _make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        # The URL may carry a database password; show it masked.
        return f"StateStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def create_all(self) -> None:
        """Create every table registered on :class:`Base` that does not exist yet."""
        Base.metadata.create_all(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # -- webinar bindings (used by provision, registrant sync, reports) ---------------------

    def binding(self, event_key: str) -> WebinarBinding | None:
        """The stored binding of an event, detached from any session."""
        with self.session() as session:
            return session.get(WebinarBinding, event_key)

    def webinar_id_for(self, event_key: str) -> int | None:
        """The Zoom webinar id of an event, or None if it was never applied."""
        found = self.binding(event_key)
        return found.webinar_id if found else None

    def save_binding(self, event_key: str, **fields: Any) -> WebinarBinding:
        """Create or update an event's binding with the given column values; commits."""
        with self.session() as session:
            row = session.get(WebinarBinding, event_key)
            if row is None:
                row = WebinarBinding(event_key=event_key)
                session.add(row)
            for name, value in fields.items():
                if not hasattr(WebinarBinding, name):
                    raise AttributeError(f"WebinarBinding has no column {name!r}")
                setattr(row, name, value)
            row.updated_at = utcnow()
            session.flush()
            return row

    def bindings(self) -> list[WebinarBinding]:
        with self.session() as session:
            return list(session.scalars(select(WebinarBinding).order_by(WebinarBinding.event_key)))


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def open_store(url: str | None = None) -> StateStore:
    """Open the state store (URL from the environment by default) and create missing tables."""
    store = StateStore(url)
    store.create_all()
    return store

__all__ = ["Base", "StateStore", "WebinarBinding", "default_state_url", "open_store", "utcnow"]
