"""Attendance analytics: pure functions from Zoom's raw report rows to the tables organisers need.

Nothing here talks to Zoom or the store. Input is plain data (parsed from Zoom's JSON by the
``from_zoom`` constructors), output is :class:`AttendanceReport`.

Counting rules (also in docs/reports.md):

- One *person* is every join row tied together by, in this order, a registrant id, an email
  address (a registrant's email stands for their registrant id) or the id of the Zoom account
  they signed in with. Rows that share any of those are the same person (so a rejoin without
  the registrant id still merges), while two people with the same display name but different
  emails stay apart. Zoom gives none of those for guests who are not signed in, nor for
  dial-ins: their rows are tied by display name (trimmed, spaces collapsed, case-folded) when
  the rows of that name never overlap in time; when they do, it was several people, the rows
  are split into the fewest people whose rows do not overlap, and they count as
  *unidentified* (so do rows without a name). Every person says how it was identified
  (:class:`IdentifiedBy`), and the totals say how many audience rows stayed unidentified.
- A join without ``leave_time`` is someone still in the room: the span runs to the webinar's
  end, or to ``as_of`` if the webinar has not ended.
- Minutes and percentages count only time inside the webinar (actual start to actual end);
  overlapping spans of one person (two devices) count once.
- Concurrency, segment figures and totals count the *audience* (role ``attendee``); hosts,
  panelists and interpreters are listed per person but do not inflate the audience.
- Agenda segments are placed on the webinar's *actual* start: a segment planned for 10:15 in a
  webinar planned for 10:00 that really started at 10:07 is measured from 10:22.
"""

from __future__ import annotations

import gc
import re
import statistics
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any


class Role(StrEnum):
    """What a person was in the webinar."""

    HOST = "host"
    PANELIST = "panelist"
    INTERPRETER = "interpreter"
    ATTENDEE = "attendee"


class Connection(StrEnum):
    """How we know who a row belongs to."""

    REGISTERED = "registered"  # matched to a registrant
    KNOWN = "known"  # has an email but no registration (panelists, host, open webinars)
    GUEST = "guest"  # no email, no registration
    DIAL_IN = "dial-in"  # joined by phone


class IdentifiedBy(StrEnum):
    """What tied a person's join rows together, strongest first (docs/reports.md)."""

    REGISTRANT = "registrant"  # Zoom's registrant id (or a registrant's email)
    EMAIL = "email"  # an email address Zoom showed
    ZOOM_ACCOUNT = "zoom account"  # the id of the Zoom account they signed in with
    NAME = "name"  # nothing but the display name, never in two places at once
    UNIDENTIFIED = "unidentified"  # no name, or one name in two places at once


_PHONE = re.compile(r"^\s*\+?[\d\s().\-]{6,}\s*$")


def normalise_name(name: str) -> str:
    """A display name as identity compares it: trimmed, spaces collapsed, case-folded."""
    return " ".join(name.split()).casefold()


def parse_zoom_time(value: str | None) -> datetime | None:
    """Zoom's ``2022-05-17T12:30:00Z`` (optionally with fractions or an offset) as aware UTC."""
    if not value:
        return None
    return _parse_time(value)


@lru_cache(maxsize=16384)
def _parse_time(value: str) -> datetime:
    # Cached: a report's 50,000 rows carry a few thousand distinct seconds (datetimes are
    # immutable, so sharing one is safe); the cache is bounded, so memory stays flat.
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        # Zoom's report timestamps are UTC; an offset-less value is still UTC, not local time.
        return moment.replace(tzinfo=UTC)
    if moment.tzinfo is UTC:
        return moment
    return moment.astimezone(UTC)


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return "" if value is None else str(value).strip()


# ---------------------------------------------------------------------------------------------
# inputs


