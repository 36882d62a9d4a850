"""The pure diff: the organisers' list against Zoom's registrants -> a :class:`SyncPlan`.

Zoom offers no way to change a registrant's answers or to move one back to *pending*, and it
refuses a 4th registration of the same person in a day (across all the account's webinars), so
the plan never re-adds anyone Zoom already has; it only adds the missing, changes statuses that
differ, and (with prune) takes back the registrations of people no longer on the list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from zoomorch.rate_labels import next_utc_midnight
from zoomorch.registrants.normalise import Registration, RegistrationList
from zoomorch.registrants.values import RequestedStatus, email_key

# Zoom: the same person at most 3 times a day across the account's webinars (HTTP 429 after).
MAX_ADDS_PER_DAY = 3


class ZoomStatus(StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    DENIED = "denied"


class Action(StrEnum):
    APPROVE = "approve"
    DENY = "deny"
    CANCEL = "cancel"


@dataclass(frozen=True)
class ZoomRegistrant:
    """A registrant as Zoom lists it (the few fields the sync needs)."""

    id: str
    email: str
    status: str
    first_name: str = ""
    last_name: str = ""
    join_url: str = ""

    @property
    def key(self) -> str:
        return email_key(self.email)


class Via(StrEnum):
    """How a new registrant reaches Zoom."""

    BATCH = "batch"  # POST .../batch_registrants: 30 a call, but only email and names
    SINGLE = "single"  # POST .../registrants: one a call, carries every answer


@dataclass(frozen=True)
class Addition:
    registration: Registration
    auto_approve: bool  # should the new registrant be approved right away
    via: Via = Via.BATCH
    then: Action | None = None  # a status to set right after adding


def carries_answers(registration: Registration) -> bool:
    """Does the registration hold more than Zoom's batch endpoint accepts (email and names)?"""
    return bool(
        any(registration.answers.values())
        or registration.language is not None
        or registration.custom_answers
    )


def _addition(registration: Registration, automatic: bool, notes: list[str]) -> Addition:
    wanted = registration.status
    approve = automatic if wanted is None else wanted is RequestedStatus.APPROVED
    if wanted is RequestedStatus.PENDING and automatic:
        notes.append(f"row {registration.row}: {registration.email} asks for pending, but the "
                     "event approves registrants automatically; Zoom will approve them")
    # Zoom's batch endpoint takes only email and names: people with answers are registered
    # one by one so that country, organisation, language and custom answers reach Zoom.
    via = Via.SINGLE if carries_answers(registration) else Via.BATCH
    then: Action | None = None
    if wanted is RequestedStatus.DENIED:
        then = Action.DENY
    elif via is Via.SINGLE and approve and not automatic:
        then = Action.APPROVE  # single registration follows the webinar's manual policy
    return Addition(registration, approve, via, then)


@dataclass(frozen=True)
class StatusChange:
    action: Action
    registrant: ZoomRegistrant
    registration: Registration | None  # None: pruned, no longer on the list

    @property
    def is_cancellation(self) -> bool:
        if self.registration is None:
            return True
        return self.registration.status is RequestedStatus.CANCELLED


class Outcome(StrEnum):
    """Where one input row ends up; every row has exactly one outcome."""

    ADDED = "added"
    UNCHANGED = "already present"
    STATUS_CHANGED = "status changed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    MERGED = "duplicates merged"
    DEFERRED = "deferred"


class DeferralReason(StrEnum):
    """Why a row was not done in this run but waits for a later one."""

    PERSON_DAILY_LIMIT = "Zoom's per-person daily limit"
    RUN_STOPPED = "not sent: the run stopped"
    # Zoom answered the call with HTTP 5xx (or not at all) on every attempt: only that call's
    # people wait, the rest of the run goes on.
    ZOOM_FAILED = "Zoom failed this call after its retries (HTTP 5xx or no answer)"


