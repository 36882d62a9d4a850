"""The delivery log: one row per cue × channel × recipient, its idempotency key and what
became of it (:class:`DeliveryStatus`), written by one group-commit writer (:class:`DeliveryLog`).

It is the durable truth of the cues: a claim is committed before a channel is called, so a
delivery is never made twice, and the scheduler rebuilds its jobs from it at every start.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Table, bindparam, select, update

from zoomorch.db.store import StateStore, utcnow
from zoomorch.db.tables import CueDelivery

log = logging.getLogger(__name__)


class DeliveryStatus(StrEnum):
    """What became of one delivery (stored as its value)."""

    PENDING = "pending"  # known, not attempted yet
    SENDING = "sending"  # claimed: the channel is being called
    RETRYING = "retrying"  # failed, another attempt is planned (next_attempt_at)
    DELIVERED = "delivered"  # the channel took it (late=True if after late_after)
    MISSED = "missed"  # found more than late_grace after its due time: not sent
    FAILED = "failed"  # attempts exhausted, or a retry could show it twice
    INTERRUPTED = "interrupted"  # the process stopped while sending: never resent
    CANCELLED = "cancelled"  # its cue left the plan before it was (re)sent
    FELL_BACK = "fell_back"  # the channel cannot reach this person; another channel did

    @property
    def final(self) -> bool:
        return self in FINAL

    @property
    def waiting(self) -> bool:
        return self in WAITING


# Nothing more will happen to these.
FINAL = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.MISSED, DeliveryStatus.FAILED,
                   DeliveryStatus.INTERRUPTED, DeliveryStatus.CANCELLED,
                   DeliveryStatus.FELL_BACK})
# Rows still waiting to be sent: the ones a re-plan must cancel when their cue leaves the plan.
WAITING = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
assert FINAL.isdisjoint(WAITING) and FINAL | set(WAITING) | {DeliveryStatus.SENDING} == set(
    DeliveryStatus)

# Enforcement actions travel through the delivery log like any channel, so they are
# idempotent, retried and visible in `cues status` too.
ZOOM_CHANNEL = "zoom"


class LogOp(Enum):
    """The writer's operations (:meth:`DeliveryLog._write`)."""

    CLAIM = "claim"  # insert as sending, or take a row waiting for a retry; returns attempts
    MISSED = "missed"  # insert (or turn a waiting row) missed
    CANCEL = "cancel"  # a waiting row whose cue left the plan
    FINISH = "finish"  # the outcome of a claimed row
    RENEW = "renew"  # the claims this process still holds: their lease starts again
    FLUSH = "flush"  # writes nothing: done once everything queued before it is written



def delivery_key(event_slug: str, cue_id: str, channel: str, recipient: str) -> str:
    """The idempotency key of one delivery."""
    return f"{event_slug}|{cue_id}|{channel}|{recipient}"


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class DeliveryRecord:
    """One row of the delivery log, detached."""

    key: str
    cue_id: str
    kind: str
    segment: str | None
    channel: str
    recipient: str
    due: datetime
    status: DeliveryStatus
    late: bool
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


def deliveries(store: StateStore, event_slug: str) -> list[DeliveryRecord]:
    """Every delivery of an event, in due order."""
    with store.session() as session:
        rows = session.scalars(select(CueDelivery).where(CueDelivery.event_slug == event_slug)
                               .order_by(CueDelivery.due, CueDelivery.key))
        return [DeliveryRecord(r.key, r.cue_id, r.kind, r.segment, r.channel, r.recipient,
                               r.due, DeliveryStatus(r.status), r.late, r.attempts,
                               r.last_error, r.delivered_at) for r in rows]