@dataclass(frozen=True, slots=True)
class ParticipantJoin:
    """One row of Zoom's participants report: one join of one person."""

    name: str
    email: str
    join_time: datetime
    leave_time: datetime | None
    registrant_id: str = ""
    participant_id: str = ""  # stable id of a signed-in user (participant_user_id, else id)
    user_id: str = ""  # Zoom's per-webinar participant id
    status: str = "in_meeting"

    @classmethod
    def from_zoom(cls, raw: Mapping[str, Any]) -> ParticipantJoin:
        """Parse one ``participants`` item; raises ValueError naming the row if it has no join."""
        # Called once per row of a 50,000-row report: the fields are read inline rather than
        # through _text (same result: None is "", anything else str()-ed and stripped).
        get = raw.get
        value = get("join_time")
        join = _parse_time(value) if value else None
        if join is None:
            raise ValueError(f"participants report row without join_time: {dict(raw)!r}")
        value = get("leave_time")
        leave = _parse_time(value) if value else None
        name = get("name")
        email = get("user_email")
        registrant_id = get("registrant_id")
        account = get("participant_user_id")
        account = "" if account is None else str(account).strip()
        if not account:
            account = get("id")
            account = "" if account is None else str(account).strip()
        user_id = get("user_id")
        status = get("status")
        status = "" if status is None else str(status).strip()
        return cls(
            "" if name is None else str(name).strip(),
            "" if email is None else str(email).strip().lower(),
            join,
            leave,
            "" if registrant_id is None else str(registrant_id).strip(),
            account,
            "" if user_id is None else str(user_id).strip(),
            status or "in_meeting",
        )


@dataclass(frozen=True, slots=True)
class RegistrantAnswers:
    """A registrant with the answers the report shows."""

    registrant_id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    status: str = "approved"
    country: str = ""
    organisation: str = ""
    preferred_language: str = ""
    registered_at: datetime | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @classmethod
    def from_zoom(cls, raw: Mapping[str, Any], *, status: str | None = None,
                  language_question: str = "language") -> RegistrantAnswers:
        """Parse a registrant; the preferred language is the custom question whose title
        contains ``language_question`` (case-insensitive), else Zoom's ``language`` field."""
        language = ""
        needle = language_question.lower()
        for answer in raw.get("custom_questions") or []:
            if needle in str(answer.get("title", "")).lower():
                language = str(answer.get("value") or "").strip()
                break
        # Once per registrant (20,000 in a big webinar): fields read inline, as _text would.
        get = raw.get

        def text(key: str) -> str:
            value = get(key)
            return "" if value is None else str(value).strip()

        created = get("create_time")
        return cls(
            text("id") or text("registrant_id"),
            text("email").lower(),
            text("first_name"),
            text("last_name"),
            status or text("status") or "approved",
            text("country"),
            text("org"),
            language or text("language"),
            _parse_time(created) if created else None,
        )


@dataclass(frozen=True, slots=True)
class PlannedSegment:
    """An agenda segment to measure. ``placed=False``: its times are as planned and are moved
    onto the webinar's actual start; ``placed=True``: its times are its actual (or estimated)
    boundaries from the run-of-show record, measured as given."""

    title: str
    start: datetime
    end: datetime
    placed: bool = False


@dataclass(frozen=True, slots=True)
class WebinarRun:
    """The webinar as it happened: Zoom's ``/report/webinars/{id}`` plus the plan."""

    topic: str
    start: datetime  # actual start (UTC)
    end: datetime | None  # actual end; None while it runs
    planned_start: datetime | None = None
    uuid: str = ""
    webinar_id: int | None = None
    host_email: str = ""

    @classmethod
    def from_zoom(cls, raw: Mapping[str, Any], *,
                  planned_start: datetime | None = None) -> WebinarRun:
        start = parse_zoom_time(raw.get("start_time"))
        if start is None:
            raise ValueError("webinar report has no start_time; has the webinar taken place?")
        end = parse_zoom_time(raw.get("end_time"))
        return cls(topic=_text(raw, "topic"), start=start,
                   end=end if end and end > start else None, planned_start=planned_start,
                   uuid=_text(raw, "uuid"),
                   webinar_id=int(raw["id"]) if raw.get("id") not in (None, "") else None,
                   host_email=_text(raw, "user_email").lower())


