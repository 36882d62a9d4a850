"""The embedded state store: which webinar belongs to which event, and what we last applied.

SQLite by default (a file under ``$ZOOMORCH_STATE_DIR`` or the per-user state directory);
``ZOOMORCH_STATE_URL`` holds any SQLAlchemy URL instead (e.g. ``postgresql+psycopg://…``).

Every table is declared in :mod:`zoomorch.db.tables` and built by the migrations in
:mod:`zoomorch.db.migrations`: :func:`open_store` brings any database to the head — a new one is
created, one from an older zoomorch is upgraded (its data moved) — in one transaction under a
lock, so that processes opening the same store at once (``serve`` and ``cues shift`` from
another terminal) upgrade it once and never see it half-done. Datetimes are stored in UTC.

The store holds people's emails and personal join links, so a SQLite database is private: the
file is created 0600 (see :mod:`zoomorch.private_files`) before SQLite opens it, and SQLite
gives its ``-wal`` and ``-shm`` files the database's mode; a state directory zoomorch creates
is 0700. A database from an older zoomorch that others can read is narrowed when it is opened,
with a warning in the log.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from zoomorch.db.tables import Base, WebinarBinding, utcnow
from zoomorch.private_files import create_private, make_private_dir, narrow

if TYPE_CHECKING:
    from alembic.config import Config

STATE_DIR_ENV = "ZOOMORCH_STATE_DIR"
STATE_URL_ENV = "ZOOMORCH_STATE_URL"
STATE_FILE_NAME = "zoomorch.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# SQLite's companions of a database file, created with the database's mode.
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")

log = logging.getLogger(__name__)


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
        self._at_head = False

    def __repr__(self) -> str:
        # The URL may carry a database password; show it masked.
        return f"StateStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def upgrade(self) -> None:
        """Bring the database to the newest schema (once per handle; see :func:`upgrade_schema`)."""
        if not self._at_head:
            upgrade_schema(self.url, engine=self.engine if _in_memory(self.url) else None)
            self._at_head = True

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


def _sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None: in memory, or not SQLite)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


class StoreInUse(RuntimeError):
    """Another ``zoomorch serve`` runs on this SQLite state store."""


def serve_lock(store: StateStore) -> Any:
    """Hold the SQLite store for this process (``zoomorch serve``): SQLite is one process's
    store; replicas need PostgreSQL. The lock is a file next to the database, held (flock)
    while the returned handle is open: a killed process releases it. None on PostgreSQL or
    an in-memory database. Raises :class:`StoreInUse`, naming the fix."""
    path = _sqlite_file(store.url)
    if path is None:
        return None
    import fcntl

    lock_path = path.with_name(path.name + ".serve.lock")
    handle = open(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StoreInUse(
            f"another zoomorch serve ({holder}) already runs on the SQLite state store "
            f"{path}: SQLite serves one process only. Stop it, or run replicas on PostgreSQL "
            "(set ZOOMORCH_STATE_URL=postgresql+psycopg://… for every replica)") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle


def _private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does (SQLite's default is 0644), or narrow
    an existing one and its companions that others can read."""
    make_private_dir(path.parent)
    if create_private(path):
        return
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in _SQLITE_COMPANIONS)):
        was = narrow(candidate)
        if was is not None:
            log.warning("%s was readable by other users (mode %04o); made it %04o: it holds "
                        "people's emails and join links", candidate, was, was & 0o600)


def _make_engine(url: str, **options: Any) -> Engine:
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            _private_sqlite_file(path)
        engine = create_engine(url, connect_args={"timeout": 30}, **options)
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def open_store(url: str | None = None) -> StateStore:
    """Open the state store (URL from the environment by default) at the newest schema."""
    store = StateStore(url)
    store.upgrade()
    return store


# --------------------------------------------------------------------------- migrations


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision of the migrations shipped with this zoomorch."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, f"no migrations under {MIGRATIONS}"
    return head


def schema_revision(connection: Connection) -> str | None:
    """The revision a database is at (None: never migrated — new, or from before migrations)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _migration_engine(url: str) -> Engine:
    """An engine whose transactions are a real lock on the whole upgrade.

    SQLite: pysqlite neither begins a transaction before DDL nor takes the write lock before
    the first write, so two processes could both read "old schema" and both upgrade. Here
    every transaction is ``BEGIN IMMEDIATE``: the first process holds the write lock from its
    first read of the revision to its commit; the others wait (busy timeout), then find the
    head. PostgreSQL takes an advisory lock in the transaction (:func:`_lock`).
    """
    if not url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool)
    engine = _make_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Per schema: stores in other schemas of the same database do not wait for this one.
        connection.execute(text(
            "SELECT pg_advisory_xact_lock(hashtext('zoomorch schema upgrade ' "
            "|| current_schema()))"))


def _in_memory(url: str) -> bool:
    return url.startswith("sqlite") and url.split("///", 1)[-1] in ("", ":memory:", "sqlite://")


def upgrade_schema(url: str, revision: str = "head", *, engine: Engine | None = None) -> None:
    """Migrate the database at ``url`` to ``revision`` (default: the newest).

    A database at the head is only read. Otherwise the whole upgrade — reading the revision,
    every migration with its data moves, the new revision — is one transaction under the
    lock: a crash leaves the database as it was, and a second process opening the store at
    the same moment waits and then finds it upgraded. ``engine``: migrate through this one
    instead (an in-memory SQLite database exists only on its own engine).
    """
    if engine is None:
        probe = _make_engine(url, poolclass=NullPool)
        try:
            with probe.connect() as conn:
                if revision == "head" and schema_revision(conn) == head_revision():
                    return
        finally:
            probe.dispose()
    _migrate(url, engine, "upgrade", revision)


def downgrade_schema(url: str, revision: str) -> None:
    """Migrate the database at ``url`` back to ``revision`` (e.g. to run an older zoomorch)."""
    _migrate(url, None, "downgrade", revision)


def _migrate(url: str, engine: Engine | None, direction: str, revision: str) -> None:
    from alembic import command

    own = engine is None
    engine = _migration_engine(url) if engine is None else engine
    try:
        with engine.begin() as conn:
            _lock(conn)
            if direction == "upgrade" and revision == "head" and \
                    schema_revision(conn) == head_revision():
                return  # another process upgraded it while we waited for the lock
            config = _alembic_config()
            config.attributes["connection"] = conn
            if direction == "upgrade":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
    finally:
        if own:
            engine.dispose()


__all__ = ["Base", "StateStore", "WebinarBinding", "default_state_url", "downgrade_schema",
           "head_revision", "open_store", "schema_revision", "upgrade_schema", "utcnow"]