@dataclass(frozen=True)
class Deferral:
    """A row left for a later run, with its true reason and, when known, when it can go."""

    registration: Registration
    reason: DeferralReason
    retry_at: datetime | None = None  # UTC
    detail: str = ""

    def describe(self) -> str:
        when = (f"; retry after {self.retry_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
                if self.retry_at else "; run the same command again")
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.reason.value}{detail}{when}"


@dataclass
class SyncCounts:
    """Row counts by outcome; they add up to the number of data rows."""

    data_rows: int
    by_outcome: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    pruned: int = 0  # registrants not on the list whose registration was taken back
    deferred_by_reason: Counter[DeferralReason] = field(default_factory=Counter)
    file_lines: int = 0  # the list file's lines, from its line breaks
    lines_read: int = 0  # the lines its header, blank rows and data rows took up

    @classmethod
    def of(cls, source: RegistrationList) -> SyncCounts:
        """Empty counts for ``source``'s rows (and lines)."""
        return cls(data_rows=source.data_rows, file_lines=source.line_count,
                   lines_read=source.lines_read)

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def lines_accounted(self) -> bool:
        """Did the rows read take up every line of the file (no line outside a row)?"""
        return self.lines_read == self.file_lines

    @property
    def adds_up(self) -> bool:
        return self.total == self.data_rows and self.lines_accounted and (
            sum(self.deferred_by_reason.values()) == self.by_outcome[Outcome.DEFERRED])

    def __getitem__(self, outcome: Outcome) -> int:
        return self.by_outcome[outcome]

    def count_deferrals(self, deferrals: Iterable[Deferral]) -> None:
        """Set the deferred count, and its split by reason, from the deferrals themselves."""
        self.deferred_by_reason = Counter(d.reason for d in deferrals)
        self.by_outcome[Outcome.DEFERRED] = sum(self.deferred_by_reason.values())

    def summary(self) -> str:
        """One line per outcome, and whether they add up to the input rows."""
        shown = [(o, c) for o, c in self.by_outcome.items() if c or o is not Outcome.DEFERRED]
        parts = [f"{outcome.value}: {count}" for outcome, count in shown]
        sums = " + ".join(str(c) for _, c in shown)
        if self.adds_up:
            verdict = (f"{sums} = {self.total} = {self.data_rows} input rows: "
                       "every row is accounted for")
        elif not self.lines_accounted:
            verdict = (f"{sums} = {self.total} from {self.data_rows} rows, but they take up "
                       f"{self.lines_read} of the file's {self.file_lines} lines: "
                       "MISMATCH, please report this")
        else:
            verdict = (f"{sums} = {self.total}, but the list has {self.data_rows} rows: "
                       "MISMATCH, please report this")
        lines = [", ".join(parts), verdict]
        if self.deferred_by_reason:
            lines.append("deferred, by reason: " + ", ".join(
                f"{reason.value}: {n}" for reason, n in sorted(self.deferred_by_reason.items())))
        if self.pruned:
            lines.append(f"pruned (not on the list, registration taken back): {self.pruned}")
        return "\n".join(lines)


@dataclass(frozen=True)
class SyncPlan:
    """What a sync will do; executing it is the only step that writes."""

    additions: tuple[Addition, ...]
    status_changes: tuple[StatusChange, ...]  # for people on the list
    prunes: tuple[StatusChange, ...]  # for registrants no longer on the list
    unchanged: tuple[Registration, ...]
    deferred: tuple[Deferral, ...]
    notes: tuple[str, ...] = ()

    @property
    def write_count(self) -> int:
        return len(self.additions) + len(self.status_changes) + len(self.prunes)

    def counts(self, source: RegistrationList) -> SyncCounts:
        """The planned outcome of every input row."""
        counts = SyncCounts.of(source)
        tally = counts.by_outcome
        tally[Outcome.ADDED] = len(self.additions)
        tally[Outcome.UNCHANGED] = len(self.unchanged)
        tally[Outcome.CANCELLED] = sum(1 for c in self.status_changes if c.is_cancellation)
        tally[Outcome.STATUS_CHANGED] = len(self.status_changes) - tally[Outcome.CANCELLED]
        tally[Outcome.REJECTED] = len(source.rejections)
        tally[Outcome.MERGED] = len(source.merges)
        counts.count_deferrals(self.deferred)
        counts.pruned = len(self.prunes)
        return counts