@dataclass(frozen=True, slots=True)
class Roster:
    """Who had which role, by email and by name (from the event file and Zoom's panelist
    list). Names are kept normalised (:func:`normalise_name`)."""

    hosts: frozenset[str] = frozenset()
    panelists: frozenset[str] = frozenset()
    interpreters: frozenset[str] = frozenset()
    host_names: frozenset[str] = frozenset()
    panelist_names: frozenset[str] = frozenset()
    interpreter_names: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, hosts: Iterable[str] = (), panelists: Iterable[str] = (),
           interpreters: Iterable[str] = (), host_names: Iterable[str] = (),
           panelist_names: Iterable[str] = (), interpreter_names: Iterable[str] = ()) -> Roster:
        def norm(emails: Iterable[str]) -> frozenset[str]:
            return frozenset(e.strip().lower() for e in emails if e and e.strip())

        def names(values: Iterable[str]) -> frozenset[str]:
            return frozenset(normalise_name(n) for n in values if n and n.strip())
        return cls(norm(hosts), norm(panelists), norm(interpreters), names(host_names),
                   names(panelist_names), names(interpreter_names))

    def role_of(self, email: str) -> Role:
        # A person listed twice gets the most specific role: interpreters are panelists too.
        if email in self.hosts:
            return Role.HOST
        if email in self.interpreters:
            return Role.INTERPRETER
        if email in self.panelists:
            return Role.PANELIST
        return Role.ATTENDEE

    def role_by_name(self, names: Iterable[str]) -> Role:
        """The role of someone Zoom shows without email, from their display names."""
        keys = {normalise_name(n) for n in names}
        if keys & self.host_names:
            return Role.HOST
        if keys & self.interpreter_names:
            return Role.INTERPRETER
        if keys & self.panelist_names:
            return Role.PANELIST
        return Role.ATTENDEE


@dataclass(frozen=True, slots=True)
class QuestionAsked:
    """One Q&A question with its answer."""

    question: str
    asker_name: str
    asker_email: str
    answer: str
    answered_by: str

    @classmethod
    def iter_from_zoom(cls, report: Mapping[str, Any]) -> list[QuestionAsked]:
        """Flatten Zoom's Q&A report (grouped by asker). ``answered_by`` comes from
        ``answer_details`` where Zoom provides it (newer API versions), else it is empty."""
        rows: list[QuestionAsked] = []
        for asker in report.get("questions") or []:
            name, email = _text(asker, "name"), _text(asker, "email").lower()
            for detail in asker.get("question_details") or []:
                answered_by = ", ".join(
                    dict.fromkeys(_text(a, "user_display_name") or _text(a, "name")
                                  for a in detail.get("answer_details") or []
                                  if _text(a, "user_display_name") or _text(a, "name")))
                rows.append(cls(question=_text(detail, "question"), asker_name=name,
                                asker_email=email, answer=_text(detail, "answer"),
                                answered_by=answered_by))
        return rows


@dataclass(frozen=True, slots=True)
class PollAnswer:
    """One person's answer to one poll question."""

    poll_id: str
    question: str
    name: str
    email: str
    answer: str
    answered_at: datetime | None

    @classmethod
    def iter_from_zoom(cls, report: Mapping[str, Any]) -> list[PollAnswer]:
        """Flatten Zoom's polls report (grouped by respondent)."""
        rows: list[PollAnswer] = []
        for person in report.get("questions") or []:
            name, email = _text(person, "name"), _text(person, "email").lower()
            if not name:
                name = " ".join(p for p in (_text(person, "first_name"),
                                            _text(person, "last_name")) if p)
            for detail in person.get("question_details") or []:
                rows.append(cls(poll_id=_text(detail, "polling_id"),
                                question=_text(detail, "question"), name=name, email=email,
                                answer=_text(detail, "answer"),
                                answered_at=parse_zoom_time(detail.get("date_time"))))
        return rows


