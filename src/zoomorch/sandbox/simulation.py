"""Live webinars in simulated time: a seeded attendance model and the engine that plays it.

``plan_attendance`` turns a webinar (its approved registrants, panelists, interpreters) and
``SimulationSettings`` into a ``Plan``: every person, the spans they are in the room, the Q&A
and one poll — deterministic for a seed. ``Simulation`` plays the plan on the store as the
sandbox clock passes each moment (joins, leaves, questions, poll answers, then the end), through
the same store hooks the rest of the sandbox uses, so reports and webhooks come from what was
applied and the ground truth (``Simulation.truth``) is the plan cut at what was applied: the
two agree by construction. Ending the webinar early (``PUT /webinars/{id}/status``) first
applies everything before the end moment, then truncates every open session at it.

Who Zoom can tell apart is modelled as Zoom shows it, never kinder (docs/sandbox.md, "Who the
report can identify"): a share of people are not signed in to Zoom (no ``id``), guests' emails
are hidden, dial-ins carry only a number, and some people rename themselves between two joins.
The truth still says who each connection (the report's ``user_id``) really was.

``SimulationEngine`` is one thread per sandbox that sleeps until the earliest due moment of
all running simulations (re-planning when the clock jumps or changes speed) and applies each
simulation's due events in one batch under the store lock.
"""

from __future__ import annotations

import math
import random
import re
import threading
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError

if TYPE_CHECKING:
    from zoomorch.sandbox.store import SandboxStore, WebinarState

HOST_NAME = "Sandbox Host"
# Shape of an agenda when the caller gives none: share of the duration per segment.
DEFAULT_SHAPE = (("Welcome", 0.10), ("Keynote", 0.25), ("Panel", 0.35),
                 ("Questions and answers", 0.20), ("Closing", 0.10))
DIAL_PREFIXES = ("+57 601", "+1 212", "+34 91", "+52 55", "+33 1", "+44 20", "+49 30")
WALK_IN_FIRST = ("Alex", "Sam", "Noor", "Lucía", "Kwame", "Mei", "Iván", "Amara", "Jonas",
                 "Priya", "Tomás", "Fatou", "Yuki", "Olga", "Mateo", "Zainab")
WALK_IN_LAST = ("García", "Okafor", "Nguyen", "Müller", "Silva", "Haddad", "Kowalski",
                "Tanaka", "Mensah", "Rossi", "Petrov", "Dubois", "Khan", "Ortiz")
QUESTIONS = (
    "Will the recording be shared with registrants?",
    "¿Habrá materiales en español después de la sesión?",
    "How can local governments join the initiative?",
    "What data do you use to measure integration outcomes?",
    "Quelles sont les prochaines étapes après ce dialogue ?",
    "Can you share examples from smaller cities?",
    "How is funding allocated between partners?",
    "Where can we find the slides?",
)
# Organisations people add to their display name when they rename themselves.
ORGANISATIONS = ("IOM", "UNHCR", "Ciudad de Bogotá", "OECD", "Red Cross", "Université Laval",
                 "Ministerio del Interior", "ILO")
# "iPhone de Ana" -> "Ana Pérez": the device's name first, the real one after a rejoin.
DEVICE_NAMES = ("iPhone de {first}", "{first}'s iPad", "Galaxy de {first}", "{first}")
WALK_IN_DOMAIN = "walk-in.example.net"
POLL_TITLE = "Next session"
POLL_QUESTION = "Which topic should the next session cover?"
POLL_ANSWERS = ("Labour mobility", "Climate and migration", "Inclusion in cities",
                "Data and evidence")


