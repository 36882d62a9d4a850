"""Pull a past webinar's reports from Zoom into the state store, and read them back.

Every report comes through :class:`~zoomorch.zoom.ZoomClient`'s typed methods, and every raw
page Zoom returns is stored as it came (one row per page, the answer's ``raw``), so that

- a second run works offline (``--offline``),
- a report can be rebuilt after Zoom's six-month retention has passed, and
- memory stays flat: pages are written one at a time and read back one at a time.

A fetch writes a new :class:`ReportSnapshot`; only when every report has been stored is it
marked complete and the event's older snapshots deleted, so an interrupted fetch never
destroys the last good copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import delete, select

from zoomorch.db.store import StateStore
from zoomorch.db.tables import ReportPage, ReportSnapshot
from zoomorch.report.attendance import (
    ParticipantJoin,
    PollAnswer,
    QuestionAsked,
    RegistrantAnswers,
    WebinarRun,
)
from zoomorch.zoom import (
    ZoomAnswer,
    ZoomClient,
    ZoomError,
    ZoomNotFound,
    ZoomPage,
    ZoomScopeError,
)
from zoomorch.zoom.client import REGISTRANT_STATUSES

log = logging.getLogger("zoomorch.report")

# Page kinds as stored; registrants are stored per status because Zoom lists them so.
WEBINAR = "webinar"
PARTICIPANTS = "participants"
ABSENTEES = "absentees"
PANELISTS = "panelists"
QA = "qa"
POLLS = "polls"


def registrants_kind(status: str) -> str:
    return f"registrants:{status}"


class NoStoredReport(LookupError):
    """There is no complete stored fetch for the event (run without --offline first)."""


@dataclass(frozen=True)
class FetchStats:
    snapshot_id: int
    pages: dict[str, int]
    rows: dict[str, int]
    missing: dict[str, str]


def fetch_reports(client: ZoomClient, store: StateStore, event_key: str, webinar_id: int,
                  *, on_page: Callable[[str, int], None] | None = None) -> FetchStats:
    """Fetch every report of the webinar's latest occurrence into a new complete snapshot.

    Raises ZoomNotFound when Zoom has no past webinar (not ended, deleted or past retention).
    Reports Zoom refuses individually (registration off, Q&A or polls disabled) are recorded
    as missing rather than failing the whole fetch.
    """
    store.upgrade()
    webinar = client.get_webinar_report(webinar_id)
    with store.session() as session:
        snapshot = ReportSnapshot(event_key=event_key, webinar_id=webinar_id,
                                  webinar_uuid=webinar.uuid or "", missing={})
        session.add(snapshot)
        session.flush()
        snapshot_id = snapshot.id
        session.add(ReportPage(snapshot_id=snapshot_id, kind=WEBINAR, seq=0,
                               payload=webinar.raw))

    pages: dict[str, int] = {WEBINAR: 1}
    rows: dict[str, int] = {}
    missing: dict[str, str] = {}

    def save(kind: str, seq: int, answer: ZoomAnswer, count: int | None = None) -> None:
        """Store one answer as Zoom sent it; ``count``: the people it lists, if it is a list."""
        # One short transaction per page: memory and lock time stay flat however many pages.
        with store.session() as session:
            session.add(ReportPage(snapshot_id=snapshot_id, kind=kind, seq=seq,
                                   payload=answer.raw))
        pages[kind] = seq + 1
        if count is not None:
            rows[kind] = rows.get(kind, 0) + count
        if on_page is not None:
            on_page(kind, seq)

    def paged(kind: str, listing: Iterable[ZoomPage]) -> None:
        for seq, page in enumerate(listing):
            save(kind, seq, page, len(page.items))

    def panelists() -> None:
        answer = client.get_panelists(webinar_id)
        save(PANELISTS, 0, answer, len(answer.panelists))

    def optional(kind: str, step: Callable[[], None]) -> None:
        try:
            step()
        except ZoomError as exc:
            # Zoom refuses this one report (no registration, Q&A off, no webinar plan: 400
            # or 404); the rest of the report stands. Auth, rate-limit and network errors
            # still fail the fetch.
            if exc.status not in (400, 404) or isinstance(exc, ZoomScopeError):
                raise  # a missing scope is the app's to fix, not a report Zoom lacks
            missing[kind] = str(exc)
            log.warning("report %s not available for webinar %s: %s", kind, webinar_id, exc)

    def registrants(status: str) -> None:
        paged(registrants_kind(status), client.iter_registrant_pages(webinar_id, status))

    try:
        paged(PARTICIPANTS, client.iter_participants_report_pages(webinar_id))
        for status in REGISTRANT_STATUSES:
            optional(registrants_kind(status), partial(registrants, status))
        # Absentees are per occurrence: by UUID.
        optional(ABSENTEES, lambda: paged(
            ABSENTEES, client.iter_absentee_pages(webinar.uuid or webinar_id)))
        optional(PANELISTS, panelists)
        optional(QA, lambda: save(QA, 0, client.get_qa_report(webinar_id)))
        optional(POLLS, lambda: save(POLLS, 0, client.get_polls_report(webinar_id)))
    except BaseException:
        _drop_snapshot(store, snapshot_id)
        raise

    with store.session() as session:
        row = session.get(ReportSnapshot, snapshot_id)
        assert row is not None
        # Zoom's clock, not ours: "still in the room" runs to Zoom's now (the sandbox's clock
        # may run ahead of the wall in a rehearsal).
        row.completed_at = client.server_now()
        row.missing = dict(missing)
        older = select(ReportSnapshot.id).where(ReportSnapshot.event_key == event_key,
                                                ReportSnapshot.id != snapshot_id)
        old_ids = list(session.scalars(older))
        if old_ids:
            session.execute(delete(ReportPage).where(ReportPage.snapshot_id.in_(old_ids)))
            session.execute(delete(ReportSnapshot).where(ReportSnapshot.id.in_(old_ids)))
    return FetchStats(snapshot_id, pages, rows, missing)


def _drop_snapshot(store: StateStore, snapshot_id: int) -> None:
    with store.session() as session:
        session.execute(delete(ReportPage).where(ReportPage.snapshot_id == snapshot_id))
        session.execute(delete(ReportSnapshot).where(ReportSnapshot.id == snapshot_id))


class StoredReport:
    """Read access to one complete snapshot; every reader streams page by page."""

    def __init__(self, store: StateStore, snapshot: ReportSnapshot) -> None:
        self.store = store
        self.snapshot = snapshot

    @classmethod
    def latest(cls, store: StateStore, event_key: str) -> StoredReport:
        """The newest complete snapshot of ``event_key``; NoStoredReport if there is none."""
        store.upgrade()
        with store.session() as session:
            found = session.scalars(
                select(ReportSnapshot)
                .where(ReportSnapshot.event_key == event_key,
                       ReportSnapshot.completed_at.is_not(None))
                .order_by(ReportSnapshot.id.desc())).first()
        if found is None:
            raise NoStoredReport(
                f"no stored report for event {event_key!r}: run `zoomorch report` once "
                "without --offline while Zoom still has the webinar")
        return cls(store, found)

    @property
    def missing(self) -> dict[str, str]:
        return dict(self.snapshot.missing or {})

    def pages(self, kind: str) -> Iterator[dict[str, Any]]:
        """The stored pages of ``kind`` in order (seq 0, 1, ... up to the first gap), loaded
        one at a time: one query whose rows are fetched and decoded as they are consumed
        (``yield_per=1``), so memory holds one page however many are stored."""
        with self.store.session() as session:
            result = session.execute(
                select(ReportPage.seq, ReportPage.payload)
                .where(ReportPage.snapshot_id == self.snapshot.id, ReportPage.kind == kind)
                .order_by(ReportPage.seq)
                .execution_options(yield_per=1))
            try:
                expected = 0
                for seq, payload in result:
                    if seq != expected or payload is None:
                        return
                    yield payload
                    del payload
                    expected += 1
            finally:
                result.close()

    def single(self, kind: str) -> dict[str, Any]:
        return next(self.pages(kind), {})

    def webinar(self, *, planned_start: datetime | None = None) -> WebinarRun:
        return WebinarRun.from_zoom(self.single(WEBINAR), planned_start=planned_start)

    def participants(self) -> Iterator[ParticipantJoin]:
        for page in self.pages(PARTICIPANTS):
            for raw in page.get("participants") or []:
                yield ParticipantJoin.from_zoom(raw)

    def registrants(self, language_question: str = "language") -> Iterator[RegistrantAnswers]:
        for status in REGISTRANT_STATUSES:
            for page in self.pages(registrants_kind(status)):
                for raw in page.get("registrants") or []:
                    yield RegistrantAnswers.from_zoom(raw, status=status,
                                                      language_question=language_question)

    def absentees(self, language_question: str = "language") -> list[RegistrantAnswers] | None:
        """Zoom's absentees, or None when Zoom gave none (then they are derived)."""
        if ABSENTEES in self.missing:
            return None
        return [RegistrantAnswers.from_zoom(raw, language_question=language_question)
                for page in self.pages(ABSENTEES) for raw in page.get("registrants") or []]

    def panelists(self) -> list[tuple[str, str]]:
        """Zoom's panelist list as (name, email) pairs."""
        return [(str(p.get("name") or ""), str(p.get("email") or ""))
                for p in self.single(PANELISTS).get("panelists") or []]

    def questions(self) -> list[QuestionAsked]:
        return QuestionAsked.iter_from_zoom(self.single(QA))

    def poll_answers(self) -> list[PollAnswer]:
        return PollAnswer.iter_from_zoom(self.single(POLLS))


__all__ = [
    "FetchStats",
    "NoStoredReport",
    "ReportPage",
    "ReportSnapshot",
    "StoredReport",
    "ZoomNotFound",
    "fetch_reports",
]
