"""The cue scheduler: APScheduler with an in-memory job store, over the delivery log.

Every planned cue is one APScheduler job in memory, bound to this scheduler (``self.fire``);
when it fires, the cue fans out to every (channel, recipient) pair, each with its own
idempotency key in the delivery log (:mod:`zoomorch.delivery.log`, the durable truth):

    pending ──► sending ──► delivered (late=True if after ``late_after``)
       │           ├──────► retrying ──► sending …  ──► failed (attempts exhausted)
       │           ├──────► failed (the channel said a retry is unsafe: ``retry=False``)
       │           └──────► fell_back (the channel cannot reach this person, e.g. not a Team
       │                     Chat contact of the sender: the person's next channel, email,
       │                     gets the cue instead, else the cue board shows it; reason kept)
       └──► missed (found more than ``late_grace`` after its due time)
    pending / retrying ──► cancelled (its cue left the plan: next/shift/extend/start or an end
                                      recorded before it was due; never sent later)

Nothing about the jobs is stored: at each start (and for an event added later) they are
rebuilt from the agenda, the live state and the delivery log. A claim is committed before the
channel is called, so a process killed mid-delivery leaves ``sending`` rows; the next start
turns them ``interrupted`` (the channel may or may not have shown it) and never sends them
again. Every cue not settled in the log is scheduled again — at its due time (at once if that
has passed: late within ``late_grace``, else recorded missed) or at its planned retry.

The live state (:mod:`zoomorch.live.state`) is watched: a running :class:`CueScheduler`
notices a new revision within ``watch_every`` and re-plans (so ``zoomorch cues shift`` from
another terminal works); :meth:`CueScheduler.refresh` re-plans at once for a change made in
this process.

Replicas on one PostgreSQL database (:meth:`CueScheduler.set_peers`): every replica
schedules every cue, and the claims let one of them send each delivery. Each event has one
first sender among the replicas listening (:meth:`CueScheduler.first_sender`, rendezvous
hashing): it fires the event's cues at their due time; the others fire them ``backup_delay``
later, when the claims usually show them sent. A claim held by a live replica is renewed (see
:class:`~zoomorch.delivery.log.DeliveryLog`); one whose lease ran out is its stopped replica's,
recorded interrupted by another (:meth:`CueScheduler._sweep`).

A control room's message to the presenter posted with ``notify``
(:class:`~zoomorch.live.state.PresenterMessage`) joins the plan as a cue of its own
(:func:`~zoomorch.cues.model.message_cue`: ``message/<id>``, due when posted, to the host and
the moderator, never on the cue board, which shows the message itself): it is delivered,
logged, retried and recovered like any cue, so it goes out once per channel and person however
often it is posted again or the scheduler restarts (later than ``late_grace``: missed).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from apscheduler.executors.debug import DebugExecutor
from apscheduler.executors.pool import ThreadPoolExecutor as APThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import and_, event, select, update

from zoomorch.cues import (
    LANGUAGES,
    Cue,
    CueAgenda,
    CueKind,
    LiveState,
    Recipient,
    agenda_from_event,
    plan_cues,
    render_text,
)
from zoomorch.cues.model import message_cue
from zoomorch.db.store import StateStore, utcnow
from zoomorch.db.tables import CueDelivery
from zoomorch.delivery.log import (
    FINAL,
    WAITING,
    ZOOM_CHANNEL,
    DeliveryLog,
    DeliveryStatus,
    delivery_key,
)
from zoomorch.live.state import (
    PresenterMessage,
    live_revisions,
    load_live_record,
    load_live_records,
)
from zoomorch.notify.base import CueMessage, DeliveryError, Notifier, RecipientUnreachable
from zoomorch.notify.board import NAME as BOARD_CHANNEL

if TYPE_CHECKING:
    from zoomorch.event import EventSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Everyone:
    """The target of a channel that takes each cue once (``per_cue``, e.g. a Team Chat
    channel): the cue's recipients together, in all their languages and zones."""

    recipients: tuple[Recipient, ...]
    id: str = "everyone"


class _LogRow(NamedTuple):
    """What scheduling reads of one delivery-log row."""

    cue_id: str
    status: DeliveryStatus
    next_attempt_at: datetime | None
    due: datetime
    last_error: str | None