class SegmentSpec(BaseModel):
    """One agenda segment of the simulate request."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    minutes: float = Field(gt=0, le=24 * 60)


class SimulationSettings(BaseModel):
    """Body of ``POST /_sandbox/webinars/{id}/simulate`` (every field optional)."""

    model_config = ConfigDict(extra="forbid")
    seed: int = 0
    late_minutes: float = Field(2.0, ge=0, le=120)
    show_up_rate: float = Field(0.5, ge=0, le=1)
    phone_rate: float = Field(0.05, ge=0, le=1)
    walk_in_rate: float = Field(0.03, ge=0, le=1)
    walk_ins: int | None = Field(None, ge=0, le=100_000)
    rejoin_rate: float = Field(0.15, ge=0, le=1)
    early_leave_rate: float = Field(0.12, ge=0, le=1)
    question_rate: float = Field(0.05, ge=0, le=1)
    poll_response_rate: float = Field(0.6, ge=0, le=1)
    # Identity, as Zoom shows it (docs/sandbox.md): registrants signed in to a Zoom account
    # when they join (the others have an empty id), walk-ins signed in, and people with
    # several joins who show another name on a later one. Set 1, 1, 0 for a kinder Zoom.
    signed_in_rate: float = Field(0.7, ge=0, le=1)
    walk_in_signed_in_rate: float = Field(0.2, ge=0, le=1)
    rename_rate: float = Field(0.25, ge=0, le=1)
    segments: list[SegmentSpec] | None = Field(None, min_length=1, max_length=100)
    duration_minutes: float | None = Field(None, gt=0, le=24 * 60)


@dataclass
class Person:
    """Someone in the simulated webinar, as they really are, and what Zoom sees of each join."""

    participant_id: str  # the sandbox's id of the person: the report's `id` only if signed in
    name: str  # who they really are (a dial-in's registered name too)
    email: str  # their real email; Zoom shows it only under its rules (docs/sandbox.md)
    role: str  # host | panelist | interpreter | attendee
    via: str  # app | phone | link (walk-in through the webinar's join URL)
    registrant_id: str | None  # who they really are (also set for a registrant who dialled in)
    shown_registrant_id: str | None  # what Zoom can tie the join to (None for phone, walk-in)
    spans: list[tuple[datetime, datetime]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # the display name of each join
    signed_in: bool = False  # signed in to a Zoom account: the report carries their id
    phone_number: str = ""  # dial-ins: the number they call from (their display name too)

    def name_at(self, moment: datetime) -> str:
        """The display name Zoom shows for this person at ``moment``."""
        for (a, b), shown in zip(self.spans, self.names, strict=True):
            if a <= moment < b:
                return shown
        return self.names[-1] if self.names else self.name


def connection_id(person_index: int, span_index: int) -> str:
    """The report's ``user_id`` of one join: Zoom's per-connection id."""
    return str(16_000_000 + person_index * 10 + span_index)


def ascii_email_part(text: str) -> str:
    """``"Tomás"`` -> ``"tomas"``: a name as the local part of an email Zoom's pattern accepts."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "guest"


@dataclass(frozen=True)
class PlannedSegment:
    title: str
    start: datetime
    end: datetime


@dataclass
class Question:
    asker: int  # index into Plan.people
    question: str
    answer: str
    answered_by: str
    at: datetime


@dataclass
class Answer:
    person: int
    answer: str
    at: datetime


# Event kinds in the order they apply at one and the same moment.
LEAVE, JOIN, QUESTION, POLL_ANSWER = 0, 1, 2, 3


@dataclass
class Plan:
    """Everything that will happen, deterministic for (webinar, settings, start)."""

    started_at: datetime  # the host starts the webinar (webinar.started)
    program_start: datetime  # the late start of the programme
    scheduled_end: datetime  # the host ends it (unless ended earlier)
    segments: list[PlannedSegment]
    people: list[Person]
    questions: list[Question]
    poll_answers: list[Answer]
    poll_at: datetime | None
    absent_registrants: list[str]
    # (moment, kind, seq, person or item index, span index) sorted
    events: list[tuple[datetime, int, int, int, int]] = field(default_factory=list)


def _segments(settings: SimulationSettings, duration_minutes: float,
              program_start: datetime) -> list[PlannedSegment]:
    if settings.segments:
        shape = [(s.title, s.minutes) for s in settings.segments]
    else:
        shape = [(title, duration_minutes * share) for title, share in DEFAULT_SHAPE]
    out = []
    cursor = program_start
    for title, minutes in shape:
        end = cursor + timedelta(seconds=round(minutes * 60))
        out.append(PlannedSegment(title, cursor, end))
        cursor = end
    return out