class DeliveryLog:
    """The one writer of the delivery log: batches statements into few transactions.

    SQLite allows one writer at a time and makes waiting writers sleep in coarse steps, so
    many delivery threads each committing would queue for tens of milliseconds. Here the
    threads hand their statements to one thread that commits them together (group commit).
    Claims wait for their commit; outcomes do not (a crash before they are written leaves the
    claim, read as "interrupted" on restart: lost, never repeated).

    The writer is on every cue's path (a channel is called only after its claim is
    committed), so it is kept cheap: statements are built once, the writer holds one
    connection, and the outcomes of a batch with the same columns go in one executemany.
    On SQLite its commits never run a WAL checkpoint (which syncs the database file and stalled
    cues by tens of milliseconds): a thread of its own checkpoints every
    ``checkpoint_every`` instead, beside the writer.

    ``renew_every`` (replicas on PostgreSQL): a claim is another replica's to record as
    interrupted once its ``updated_at`` is older than the lease, so that a killed replica's
    claims do not stay ``sending`` for ever. A claim may wait a while for its channel (a busy
    moment, a slow receiver), so the writer renews the claims this process holds every
    ``renew_every`` (a third of the lease): only a process that stopped lets its leases run
    out.
    """

    def __init__(self, store: StateStore, *,
                 checkpoint_every: timedelta = timedelta(seconds=1),
                 renew_every: timedelta | None = None) -> None:
        self.store = store
        self.table = cast(Table, CueDelivery.__table__)
        self._sqlite = store.engine.dialect.name == "sqlite"
        self._statements = _Statements(self.table, store.engine.dialect)
        self._queue: list[tuple[LogOp, dict[str, Any], Future[Any] | None]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._closing = threading.Event()
        # Keys this process claimed and has not recorded an outcome for (the writer's own).
        self._held: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="cue-delivery-log", daemon=True)
        self._thread.start()
        self._checkpointer: threading.Thread | None = None
        if self._sqlite:
            self._checkpointer = threading.Thread(
                target=self._checkpoint, args=(checkpoint_every.total_seconds(),),
                name="cue-delivery-log-checkpoint", daemon=True)
            self._checkpointer.start()
        self._renewer: threading.Thread | None = None
        if renew_every is not None and not self._sqlite:
            self._renewer = threading.Thread(
                target=self._renew, args=(renew_every.total_seconds(),),
                name="cue-delivery-log-renew", daemon=True)
            self._renewer.start()

    @property
    def held(self) -> int:
        """Claims of this process still waiting for their outcome (being sent or queued)."""
        return len(self._held)

    def claim(self, row: dict[str, Any]) -> int | None:
        """Mark a delivery as being sent; the attempt number, or None if it is not ours."""
        result: int | None = self._submit(LogOp.CLAIM, row, wait=True)
        return result

    def claim_later(self, row: dict[str, Any]) -> Future[int | None]:
        """:meth:`claim` without waiting: the future resolves once the claim is committed
        (its callbacks run on the writer's thread, so they must be quick)."""
        future: Future[int | None] = Future()
        self._enqueue(LogOp.CLAIM, row, future)
        return future

    def claim_all_later(self, rows: list[dict[str, Any]]) -> list[Future[int | None]]:
        """:meth:`claim_later` of a cue's whole fan-out, handed to the writer at once: the
        claims are committed in one transaction, so a process killed meanwhile leaves all of
        them or none (then the cue is unsettled and fires again), never some of the cue's
        deliveries claimed and the others without a row."""
        futures: list[Future[int | None]] = [Future() for _ in rows]
        self._enqueue_all([(LogOp.CLAIM, row, future)
                           for row, future in zip(rows, futures, strict=True)])
        return futures

    def missed_all(self, rows: list[dict[str, Any]], reason: str) -> None:
        """:meth:`missed` of a cue's whole fan-out, in one transaction."""
        self._enqueue_all([(LogOp.MISSED, {**row, "last_error": reason}, None) for row in rows])

    def flush(self) -> None:
        """Wait until everything handed to the writer so far is written."""
        self._submit(LogOp.FLUSH, {}, wait=True)

    def missed(self, row: dict[str, Any], reason: str) -> None:
        self._submit(LogOp.MISSED, {**row, "last_error": reason}, wait=False)

    def cancel(self, key: str, reason: str, *, wait: bool = False) -> None:
        """A delivery still waiting whose cue left the plan: cancelled, never sent later."""
        self._submit(LogOp.CANCEL, {"key": key, "last_error": reason[:500],
                                    "updated_at": utcnow()}, wait=wait)

    def finish(self, key: str, status: DeliveryStatus, *, wait: bool = False,
               **values: Any) -> None:
        """The outcome of a claimed delivery: ``status`` and the columns it changes."""
        self._submit(LogOp.FINISH, {"key": key, "status": status, "updated_at": utcnow(),
                                    **values}, wait=wait)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._closing.set()
        self._thread.join(timeout=10)
        for helper in (self._checkpointer, self._renewer):
            if helper is not None:
                helper.join(timeout=10)

    def _connect(self) -> Connection:
        conn = self.store.engine.connect()
        if self._sqlite:
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")  # see _checkpoint
            conn.commit()
        return conn

    def _checkpoint(self, every: float) -> None:
        """Copy the WAL into the database file now and then, off the writer's path (PASSIVE:
        neither the writer nor readers wait for it)."""
        while not self._closing.wait(every):
            try:
                with self.store.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception as exc:  # a busy moment: the next round catches up
                log.debug("delivery log checkpoint skipped: %s", exc)

    def _renew(self, every: float) -> None:
        """Hand the writer a renewal of the held claims every ``every`` seconds (it goes in the
        writer's next transaction, after whatever is queued before it)."""
        while not self._closing.wait(every):
            if self._held:
                try:
                    self._enqueue(LogOp.RENEW, {}, None)
                except RuntimeError:  # closed meanwhile
                    return

    def _submit(self, op: LogOp, params: dict[str, Any], *, wait: bool) -> Any:
        future: Future[Any] | None = Future() if wait else None
        self._enqueue(op, params, future)
        return future.result() if future is not None else None

    def _enqueue(self, op: LogOp, params: dict[str, Any], future: Future[Any] | None) -> None:
        self._enqueue_all([(op, params, future)])

    def _enqueue_all(self, items: list[tuple[LogOp, dict[str, Any], Future[Any] | None]]
                     ) -> None:
        # One hand-over under the lock: the writer takes the whole queue as one batch, one
        # transaction, so these items are committed together.
        if not items:
            return
        with self._cond:
            if self._closed:
                raise RuntimeError("the delivery log is closed")
            self._queue.extend(items)
            self._cond.notify()

    def _run(self) -> None:
        conn: Connection | None = None
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closed:
                        self._cond.wait()
                    batch, self._queue = self._queue, []
                    if not batch and self._closed:
                        return
                try:
                    for attempt in range(_CONCURRENT_ATTEMPTS):
                        if conn is None:
                            conn = self._connect()
                        try:
                            results = self._write(conn, batch)
                            break
                        except Exception as exc:
                            state = _concurrency_failure(exc)
                            if state is None or attempt + 1 == _CONCURRENT_ATTEMPTS:
                                raise
                            # Another replica's transaction met ours (PostgreSQL rolled one
                            # of them back): the whole batch again, on a fresh connection.
                            log.info("delivery log: a concurrent replica's write (SQLSTATE "
                                     "%s); writing the batch again", state)
                            conn.close()
                            conn = None
                            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
                except Exception as exc:
                    log.exception("writing the delivery log failed")
                    if conn is not None:
                        conn.close()  # a fresh connection for the next batch
                        conn = None
                    for _, _, future in batch:
                        if future is not None:
                            future.set_exception(exc)
                    continue
                for (_, _, future), result in zip(batch, results, strict=True):
                    if future is not None:
                        future.set_result(result)
        finally:
            if conn is not None:
                conn.close()

    def _write(self, conn: Connection,
               batch: list[tuple[LogOp, dict[str, Any], Future[Any] | None]]) -> list[Any]:
        """One transaction for the whole batch; the results in the batch's order."""
        sql = self._statements
        results: list[Any] = [None] * len(batch)
        # Outcomes with the same columns, grouped for one executemany. They are written when
        # another statement touches one of their rows, and at the end: each row still sees
        # its statements in the order they were submitted.
        outcomes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        pending: set[str] = set()

        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

        def write_outcomes() -> None:
            for columns, rows in outcomes.items():
                cursor.executemany(sql.finish_sql(columns), rows)
            outcomes.clear()
            pending.clear()

        # In key order: replicas claiming the same deliveries (each scheduler fans a cue out
        # in its own order) then take the rows' locks in one order, so their transactions
        # queue instead of deadlocking. A key's own statements keep their order (the sort is
        # stable), and each result goes back to its place in the batch.
        order = sorted(range(len(batch)), key=lambda i: str(batch[i][1].get("key", "")))
        # The claims held once this batch is written: taken over by self._held only after
        # its commit (a batch written again after a rollback starts from the same set).
        held = set(self._held)
        renew = False
        with conn.begin():
            for i in order:
                op, params, _ = batch[i]
                if op is LogOp.FLUSH:
                    continue
                if op is LogOp.RENEW:
                    renew = True
                    continue
                if op is not LogOp.FINISH and params["key"] in pending:
                    write_outcomes()
                if op is LogOp.CLAIM:
                    # RETURNING, not rowcount: an INSERT's rowcount can be -1 on psycopg
                    # through SQLAlchemy, which read as "inserted" every time and resent
                    # delivered cues.
                    cursor.execute(sql.insert_sql, sql.for_driver(params))
                    if cursor.fetchone() is not None:
                        results[i] = 1
                        held.add(params["key"])
                        continue
                    # A retry: only a row waiting for one can be claimed again. (Also every
                    # stand-in replica's claim of a delivery sent already: on the driver's
                    # cursor, one statement, as cheap as the insert.)
                    cursor.execute(sql.claim_retry_sql, sql.for_driver(
                        {"key": params["key"], "updated_at": params["updated_at"]}))
                    found = cursor.fetchone()
                    results[i] = found[0] if found is not None else None
                    if found is not None:
                        held.add(params["key"])
                elif op is LogOp.MISSED:
                    conn.execute(sql.insert, {**_DEFAULTS, **params})
                    conn.execute(sql.missed, {"b_key": params["key"],
                                              "b_last_error": params["last_error"],
                                              "b_updated_at": params["updated_at"]})
                elif op is LogOp.CANCEL:
                    # Only a row still waiting: one being sent right now finishes on its own.
                    conn.execute(sql.cancel, {"b_key": params["key"],
                                              "b_last_error": params["last_error"],
                                              "b_updated_at": params["updated_at"]})
                else:  # LogOp.FINISH
                    columns = tuple(sorted(k for k in params if k != "key"))
                    outcomes.setdefault(columns, []).append(sql.for_driver(params))
                    pending.add(params["key"])
                    held.discard(params["key"])
            write_outcomes()
            if renew and held:
                # In key order, like every statement here (no deadlock with another
                # replica's sweep); only rows still being sent: an outcome is never undone.
                cursor.execute(sql.renew_sql, {
                    "keys": sorted(held),
                    "now": sql.for_driver({"updated_at": utcnow()})["updated_at"]})
        cursor.close()
        self._held = held
        return results