# ---------------------------------------------------------------------------------------------
# outputs


@dataclass(frozen=True, slots=True)
class AttendanceSpan:
    """A stretch of time one person was in the room (merged over their joins)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class PersonAttendance:
    """One row of the per-person table."""

    name: str
    other_names: tuple[str, ...]
    email: str
    role: Role
    connection: Connection
    identified_by: IdentifiedBy
    registrant_id: str
    first_join: datetime
    last_leave: datetime
    still_in_room: bool
    joins: int
    minutes: float
    percent_of_webinar: float
    country: str
    organisation: str
    preferred_language: str
    spans: tuple[AttendanceSpan, ...]
    connections: tuple[str, ...] = ()  # Zoom's user_id of each of their join rows


@dataclass(frozen=True, slots=True)
class SegmentAttendance:
    """One row of the per-segment table (times on the actual start)."""

    title: str
    start: datetime
    end: datetime
    present_at_start: int
    peak: int
    peak_at: datetime
    average: float
    present_for_most: int
    percent_present_for_most: float


@dataclass(frozen=True, slots=True)
class AttendanceTotals:
    """The headline numbers."""

    registered: int
    approved: int
    attended: int
    unidentified_connections: int  # audience join rows no person could be tied to for sure
    attended_registered: int
    guests: int
    conversion: float | None  # approved registrants who attended / approved; None if 0 approved
    median_minutes: float
    peak_concurrency: int
    peak_at: datetime | None
    webinar_start: datetime
    webinar_end: datetime
    webinar_minutes: float


@dataclass(frozen=True, slots=True)
class Absentee:
    """An approved registrant who did not come."""

    name: str
    email: str
    country: str
    organisation: str
    preferred_language: str
    registered_at: datetime | None


@dataclass(frozen=True, slots=True)
class PollResult:
    """How many people gave one answer to one poll question."""

    poll_id: str
    question: str
    answer: str
    count: int


@dataclass(frozen=True)
class AttendanceReport:
    """Everything the exporters render."""

    webinar: WebinarRun
    as_of: datetime
    people: list[PersonAttendance]
    segments: list[SegmentAttendance]
    totals: AttendanceTotals
    absentees: list[Absentee]
    questions: list[QuestionAsked]
    poll_answers: list[PollAnswer]
    poll_results: list[PollResult]
    # Audience in the room over time: (moment, count from that moment on), strictly increasing.
    concurrency: list[tuple[datetime, int]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# the computation


class _Person:
    __slots__ = ("account", "connections", "email", "identified_by", "joins", "names", "open",
                 "registrant_id", "spans")

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self.names: dict[str, float] = {}  # name -> latest join (epoch seconds)
        self.connections: list[str] = []  # Zoom's user_id of each row
        self.email = ""
        self.registrant_id = ""
        self.account = False  # some row carried a signed-in Zoom account's id
        self.identified_by: IdentifiedBy | None = None  # set for rows tied by name
        self.joins = 0
        self.open = False

    def absorb(self, other: _Person) -> None:
        self.spans.extend(other.spans)
        for name, when in other.names.items():
            self.names[name] = max(when, self.names.get(name, when))
        self.connections.extend(other.connections)
        self.email = self.email or other.email
        self.registrant_id = self.registrant_id or other.registrant_id
        self.account = self.account or other.account
        self.joins += other.joins
        self.open = self.open or other.open

    def take(self, start: float, end: float, is_open: bool, name: str, user_id: str) -> None:
        self.spans.append((start, end))
        self.joins += 1
        self.open = self.open or is_open
        if name:
            self.names[name] = max(start, self.names.get(name, start))
        if user_id:
            self.connections.append(user_id)

    def identification(self) -> IdentifiedBy:
        if self.registrant_id:
            return IdentifiedBy.REGISTRANT
        if self.email:
            return IdentifiedBy.EMAIL
        if self.account:
            return IdentifiedBy.ZOOM_ACCOUNT
        return self.identified_by or IdentifiedBy.UNIDENTIFIED


@dataclass(slots=True)
class NameOnlyJoin:
    """A join row Zoom gives no registrant id, email or account for: tied by name later."""

    name: str
    start: float
    end: float
    open: bool
    user_id: str


def tie_by_name(rows: Sequence[NameOnlyJoin]) -> list[list[NameOnlyJoin]]:
    """Rows of one display name as people: the fewest people whose own rows never overlap.

    Rows are taken by join time; each goes to the person who left most recently before it
    joined (a rejoin follows its drop), else it starts a new person. One person back means
    the name identifies them; more means several people shared the name.
    """
    people: list[list[NameOnlyJoin]] = []
    ends: list[tuple[float, int]] = []  # (last leave, person index), sorted
    for row in sorted(rows, key=lambda r: (r.start, r.end)):
        slot = bisect_right(ends, (row.start, len(people))) - 1
        if slot >= 0:
            _, index = ends.pop(slot)
        else:
            index = len(people)
            people.append([])
        people[index].append(row)
        insort(ends, (row.end, index))
    return people


class AttendanceBuilder:
    """Accumulates participant rows one at a time (so pages can be streamed), then reports.

    Memory grows with the number of joins (two floats and Zoom's user_id each), never with
    raw pages.

    People are a union-find over their registrant ids, emails and Zoom account ids: each id
    points at the person it was first seen with, and people merged by a later row point at
    the one they were merged into (``_parent``). One row costs a few dictionary lookups.
    """

    def __init__(self, webinar: WebinarRun, registrants: Iterable[RegistrantAnswers],
                 roster: Roster, *, as_of: datetime) -> None:
        self.webinar = webinar
        self.roster = replace(roster, hosts=roster.hosts | Roster.of(
            hosts=[webinar.host_email]).hosts)
        self.as_of = as_of.astimezone(UTC)
        self.registrants: dict[str, RegistrantAnswers] = {}
        self.registrant_by_email: dict[str, str] = {}
        for registrant in registrants:
            self.registrants[registrant.registrant_id] = registrant
            if registrant.email:
                self.registrant_by_email[registrant.email] = registrant.registrant_id
        end = webinar.end or self.as_of
        self._open_end = end.timestamp()
        self._people: list[_Person | None] = []
        self._parent: list[int] = []  # person index -> the index it was merged into (or itself)
        # One table per kind of id (registrant, email, Zoom account) -> person index.
        self._by_registrant: dict[str, int] = {}
        self._by_email: dict[str, int] = {}
        self._by_account: dict[str, int] = {}
        self._anonymous: dict[str, list[NameOnlyJoin]] = {}  # normalised name -> rows

    def _find(self, index: int) -> int:
        parent = self._parent
        while parent[index] != index:
            index = parent[index]
        return index

    def add(self, row: ParticipantJoin) -> None:
        """Count one join row."""
        if row.status == "in_waiting_room":
            return  # waiting is not attending
        registrant_id = row.registrant_id
        email = row.email
        if email:
            email = email.strip().lower()
        if registrant_id and not email:
            registrant = self.registrants.get(registrant_id)
            if registrant is not None:
                email = registrant.email
        if email and not registrant_id:
            registrant_id = self.registrant_by_email.get(email, "")
        account = row.participant_id
        leave = row.leave_time
        start = row.join_time.timestamp()
        if leave is None:
            end = self._open_end if self._open_end > start else start
        else:
            end = leave.timestamp()
            if end < start:
                end = start
        if not (registrant_id or email or account):
            # Zoom's user_id is per connection, so nothing but the name is left (report()).
            self._anonymous.setdefault(normalise_name(row.name), []).append(
                NameOnlyJoin(row.name, start, end, leave is None, row.user_id))
            return
        # The people this row's ids already belong to (their roots), smallest first.
        by_registrant, by_email, by_account = (self._by_registrant, self._by_email,
                                               self._by_account)
        parent = self._parent
        index = -1
        merge: list[int] | None = None
        for table, key in ((by_registrant, registrant_id), (by_email, email),
                           (by_account, account)):
            if not key:
                continue
            found = table.get(key)
            if found is None:
                continue
            while parent[found] != found:
                found = parent[found]
            if index < 0 or found == index:
                index = found
            else:
                merge = sorted({index, found, *(merge or ())})
                index = merge[0]
        if index < 0:
            index = len(self._people)
            person = _Person()
            self._people.append(person)
            parent.append(index)
        else:
            person = self._people[index]  # type: ignore[assignment]
            assert person is not None
            if merge is not None:
                # Rows that share any id are one person: the later-seen people join the
                # first-seen one, in the order they were first seen.
                for other_index in merge[1:]:
                    other = self._people[other_index]
                    assert other is not None
                    person.absorb(other)
                    self._people[other_index] = None
                    parent[other_index] = index
        if registrant_id:
            by_registrant[registrant_id] = index
        if email:
            by_email[email] = index
        if account:
            # A signed-in Zoom account: keeps one person's rejoins and renames together.
            by_account[account] = index
        # person.take(), inline: this runs once per row.
        person.spans.append((start, end))
        person.joins += 1
        if leave is None:
            person.open = True
        name = row.name
        if name:
            names = person.names
            seen = names.get(name)
            if seen is None or start > seen:
                names[name] = start
        if row.user_id:
            person.connections.append(row.user_id)
        if not person.email:
            person.email = email
        if not person.registrant_id:
            person.registrant_id = registrant_id
        if account:
            person.account = True

    def _tied_by_name(self) -> list[_Person]:
        """The rows without registrant, email or account, as people (see ``tie_by_name``)."""
        people: list[_Person] = []
        for key, rows in self._anonymous.items():
            groups = [[r] for r in rows] if not key else tie_by_name(rows)
            how = IdentifiedBy.NAME if key and len(groups) == 1 else IdentifiedBy.UNIDENTIFIED
            for group in groups:
                person = _Person()
                person.identified_by = how
                for r in group:
                    person.take(r.start, r.end, r.open, r.name, r.user_id)
                people.append(person)
        return people

    def add_all(self, rows: Iterable[ParticipantJoin]) -> AttendanceBuilder:
        for row in rows:
            self.add(row)
        return self

    def report(self, *, segments: Sequence[PlannedSegment] = (),
               absentees: Iterable[RegistrantAnswers] | None = None,
               questions: Sequence[QuestionAsked] = (),
               poll_answers: Sequence[PollAnswer] = ()) -> AttendanceReport:
        """The finished report. ``absentees`` defaults to approved registrants who never joined."""
        w_start = self.webinar.start.timestamp()
        w_end = max(w_start, self._open_end)
        w_len = w_end - w_start
        people: list[PersonAttendance] = []
        audience_spans: list[list[tuple[float, float]]] = []
        unidentified = 0
        # Join and leave moments repeat (whole seconds of one hour): each becomes a datetime
        # once, and the people, spans and concurrency share it (datetimes are immutable).
        moments: dict[float, datetime] = {}

        def when(seconds: float) -> datetime:
            moment = moments.get(seconds)
            if moment is None:
                moment = moments[seconds] = _dt(seconds)
            return moment

        roster, registrants = self.roster, self.registrants
        ended = self.webinar.end is not None
        for person in [*(p for p in self._people if p is not None), *self._tied_by_name()]:
            merged = _merge(person.spans)
            inside = _clip(merged, w_start, w_end)
            seconds = sum(e - s for s, e in inside)
            by_name = person.names
            names = (list(by_name) if len(by_name) < 2
                     else sorted(by_name, key=by_name.__getitem__, reverse=True))
            registrant = registrants.get(person.registrant_id)
            name = names[0] if names else (registrant.name if registrant else "")
            # Without an email, a name the roster knows tells a panelist on a phone apart.
            role = (roster.role_of(person.email) if person.email
                    else roster.role_by_name(names))
            identified_by = person.identification()
            if identified_by is IdentifiedBy.UNIDENTIFIED and role is Role.ATTENDEE:
                unidentified += person.joins
            if registrant is not None:
                connection = Connection.REGISTERED
            elif person.email:
                connection = Connection.KNOWN
            elif name and _PHONE.match(name):
                connection = Connection.DIAL_IN
            else:
                connection = Connection.GUEST
            people.append(PersonAttendance(
                name=name, other_names=tuple(names[1:]), email=person.email, role=role,
                connection=connection, identified_by=identified_by,
                registrant_id=person.registrant_id,
                first_join=when(merged[0][0]), last_leave=when(merged[-1][1]),
                still_in_room=person.open and not ended, joins=person.joins,
                minutes=seconds / 60, percent_of_webinar=(100 * seconds / w_len) if w_len else 0.0,
                country=registrant.country if registrant else "",
                organisation=registrant.organisation if registrant else "",
                preferred_language=registrant.preferred_language if registrant else "",
                spans=tuple(AttendanceSpan(when(s), when(e)) for s, e in merged),
                connections=tuple(person.connections)))
            if role is Role.ATTENDEE and inside:
                audience_spans.append(inside)
        people.sort(key=lambda p: (_ROLE_ORDER[p.role], p.name.casefold(), p.email,
                                   p.first_join))

        times, counts = _concurrency(audience_spans)
        segment_rows = [self._segment(seg, times, counts, audience_spans)
                        for seg in segments]
        attendees = attended(people)
        peak = max(counts, default=0)
        peak_at = _dt(times[counts.index(peak)]) if peak else None
        approved = {rid for rid, r in self.registrants.items() if r.status == "approved"}
        attended_registered = sum(1 for p in attendees if p.registrant_id in approved)
        joined_ids = {p.registrant_id for p in people if p.registrant_id}
        if absentees is None:
            absentees = [r for rid, r in self.registrants.items()
                         if rid in approved and rid not in joined_ids]
        totals = AttendanceTotals(
            registered=len(self.registrants), approved=len(approved),
            attended=len(attendees), unidentified_connections=unidentified,
            attended_registered=attended_registered,
            guests=sum(1 for p in attendees if p.registrant_id not in approved),
            conversion=(attended_registered / len(approved)) if approved else None,
            median_minutes=statistics.median(p.minutes for p in attendees) if attendees else 0.0,
            peak_concurrency=peak, peak_at=peak_at, webinar_start=_dt(w_start),
            webinar_end=_dt(w_end), webinar_minutes=w_len / 60)
        absent_rows = sorted(
            (Absentee(name=r.name, email=r.email, country=r.country,
                      organisation=r.organisation, preferred_language=r.preferred_language,
                      registered_at=r.registered_at) for r in absentees),
            key=lambda a: (a.name.casefold(), a.email))
        return AttendanceReport(
            webinar=self.webinar, as_of=self.as_of, people=people, segments=segment_rows,
            totals=totals, absentees=absent_rows, questions=list(questions),
            poll_answers=list(poll_answers), poll_results=poll_results(poll_answers),
            concurrency=[(when(t), c) for t, c in zip(times, counts, strict=True)])

    def _segment(self, segment: PlannedSegment, times: list[float], counts: list[int],
                 audience_spans: list[list[tuple[float, float]]]) -> SegmentAttendance:
        shift = (self.webinar.start - self.webinar.planned_start
                 if self.webinar.planned_start and not segment.placed else timedelta(0))
        start = (segment.start + shift).timestamp()
        end = max(start, (segment.end + shift).timestamp())
        at_start = _value_at(times, counts, start)
        peak, peak_at = at_start, start
        lo, hi = bisect_right(times, start), bisect_left(times, end)
        for i in range(lo, hi):
            if counts[i] > peak:
                peak, peak_at = counts[i], times[i]
        # Time-weighted mean of the step function over the segment.
        area, cursor, level = 0.0, start, at_start
        for i in range(lo, hi):
            area += level * (times[i] - cursor)
            cursor, level = times[i], counts[i]
        area += level * (end - cursor)
        length = end - start
        most = 0
        if length > 0:
            half = length / 2
            for spans in audience_spans:
                overlap = 0.0
                for s, e in spans:
                    if e > start and s < end:
                        overlap += min(e, end) - max(s, start)
                if overlap > half:
                    most += 1
        attendees = len(audience_spans)
        return SegmentAttendance(
            title=segment.title, start=_dt(start), end=_dt(end), present_at_start=at_start,
            peak=peak, peak_at=_dt(peak_at), average=area / length if length else float(at_start),
            present_for_most=most,
            percent_present_for_most=(100 * most / attendees) if attendees else 0.0)


_ROLE_ORDER = {Role.HOST: 0, Role.PANELIST: 1, Role.INTERPRETER: 2, Role.ATTENDEE: 3}


def build_report(webinar: WebinarRun, participants: Iterable[ParticipantJoin],
                 registrants: Iterable[RegistrantAnswers], roster: Roster, *, as_of: datetime,
                 segments: Sequence[PlannedSegment] = (),
                 absentees: Iterable[RegistrantAnswers] | None = None,
                 questions: Sequence[QuestionAsked] = (),
                 poll_answers: Sequence[PollAnswer] = ()) -> AttendanceReport:
    """The whole attendance report from parsed inputs (``participants`` may be a generator)."""
    with without_cyclic_gc():
        builder = AttendanceBuilder(webinar, registrants, roster, as_of=as_of)
        builder.add_all(participants)
        return builder.report(segments=segments, absentees=absentees, questions=questions,
                              poll_answers=poll_answers)


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a report's objects are built.

    A big report keeps hundreds of thousands of small objects alive (people, spans, rows) and
    creates none in cycles; the collector would still walk them all again and again as they
    accumulate (about a third of the analysis time of 50,000 rows). Reference counting frees
    everything else as usual. The collector is switched back on at the end if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def attended(people: Iterable[PersonAttendance]) -> list[PersonAttendance]:
    """The audience members who were in the room at all (the totals' and the charts' count)."""
    return [p for p in people if p.role is Role.ATTENDEE and p.minutes > 0]


def poll_results(answers: Iterable[PollAnswer]) -> list[PollResult]:
    """Count answers per poll question; multiple-choice answers (``A;B``) count each choice."""
    counts: dict[tuple[str, str, str], int] = {}
    for answer in answers:
        choices = [c.strip() for c in answer.answer.split(";") if c.strip()] or [""]
        for choice in dict.fromkeys(choices):
            key = (answer.poll_id, answer.question, choice)
            counts[key] = counts.get(key, 0) + 1
    return [PollResult(poll_id=p, question=q, answer=a, count=n)
            for (p, q, a), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                        -kv[1], kv[0][2]))]


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    spans.sort()
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _clip(spans: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    return [(max(s, lo), min(e, hi)) for s, e in spans if min(e, hi) > max(s, lo)]


def _concurrency(per_person: list[list[tuple[float, float]]]) -> tuple[list[float], list[int]]:
    """Step function of how many people are in the room: change moments and counts after them."""
    deltas: dict[float, int] = {}
    for spans in per_person:
        for start, end in spans:
            deltas[start] = deltas.get(start, 0) + 1
            deltas[end] = deltas.get(end, 0) - 1
    times: list[float] = []
    counts: list[int] = []
    level = 0
    for moment in sorted(deltas):
        change = deltas[moment]
        if change == 0:
            continue
        level += change
        times.append(moment)
        counts.append(level)
    return times, counts


def _value_at(times: list[float], counts: list[int], moment: float) -> int:
    index = bisect_right(times, moment) - 1
    return counts[index] if index >= 0 else 0