def _find(segments: list[PlannedSegment], words: tuple[str, ...],
          fallback: int | None) -> PlannedSegment | None:
    for segment in segments:
        if any(word in segment.title.lower() for word in words):
            return segment
    if fallback is not None and -len(segments) <= fallback < len(segments) and len(segments) >= 3:
        return segments[fallback]
    return None


def _sec(moment: datetime, offset: float) -> datetime:
    return moment + timedelta(seconds=round(offset))


@dataclass(frozen=True)
class Roll:
    """What the model needs from a webinar, copied under the store lock (planning runs
    without it, so live simulations are not held up while a new one is planned)."""

    duration_minutes: float
    host_email: str
    panelists: list[tuple[str, str]]  # (name, email)
    interpreters: list[str]  # emails
    approved: list[tuple[str, str, str, str, str]]  # (registrant id, first, last, email, org)

    @classmethod
    def of(cls, state: WebinarState) -> Roll:
        return cls(
            float(state.data.get("duration") or 60), str(state.data.get("host_email", "")),
            [(p.get("name") or p["email"].split("@")[0], p["email"])
             for p in state.panelists.values()],
            [str(i.get("email", "")) for i in state.interpreters() if i.get("email")],
            [(rid, state.registrants[rid].get("first_name", ""),
              state.registrants[rid].get("last_name", ""), state.registrants[rid]["email"],
              str(state.registrants[rid].get("org") or ""))
             for rid in state.by_status["approved"]])


