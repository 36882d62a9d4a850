"""The cue scheduler: APScheduler with a persistent job store, a delivery log, live control.

APScheduler is configured here and nowhere else (:func:`make_scheduler`). Every planned cue is
one job in the state database (table ``cue_jobs``); when it fires, the cue fans out to every
(channel, recipient) pair, each with its own idempotency key in ``cue_delivery``:

    pending ──► sending ──► delivered (late=True if after ``late_after``)
       │           ├──────► retrying ──► sending …  ──► failed (attempts exhausted)
       │           ├──────► failed (the channel said a retry is unsafe: ``retry=False``)
       │           └──────► fell_back (the channel cannot reach this person, e.g. not a Team
       │                     Chat contact of the sender: the person's next channel, email,
       │                     gets the cue instead, else the cue board shows it; reason kept)
       └──► missed (found more than ``late_grace`` after its due time)
    pending / retrying ──► cancelled (its cue left the plan: next/shift/extend/start or an end
                                      recorded before it was due; never sent later)

A process killed mid-delivery leaves ``sending`` rows: on the next start they become
``interrupted`` (the channel may or may not have shown it) and are never sent again, so nothing
is delivered twice. Everything not yet attempted is rescheduled from the plan on start.

Live state (actual start, shifts, next, extend) lives in ``cue_live_state``; the use-case
functions below write it and bump a revision; a running :class:`CueScheduler` notices the
revision within a second and re-plans (so ``zoomorch cues shift`` from another terminal works).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor as APThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from sqlalchemy import (
    event,
    select,
    text,
    update,
)

from zoomorch.cues import (
    Cue,
    CueAgenda,
    LiveState,
    Recipient,
    agenda_from_event,
    plan_cues,
)
from zoomorch.db.store import StateStore, utcnow
from zoomorch.notify.base import CueMessage, DeliveryError, Notifier, RecipientUnreachable

if TYPE_CHECKING:
    from zoomorch.event import EventSpec

from zoomorch.delivery.log import (
    FINAL,
    JOB_TABLE,
    WAITING,
    ZOOM_CHANNEL,
    CueDelivery,
    DeliveryLog,
    delivery_key,
)
from zoomorch.live.state import CueLive, load_live_revision

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Everyone:
    """The target of a channel that takes each cue once (``per_cue``, e.g. a Team Chat
    channel): the cue's recipients together, in all their languages and zones."""

    recipients: tuple[Recipient, ...]
    id: str = "everyone"



# --------------------------------------------------------------------------- the scheduler


class ZoomControls(Protocol):
    """What enforcement needs of :class:`zoomorch.zoom.ZoomClient`."""

    def end_webinar(self, webinar_id: int) -> None: ...


class _StoppableScheduler(BackgroundScheduler):
    """APScheduler's background scheduler, with a pass over due jobs that never starts once
    stopping has begun.

    Its thread checks "paused?" before taking the job-store lock: a stop landing between the
    two let the pass submit a due cue to executors already shut down and then fail to remove
    the job (JobLookupError and a traceback in its thread). Checked under the lock, a pass
    either completes before :meth:`CueScheduler.stop` pauses or does nothing, and the job
    stays stored for the next start.
    """

    def _process_jobs(self) -> float | None:
        with self._jobstores_lock:
            if self.state != STATE_RUNNING:
                return None
            wait: float | None = super()._process_jobs()
            return wait


def make_scheduler(store: StateStore, workers: int = 16) -> BackgroundScheduler:
    """The one APScheduler configuration: cue jobs persist in the state database.

    ``misfire_grace_time=None`` because lateness is our decision (late vs missed, recorded),
    not APScheduler's silent skip.
    """
    return _StoppableScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=store.engine, tablename=JOB_TABLE),
            "memory": MemoryJobStore(),
        },
        executors={"default": APThreadPoolExecutor(workers)},
        job_defaults={"coalesce": False, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )


# APScheduler persists a job as a textual reference to a module-level function; the live
# objects it needs (notifiers, plans) live in the running scheduler, found here.
_RUNNING: CueScheduler | None = None


