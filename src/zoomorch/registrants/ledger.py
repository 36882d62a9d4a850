"""The registrant-sync ledger: every write call recorded before it is sent and after it returns.

A call left in state ``sending`` means the process died (or lost the answer) between writing
the row and recording Zoom's answer; the next run reconciles it against Zoom's registrant
list before anything is sent again. The ledger also counts today's registrations per person,
so that Zoom's 3-registrations-a-day rule is never hit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from zoomorch.db.store import StateStore, utcnow
from zoomorch.db.tables import RegistrantSyncCall, RegistrantSyncRun
from zoomorch.registrants.values import email_key

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
RECONCILED = "reconciled"
ADD_KINDS = ("batch_add", "add")






@dataclass(frozen=True)
class InterruptedCall:
    id: int
    run_id: int
    seq: int
    kind: str
    emails: tuple[str, ...]
    created_at: datetime


class SyncLedger:
    """The ledger of one webinar's registrant syncs, in the state store."""

    def __init__(self, store: StateStore, event_key: str, webinar_id: int) -> None:
        self.store = store
        self.event_key = event_key
        self.webinar_id = webinar_id

    def start_run(self, source: str, source_sha256: str) -> int:
        with self.store.session() as session:
            run = RegistrantSyncRun(event_key=self.event_key, webinar_id=self.webinar_id,
                                    source=source, source_sha256=source_sha256)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, outcome: str, counts: Mapping[str, int]) -> None:
        with self.store.session() as session:
            run = session.get(RegistrantSyncRun, run_id)
            if run is not None:
                run.finished_at = utcnow()
                run.outcome = outcome
                run.counts = dict(counts)

    def sending(
        self, run_id: int, seq: int, kind: str, emails: Iterable[str],
        auto_approve: bool | None = None,
    ) -> int:
        """Record a call about to be sent (committed before the request leaves)."""
        with self.store.session() as session:
            call = RegistrantSyncCall(run_id=run_id, webinar_id=self.webinar_id, seq=seq,
                                      kind=kind, auto_approve=auto_approve,
                                      emails=list(emails), state=SENDING)
            session.add(call)
            session.flush()
            return call.id

    def _finish(self, call_id: int, state: str, result: list[dict[str, Any]] | None,
                error: str | None) -> None:
        with self.store.session() as session:
            call = session.get(RegistrantSyncCall, call_id)
            if call is not None:
                call.state = state
                call.result = result
                call.error = error
                call.finished_at = utcnow()

    def sent(self, call_id: int, result: list[dict[str, Any]] | None = None) -> None:
        self._finish(call_id, SENT, result, None)

    def failed(self, call_id: int, error: str) -> None:
        self._finish(call_id, FAILED, None, error)

    def interrupted(self) -> list[InterruptedCall]:
        """Calls of this webinar that were sent (maybe) but whose answer was never recorded."""
        with self.store.session() as session:
            rows = session.scalars(
                select(RegistrantSyncCall)
                .where(RegistrantSyncCall.webinar_id == self.webinar_id,
                       RegistrantSyncCall.state == SENDING)
                .order_by(RegistrantSyncCall.id)
            )
            return [InterruptedCall(r.id, r.run_id, r.seq, r.kind, tuple(r.emails), r.created_at)
                    for r in rows]

    def reconcile(self, call: InterruptedCall, found: list[dict[str, Any]]) -> None:
        """Close an interrupted call with what Zoom's list shows actually happened."""
        self._finish(call.id, RECONCILED, found,
                     f"interrupted; {len(found)} of {len(call.emails)} found in Zoom afterwards")

    def reconcile_partial(self, call_id: int, landed: list[dict[str, Any]]) -> None:
        """A refused call that Zoom had partly applied: record who did get registered."""
        self._finish(call_id, RECONCILED, landed,
                     f"refused after registering {len(landed)} of the call's people")

    def adds_today(self, now: datetime | None = None) -> Counter[str]:
        """How many times each email (key) was registered with Zoom since 00:00 UTC, for any
        webinar: Zoom's per-person daily rule counts across all the account's webinars."""
        now = now or utcnow()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        counts: Counter[str] = Counter()
        with self.store.session() as session:
            rows = session.scalars(
                select(RegistrantSyncCall).where(
                    RegistrantSyncCall.kind.in_(ADD_KINDS),
                    RegistrantSyncCall.created_at >= midnight,
                    RegistrantSyncCall.created_at < midnight + timedelta(days=1),
                )
            )
            for row in rows:
                for item in row.result or []:
                    counts[email_key(str(item.get("email", "")))] += 1
        return counts

    def calls(self, run_id: int | None = None) -> list[RegistrantSyncCall]:
        """The recorded calls (of one run, or all of this webinar), oldest first."""
        with self.store.session() as session:
            query = select(RegistrantSyncCall).where(
                RegistrantSyncCall.webinar_id == self.webinar_id)
            if run_id is not None:
                query = query.where(RegistrantSyncCall.run_id == run_id)
            return list(session.scalars(query.order_by(RegistrantSyncCall.id)))