def plan_attendance(roll: Roll, settings: SimulationSettings, start: datetime) -> Plan:
    """The attendance model: who comes, when they are in the room, what they ask and answer.

    Moments are whole seconds (Zoom's report precision), so the report and the truth carry
    the very same times. Who is signed in and who renames draw from a second generator, so
    asking for a kinder Zoom (``signed_in_rate=1``, ``rename_rate=0``) keeps the same attendance.
    """
    rng = random.Random(settings.seed)
    identity = random.Random(f"identity:{settings.seed}")
    t0 = start.astimezone(UTC).replace(microsecond=0)
    program_start = _sec(t0, settings.late_minutes * 60)
    duration = settings.duration_minutes or roll.duration_minutes
    segments = _segments(settings, duration, program_start)
    end = segments[-1].end
    total = (end - program_start).total_seconds()
    panel = _find(segments, ("panel", "debate", "dialogue", "diálogo"), len(segments) // 2)
    qa_segment = _find(segments, ("q&a", "question", "pregunta"), -2)
    closing = segments[-1] if len(segments) >= 2 else None
    closing_start = closing.start if closing else end

    people: list[Person] = []
    used_ids: set[str] = set()

    def pid() -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
        while True:
            value = "".join(rng.choice(alphabet) for _ in range(22))
            if value not in used_ids:
                used_ids.add(value)
                return value

    def add(name: str, email: str, role: str, via: str, registrant_id: str | None,
            shown: str | None, spans: list[tuple[datetime, datetime]], *,
            signed_in: bool = True, phone: str = "") -> Person:
        person = Person(pid(), name, email, role, via, registrant_id, shown, spans,
                        [phone or name] * len(spans), signed_in, phone)
        people.append(person)
        return person

    def maybe_rename(person: Person, first: str, organisation: str) -> None:
        """Some people show another name after a rejoin: the device's name first, or their
        organisation added later."""
        if len(person.spans) < 2 or identity.random() >= settings.rename_rate:
            return
        if identity.random() < 0.5:
            device = identity.choice(DEVICE_NAMES).format(first=first or person.name)
            before, after = device, person.name
        else:
            before, after = person.name, f"{person.name} ({organisation})"
        switch = identity.randrange(1, len(person.spans))
        person.names = [before] * switch + [after] * (len(person.spans) - switch)

    # The host opens the room; panelists and interpreters join backstage before the start.
    add(HOST_NAME, roll.host_email, "host", "app", None, None, [(t0, end)])
    backstage = max(0.0, (program_start - t0).total_seconds())
    crew: list[tuple[str, str, str]] = []
    for name, email in roll.panelists:
        crew.append((name, email, "panelist"))
    known = {email.lower() for _, email, _ in crew}
    for email in roll.interpreters:
        if email.lower() not in known:
            crew.append((email.split("@")[0], email, "interpreter"))
        else:
            crew = [(n, e, "interpreter" if e.lower() == email.lower() else r)
                    for n, e, r in crew]
    for index, (name, email, role) in enumerate(crew):
        join = _sec(t0, rng.uniform(0.1, 0.9) * backstage)
        spans = [(join, end)]
        if index == 0 and total > 600:  # one panelist drops and rejoins
            drop = _sec(program_start, rng.uniform(0.3, 0.7) * total)
            spans = [(join, drop), (_sec(drop, rng.uniform(20, 90)), end)]
        add(name, email, role, "app", None, None, spans)
    speakers = [p.name for p in people if p.role == "panelist"] or [HOST_NAME]

    def arrival() -> tuple[datetime, bool]:
        """When someone arrives, and whether they came for the panel."""
        u = rng.random()
        if u < 0.07 and backstage > 0:
            return _sec(t0, rng.uniform(0, backstage)), False
        if u < 0.78 or panel is None:
            return _sec(program_start, min(rng.expovariate(1 / 150), total * 0.5)), False
        if u < 0.90:
            offset = (panel.start - program_start).total_seconds() + rng.gauss(0, 120)
            return _sec(program_start, min(max(0.0, offset), total - 120)), True
        return _sec(program_start, rng.uniform(0, max(0.0, total - 300))), False

    def departure(joined: datetime, for_panel: bool) -> datetime:
        u = rng.random()
        if u < settings.early_leave_rate:
            latest = max(joined + timedelta(minutes=5), closing_start)
            leave = joined + timedelta(seconds=rng.uniform(
                300, max(301.0, (latest - joined).total_seconds())))
        elif for_panel and panel is not None and u < settings.early_leave_rate + 0.5:
            leave = _sec(panel.end, rng.gauss(0, 120))
        elif closing is not None and u < settings.early_leave_rate + 0.4:
            leave = _sec(closing.start, rng.uniform(0, (end - closing.start).total_seconds()))
        else:
            return end
        leave = leave.replace(microsecond=0)
        return min(end, max(leave, joined + timedelta(seconds=60)))

    def spans_for(joined: datetime, left: datetime) -> list[tuple[datetime, datetime]]:
        spans = [(joined, left)]
        if rng.random() < settings.rejoin_rate and (left - joined).total_seconds() > 600:
            for _ in range(rng.choice((1, 1, 2))):
                first, last = spans[-1]
                room = (last - first).total_seconds()
                if room < 300:
                    break
                drop = _sec(first, rng.uniform(60, room - 200))
                back = _sec(drop, rng.uniform(10, 120))
                spans[-1] = (first, drop)
                spans.append((back, last))
        return spans

    phones: set[str] = set()

    def phone_number() -> str:
        while True:
            number = (f"{rng.choice(DIAL_PREFIXES)} 555 "
                      f"{rng.randrange(10_000):04d}")
            if number not in phones:
                phones.add(number)
                return number

    absent: list[str] = []
    attending = 0
    for rid, first_name, last_name, registrant_email, org in roll.approved:
        if rng.random() >= settings.show_up_rate:
            absent.append(rid)
            continue
        attending += 1
        joined, for_panel = arrival()
        spans = spans_for(joined, departure(joined, for_panel))
        name = " ".join(p for p in (first_name, last_name) if p) or registrant_email
        if rng.random() < settings.phone_rate:
            # A dial-in keeps its number when it drops and redials; Zoom cannot tie it to the
            # registration, and shows no email and no id.
            add(name, registrant_email, "attendee", "phone", rid, None, spans,
                signed_in=False, phone=phone_number())
        else:
            person = add(name, registrant_email, "attendee", "app", rid, rid, spans,
                         signed_in=identity.random() < settings.signed_in_rate)
            maybe_rename(person, first_name, org or identity.choice(ORGANISATIONS))
    walk_ins = settings.walk_ins
    if walk_ins is None:
        walk_ins = round(attending * settings.walk_in_rate)
        if attending and settings.walk_in_rate > 0:
            walk_ins = max(1, walk_ins)
    for number in range(walk_ins):
        first, last = rng.choice(WALK_IN_FIRST), rng.choice(WALK_IN_LAST)
        # ASCII, whatever the name: Zoom's email pattern has no room for "tomás".
        email = (f"{ascii_email_part(first)}.{ascii_email_part(last)}.{number}"
                 f"@{WALK_IN_DOMAIN}")
        joined, for_panel = arrival()
        person = add(f"{first} {last}", email, "attendee", "link", None, None,
                     spans_for(joined, departure(joined, for_panel)),
                     signed_in=identity.random() < settings.walk_in_signed_in_rate)
        maybe_rename(person, first, identity.choice(ORGANISATIONS))

    def present(person: Person, moment: datetime, margin: float = 0) -> bool:
        return any(a <= moment and moment + timedelta(seconds=margin) < b
                   for a, b in person.spans)

    typists = [i for i, p in enumerate(people) if p.role == "attendee" and p.via != "phone"]
    questions: list[Question] = []
    window = qa_segment or PlannedSegment("programme", program_start, end)
    asks = min(len(typists), 200, round(len(typists) * settings.question_rate))
    if typists and settings.question_rate > 0:
        asks = max(1, asks)
    for index in rng.sample(typists, asks) if asks else []:
        person = people[index]
        spans = [(max(a, window.start), min(b, window.end)) for a, b in person.spans]
        spans = [(a, b) for a, b in spans if (b - a).total_seconds() > 30] or [
            (a, b) for a, b in person.spans if (b - a).total_seconds() > 30]
        if not spans:
            continue
        a, b = rng.choice(spans)
        at = _sec(a, rng.uniform(0, (b - a).total_seconds() - 30))
        speaker = rng.choice(speakers)
        questions.append(Question(index, rng.choice(QUESTIONS),
                                  f"{speaker}: thank you, we will follow up on this.",
                                  speaker, at))

    poll_window = panel or segments[len(segments) // 2]
    poll_at = _sec(poll_window.start, (poll_window.end - poll_window.start).total_seconds() / 2)
    answers: list[Answer] = []
    for index in typists:
        if present(people[index], poll_at, 120) and rng.random() < settings.poll_response_rate:
            answers.append(Answer(index, rng.choice(POLL_ANSWERS),
                                  _sec(poll_at, rng.uniform(5, 110))))

    events: list[tuple[datetime, int, int, int, int]] = []
    seq = 0
    for index, person in enumerate(people):
        for span_index, (a, b) in enumerate(person.spans):
            events.append((a, JOIN, seq, index, span_index))
            seq += 1
            if b < end:  # whoever is still in at the end is closed by the end itself
                events.append((b, LEAVE, seq, index, span_index))
                seq += 1
    for item, question in enumerate(questions):
        events.append((question.at, QUESTION, seq, item, 0))
        seq += 1
    for item, answer in enumerate(answers):
        events.append((answer.at, POLL_ANSWER, seq, item, 0))
        seq += 1
    events.sort()
    return Plan(t0, program_start, end, segments, people, questions, answers,
                poll_at if answers else None, absent, events)


class Simulation:
    """One webinar playing its plan on the sandbox; the handle tests and the admin API use."""

    def __init__(self, engine: SimulationEngine, webinar_id: int, settings: SimulationSettings,
                 plan: Plan, poll_id: str) -> None:
        self.engine = engine
        self.store = engine.store
        self.webinar_id = webinar_id
        self.settings = settings
        self.plan = plan
        self.poll_id = poll_id
        self.lock = threading.RLock()
        self.cursor = 0  # events applied so far
        self.applied_through = plan.started_at  # the truth is the plan cut here
        self.ended_at: datetime | None = None
        self.cutoff: datetime | None = None  # ending early: nothing at or after this applies
        self.max_lag_seconds = 0.0  # sandbox seconds behind the clock, worst so far
        self.max_lag_real_seconds = 0.0
        self.max_lag_at: datetime | None = None  # the moment that was applied latest
        self.created_at = engine.store.now()  # moments before this were due at birth
        self.events_applied = 0
        self._done = threading.Event()
        # Zoom's participant_uuid of each join (webhooks only), deterministic for the seed.
        draw = random.Random(f"participant_uuid:{settings.seed}")
        self.participant_uuids = [
            [str(uuid.UUID(int=draw.getrandbits(128))).upper() for _ in person.spans]
            for person in plan.people]

    def __repr__(self) -> str:
        return (f"Simulation(webinar_id={self.webinar_id}, seed={self.settings.seed}, "
                f"people={len(self.plan.people)}, done={self.done})")

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def next_moment(self) -> datetime | None:
        """When the next thing happens (None once ended)."""
        if self.done:
            return None
        if self.cursor < len(self.plan.events):
            return min(self.plan.events[self.cursor][0], self.plan.scheduled_end)
        return self.plan.scheduled_end

    # ----- applying ---------------------------------------------------------------------------

    def apply_due(self, now: datetime) -> int:
        """Apply every event at or before ``now`` (and the end when it is due)."""
        with self.lock:
            if self.done:
                return 0
            limit = now if self.cutoff is None else min(now, self.cutoff)
            applied = self._apply_until(limit, inclusive=self.cutoff is None)
            if self.cutoff is None and now >= self.plan.scheduled_end:
                self.store.end_webinar(self.webinar_id, at=self.plan.scheduled_end)
                self._finish(self.plan.scheduled_end)
            return applied

    def _apply_until(self, limit: datetime, inclusive: bool) -> int:
        events = self.plan.events
        stop = self.cursor
        while stop < len(events) and (events[stop][0] < limit or (
                inclusive and events[stop][0] == limit)) and events[stop][0] < \
                self.plan.scheduled_end:
            stop += 1
        if stop == self.cursor:
            self.applied_through = max(self.applied_through, min(limit,
                                                                 self.plan.scheduled_end))
            return 0
        emitted: list[tuple[str, dict[str, Any], datetime]] = []
        store, plan = self.store, self.plan
        with store.lock:
            state = store.webinars.get(self.webinar_id)
            if state is None or state.status == "ended":
                self._finish(state.ended_at if state and state.ended_at else limit)
                return 0
            if state.status != "started":
                return 0
            for moment, kind, _, index, span_index in events[self.cursor:stop]:
                if kind == JOIN:
                    person = plan.people[index]
                    # The store shows what Zoom would: the email only under Zoom's rules,
                    # the id only when signed in (docs/sandbox.md).
                    _, event = store.join_session(
                        state, name=person.names[span_index],
                        email="" if person.phone_number else person.email,
                        registrant_id=person.shown_registrant_id, role=person.role, at=moment,
                        participant_id=person.participant_id,
                        session_id=connection_id(index, span_index),
                        signed_in=person.signed_in, phone_number=person.phone_number,
                        participant_uuid=self.participant_uuids[index][span_index])
                    emitted.append((*event, moment))
                elif kind == LEAVE:
                    person = plan.people[index]
                    if person.participant_id in state.open_sessions:
                        emitted.append((*store.leave_session(state, person.participant_id,
                                                             moment), moment))
                elif kind == QUESTION:
                    question = plan.questions[index]
                    asker = plan.people[question.asker]
                    state.qa.append({"name": asker.name_at(moment), "email": asker.email,
                                     "question": question.question, "answer": question.answer,
                                     "create_time": zoom_time(moment)})
                else:
                    answer = plan.poll_answers[index]
                    voter = plan.people[answer.person]
                    state.poll_answers.append({
                        "poll_id": self.poll_id, "name": voter.name_at(moment),
                        "email": voter.email, "question": POLL_QUESTION,
                        "answer": answer.answer, "date_time": zoom_time(moment)})
            store.mark_changed()
        first_due = events[self.cursor][0]
        self.events_applied += stop - self.cursor
        self.cursor = stop
        self.applied_through = max(self.applied_through, min(limit, plan.scheduled_end))
        for name, obj, when in emitted:
            store.emit(name, obj, when)
        self._measure(first_due)
        return len(emitted)

    def _measure(self, first_due: datetime) -> None:
        behind = (self.store.clock.now() - max(first_due, self.created_at)).total_seconds()
        if behind > self.max_lag_seconds:
            self.max_lag_seconds = behind
            self.max_lag_at = first_due
            speed = self.store.clock.speed
            self.max_lag_real_seconds = behind / speed if speed > 0 else 0.0

    def _finish(self, moment: datetime) -> None:
        self.ended_at = moment
        self.applied_through = moment
        self._done.set()
        self.engine.wake()

    def before_end(self, moment: datetime) -> None:
        """The webinar ends at ``moment`` (host ended it): apply what happened before it."""
        with self.lock:
            if self.done:
                return
            self.cutoff = moment if self.cutoff is None else min(self.cutoff, moment)
            self._apply_until(self.cutoff, inclusive=False)

    def after_end(self, moment: datetime) -> None:
        with self.lock:
            if not self.done:
                self._finish(moment)

    # ----- driving from Python ----------------------------------------------------------------

    def run_until(self, moment: datetime) -> int:
        """Apply everything up to ``moment`` now, jumping the sandbox clock there if it is
        behind (no real waiting); returns how many events were applied."""
        clock = self.store.clock
        if clock.now() < moment:
            clock.set(moment)
        return self.apply_due(moment)

    def step(self) -> datetime | None:
        """Jump to the next moment something happens and apply it; None once ended."""
        moment = self.next_moment()
        if moment is None:
            return None
        self.run_until(moment)
        return moment

    def run(self) -> None:
        """Play the whole webinar synchronously (the clock jumps to its end)."""
        while self.step() is not None:
            pass

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the webinar ended (on the running clock); False on timeout."""
        return self._done.wait(timeout)

    # ----- ground truth -----------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        """Every person, their role and the spans they were really in the room, so far.

        Each span is one connection: the report's ``user_id`` of that join and the name Zoom
        showed for it, so every report row can be traced to who it really was.
        """
        with self.lock:
            plan = self.plan
            as_of = self.ended_at or self.applied_through
            people = []
            for index, person in enumerate(plan.people):
                spans: list[dict[str, str | None]] = []
                for span_index, (a, b) in enumerate(person.spans):
                    if a > as_of or (a == as_of and self.ended_at is not None):
                        continue
                    if self.ended_at is not None:
                        leave: str | None = zoom_time(min(b, as_of))
                    else:
                        leave = zoom_time(b) if b <= as_of else None
                    spans.append({"join": zoom_time(a), "leave": leave,
                                  "user_id": connection_id(index, span_index),
                                  "name": person.names[span_index]})
                if not spans:
                    continue
                seconds = sum(
                    (min(b, as_of) - a).total_seconds() for a, b in person.spans if a < as_of)
                people.append({
                    "participant_id": person.participant_id, "name": person.name,
                    "email": person.email, "role": person.role, "via": person.via,
                    "registrant_id": person.registrant_id, "signed_in": person.signed_in,
                    "phone_number": person.phone_number, "spans": spans,
                    "seconds": int(seconds)})
            asked = [q for q in plan.questions if q.at < as_of or (
                q.at == as_of and self.ended_at is None)]
            voted = [a for a in plan.poll_answers if a.at < as_of or (
                a.at == as_of and self.ended_at is None)]
            return {
                "webinar_id": self.webinar_id, "seed": self.settings.seed,
                "status": "ended" if self.done else "running",
                "as_of": zoom_time(as_of), "started_at": zoom_time(plan.started_at),
                "program_start": zoom_time(plan.program_start),
                "scheduled_end": zoom_time(plan.scheduled_end),
                "ended_at": zoom_time(self.ended_at) if self.ended_at else None,
                "segments": [{"title": s.title, "start": zoom_time(s.start),
                              "end": zoom_time(s.end)} for s in plan.segments],
                "people": people,
                "absent_registrants": list(plan.absent_registrants) if self.done else [],
                "questions": [{"name": plan.people[q.asker].name_at(q.at),
                               "email": plan.people[q.asker].email, "question": q.question,
                               "answer": q.answer, "answered_by": q.answered_by,
                               "at": zoom_time(q.at)} for q in asked],
                "poll": {"id": self.poll_id, "title": POLL_TITLE, "question": POLL_QUESTION,
                         "launched_at": zoom_time(plan.poll_at) if plan.poll_at else None,
                         "answers": [{"name": plan.people[a.person].name_at(a.at),
                                      "email": plan.people[a.person].email,
                                      "answer": a.answer, "at": zoom_time(a.at)}
                                     for a in voted]},
                "lag": self.lag(),
            }

    def lag(self) -> dict[str, Any]:
        return {"events_applied": self.events_applied,
                "worst_seconds": round(self.max_lag_seconds, 3),
                "worst_real_seconds": round(self.max_lag_real_seconds, 4),
                "worst_at": zoom_time(self.max_lag_at) if self.max_lag_at else None}

    def summary(self) -> dict[str, Any]:
        plan = self.plan
        return {"webinar_id": self.webinar_id, "seed": self.settings.seed,
                "status": "ended" if self.done else "running",
                "started_at": zoom_time(plan.started_at),
                "program_start": zoom_time(plan.program_start),
                "scheduled_end": zoom_time(plan.scheduled_end),
                "people": len(plan.people),
                "attendees": sum(1 for p in plan.people if p.role == "attendee"),
                "absent_registrants": len(plan.absent_registrants),
                "events": len(plan.events), "lag": self.lag()}


class SimulationEngine:
    """Plays every running simulation of one sandbox as its clock passes each moment."""

    def __init__(self, store: SandboxStore) -> None:
        self.store = store
        self.simulations: dict[int, Simulation] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        store.clock.add_listener(self.wake)
        store.before_end = self._before_end
        store.after_end = self._after_end
        self.on_error: Callable[[BaseException], None] | None = None

    def __repr__(self) -> str:
        return f"SimulationEngine(simulations={len(self.simulations)})"

    def wake(self) -> None:
        self._wake.set()

    def simulate(self, webinar_id: int | str, settings: SimulationSettings) -> Simulation:
        """Start the webinar now on the sandbox clock and play the attendance model."""
        store = self.store
        with store.lock:
            state = store.webinar(webinar_id)
            if state.status != "waiting":
                raise ZoomApiError(400, 3000, (
                    f"Webinar {state.id} has already {state.status}; simulate a new webinar "
                    "(or POST /_sandbox/reset)."))
            roll = Roll.of(state)
        plan = plan_attendance(roll, settings, store.now())
        poll_id = store.add_poll(state.id, title=POLL_TITLE, questions=[
            {"name": POLL_QUESTION, "type": "single", "answers": list(POLL_ANSWERS)}])
        simulation = Simulation(self, state.id, settings, plan, poll_id)
        store.start_webinar(state.id, at=plan.started_at)
        with self._lock:
            self.simulations[state.id] = simulation
        self._ensure_thread()
        self.wake()
        return simulation

    def get(self, webinar_id: int | str) -> Simulation:
        try:
            key = int(webinar_id)
        except (TypeError, ValueError):
            key = -1
        with self._lock:
            simulation = self.simulations.get(key)
        if simulation is None:
            raise ZoomApiError(404, 3001, f"Webinar {webinar_id} has no simulation; "
                                          f"POST /_sandbox/webinars/{webinar_id}/simulate first.")
        return simulation

    def all(self) -> list[Simulation]:
        """Every simulation of this sandbox (running or ended), oldest first."""
        with self._lock:
            return list(self.simulations.values())

    def clear(self) -> None:
        with self._lock:
            for simulation in self.simulations.values():
                simulation._done.set()
            self.simulations.clear()

    def _before_end(self, webinar_id: int, moment: datetime) -> None:
        with self._lock:
            simulation = self.simulations.get(webinar_id)
        if simulation is not None and not simulation.done:
            simulation.before_end(moment)

    def _after_end(self, webinar_id: int, moment: datetime) -> None:
        with self._lock:
            simulation = self.simulations.get(webinar_id)
        if simulation is not None:
            simulation.after_end(moment)

    # ----- the thread -------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="sandbox-simulation",
                                                daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        clock = self.store.clock
        while not self._stop.is_set():
            self._wake.clear()
            with self._lock:
                running = [s for s in self.simulations.values() if not s.done]
            now = clock.now()
            for simulation in running:
                try:
                    simulation.apply_due(now)
                except Exception as exc:  # keep playing the other webinars
                    simulation._finish(now)
                    if self.on_error is not None:
                        self.on_error(exc)
            upcoming = [m for m in (s.next_moment() for s in running) if m is not None]
            if not upcoming:
                self._wake.wait(1.0)
                continue
            delay = clock.real_seconds_until(min(upcoming))
            if delay > 0:
                self._wake.wait(min(delay, 1.0) if math.isfinite(delay) else 1.0)