def fire_cue(event_slug: str, cue_id: str) -> None:
    """Job entry point: deliver one cue (or its pending retries)."""
    running = _RUNNING
    if running is None:
        log.warning("cue %s/%s fired with no scheduler running", event_slug, cue_id)
        return
    running.fire(event_slug, cue_id)


def _sqlite_fast_commits(dbapi_connection: Any, _record: Any) -> None:
    # WAL with synchronous=NORMAL survives a killed process (what restarts are about); only an
    # OS crash could lose the last commits. One fsync per commit would cap cue throughput.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class CueScheduler:
    """Runs the cues of one or more events and delivers them through the notifiers.

    ``zoom`` (optional) is used for enforcement that the event opts into: ending the webinar at
    the hard stop, starting cloud recording when the first segment starts. ``webinar_ids`` maps
    an event slug to its webinar id (default: the store's webinar bindings).
    ``event_notifiers`` gives an event its own channels (from its event file) instead of
    ``notifiers``.
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
        self._agendas: dict[str, CueAgenda] = {a.slug: a for a in agendas}
        self._plans: dict[str, dict[str, Cue]] = {}
        self._revisions: dict[str, int] = {}
        self._lock = threading.RLock()
        # One pool per channel: a slow or failing channel only queues its own deliveries.
        every = [*self.notifiers, *(n for ns in self.event_notifiers.values() for n in ns)]
        self._pools = {n.name: ThreadPoolExecutor(channel_workers, f"cue-{n.name}")
                       for n in every}
        self._pools[ZOOM_CHANNEL] = ThreadPoolExecutor(2, "cue-zoom")
        if store.engine.dialect.name == "sqlite":
            event.listen(store.engine, "connect", _sqlite_fast_commits)
            store.engine.dispose()
        store.create_all()
        self.scheduler = make_scheduler(store)
        self._log = DeliveryLog(store)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Recover from a previous run, schedule every remaining cue, start firing."""
        global _RUNNING
        if _RUNNING is not None and _RUNNING is not self:
            raise RuntimeError("another CueScheduler is running in this process; stop it first")
        _RUNNING = self
        self._recover_interrupted()
        self.scheduler.start(paused=True)
        for agenda in list(self._agendas.values()):
            self.reschedule(agenda)
        self.scheduler.add_job(self._watch, "interval",
                               seconds=self.watch_every.total_seconds(),
                               id="watch-live-state", jobstore="memory",
                               replace_existing=True)
        self.scheduler.resume()

    def stop(self, wait: bool = True) -> None:
        """Stop firing; jobs stay in the database for the next start."""
        global _RUNNING
        if self.scheduler.running:
            # Paused under the job-store lock: a pass over due jobs in progress finishes first
            # (its executors still run), and no later pass starts (_StoppableScheduler).
            with self.scheduler._jobstores_lock:
                self.scheduler.pause()
            self.scheduler.shutdown(wait=wait)
        for pool in self._pools.values():
            pool.shutdown(wait=wait)
        self._log.close()
        if _RUNNING is self:
            _RUNNING = None

    def __enter__(self) -> CueScheduler:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- planning -----------------------------------------------------------------------

    def reschedule(self, event_or_agenda: CueAgenda | EventSpec) -> list[Cue]:
        """(Re)plan an event from its stored live state and make the jobs match the plan."""
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
            live, revision = load_live_revision(self.store, slug)
            cues = [c for c in plan_cues(agenda, live) if not c.projected]
            self._agendas[slug] = agenda
            self._plans[slug] = {c.id: c for c in cues}
            self._revisions[slug] = revision
            settled, retry_at = self._progress(slug)
            self._cancel_planned_away(slug, {c.id for c in cues}, live)
            wanted: dict[str, datetime] = {}
            for cue in cues:
                if cue.id in settled:
                    continue
                wanted[self._job_id(slug, cue.id)] = retry_at.get(cue.id, cue.due)
            existing = self._job_ids(slug)
            for job_id in existing - wanted.keys():
                try:
                    self.scheduler.remove_job(job_id, jobstore="default")
                except JobLookupError:
                    pass
            for job_id, when in wanted.items():
                cue_id = job_id.split("|", 1)[1]
                self.scheduler.add_job(fire_cue, "date", run_date=when, args=(slug, cue_id),
                                       id=job_id, jobstore="default", replace_existing=True)
        return cues

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

    def _job_ids(self, slug: str) -> set[str]:
        # Straight from the table: listing jobs through APScheduler would unpickle all of them.
        prefix = f"{slug}|"
        with self.store.engine.connect() as conn:
            try:
                rows = conn.execute(text(f"SELECT id FROM {JOB_TABLE} WHERE id LIKE :p"),  # noqa: S608
                                    {"p": prefix.replace("%", r"\%") + "%"}).all()
            except Exception:  # table not created yet (scheduler never started)
                return set()
        return {r[0] for r in rows if r[0].startswith(prefix)}

    def _progress(self, slug: str) -> tuple[set[str], dict[str, datetime]]:
        """Cues whose every delivery is settled, and when the unsettled ones retry."""
        by_cue: dict[str, list[tuple[str, datetime | None]]] = {}
        with self.store.session() as session:
            for cue_id, status, next_at in session.execute(
                select(CueDelivery.cue_id, CueDelivery.status, CueDelivery.next_attempt_at)
                .where(CueDelivery.event_slug == slug)
            ):
                by_cue.setdefault(cue_id, []).append((status, next_at))
        settled = {c for c, rows in by_cue.items() if all(s in FINAL for s, _ in rows)}
        retry_at: dict[str, datetime] = {}
        for cue_id, rows in by_cue.items():
            times = [n for s, n in rows if s == "retrying" and n is not None]
            if times:
                retry_at[cue_id] = min(times)
        return settled, retry_at

    def _cancel_planned_away(self, slug: str, planned: set[str], live: LiveState) -> None:
        """Give a final status to the deliveries still waiting (a retry) whose cue is no
        longer planned: nothing will fire them again, and every cue must be accounted for."""
        with self.store.session() as session:
            stranded = [(key, due, error) for key, cue_id, due, error in session.execute(
                select(CueDelivery.key, CueDelivery.cue_id, CueDelivery.due,
                       CueDelivery.last_error)
                .where(CueDelivery.event_slug == slug, CueDelivery.status.in_(WAITING))
            ) if cue_id not in planned]
        for i, (key, due, error) in enumerate(stranded):
            ended = live.ended_at is not None and due >= live.ended_at
            reason = ("planned away by the end of the webinar" if ended
                      else "planned away by next/shift/extend/start")
            log.info("cue delivery %s cancelled: %s", key, reason)
            self._log.cancel(key, f"{reason}; last error: {error}" if error else reason,
                             wait=i == len(stranded) - 1)

    def _watch(self) -> None:
        """Re-plan events whose live state changed (e.g. from another process)."""
        with self.store.session() as session:
            revisions = dict(session.execute(select(CueLive.event_slug, CueLive.revision)).all())
        for slug in list(self._agendas):
            if revisions.get(slug, 0) == self._revisions.get(slug):
                continue
            try:
                self.reschedule(self._agendas[slug])
            except Exception:
                log.exception("re-planning %s failed", slug)

    def _recover_interrupted(self) -> None:
        with self.store.session() as session:
            session.execute(
                update(CueDelivery).where(CueDelivery.status == "sending")
                .values(status="interrupted", updated_at=utcnow(),
                        last_error="the scheduler stopped while delivering; not resent")
            )

    # -- firing -------------------------------------------------------------------------

    def fire(self, slug: str, cue_id: str) -> None:
        """Fan a cue out to every channel × recipient that still needs it."""
        with self._lock:
            cue = self._plans.get(slug, {}).get(cue_id)
            agenda = self._agendas.get(slug)
        if cue is None or agenda is None:
            return  # planned away since this job was stored
        now = self.clock()
        if now < cue.due:  # never early, whatever the job store's rounding
            threading.Event().wait((cue.due - now).total_seconds())
            now = self.clock()
        too_late = now - cue.due > agenda.settings.late_grace
        for key, target in self._targets(agenda, cue).items():
            if too_late:
                self._log.missed(self._row(agenda.slug, cue, key, target, "missed"),
                                 "found after the late grace period")
            else:
                self._pools[target[0]].submit(self._deliver, agenda, cue, key, target)

    def notifiers_for(self, slug: str) -> list[Notifier]:
        """The channels one event's cues go out on."""
        return self.event_notifiers.get(slug, self.notifiers)

    def _targets(self, agenda: CueAgenda, cue: Cue) -> dict[str, tuple[str, Any]]:
        """key -> (channel, recipient or action) for every delivery this cue needs."""
        out: dict[str, tuple[str, Any]] = {}
        # A quiet cue re-announces what people were already told: only enforcement acts on it.
        recipients = [] if cue.quiet else agenda.recipients_for(cue)
        for notifier in self.notifiers_for(agenda.slug):
            if getattr(notifier, "per_cue", False):
                if recipients:
                    everyone = Everyone(tuple(recipients))
                    out[delivery_key(agenda.slug, cue.id, notifier.name, everyone.id)] = (
                        notifier.name, everyone)
                continue
            for recipient in recipients:
                if getattr(notifier, "per_person", True) and not recipient.wants(notifier.name):
                    continue
                accepts = getattr(notifier, "accepts", None)
                if accepts is not None and not accepts(
                        self._message(agenda, cue, recipient, "", late=False)):
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
             status: str) -> dict[str, Any]:
        channel, recipient = target
        return {"key": key, "event_slug": slug, "cue_id": cue.id, "kind": cue.kind,
                "segment": cue.segment, "channel": channel,
                "recipient": recipient.id if isinstance(recipient, Recipient | Everyone)
                else recipient,
                "due": cue.due, "status": status, "late": False,
                "attempts": 1 if status == "sending" else 0, "updated_at": utcnow()}

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
                       "audience": ",".join(cue.audience)})
        return CueMessage(
            key=key, event_slug=agenda.slug, kind=cue.kind, due=cue.due.astimezone(
                recipient.zone), text=cue.text_for(recipient), recipient_name=recipient.name,
            recipient_email=recipient.email, segment=cue.segment, late=late,
            extra={"cue_id": cue.id, "recipient_id": recipient.id,
                   "language": recipient.language, "audience": ",".join(cue.audience)})

    def _deliver(self, agenda: CueAgenda, cue: Cue, key: str, target: tuple[str, Any]) -> None:
        channel, recipient = target
        # The claim is committed before the channel is called: a crash after it can lose a
        # cue (recorded as interrupted) but never send it twice.
        attempts = self._log.claim(self._row(agenda.slug, cue, key, target, "sending"))
        if attempts is None:
            return  # delivered, failed or being delivered by someone else
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
        self._log.finish(key, status="delivered", late=late, delivered_at=now)

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
        self._log.finish(key, status="fell_back", last_error=f"{exc}; {where}"[:500])

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
            self._log.finish(key, status="failed", last_error=f"not retried: {error}"[:500])
            return
        now = self.clock()
        retry_at = now + self.backoff * (2 ** (attempts - 1))
        if attempts >= self.max_attempts or retry_at - cue.due > agenda.settings.late_grace:
            log.warning("cue delivery %s failed for good after %d attempts: %s",
                        key, attempts, error)
            self._log.finish(key, status="failed", last_error=error)
            return
        # Under the planning lock: a re-plan either sees this row waiting (and cancels it if
        # the cue left the plan) or has already replaced the plan, which is checked here.
        with self._lock:
            if cue.id not in self._plans.get(agenda.slug, {}):
                log.info("cue delivery %s failed and its cue was planned away: cancelled", key)
                self._log.finish(key, status="cancelled", wait=True, last_error=(
                    f"planned away while being delivered; last error: {error}")[:500])
                return
            log.info("cue delivery %s failed (attempt %d), retrying at %s: %s",
                     key, attempts, retry_at.isoformat(), error)
            self._log.finish(key, status="retrying", last_error=error,
                             next_attempt_at=retry_at, wait=True)
            self.scheduler.add_job(fire_cue, "date", run_date=retry_at,
                                   args=(agenda.slug, cue.id),
                                   id=self._job_id(agenda.slug, cue.id),
                                   jobstore="default", replace_existing=True)


