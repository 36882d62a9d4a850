"""Executing a :class:`SyncPlan` against Zoom: batched, paced by the client, crash-safe.

Every write call is written to the ledger before it leaves and closed when Zoom answers. A
run first lists Zoom's registrants in every status and closes any call a previous run left
open with what Zoom actually holds; only then is the plan made, so nobody is sent twice.
A row Zoom refuses is isolated (its batch is split until the refused person is alone) and
reported as rejected; it never stops the others. A person Zoom turns away under its per-person
daily rule (HTTP 429 naming them) is deferred, with the time they can be retried; the rest of the
run goes on. So is a call Zoom fails after the client's retries (HTTP 5xx, or no answer): its
people are deferred with that reason (those Zoom's list shows it registered anyway count as
added) and the other calls go on, unless Zoom is plainly down: after
:data:`STOP_AFTER_FAILED_CALLS` failed calls in a row the run stops. A refusal that concerns the
account (credentials, scopes, the account's daily quota, the webinar gone) stops it at once.

Ctrl-C (or an unexpected error) stops a run promptly: calls not yet started are dropped, the
calls in flight finish and are recorded, and the run is marked interrupted in the ledger; the
next run reconciles and converges like after any crash.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from zoomorch.registrants.ledger import ADD_KINDS, SyncLedger
from zoomorch.registrants.normalise import Registration, RegistrationList, Rejection
from zoomorch.registrants.output import RegistrantLine
from zoomorch.registrants.plan import (
    Action,
    Addition,
    Deferral,
    DeferralReason,
    Outcome,
    StatusChange,
    SyncCounts,
    SyncPlan,
    Via,
    ZoomRegistrant,
    index_registrants,
    plan_sync,
)
from zoomorch.registrants.values import email_key
from zoomorch.zoom import (
    ZoomClient,
    ZoomConnectionError,
    ZoomError,
    ZoomRegistrantDailyLimit,
    ZoomValidationError,
)
from zoomorch.zoom.client import (
    REGISTRANT_STATUSES,
    REGISTRANTS_PER_BATCH,
    REGISTRANTS_PER_STATUS_UPDATE,
)

_AFTER_ACTION = {Action.APPROVE: "approved", Action.DENY: "denied", Action.CANCEL: "cancelled"}

log = logging.getLogger(__name__)

# Zoom is taken to be down, and the run stops, after this many write calls in a row that Zoom
# failed after their retries (each already tried 5 times with backoff): a 10% error rate fails
# one call in 100,000, so five in a row is an outage, not bad luck.
STOP_AFTER_FAILED_CALLS = 5


class SyncAborted(RuntimeError):
    """Zoom stopped the sync (credentials, webinar gone, quota...); a re-run resumes it."""

    def __init__(self, message: str, report: SyncReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class SyncProgress(Protocol):
    """Where the executor reports progress (the CLI draws a rich progress bar)."""

    def start(self, description: str, total: int) -> None: ...

    def advance(self, people: int) -> None: ...


class _NoProgress:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, people: int) -> None:
        pass


@dataclass
class SyncReport:
    """What a sync found, planned and did."""

    source: RegistrationList
    plan: SyncPlan
    counts: SyncCounts
    dry_run: bool
    rejections: list[Rejection]  # the list's own rejects plus rows Zoom refused
    deferrals: list[Deferral] = field(default_factory=list)  # rows left for a later run
    lines: list[RegistrantLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)  # by "METHOD /path-template"
    run_id: int | None = None

    @property
    def write_calls(self) -> int:
        return sum(n for key, n in self.calls.items() if not key.startswith("GET "))

    @property
    def list_calls(self) -> int:
        return sum(n for key, n in self.calls.items() if key.startswith("GET "))


def _row_level(error: ZoomError) -> bool:
    """Is this refusal about the people in the call (rather than the webinar or account)?"""
    if isinstance(error, ZoomValidationError):
        return True
    return error.status == 400 and error.code in (300, None)


def _zoom_failed(error: ZoomError) -> bool:
    """Did Zoom fail the call itself (5xx or no answer after the retries), rather than refuse?"""
    return isinstance(error, ZoomConnectionError) or (
        error.status is not None and error.status >= 500)


def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class RegistrantSync:
    """Sync one webinar's registrants with a registration list."""

    def __init__(
        self,
        client: ZoomClient,
        webinar_id: int,
        *,
        ledger: SyncLedger | None,
        automatic_approval: bool,
        workers: int = 4,
        progress: SyncProgress | None = None,
    ) -> None:
        self.client = client
        self.webinar_id = webinar_id
        self.ledger = ledger
        self.automatic_approval = automatic_approval
        self.workers = max(1, workers)
        self.progress: SyncProgress = progress or _NoProgress()
        self._lock = threading.Lock()
        self._seq = 0
        self._stop: ZoomError | None = None

    # -- reading Zoom --------------------------------------------------------------------

    def list_registrants(self) -> list[ZoomRegistrant]:
        """Zoom's registrants in every status (pending, approved, denied)."""
        found: list[ZoomRegistrant] = []
        for status in REGISTRANT_STATUSES:
            for item in self.client.iter_registrants(self.webinar_id, status):
                found.append(ZoomRegistrant(
                    id=item.id or "", email=item.email, status=item.status or status,
                    first_name=item.first_name or "", last_name=item.last_name or "",
                    join_url=item.join_url or "",
                ))
        return found

    def _reconcile(self, zoom: Sequence[ZoomRegistrant]) -> list[str]:
        """Close the calls a previous run left open, from what Zoom now lists."""
        if self.ledger is None:
            return []
        index = index_registrants(zoom)
        notes = []
        for call in self.ledger.interrupted():
            present = [index[email_key(e)] for e in call.emails if email_key(e) in index]
            found = [{"email": r.email, "registrant_id": r.id, "join_url": r.join_url}
                     for r in present]
            self.ledger.reconcile(call, found)
            if call.kind in ADD_KINDS:
                notes.append(
                    f"an earlier run was interrupted while registering {len(call.emails)} "
                    f"people (run {call.run_id}, call {call.seq}): {len(found)} reached Zoom, "
                    f"{len(call.emails) - len(found)} are planned again"
                )
            else:
                notes.append(
                    f"an earlier run was interrupted during a {call.kind} of "
                    f"{len(call.emails)} registrants (run {call.run_id}, call {call.seq}); "
                    "their statuses are re-planned from Zoom's list"
                )
        return notes

    # -- running -------------------------------------------------------------------------

    def run(
        self,
        source: RegistrationList,
        *,
        prune: bool = False,
        dry_run: bool = False,
        source_label: str = "",
        source_sha256: str = "",
    ) -> SyncReport:
        """List Zoom, reconcile, plan, and (unless ``dry_run``) apply the plan."""
        before = Counter(self.client.calls)
        zoom = self.list_registrants()
        notes = [] if dry_run else self._reconcile(zoom)
        adds_today = self.ledger.adds_today() if self.ledger is not None else {}
        plan = plan_sync(source, zoom, automatic_approval=self.automatic_approval, prune=prune,
                         adds_today=adds_today, now=self.client.server_now())
        notes.extend(plan.notes)
        report = SyncReport(source=source, plan=plan, counts=plan.counts(source),
                            dry_run=dry_run, rejections=list(source.rejections),
                            deferrals=list(plan.deferred), notes=notes)
        if dry_run:
            report.calls = Counter(self.client.calls) - before
            return report

        run_id = (self.ledger.start_run(source_label, source_sha256)
                  if self.ledger is not None else None)
        report.run_id = run_id
        execution = _Execution(self, run_id, plan)
        try:
            execution.apply()
        except BaseException as exc:
            # Ctrl-C or a bug: the calls that left are recorded; say so on the run itself.
            if self.ledger is not None and run_id is not None:
                what = ("interrupted" if isinstance(exc, KeyboardInterrupt)
                        else f"failed: {type(exc).__name__}: {exc}"[:500])
                try:
                    self.ledger.finish_run(run_id, what, {})
                except Exception:  # the database may be what failed; the re-run copes
                    log.warning("could not mark sync run %s as %s", run_id, what)
            raise
        finally:
            report.calls = Counter(self.client.calls) - before
        report.deferrals = execution.all_deferrals()
        report.counts = execution.counts(source)
        report.rejections.extend(execution.refused)
        report.notes.extend(execution.notes)
        report.lines = execution.lines(source, zoom)
        if self.ledger is not None and run_id is not None:
            outcome = f"aborted: {self._stop}" if self._stop else "completed"
            self.ledger.finish_run(run_id, outcome,
                                   {o.value: n for o, n in report.counts.by_outcome.items()})
        if self._stop is not None:
            raise SyncAborted(
                f"Zoom stopped the sync: {self._stop}. Nothing is lost: run the same command "
                "again to resume.", report,
            ) from self._stop
        return report

    def _next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq


class _Execution:
    """The mutable state of applying one plan (shared by the worker threads)."""

    def __init__(self, sync: RegistrantSync, run_id: int | None, plan: SyncPlan) -> None:
        self.sync = sync
        self.client = sync.client
        self.ledger = sync.ledger
        self.run_id = run_id
        self.plan = plan
        self.lock = threading.Lock()
        self.added: dict[str, tuple[Addition, str, str]] = {}  # key -> (addition, id, join_url)
        self.status_after: dict[str, str] = {}  # key -> status after this run's changes
        self.outcome: dict[str, Outcome] = {}  # key -> outcome, where it differs from the plan
        self.refused: list[Rejection] = []
        self.deferred: dict[str, Deferral] = {}  # key -> why this row waits for a later run
        self.notes: list[str] = []
        self.pruned = 0
        self.failed_in_a_row = 0  # write calls Zoom failed since it last answered one
        # Set when the run is being abandoned (Ctrl-C, an unexpected error): units in flight
        # send nothing more (their batch splits included).
        self.cancelled = threading.Event()

    # -- orchestration -------------------------------------------------------------------

    def apply(self) -> None:
        plan = self.plan
        follow_ups = sum(1 for a in plan.additions if a.then is not None)
        self.sync.progress.start("Registering", plan.write_count + follow_ups)
        add_units: list[Callable[[], None]] = []
        for approve in (True, False):
            group = [a for a in plan.additions if a.via is Via.BATCH and a.auto_approve == approve]
            for chunk in _chunks(group, REGISTRANTS_PER_BATCH):
                add_units.append(partial(self._batch_add, chunk, approve))
        for addition in plan.additions:
            if addition.via is Via.SINGLE:
                add_units.append(partial(self._single_add, addition))
        self._run_all(add_units)

        changes: list[StatusChange] = []
        for addition, registrant_id, join_url in list(self.added.values()):
            if addition.then is not None:
                registrant = ZoomRegistrant(registrant_id, addition.registration.email,
                                            self._status_on_add(addition), join_url=join_url)
                changes.append(StatusChange(addition.then, registrant, addition.registration))
        changes.extend(plan.status_changes)
        changes.extend(plan.prunes)
        status_units: list[Callable[[], None]] = []
        for action in Action:
            same = [c for c in changes if c.action is action]
            for chunk in _chunks(same, REGISTRANTS_PER_STATUS_UPDATE):
                status_units.append(partial(self._change_status, action, chunk))
        self._run_all(status_units)

    def _run_all(self, units: Sequence[Callable[[], None]]) -> None:
        """Run ``units`` on the worker pool. On Ctrl-C or an error from a unit, the units not
        started are cancelled and the calls in flight finish (and reach the ledger) before
        the exception goes on: leaving the pool's ``with`` would first run the whole queue."""
        if not units:
            return
        pool = ThreadPoolExecutor(max_workers=min(self.sync.workers, len(units)),
                                  thread_name_prefix="registrant-sync")
        futures: list[Future[None]] = []
        try:
            futures.extend(pool.submit(self._guarded, unit) for unit in units)
            for future in futures:
                future.result()
        except BaseException:
            self.cancelled.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _guarded(self, unit: Callable[[], None]) -> None:
        try:
            unit()
        except BaseException:
            # Before the waiting thread hears of it: a worker taking the next unit meanwhile
            # must already see the run abandoned.
            self.cancelled.set()
            raise

    def _stopped(self) -> bool:
        return self.sync._stop is not None or self.cancelled.is_set()

    def _fatal(self, error: ZoomError) -> None:
        with self.lock:
            if self.sync._stop is None:
                self.sync._stop = error

    def _begin(self, kind: str, emails: list[str], auto_approve: bool | None = None) -> int | None:
        if self.ledger is None or self.run_id is None:
            return None
        return self.ledger.sending(self.run_id, self.sync._next_seq(), kind, emails, auto_approve)

    def _sent(self, call_id: int | None, result: list[dict[str, Any]] | None = None) -> None:
        self._answered()
        if self.ledger is not None and call_id is not None:
            self.ledger.sent(call_id, result)

    def _answered(self) -> None:
        """Zoom answered a call (yes or a refusal): it is up."""
        with self.lock:
            self.failed_in_a_row = 0

    def _zoom_failed_call(self, error: ZoomError) -> None:
        """Count a call Zoom failed; enough of them in a row stop the run (Zoom is down)."""
        with self.lock:
            self.failed_in_a_row += 1
            down = self.failed_in_a_row >= STOP_AFTER_FAILED_CALLS
            if down and self.sync._stop is None:
                self.sync._stop = ZoomError(
                    f"Zoom failed {self.failed_in_a_row} calls in a row, each after its "
                    f"retries (the last: {error}); it looks down, so the run stopped",
                    status=error.status, code=error.code)

    def _failed(self, call_id: int | None, error: ZoomError) -> None:
        # A call that may have reached Zoom stays open ("sending") for the next run to reconcile.
        if isinstance(error, ZoomConnectionError) and getattr(error, "ambiguous", True):
            return
        if self.ledger is not None and call_id is not None:
            self.ledger.failed(call_id, str(error))

    # -- outcomes ------------------------------------------------------------------------

    def _defer(self, registrations: Iterable[Registration], reason: DeferralReason,
               error: ZoomError | None = None) -> None:
        """Leave these rows for a later run, each with its true reason and retry time."""
        retry_at = getattr(error, "resets_at", None)
        detail = ""
        if reason is DeferralReason.RUN_STOPPED and error is not None:
            detail = error.message
        elif isinstance(error, ZoomRegistrantDailyLimit):
            detail = "Zoom refused with HTTP 429 for this person"
        elif reason is DeferralReason.ZOOM_FAILED and error is not None:
            detail = str(error)
        with self.lock:
            for registration in registrations:
                self.outcome[registration.key] = Outcome.DEFERRED
                self.deferred.setdefault(registration.key, Deferral(
                    registration, reason, retry_at, detail))

    def _stopped_before(self, registrations: Iterable[Registration]) -> None:
        """The run stopped (or is being abandoned) before these rows were sent."""
        self._defer(registrations, DeferralReason.RUN_STOPPED, self.sync._stop)

    def all_deferrals(self) -> list[Deferral]:
        """The plan's deferrals and this run's, one per row, in list order."""
        out = {d.registration.key: d for d in self.plan.deferred}
        out.update(self.deferred)
        return sorted(out.values(), key=lambda d: d.registration.row)

    def _refuse(self, registration: Registration, error: ZoomError, doing: str) -> None:
        with self.lock:
            self.outcome[registration.key] = Outcome.REJECTED
            self.refused.append(Rejection(
                registration.row, f"Zoom refused to {doing}: {error.message}",
                registration.email, registration.cells,
            ))

    def _status_on_add(self, addition: Addition) -> str:
        approved = self.sync.automatic_approval or (
            addition.via is Via.BATCH and addition.auto_approve)
        return "approved" if approved else "pending"

    # -- the calls -----------------------------------------------------------------------

    def _batch_add(self, additions: list[Addition], auto_approve: bool) -> None:
        if self._stopped():
            self._stopped_before([a.registration for a in additions])
            return
        emails = [a.registration.email for a in additions]
        call_id = self._begin("batch_add", emails, auto_approve)
        try:
            created = self.client.batch_add_registrants(
                self.sync.webinar_id, [a.registration.zoom_fields() for a in additions],
                auto_approve=auto_approve,
            )
        except ZoomRegistrantDailyLimit as error:
            self._failed(call_id, error)
            # Zoom may have registered those before the refused person; re-sending them would
            # spend their own allowance.
            additions = self._keep_missing(additions, call_id)
            named = [a for a in additions if a.registration.key == email_key(error.email)]
            if named or len(additions) == 1:
                refused = named or additions
                self._defer([a.registration for a in refused],
                            DeferralReason.PERSON_DAILY_LIMIT, error)
                self.sync.progress.advance(len(refused))
                rest = [a for a in additions if a not in refused]
                if rest:
                    self._batch_add(rest, auto_approve)
            elif additions:
                half = len(additions) // 2
                self._batch_add(additions[:half], auto_approve)
                self._batch_add(additions[half:], auto_approve)
            return
        except ZoomError as error:
            if _zoom_failed(error):
                self._adds_failed(additions, call_id, error)
                return
            self._answered()
            self._failed(call_id, error)
            if not _row_level(error):
                self._fatal(error)
                self._stopped_before([a.registration for a in additions])
            elif len(additions) == 1:
                self._refused_add(additions[0], error)
            else:
                # Split until the refused person is alone; everyone else still goes through.
                half = len(additions) // 2
                self._batch_add(additions[:half], auto_approve)
                self._batch_add(additions[half:], auto_approve)
            return
        result = [{"email": c.email, "registrant_id": c.registrant_id, "join_url": c.join_url}
                  for c in created]
        self._sent(call_id, result)
        by_key = {email_key(c.email): c for c in created}
        with self.lock:
            for addition in additions:
                got = by_key.get(addition.registration.key)
                if got is not None:
                    self.added[addition.registration.key] = (
                        addition, got.registrant_id or "", got.join_url or "")
        self.sync.progress.advance(len(additions))

    def _adds_failed(self, additions: list[Addition], call_id: int | None,
                     error: ZoomError) -> None:
        """Zoom failed an add call after its retries: defer its people, the run goes on.

        A 5xx or a lost answer on a write may still have registered some of them, so Zoom's
        list is asked first: those it holds count as added and are never sent again.
        """
        self._zoom_failed_call(error)
        try:
            missing = self._keep_missing(additions, call_id)
        except ZoomError:
            # Zoom cannot even list: the call stays open in the ledger, and the next run
            # closes it from Zoom's list before planning.
            missing = additions
        else:
            self._failed(call_id, error)
        self._defer([a.registration for a in missing], DeferralReason.ZOOM_FAILED, error)
        self.sync.progress.advance(len(missing))

    def _keep_missing(self, additions: list[Addition], call_id: int | None) -> list[Addition]:
        """Record those of ``additions`` Zoom already holds; return the others."""
        index = index_registrants(self.sync.list_registrants())
        missing: list[Addition] = []
        landed: list[dict[str, Any]] = []
        with self.lock:
            for addition in additions:
                found = index.get(addition.registration.key)
                if found is None:
                    missing.append(addition)
                    continue
                self.added[addition.registration.key] = (addition, found.id, found.join_url)
                landed.append({"email": found.email, "registrant_id": found.id,
                               "join_url": found.join_url})
        if landed and self.ledger is not None and call_id is not None:
            self.ledger.reconcile_partial(call_id, landed)
        self.sync.progress.advance(len(additions) - len(missing))
        return missing

    def _single_add(self, addition: Addition) -> None:
        if self._stopped():
            self._stopped_before([addition.registration])
            return
        call_id = self._begin("add", [addition.registration.email])
        try:
            created = self.client.add_registrant(
                self.sync.webinar_id, addition.registration.zoom_fields())
        except ZoomError as error:
            if _zoom_failed(error):
                self._adds_failed([addition], call_id, error)
                return
            self._answered()
            self._failed(call_id, error)
            if isinstance(error, ZoomRegistrantDailyLimit) or _row_level(error):
                self._refused_add(addition, error)
            else:
                self._fatal(error)
                self._stopped_before([addition.registration])
            return
        self._sent(call_id, [{"email": addition.registration.email,
                              "registrant_id": created.registrant_id,
                              "join_url": created.join_url}])
        with self.lock:
            self.added[addition.registration.key] = (
                addition, created.registrant_id or "", created.join_url or "")
        self.sync.progress.advance(1)

    def _refused_add(self, addition: Addition, error: ZoomError) -> None:
        registration = addition.registration
        if isinstance(error, ZoomRegistrantDailyLimit):
            self._defer([registration], DeferralReason.PERSON_DAILY_LIMIT, error)
        else:
            self._refuse(registration, error, "register this row")
        self.sync.progress.advance(1)

    def _change_status(self, action: Action, changes: list[StatusChange]) -> None:
        if self._stopped():
            self._stopped_before([c.registration for c in changes if c.registration is not None])
            return
        emails = [c.registrant.email for c in changes]
        call_id = self._begin(action.value, emails)
        try:
            self.client.update_registrant_status(
                self.sync.webinar_id, action.value,
                [{"id": c.registrant.id, "email": c.registrant.email} for c in changes],
            )
        except ZoomError as error:
            self._failed(call_id, error)
            if _zoom_failed(error):
                self._changes_failed(action, changes, error)
                return
            self._answered()
            person_rule = isinstance(error, ZoomRegistrantDailyLimit)
            if not person_rule and not _row_level(error):
                self._fatal(error)
                self._stopped_before([c.registration for c in changes
                                      if c.registration is not None])
            elif len(changes) == 1:
                self._status_refused(action, changes[0], error)
            else:
                # Zoom may have changed those before the refused person: the next run re-plans
                # them from Zoom's list, so only the still-different ones are sent again.
                half = len(changes) // 2
                self._change_status(action, changes[:half])
                self._change_status(action, changes[half:])
            return
        self._sent(call_id)
        with self.lock:
            for change in changes:
                self.status_after[change.registrant.key] = _AFTER_ACTION[action]
                if change.registration is None:
                    self.pruned += 1
        self.sync.progress.advance(len(changes))

    def _changes_failed(self, action: Action, changes: list[StatusChange],
                        error: ZoomError) -> None:
        """Zoom failed a status call after its retries: its people wait for the next run,
        which re-plans their statuses from Zoom's list; the rest of the run goes on."""
        self._zoom_failed_call(error)
        self._defer([c.registration for c in changes if c.registration is not None],
                    DeferralReason.ZOOM_FAILED, error)
        pruned = [c.registrant.email for c in changes if c.registration is None]
        if pruned:
            with self.lock:
                self.notes.append(
                    f"Zoom failed to {action.value} {len(pruned)} registrants no longer on the "
                    f"list ({', '.join(pruned[:5])}{', …' if len(pruned) > 5 else ''}): "
                    f"{error}; the next run with --prune tries again")
        self.sync.progress.advance(len(changes))

    def _status_refused(self, action: Action, change: StatusChange, error: ZoomError) -> None:
        if change.registration is None:
            with self.lock:
                self.notes.append(f"Zoom refused to {action.value} "
                                  f"{change.registrant.email}: {error.message}")
        elif isinstance(error, ZoomRegistrantDailyLimit):
            self._defer([change.registration], DeferralReason.PERSON_DAILY_LIMIT, error)
        else:
            self._refuse(change.registration, error, f"{action.value} this registrant")
        self.sync.progress.advance(1)

    # -- results -------------------------------------------------------------------------

    def counts(self, source: RegistrationList) -> SyncCounts:
        """Every input row's actual outcome."""
        planned: dict[str, Outcome] = {}
        for addition in self.plan.additions:
            planned[addition.registration.key] = Outcome.ADDED
        for change in self.plan.status_changes:
            if change.registration is not None:
                planned[change.registration.key] = (
                    Outcome.CANCELLED if change.is_cancellation else Outcome.STATUS_CHANGED)
        for registration in self.plan.unchanged:
            planned[registration.key] = Outcome.UNCHANGED
        for deferral in self.plan.deferred:
            planned[deferral.registration.key] = Outcome.DEFERRED
        # A new person whose follow-up status Zoom refused was still added.
        for key, outcome in self.outcome.items():
            if key in planned and not (planned[key] is Outcome.ADDED and key in self.added):
                planned[key] = outcome
        counts = SyncCounts.of(source)
        for outcome in planned.values():
            counts.by_outcome[outcome] += 1
        counts.by_outcome[Outcome.REJECTED] += len(source.rejections)
        counts.by_outcome[Outcome.MERGED] = len(source.merges)
        counts.pruned = self.pruned
        # The deferred count is what the outcomes say; its split by reason comes from the
        # deferrals themselves, so a row deferred without a reason shows as a mismatch.
        deferred_keys = {k for k, o in planned.items() if o is Outcome.DEFERRED}
        counts.deferred_by_reason = Counter(
            d.reason for d in self.all_deferrals() if d.registration.key in deferred_keys)
        return counts

    def lines(
        self, source: RegistrationList, zoom: Sequence[ZoomRegistrant]
    ) -> list[RegistrantLine]:
        """Every registrant after the sync, list order first, then Zoom-only registrants."""
        on_list = source.by_key()
        current: dict[str, ZoomRegistrant] = dict(index_registrants(zoom))
        for key, (addition, registrant_id, join_url) in self.added.items():
            registration = addition.registration
            current[key] = ZoomRegistrant(registrant_id, registration.email,
                                          self._status_on_add(addition), registration.first_name,
                                          registration.last_name, join_url)
        ordered = [k for k in on_list if k in current]
        ordered += sorted(k for k in current if k not in on_list)
        lines = []
        for key in ordered:
            registrant = current[key]
            status = self.status_after.get(key, registrant.status)
            joinable = status in ("approved", "pending")
            listed = on_list.get(key)
            lines.append(RegistrantLine(
                email=registrant.email, first_name=registrant.first_name,
                last_name=registrant.last_name, status=status,
                join_url=registrant.join_url if joinable else "",
                registrant_id=registrant.id, on_list=listed is not None,
                source_rows=listed.rows if listed else (),
            ))
        return lines