# A batch rolled back by PostgreSQL for a concurrent transaction (deadlock_detected,
# serialization_failure) is written again, this many times at most.
_CONCURRENT_ATTEMPTS = 5
_CONCURRENCY_STATES = frozenset({"40P01", "40001"})


def _concurrency_failure(exc: BaseException) -> str | None:
    """The SQLSTATE of an error PostgreSQL raises when a concurrent transaction made it roll
    ours back (retrying is the answer), else None. The driver's error may come wrapped by
    SQLAlchemy (``.orig``)."""
    for error in (exc, getattr(exc, "orig", None)):
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if state in _CONCURRENCY_STATES:
            return str(state)
    return None


class _Statements:
    """The writer's statements, built once.

    The ones on every delivery's path — the claim's insert, the retry claim that follows it
    when the row exists (every stand-in replica's claim takes that path), and the outcome's
    update — run as SQL text on the driver's cursor, their values converted by the columns'
    own types (:meth:`for_driver`: UTC times, SQLite's datetime text): a statement through
    SQLAlchemy's execution costs ten times the CPU, and under load that CPU is lateness. The
    rare ones (missed, cancelled) go through SQLAlchemy, compiled once and cached.
    """

    def __init__(self, t: Table, dialect: Dialect) -> None:
        self.table = t
        self.insert = _insert_new(dialect.name, t)
        key = t.c.key == bindparam("b_key")
        self.missed = update(t).where(key, t.c.status.in_(WAITING)).values(
            status=DeliveryStatus.MISSED, last_error=bindparam("b_last_error"),
            updated_at=bindparam("b_updated_at"))
        self.cancel = update(t).where(key, t.c.status.in_(WAITING)).values(
            status=DeliveryStatus.CANCELLED, last_error=bindparam("b_last_error"),
            next_attempt_at=None, updated_at=bindparam("b_updated_at"))
        # The drivers' named parameters: sqlite3 ":name", psycopg "%(name)s".
        self._param = ":{}" if dialect.name == "sqlite" else "%({})s"
        self._processors = {c.name: c.type.bind_processor(dialect) for c in t.columns}
        names = [c.name for c in t.columns]
        # Identifiers from the table's own declaration only, values always as parameters.
        self.insert_sql = (
            f"INSERT INTO {t.name} ({', '.join(_quote(n) for n in names)}) "  # noqa: S608
            f"VALUES ({', '.join(self._param.format(n) for n in names)}) "
            f"ON CONFLICT ({_quote('key')}) DO NOTHING RETURNING {_quote('key')}")
        self._finish: dict[tuple[str, ...], str] = {}
        waiting = ", ".join(f"'{status.value}'" for status in WAITING)
        self.claim_retry_sql = (
            f"UPDATE {t.name} SET {_quote('status')} = "  # noqa: S608 (the table's names)
            f"'{DeliveryStatus.SENDING.value}', {_quote('attempts')} = "
            f"{_quote('attempts')} + 1, {_quote('updated_at')} = "
            f"{self._param.format('updated_at')}, {_quote('next_attempt_at')} = NULL "
            f"WHERE {_quote('key')} = {self._param.format('key')} AND {_quote('status')} IN "
            f"({waiting}) RETURNING {_quote('attempts')}")
        # PostgreSQL only (renewals are for replicas): the claims' rows locked in key order.
        self.renew_sql = (
            f"UPDATE {t.name} SET {_quote('updated_at')} = %(now)s "  # noqa: S608
            f"WHERE {_quote('key')} IN (SELECT {_quote('key')} FROM {t.name} "
            f"WHERE {_quote('key')} = ANY(%(keys)s) AND {_quote('status')} = "
            f"'{DeliveryStatus.SENDING.value}' ORDER BY {_quote('key')} FOR UPDATE)")

    def finish_sql(self, columns: tuple[str, ...]) -> str:
        """UPDATE of ``columns`` by key (one text per set of columns)."""
        text = self._finish.get(columns)
        if text is None:
            unknown = set(columns) - self._processors.keys()
            if unknown:
                raise ValueError(f"cue_delivery has no column {sorted(unknown)}")
            sets = ", ".join(f"{_quote(n)} = {self._param.format(n)}" for n in columns)
            text = (f"UPDATE {self.table.name} SET {sets} "  # noqa: S608 (checked names)
                    f"WHERE {_quote('key')} = {self._param.format('key')}")
            self._finish[columns] = text
        return text

    def for_driver(self, params: dict[str, Any]) -> dict[str, Any]:
        """Values as the driver takes them, converted by each column's type (as SQLAlchemy
        would); columns the row does not give take their defaults."""
        row = {**_DEFAULTS, **params} if "event_slug" in params else params
        out: dict[str, Any] = {}
        for name, value in row.items():
            process = self._processors[name]
            if isinstance(value, StrEnum):
                value = value.value
            out[name] = process(value) if process is not None and value is not None else value
        return out


# What an inserted row leaves to the table's defaults.
_DEFAULTS: dict[str, Any] = {"segment": None, "last_error": None, "next_attempt_at": None,
                             "delivered_at": None}


def _quote(name: str) -> str:
    return f'"{name}"'


def _insert_new(dialect: str, table: Table) -> Any:
    """INSERT that does nothing when the key exists (the idempotency check itself)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=["key"])