def index_registrants(registrants: Iterable[ZoomRegistrant]) -> dict[str, ZoomRegistrant]:
    """Zoom's registrants by email key (the first listed wins should Zoom list one twice)."""
    index: dict[str, ZoomRegistrant] = {}
    for registrant in registrants:
        index.setdefault(registrant.key, registrant)
    return index


def _change_for(wanted: RequestedStatus | None, current: str) -> Action | None:
    if wanted is RequestedStatus.APPROVED and current != ZoomStatus.APPROVED:
        return Action.APPROVE
    if wanted is RequestedStatus.DENIED and current != ZoomStatus.DENIED:
        return Action.DENY
    if wanted is RequestedStatus.CANCELLED:
        # Zoom cancels approved registrations; a pending one is taken back by denying it.
        # A denied registrant (Zoom files cancellations there too) has nothing left to undo.
        if current == ZoomStatus.APPROVED:
            return Action.CANCEL
        if current == ZoomStatus.PENDING:
            return Action.DENY
    return None


def plan_sync(
    source: RegistrationList,
    zoom: Iterable[ZoomRegistrant],
    *,
    automatic_approval: bool,
    prune: bool = False,
    adds_today: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> SyncPlan:
    """Diff the list against Zoom's registrants (every status).

    ``automatic_approval`` is the event's approval policy (used for rows without a status);
    ``adds_today`` counts, per email key, the registrations we already sent today (from the
    ledger, all webinars), so that Zoom's 3-a-day rule is not hit by us.
    """
    current = index_registrants(zoom)
    adds_today = adds_today or {}
    tomorrow = next_utc_midnight(now or datetime.now(UTC))
    additions: list[Addition] = []
    changes: list[StatusChange] = []
    unchanged: list[Registration] = []
    deferred: list[Deferral] = []
    notes: list[str] = []

    for registration in source.registrations:
        existing = current.get(registration.key)
        wanted = registration.status
        if existing is None:
            if wanted is RequestedStatus.CANCELLED:
                unchanged.append(registration)  # not registered: nothing to cancel
            elif adds_today.get(registration.key, 0) >= MAX_ADDS_PER_DAY:
                deferred.append(Deferral(
                    registration, DeferralReason.PERSON_DAILY_LIMIT, tomorrow,
                    f"zoomorch already sent them {MAX_ADDS_PER_DAY} times today"))
            else:
                additions.append(_addition(registration, automatic_approval, notes))
            continue
        action = _change_for(wanted, existing.status)
        if action is None:
            if wanted is RequestedStatus.PENDING and existing.status != ZoomStatus.PENDING:
                notes.append(
                    f"row {registration.row}: {registration.email} asks for pending but is "
                    f"{existing.status} in Zoom; Zoom cannot move a registrant back to pending"
                )
            unchanged.append(registration)
        else:
            changes.append(StatusChange(action, existing, registration))

    prunes: list[StatusChange] = []
    if prune:
        # A person whose row was rejected is still on the list: never prune them for a typo.
        keep = {r.key for r in source.registrations}
        keep |= {email_key(r.email) for r in source.rejections if r.email}
        for key, registrant in current.items():
            if key in keep:
                continue
            if registrant.status == ZoomStatus.APPROVED:
                prunes.append(StatusChange(Action.CANCEL, registrant, None))
            elif registrant.status == ZoomStatus.PENDING:
                prunes.append(StatusChange(Action.DENY, registrant, None))

    return SyncPlan(
        additions=tuple(additions),
        status_changes=tuple(changes),
        prunes=tuple(prunes),
        unchanged=tuple(unchanged),
        deferred=tuple(deferred),
        notes=tuple(notes),
    )
