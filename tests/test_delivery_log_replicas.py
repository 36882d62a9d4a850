"""Two replicas' delivery-log writers claiming the same deliveries at once, on PostgreSQL:
each delivery is claimed by exactly one of them, and a deadlock between their transactions
(their batches take the rows' locks in different orders) is retried, never a lost batch or a
traceback."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from postgres_support import fresh_schema, postgres_server_url
from zoomorch.db.store import open_store
from zoomorch.db.tables import CueDelivery
from zoomorch.delivery.log import DeliveryLog, DeliveryStatus, deliveries, delivery_key

SLUG = "twin-replicas"
DUE = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)


def _row(n: int) -> dict[str, object]:
    key = delivery_key(SLUG, f"warning/s0@{n}", "webhook1", f"person-{n}")
    return {"key": key, "event_slug": SLUG, "cue_id": f"warning/s0@{n}", "kind": "warning",
            "segment": None, "channel": "webhook1", "recipient": f"person-{n}",
            "due": DUE + timedelta(seconds=n), "status": DeliveryStatus.SENDING, "late": False,
            "attempts": 1, "updated_at": datetime.now(UTC)}


def test_two_writers_claiming_the_same_deliveries_each_get_some_and_none_twice(
        caplog: pytest.LogCaptureFixture) -> None:
    rounds, size = 12, 60
    with fresh_schema(postgres_server_url()) as url:
        stores = [open_store(url), open_store(url)]
        logs = [DeliveryLog(store) for store in stores]
        won: list[list[str]] = [[], []]
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def replica(i: int) -> None:
            try:
                for r in range(rounds):
                    rows = [_row(r * size + n) for n in range(size)]
                    if i:  # the other replica's scheduler fans out in another order
                        rows.reverse()
                    start.wait(timeout=10)
                    futures = logs[i].claim_all_later(rows)
                    for row, future in zip(rows, futures, strict=True):
                        if future.result(timeout=30) is not None:
                            won[i].append(str(row["key"]))
            except BaseException as exc:
                errors.append(exc)

        with caplog.at_level(logging.INFO, logger="zoomorch.delivery.log"):
            threads = [threading.Thread(target=replica, args=(i,)) for i in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        try:
            assert not errors, errors
            everything = won[0] + won[1]
            assert len(everything) == len(set(everything)) == rounds * size
            rows = deliveries(stores[0], SLUG)
            assert len(rows) == rounds * size
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        finally:
            for log in logs:
                log.close()
            for store in stores:
                store.engine.dispose()


def test_a_real_deadlock_is_told_apart_as_one_to_write_again() -> None:
    """The writer retries a batch only for PostgreSQL's own "a concurrent transaction rolled
    yours back" errors: here a real deadlock, through SQLAlchemy as the writer meets it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.pool import NullPool

    from zoomorch.delivery.log import _concurrency_failure

    with fresh_schema(postgres_server_url()) as url:
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE pair (id int PRIMARY KEY, v int)"))
                conn.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
            first, second = engine.connect(), engine.connect()
            caught: list[BaseException] = []
            first.begin()
            second.begin()
            first.execute(text("UPDATE pair SET v = 1 WHERE id = 1"))
            second.execute(text("UPDATE pair SET v = 2 WHERE id = 2"))

            def cross() -> None:
                try:
                    first.execute(text("UPDATE pair SET v = 1 WHERE id = 2"))
                except DBAPIError as exc:
                    caught.append(exc)

            thread = threading.Thread(target=cross)
            thread.start()
            try:
                second.execute(text("UPDATE pair SET v = 2 WHERE id = 1"))
            except DBAPIError as exc:
                caught.append(exc)
            thread.join(timeout=30)
            first.close()
            second.close()
            assert len(caught) == 1
            assert _concurrency_failure(caught[0]) == "40P01"
            assert _concurrency_failure(ValueError("not a database error")) is None
        finally:
            engine.dispose()


def test_a_replica_renews_the_claims_it_holds_so_only_a_stopped_one_loses_them() -> None:
    """A claim waiting for its channel (a backlog, a slow receiver) stays this replica's:
    its lease starts again every ``renew_every``; a claim nobody renews ages, and another
    replica's sweep may then record it interrupted."""
    with fresh_schema(postgres_server_url()) as url:
        stores = [open_store(url), open_store(url)]
        renewing = DeliveryLog(stores[0], renew_every=timedelta(seconds=0.2))
        stopped = DeliveryLog(stores[1])  # stands for a replica killed after its claim
        try:
            held, orphan = _row(1), _row(2)
            assert renewing.claim_all_later([held])[0].result(timeout=10) == 1
            assert stopped.claim_all_later([orphan])[0].result(timeout=10) == 1
            assert renewing.held == 1
            time.sleep(1.2)
            ages = {r.key: r for r in deliveries(stores[0], SLUG)}
            now = datetime.now(UTC)
            with stores[0].session() as session:
                updated = {key: at for key, at in session.execute(
                    select(CueDelivery.key, CueDelivery.updated_at))}
            assert (now - updated[str(held["key"])]).total_seconds() < 0.6
            assert (now - updated[str(orphan["key"])]).total_seconds() > 1.0
            assert ages[str(held["key"])].status is DeliveryStatus.SENDING
            # Its outcome ends the renewals.
            renewing.finish(str(held["key"]), DeliveryStatus.DELIVERED, wait=True)
            assert renewing.held == 0
        finally:
            renewing.close()
            stopped.close()
            for store in stores:
                store.close()