class ZoomControls(Protocol):
    """What enforcement needs of :class:`zoomorch.zoom.ZoomClient`."""

    def end_webinar(self, webinar_id: int) -> None: ...


WATCH = "watch"  # the executor of the live-state watcher


def make_scheduler() -> BackgroundScheduler:
    """The one APScheduler configuration: jobs in memory.

    A cue's job (:meth:`CueScheduler.fire`) runs on APScheduler's own thread (its
    ``DebugExecutor``): firing only hands claims to the delivery log, so it is quick, and one
    thread hand-off less keeps cues on time on a busy machine. The watcher, which reads the
    database and re-plans, runs on a thread of its own. ``misfire_grace_time=None`` because
    lateness is our decision (late vs missed, recorded), not APScheduler's silent skip.
    """
    return BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": DebugExecutor(), WATCH: APThreadPoolExecutor(1)},
        job_defaults={"coalesce": False, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )


def _sqlite_fast_commits(dbapi_connection: Any, _record: Any) -> None:
    # WAL with synchronous=NORMAL survives a killed process (what restarts are about); only an
    # OS crash could lose the last commits. One fsync per commit would cap cue throughput.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class CueScheduler:
    """Runs the cues of one or more events and delivers them through the notifiers.

    ``zoom`` (optional) is used for enforcement that the event opts into: ending the webinar at
    the hard stop. ``webinar_ids`` maps an event slug to its webinar id (default: the store's
    webinar bindings). ``event_notifiers`` gives an event its own channels (from its event
    file) instead of ``notifiers``. ``clock`` is what "now" is for every decision here (late,
    missed, never early, retry times); APScheduler wakes jobs on the wall clock.
    """

    def __init__(
        self,
        store: StateStore,
        notifiers: Sequence[Notifier],
        agendas: Iterable[CueAgenda] = (),
        *,
        zoom: ZoomControls | None = None,
        webinar_ids: dict[str, int] | None = None,
        event_notifiers: Mapping[str, Sequence[Notifier]] | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = 5,
        backoff: timedelta = timedelta(seconds=1),
        watch_every: timedelta = timedelta(seconds=1),
        channel_workers: int = 4,
        claim_lease: timedelta = timedelta(seconds=30),
        replica: str | None = None,
        backup_delay: timedelta = timedelta(seconds=2),
    ) -> None:
        self.store = store
        self.notifiers = list(notifiers)
        self.event_notifiers = {slug: list(ns) for slug, ns in (event_notifiers or {}).items()}
        self.zoom = zoom
        self.webinar_ids = dict(webinar_ids or {})
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.watch_every = watch_every
        self.claim_lease = claim_lease
        # Replicas: each event has one first sender among the replicas listening (see
        # set_peers); the others fire its cues ``backup_delay`` later, and their claims only
        # take what the first did not send (it stopped, or it is late).
        self.replica = replica
        self.backup_delay = backup_delay
        self._peers: tuple[str, ...] = ()
        self._first: dict[str, bool] = {}  # slug -> whether its jobs are timed as first sender
        # On PostgreSQL other replicas may run the same events: a claim is taken over only
        # once its lease is over (its holder stopped), never at once.
        self._replicas = store.engine.dialect.name == "postgresql"
        self._agendas: dict[str, CueAgenda] = {a.slug: a for a in agendas}
        self._plans: dict[str, dict[str, Cue]] = {}
        self._revisions: dict[str, int] = {}
        self._jobs: dict[str, set[str]] = {}  # slug -> ids of the jobs scheduled for it
        self._taken: set[str] = set()  # events whose interrupted deliveries were recovered
        # Guards the plans, the jobs and the two flags below; a re-plan, a retry and stop()
        # take it, so no job is added once stopping has begun.
        self._lock = threading.RLock()
        self._running = False
        self._stopping = False
        # One pool per channel: a slow or failing channel only queues its own deliveries.
        every = [*self.notifiers, *(n for ns in self.event_notifiers.values() for n in ns)]
        self._pools = {n.name: ThreadPoolExecutor(channel_workers, f"cue-{n.name}")
                       for n in every}
        self._pools[ZOOM_CHANNEL] = ThreadPoolExecutor(2, "cue-zoom")
        if store.engine.dialect.name == "sqlite":
            event.listen(store.engine, "connect", _sqlite_fast_commits)
            store.engine.dispose()
        store.upgrade()
        self.scheduler = make_scheduler()
        # Replicas: the claims held here are renewed well within their lease, so another
        # replica's sweep only ever takes over the claims of a replica that stopped.
        self._log = DeliveryLog(store, renew_every=claim_lease / 3 if self._replicas else None)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Rebuild every event's jobs from the delivery log and the live state, start firing.

        One read of each for all the events (a service may run hundreds): the start must be
        over before the first cue is due."""
        with self._lock:
            if self._running or self._stopping:
                raise RuntimeError("this CueScheduler was started already; make a new one")
            self._running = True
            self.scheduler.start(paused=True)
            slugs = list(self._agendas)
            self._take_over(slugs)
            records = load_live_records(self.store, slugs)
            rows = self._read_log(slugs)
            for slug in slugs:
                record = records[slug]
                self._replan(self._agendas[slug], record.live, record.revision,
                             rows.get(slug, {}), record.messages)
            self.scheduler.add_job(self._watch, "interval",
                                   seconds=self.watch_every.total_seconds(),
                                   id="watch-live-state", executor=WATCH,
                                   replace_existing=True)
        self.scheduler.resume()

    def stop(self, wait: bool = True) -> None:
        """Stop firing; what was not delivered is rebuilt from the delivery log at the next
        start.

        Race-free without touching APScheduler's internals: once ``stopping`` is set (under
        the planning lock) no job is added; removing every job waits for a pass over due jobs
        in progress (it holds the job-store lock; the cues it fires hand their claims to the
        delivery log), and leaves no due job for a later pass to hand to executors being shut
        down. Claims handed over before the stop still reach their channels (flush).
        ``wait``: also wait for deliveries in progress on the channels.
        """
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        if self.scheduler.running:
            self.scheduler.remove_all_jobs()
            self.scheduler.shutdown(wait=True)  # the watcher finishes its pass
        self._log.flush()  # claims committed now, handed to the channel pools still open
        for pool in self._pools.values():
            pool.shutdown(wait=wait)
        self._log.close()

    def __enter__(self) -> CueScheduler:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- planning -----------------------------------------------------------------------

    def reschedule(self, event_or_agenda: CueAgenda | EventSpec) -> list[Cue]:
        """(Re)plan an event from its stored live state; once started, make its jobs match
        the plan and the delivery log."""
        if isinstance(event_or_agenda, CueAgenda):
            agenda = event_or_agenda
        else:
            # An edited event file keeps the settings and speed this scheduler runs it with.
            known = self._agendas.get(event_or_agenda.key)
            agenda = agenda_from_event(event_or_agenda,
                                       settings=known.settings if known else None,
                                       speed=known.speed if known else 1.0)
        slug = agenda.slug
        with self._lock:
            scheduling = self._running and not self._stopping
            if scheduling:
                self._take_over([slug])
            record = load_live_record(self.store, slug)
            rows = self._read_log([slug]).get(slug, {}) if scheduling else {}
            return self._replan(agenda, record.live, record.revision, rows, record.messages)

    def _replan(self, agenda: CueAgenda, live: LiveState, revision: int,
                rows: dict[str, _LogRow],
                messages: Sequence[PresenterMessage] = ()) -> list[Cue]:
        """The event's plan under ``live``, with the messages to send on (``notify``); its
        jobs too once started (under the lock)."""
        slug = agenda.slug
        # Localised: each recipient's text names the segments in their language.
        cues = [c for c in plan_cues(agenda, live) if not c.projected]
        cues += [message_cue(m.id, m.text, m.at, agenda.zone) for m in messages if m.notify]
        self._agendas[slug] = agenda
        self._plans[slug] = {c.id: c for c in cues}  # replaced whole: fire() reads it unlocked
        self._revisions[slug] = revision
        if self._running and not self._stopping:
            self._schedule(agenda, cues, live, rows)
        return cues

    # -- replicas -----------------------------------------------------------------------

    def set_peers(self, peers: Sequence[str]) -> None:
        """The replicas listening on the database now (this one included, or none known).

        Each event's first sender is chosen among them by rendezvous hashing (each replica
        works out the same one, and a replica joining or leaving moves only its share of the
        events); when the set changes, every event's jobs are re-timed on the watcher's thread.
        """
        peers = tuple(sorted(peers))
        with self._lock:
            if peers == self._peers:
                return
            self._peers = peers
            if not (self._running and not self._stopping and self.scheduler.running):
                return
        self.scheduler.add_job(self._retime, executor=WATCH, id="retime-peers",
                               replace_existing=True)

    def first_sender(self, slug: str) -> bool:
        """Whether this replica sends the cues of ``slug`` at their due time (else
        ``backup_delay`` later, as a stand-in). Alone, or not knowing who else runs: yes."""
        peers = self._peers
        if not self._replicas or self.replica is None or self.replica not in peers:
            return True
        return max(peers, key=lambda r: hashlib.blake2b(
            f"{slug}\0{r}".encode(), digest_size=8).digest()) == self.replica

    def _retime(self) -> None:
        """Move the jobs of the events whose first sender changed: to the cue's due time
        (this replica now sends first: the one before stopped, say) or ``backup_delay`` after
        it. Nothing is read from the database: the plans stay; a retry keeps its time."""
        moved = 0
        with self._lock:
            if self._stopping:
                return
            for slug in list(self._agendas):
                first = self.first_sender(slug)
                if self._first.get(slug, first) == first:
                    continue
                self._first[slug] = first
                plan = self._plans.get(slug, {})
                was, now = ((self.backup_delay, timedelta(0)) if first
                            else (timedelta(0), self.backup_delay))
                for job_id in list(self._jobs.get(slug, ())):
                    job = self.scheduler.get_job(job_id)
                    cue = plan.get(job_id.split("|", 1)[1]) if job is not None else None
                    if job is None or cue is None or job.next_run_time != cue.due + was:
                        continue  # fired already, planned away, or a retry
                    self.scheduler.reschedule_job(job_id, trigger="date",
                                                  run_date=cue.due + now)
                    moved += 1
            first_of = sum(self._first.get(slug, True) for slug in self._agendas)
        log.info("replicas %s: this one (%s) sends %d of %d events first (%d jobs moved)",
                 ", ".join(self._peers) or "unknown", self.replica, first_of,
                 len(self._agendas), moved)

    def _schedule(self, agenda: CueAgenda, cues: list[Cue], live: LiveState,
                  rows: dict[str, _LogRow]) -> None:
        """Jobs for exactly the cues the delivery log does not show settled."""
        slug = agenda.slug
        settled, retry_at = self._progress(agenda, cues, rows)
        self._cancel_planned_away({c.id for c in cues}, live, rows)
        first = self._first[slug] = self.first_sender(slug)
        later = timedelta(0) if first else self.backup_delay
        wanted = {self._job_id(slug, c.id): (c.id, retry_at.get(c.id, c.due + later))
                  for c in cues if c.id not in settled}
        for job_id in self._jobs.get(slug, set()) - wanted.keys():
            try:
                self.scheduler.remove_job(job_id)
            except JobLookupError:
                pass  # it fired already
        for job_id, (cue_id, when) in wanted.items():
            self.scheduler.add_job(self.fire, "date", run_date=when, args=(slug, cue_id),
                                   id=job_id, replace_existing=True)
        self._jobs[slug] = set(wanted)

    def scheduled(self, slug: str) -> dict[str, datetime]:
        """cue id -> when its job fires, for the jobs of one event waiting now."""
        prefix = f"{slug}|"
        return {job.id.split("|", 1)[1]: job.next_run_time for job in self.scheduler.get_jobs()
                if job.id.startswith(prefix) and job.next_run_time is not None}

    def refresh(self, slug: str) -> None:
        """Re-plan one event now from its stored live state (a change made in this process,
        e.g. a webhook or the board; other processes' changes are seen by the watcher)."""
        agenda = self._agendas.get(slug)
        if agenda is not None and self.scheduler.running:
            self.reschedule(agenda)

    def add_event(self, agenda: CueAgenda) -> list[Cue]:
        """Start running the cues of one more event."""
        return self.reschedule(agenda)

    @staticmethod
    def _job_id(slug: str, cue_id: str) -> str:
        return f"{slug}|{cue_id}"

    def _read_log(self, slugs: list[str]) -> dict[str, dict[str, _LogRow]]:
        """slug -> delivery key -> its row, for these events (one query per 500 events)."""
        out: dict[str, dict[str, _LogRow]] = {slug: {} for slug in slugs}
        with self.store.session() as session:
            for i in range(0, len(slugs), 500):
                for row in session.execute(
                    select(CueDelivery.event_slug, CueDelivery.key, CueDelivery.cue_id,
                           CueDelivery.status, CueDelivery.next_attempt_at, CueDelivery.due,
                           CueDelivery.last_error)
                    .where(CueDelivery.event_slug.in_(slugs[i:i + 500]))
                ):
                    out[row.event_slug][row.key] = _LogRow(
                        row.cue_id, DeliveryStatus(row.status), row.next_attempt_at, row.due,
                        row.last_error)
        return out

    def _progress(self, agenda: CueAgenda, cues: list[Cue], rows: dict[str, _LogRow]
                  ) -> tuple[set[str], dict[str, datetime]]:
        """Cues whose every delivery is settled, and when the unsettled ones retry.

        Settled means a final row for every target the cue has (channel × recipient, or a
        Zoom action): a cue with no row yet, or with a target never claimed (a process killed
        while fanning it out), is not, so its job fires again and the claims let only the
        missing deliveries through."""
        settled: set[str] = set()
        retry_at: dict[str, datetime] = {}
        for cue in cues:
            found = [rows.get(key) for key in self._targets(agenda, cue)]
            if all(row is not None and row.status in FINAL for row in found):
                settled.add(cue.id)
            times = [row.next_attempt_at for row in found if row is not None
                     and row.status == DeliveryStatus.RETRYING
                     and row.next_attempt_at is not None]
            if times:
                retry_at[cue.id] = min(times)
        return settled, retry_at

    def _cancel_planned_away(self, planned: set[str], live: LiveState,
                             rows: dict[str, _LogRow]) -> None:
        """Give a final status to the deliveries still waiting (a retry) whose cue is no
        longer planned: nothing will fire them again, and every cue must be accounted for."""
        stranded = [(key, row) for key, row in rows.items()
                    if row.status in WAITING and row.cue_id not in planned]
        for i, (key, row) in enumerate(stranded):
            ended = live.ended_at is not None and row.due >= live.ended_at
            reason = ("planned away by the end of the webinar" if ended
                      else "planned away by next/shift/extend/start")
            log.info("cue delivery %s cancelled: %s", key, reason)
            self._log.cancel(key, f"{reason}; last error: {row.last_error}"
                             if row.last_error else reason, wait=i == len(stranded) - 1)

    def _watch(self) -> None:
        """Re-plan events whose live state changed (e.g. from another process)."""
        revisions = live_revisions(self.store)
        for slug in list(self._agendas):
            if revisions.get(slug, 0) == self._revisions.get(slug):
                continue
            try:
                self.reschedule(self._agendas[slug])
            except Exception:
                log.exception("re-planning %s failed", slug)
        if self._replicas:
            try:
                self._sweep()
            except Exception as exc:  # the database is away for a moment: the next tick
                log.warning("looking for claims of stopped replicas failed: %s", exc)

    def _take_over(self, slugs: list[str]) -> None:
        """Deliveries of these events claimed by a process that stopped before their
        outcome: the channel may have shown them, so they are recorded interrupted, never
        resent. Once per event, when this scheduler first schedules it; on PostgreSQL (other
        replicas) only claims older than ``claim_lease``, and :meth:`_sweep` goes on."""
        new = [slug for slug in slugs if slug not in self._taken]
        with self.store.session() as session:
            for i in range(0, len(new), 500):
                part = new[i:i + 500]
                stale = self._stale_claims(part)
                session.execute(
                    update(CueDelivery).where(stale)
                    .values(status=DeliveryStatus.INTERRUPTED, updated_at=utcnow(),
                            last_error="the scheduler stopped while delivering; not resent"))
        self._taken.update(new)

    def _stale_claims(self, slugs: list[str]) -> Any:
        where = [CueDelivery.event_slug.in_(slugs), CueDelivery.status == DeliveryStatus.SENDING]
        if self._replicas:
            where.append(CueDelivery.updated_at < utcnow() - self.claim_lease)
        return and_(*where)

    def _sweep(self) -> None:
        """Replicas only (PostgreSQL): a claim whose lease is over (the replica delivering it
        was killed) is recorded interrupted, never resent; a retry planned by a replica that
        stopped is scheduled here (its claim is conditional: one replica takes it)."""
        slugs = list(self._agendas)
        if not slugs:
            return
        now = utcnow()
        with self.store.session() as session:
            stale = self._stale_claims(slugs)
            # Locked in key order, as the delivery log's writers lock (no deadlock with them).
            taken = list(session.scalars(select(CueDelivery.key).where(stale)
                                         .order_by(CueDelivery.key).with_for_update()))
            if taken:
                session.execute(
                    update(CueDelivery).where(CueDelivery.key.in_(taken),
                                              CueDelivery.status == DeliveryStatus.SENDING)
                    .values(status=DeliveryStatus.INTERRUPTED, updated_at=now,
                            last_error="the replica delivering it stopped (its claim's lease "
                                       "ran out); not resent"))
                for key in taken:
                    log.warning("cue delivery %s interrupted: the replica delivering it "
                                "stopped; not resent", key)
            stranded = set(session.scalars(
                select(CueDelivery.event_slug).where(
                    CueDelivery.event_slug.in_(slugs),
                    CueDelivery.status == DeliveryStatus.RETRYING,
                    CueDelivery.next_attempt_at < now - 2 * self.watch_every).distinct()))
        for slug in sorted(stranded):
            log.info("retries of %s planned by a replica that stopped: scheduled here", slug)
            self.reschedule(self._agendas[slug])

    # -- firing -------------------------------------------------------------------------

    def fire(self, slug: str, cue_id: str) -> None:
        """Fan a cue out to every channel × recipient that still needs it (a job's callable).

        It runs on APScheduler's thread, which holds the job-store lock meanwhile: it takes
        no lock of ours (the plans are replaced whole, never changed in place) and calls no
        APScheduler method. Each delivery's claim goes to the delivery log; once committed,
        the delivery goes to its channel's pool (:meth:`_claimed`). Once stopping has begun
        it does nothing: the cue stays unsettled in the delivery log, and the next start
        schedules it again."""
        if self._stopping:
            return
        cue = self._plans.get(slug, {}).get(cue_id)
        agenda = self._agendas.get(slug)
        if cue is None or agenda is None:
            return  # planned away since this job was scheduled
        now = self.clock()
        if now < cue.due:  # never early, whatever the clocks' rounding
            threading.Event().wait((cue.due - now).total_seconds())
            now = self.clock()
        too_late = now - cue.due > agenda.settings.late_grace
        targets = list(self._targets(agenda, cue).items())
        # The whole fan-out goes to the delivery log in one transaction: a crash leaves every
        # delivery of the cue with a row (counted, recovered at the next start) or none.
        if too_late:
            self._log.missed_all([self._row(agenda.slug, cue, key, target,
                                            DeliveryStatus.MISSED) for key, target in targets],
                                 "found after the late grace period")
            return
        claims = self._log.claim_all_later([
            self._row(agenda.slug, cue, key, target, DeliveryStatus.SENDING)
            for key, target in targets])
        for (key, target), claim in zip(targets, claims, strict=True):
            claim.add_done_callback(partial(self._claimed, agenda, cue, key, target))

    def _claimed(self, agenda: CueAgenda, cue: Cue, key: str, target: tuple[str, Any],
                 claim: Future[int | None]) -> None:
        """On the delivery log's thread, once a claim is committed: the delivery goes to its
        channel's pool (None: delivered, failed or being delivered elsewhere)."""
        try:
            attempts = claim.result()
        except Exception as exc:
            log.warning("cue delivery %s not claimed (%s); the next start retries it", key, exc)
            return
        if attempts is None:
            return
        try:
            self._pools[target[0]].submit(self._send, agenda, cue, key, target, attempts)
        except RuntimeError:  # stop(wait=False) shut the pools: interrupted at the next start
            log.info("cue delivery %s claimed while stopping; not sent", key)

    def notifiers_for(self, slug: str) -> list[Notifier]:
        """The channels one event's cues go out on."""
        return self.event_notifiers.get(slug, self.notifiers)

    def _targets(self, agenda: CueAgenda, cue: Cue) -> dict[str, tuple[str, Any]]:
        """key -> (channel, recipient or action) for every delivery this cue needs."""
        out: dict[str, tuple[str, Any]] = {}
        # A quiet cue re-announces what people were already told: only enforcement acts on it.
        recipients = [] if cue.quiet else agenda.recipients_for(cue)
        for notifier in self.notifiers_for(agenda.slug):
            if cue.kind == CueKind.MESSAGE and notifier.name == BOARD_CHANNEL:
                continue  # every board shows the message itself, highlighted
            if notifier.per_cue:
                if recipients:
                    everyone = Everyone(tuple(recipients))
                    out[delivery_key(agenda.slug, cue.id, notifier.name, everyone.id)] = (
                        notifier.name, everyone)
                continue
            for recipient in recipients:
                if notifier.per_person and not recipient.wants(notifier.name):
                    continue
                if not notifier.accepts(self._probe(agenda, cue, recipient)):
                    continue
                key = delivery_key(agenda.slug, cue.id, notifier.name, recipient.id)
                out[key] = (notifier.name, recipient)
        s = agenda.settings
        if self.zoom is not None:
            if cue.kind == "hard_stop" and s.end_webinar_at_hard_stop:
                out[delivery_key(agenda.slug, cue.id, ZOOM_CHANNEL, "end_webinar")] = (
                    ZOOM_CHANNEL, "end_webinar")
        return out

    @staticmethod
    def _row(slug: str, cue: Cue, key: str, target: tuple[str, Any],
             status: DeliveryStatus) -> dict[str, Any]:
        channel, recipient = target
        return {"key": key, "event_slug": slug, "cue_id": cue.id, "kind": cue.kind,
                "segment": cue.segment, "channel": channel,
                "recipient": recipient.id if isinstance(recipient, Recipient | Everyone)
                else recipient,
                "due": cue.due, "status": status, "late": False,
                "attempts": 1 if status == DeliveryStatus.SENDING else 0,
                "updated_at": utcnow()}

    @staticmethod
    def _probe(agenda: CueAgenda, cue: Cue, recipient: Recipient) -> CueMessage:
        """What a channel's ``accepts`` looks at (who, which cue), without the text: every
        replica asks it of every cue's every recipient, and rendering is the costly part."""
        return CueMessage(key="", event_slug=agenda.slug, kind=cue.kind, due=cue.due, text="",
                          recipient_name=recipient.name, recipient_email=recipient.email,
                          segment=cue.segment)

    def _message(self, agenda: CueAgenda, cue: Cue, recipient: Recipient | Everyone, key: str,
                 late: bool) -> CueMessage:
        if isinstance(recipient, Everyone):
            # One message for all: each distinct text once (languages, zones), in plan order.
            texts = dict.fromkeys(cue.text_for(r) for r in recipient.recipients)
            return CueMessage(
                key=key, event_slug=agenda.slug, kind=cue.kind, due=cue.due.astimezone(
                    agenda.zone), text="\n".join(texts), recipient_name="everyone",
                segment=cue.segment, late=late,
                extra={"cue_id": cue.id, "recipient_id": recipient.id,
                       "language": ",".join(dict.fromkeys(r.language
                                                          for r in recipient.recipients)),
                       "audience": ",".join(cue.audience),
                       # In each board language, times in the event's zone (as a board
                       # shows it): a channel for the whole event picks its own.
                       "texts": json.dumps({lang: render_text(cue, lang, agenda.zone)
                                            for lang in LANGUAGES}, ensure_ascii=False)})
        segment = cue.segment
        if cue.segment_index is not None:
            segment = agenda.segments[cue.segment_index].title_in(recipient.language)
        return CueMessage(
            key=key, event_slug=agenda.slug, kind=cue.kind, due=cue.due.astimezone(
                recipient.zone), text=cue.text_for(recipient), recipient_name=recipient.name,
            recipient_email=recipient.email, segment=segment, late=late,
            extra={"cue_id": cue.id, "recipient_id": recipient.id,
                   "language": recipient.language, "audience": ",".join(cue.audience)})

    def _deliver(self, agenda: CueAgenda, cue: Cue, key: str, target: tuple[str, Any]) -> None:
        """Claim and send one delivery on this thread (a fall-back's second channel)."""
        attempts = self._log.claim(self._row(agenda.slug, cue, key, target,
                                             DeliveryStatus.SENDING))
        if attempts is not None:
            self._send(agenda, cue, key, target, attempts)

    def _send(self, agenda: CueAgenda, cue: Cue, key: str, target: tuple[str, Any],
              attempts: int) -> None:
        """Call the channel for a claimed delivery and record the outcome. The claim was
        committed before: a crash from here on can lose a cue (recorded as interrupted at
        the next start) but never send it twice."""
        channel, recipient = target
        now = self.clock()
        late = now - cue.due > agenda.settings.late_after
        try:
            if channel == ZOOM_CHANNEL:
                self._enforce(agenda.slug, str(recipient))
            else:
                notifier = next(n for n in self.notifiers_for(agenda.slug)
                                if n.name == channel)
                notifier.deliver(self._message(agenda, cue, recipient, key, late))
        except RecipientUnreachable as exc:
            self._fall_back(agenda, cue, key, recipient, exc)
            return
        except Exception as exc:
            self._failed(agenda, cue, key, attempts, exc)
            return
        self._log.finish(key, DeliveryStatus.DELIVERED, late=late, delivered_at=now)

    def _fall_back(self, agenda: CueAgenda, cue: Cue, key: str, recipient: Recipient,
                   exc: RecipientUnreachable) -> None:
        """This channel cannot reach the person: their next channel gets the cue (email,
        else the cue board), and the delivery is recorded as fell back, with the reason."""
        channels = {n.name: n for n in self.notifiers_for(agenda.slug)}
        email = channels.get("email")
        if email is not None and recipient.email:
            if recipient.wants("email"):
                where = "they get it by email"  # the email delivery is planned anyway
            else:
                # Inline, before this row is closed: a crash in between leaves both rows
                # claimed (interrupted at worst), never the cue lost without a trace.
                self._deliver(agenda, cue, delivery_key(agenda.slug, cue.id, "email",
                                                        recipient.id), ("email", recipient))
                where = "handed to email instead"
        elif "board" in channels:
            where = "the cue board shows it"
        else:
            where = "no other channel of theirs is set up"
        log.info("cue delivery %s fell back: %s; %s", key, exc, where)
        self._log.finish(key, DeliveryStatus.FELL_BACK, last_error=f"{exc}; {where}"[:500])

    def _enforce(self, slug: str, action: str) -> None:
        assert self.zoom is not None  # only targeted when a client is configured
        webinar_id = self.webinar_ids.get(slug) or self.store.webinar_id_for(slug)
        if webinar_id is None:
            raise RuntimeError(f"no webinar id known for {slug}; run apply first")
        if action != "end_webinar":
            raise RuntimeError(f"unknown Zoom action {action!r}")
        self.zoom.end_webinar(webinar_id)

    def _failed(self, agenda: CueAgenda, cue: Cue, key: str, attempts: int,
                exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if isinstance(exc, DeliveryError) and not exc.retry:
            # The channel cannot tell whether the message arrived: a retry could show it twice.
            log.warning("cue delivery %s failed and is not retried: %s", key, error)
            self._log.finish(key, DeliveryStatus.FAILED,
                             last_error=f"not retried: {error}"[:500])
            return
        now = self.clock()
        retry_at = now + self.backoff * (2 ** (attempts - 1))
        if attempts >= self.max_attempts or retry_at - cue.due > agenda.settings.late_grace:
            log.warning("cue delivery %s failed for good after %d attempts: %s",
                        key, attempts, error)
            self._log.finish(key, DeliveryStatus.FAILED, last_error=error)
            return
        # Under the planning lock: a re-plan either sees this row waiting (and cancels it if
        # the cue left the plan) or has already replaced the plan, which is checked here.
        with self._lock:
            if cue.id not in self._plans.get(agenda.slug, {}):
                log.info("cue delivery %s failed and its cue was planned away: cancelled", key)
                self._log.finish(key, DeliveryStatus.CANCELLED, wait=True, last_error=(
                    f"planned away while being delivered; last error: {error}")[:500])
                return
            log.info("cue delivery %s failed (attempt %d), retrying at %s: %s",
                     key, attempts, retry_at.isoformat(), error)
            self._log.finish(key, DeliveryStatus.RETRYING, last_error=error,
                             next_attempt_at=retry_at, wait=True)
            if self._stopping:
                return  # the next start schedules the retry from the delivery log
            job_id = self._job_id(agenda.slug, cue.id)
            self.scheduler.add_job(self.fire, "date", run_date=retry_at,
                                   args=(agenda.slug, cue.id), id=job_id,
                                   replace_existing=True)
            self._jobs.setdefault(agenda.slug, set()).add(job_id)


