"""The cue plan: a pure function of (agenda, actual start, live adjustments).

Nothing here reads a clock, a file or a database. :func:`plan_cues` takes a :class:`CueAgenda`
(built from an :class:`~zoomorch.event.EventSpec` by :func:`agenda_from_event`) and a
:class:`LiveState` and returns every :class:`Cue`, each with a stable id, a tz-aware due time,
its audience and its text in English, Spanish and French.

How the live adjustments read (all are recorded with the wall time ``at`` they were issued):

- the actual start (``webinar.started``, ``cues start``, or ``next`` while no segment is in
  progress and no start is recorded) re-anchors the agenda and the interpreter hand-overs; tech
  check, doors open and the scheduled-start cue stay where they were (they are about the
  scheduled time), and so does the **hard stop**: a late start eats into the agenda, it does
  not buy time past the booked end (``hard_stop_grace`` in the event file gives room);
- ``shift +3m`` moves every cue still to come by the amount, hard stop included;
- ``next`` ends the current segment at ``at``; the next segment starts then;
- ``extend 2m`` gives the current segment two more minutes (counted from now if it is already
  over time); later segments follow; the hard stop stays.

Segments advance ``manual``-ly by default, the first one included: it begins when the webinar
actually starts (until then its cues are *projected*, and from the scheduled start on the host
gets a "not started yet" cue each ``overrun_every``); after "time is up" the moderator gets an
overrun cue each minute until someone says ``next``; until then the later segments' cues are
projected (shown as if the segment ended on time, not scheduled). ``advance="auto"`` assumes the
webinar starts and every segment ends on time instead (no overrun cues); a recorded start
still moves the agenda.

Nothing of the agenda is cued after the hard stop: that cue says the webinar must end now.
The end of the webinar (``webinar.ended`` or ``cues end``) cancels every cue due from then on.

An adjustment never rewrites history: cues due before it keep their place, cues due after it
come from the new timeline. A segment is announced once: when a re-plan (typically a late start
under auto advance) moves the start of the segment people were last told is on, the moved cue
stays in the plan as ``quiet`` (sent to nobody; it still starts the recording if the event asks
for that); that segment's warnings and time-up carry the new end time. A cue's id is derived
from what it is and when it is due, so a re-plan keeps the ids of unchanged cues, and
re-planning after a restart gives the same ids.

Times in texts read ``HH:MM (place)``: the recipient's location from the event file (or the
city of their time zone), rounded to the minute; the board and ``cues status`` keep seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from zoomorch.event import EventSpec

Language = Literal["en", "es", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "fr")
# Zoom's interpretation codes (event.py) to the languages cue texts are written in.
_ZOOM_TO_TEXT: dict[str, Language] = {"US": "en", "ES": "es", "FR": "fr"}

CueKind = Literal[
    "tech_check", "doors_open", "event_start", "not_started", "segment_start", "warning",
    "time_up", "overrun", "handover", "hard_stop",
]
AdjustmentKind = Literal["start", "shift", "next", "extend"]

MINUTE = timedelta(minutes=1)
# Among cues due at the same instant, the order people should read them in.
_KIND_ORDER: dict[str, int] = {
    "tech_check": 0, "doors_open": 1, "event_start": 2, "time_up": 3, "hard_stop": 4,
    "not_started": 5, "segment_start": 6, "warning": 7, "overrun": 8, "handover": 9,
}


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class CueSettings:
    """How cues are planned and delivered for one event; defaults fit the seed event.

    ``warnings`` overrides the warnings of a segment (by index) with amounts before its end.
    ``late_grace``: a cue found undelivered up to this long after its due time (e.g. after a
    restart) is still delivered and marked late; beyond it, it is recorded as missed.
    """

    tech_check_before: timedelta = timedelta(minutes=30)
    doors_open_before: timedelta = timedelta(minutes=10)
    warnings: Mapping[int, tuple[timedelta, ...]] = field(default_factory=dict)
    overrun_every: timedelta = MINUTE
    handover_every: timedelta = timedelta(minutes=30)
    hard_stop_grace: timedelta = timedelta(0)
    advance: Literal["manual", "auto"] = "manual"
    late_grace: timedelta = timedelta(minutes=2)
    late_after: timedelta = timedelta(seconds=5)
    end_webinar_at_hard_stop: bool = False


@dataclass(frozen=True)
class Recipient:
    """Someone who receives cues: in their language, with times in their zone."""

    id: str
    name: str
    language: Language
    zone: ZoneInfo
    audiences: frozenset[str]
    email: str | None = None
    # The channels this person chose (the event file's notifications.people); None: all.
    # Shared channels that are no one's inbox (the cue board) ignore it.
    channels: frozenset[str] | None = None
    # Where they are (the event file's ``location``), shown next to times; "": their zone's city.
    place: str = ""

    def wants(self, channel: str) -> bool:
        """Whether this person takes cues on ``channel`` (e.g. ``webhook1`` is a webhook)."""
        if self.channels is None:
            return True
        return channel in self.channels or channel.rstrip("0123456789") in self.channels


@dataclass(frozen=True)
class SegmentPlan:
    """One agenda segment as the planner needs it (offsets are event time from the start)."""

    index: int
    title: str
    offset: timedelta
    duration: timedelta
    speakers: tuple[str, ...] = ()
    moderator: str | None = None


@dataclass(frozen=True)
class Booth:
    """An interpretation booth: the pair it covers and the interpreters who take turns."""

    key: str  # e.g. "ES-US"
    label: str  # e.g. "ES⇄EN"
    interpreters: tuple[str, ...]


@dataclass(frozen=True)
class CueAgenda:
    """Everything the planner needs about one event.

    ``speed`` > 1 runs the event accelerated (a rehearsal or a test): event time passes
    ``speed`` times faster than real time from the scheduled start on; texts show event time.
    ``origin`` is the wall instant at which the event clock shows the scheduled start (default:
    the scheduled start itself), so a rehearsal can start on a whole minute of event time
    whatever the second it really begins.
    """

    slug: str
    title: str
    zone: ZoneInfo
    scheduled_start: datetime
    duration: timedelta
    segments: tuple[SegmentPlan, ...]
    recipients: tuple[Recipient, ...] = ()
    booths: tuple[Booth, ...] = ()
    settings: CueSettings = CueSettings()
    speed: float = 1.0
    origin: datetime | None = None

    @property
    def real_start(self) -> datetime:
        """The wall instant of the scheduled start."""
        return self.origin or self.scheduled_start

    def to_event_time(self, real: datetime) -> datetime:
        return self.scheduled_start + (real - self.real_start) * self.speed

    def to_real_time(self, event: datetime) -> datetime:
        return self.real_start + (event - self.scheduled_start) / self.speed

    def recipients_for(self, cue: Cue) -> list[Recipient]:
        """The people a cue goes to."""
        wanted = set(cue.audience)
        return [r for r in self.recipients if r.audiences & wanted]


@dataclass(frozen=True)
class Adjustment:
    """One live change to the plan, issued at wall time ``at`` (tz-aware)."""

    kind: AdjustmentKind
    at: datetime
    amount: timedelta = timedelta(0)  # shift/extend; "start": unused (the start is ``at``)


@dataclass(frozen=True)
class LiveState:
    """What happened so far: the actual start, every adjustment in the order issued, and the
    end (``webinar.ended`` or ``cues end``): no cue is due from the end on."""

    actual_start: datetime | None = None
    adjustments: tuple[Adjustment, ...] = ()
    ended_at: datetime | None = None

    def epochs(self) -> list[Adjustment]:
        """The actual start and the adjustments in time order (ties keep issue order)."""
        items = list(self.adjustments)
        if self.actual_start is not None:
            items.append(Adjustment("start", self.actual_start))
        return sorted(items, key=lambda a: a.at)

    def started_by(self, at: datetime) -> bool:
        """Whether the start is known at ``at``: recorded, or a ``next`` read as the start."""
        return self.actual_start is not None or any(
            a.kind == "next" and a.at <= at for a in self.adjustments)


# --------------------------------------------------------------------------- the output


@dataclass(frozen=True)
class Cue:
    """One moment someone must be told something.

    ``due`` is tz-aware UTC (real time); ``projected`` cues belong to a segment that has not
    started yet under manual advance: shown, not scheduled. ``quiet`` cues re-announce a
    segment people were already told is on (moved by a re-plan): kept, sent to nobody.
    """

    id: str
    due: datetime
    kind: CueKind
    audience: tuple[str, ...]
    segment: str | None = None
    segment_index: int | None = None
    projected: bool = False
    quiet: bool = False
    # What the texts are made of: event-time instants, amounts, names.
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    event_zone: ZoneInfo = field(default=ZoneInfo("UTC"), compare=False, hash=False)

    @property
    def text(self) -> dict[Language, str]:
        """The text in each language, times in the event's zone."""
        return {lang: render_text(self, lang, self.event_zone) for lang in LANGUAGES}

    def text_for(self, recipient: Recipient) -> str:
        """The text in the recipient's language, times in their zone."""
        return render_text(self, recipient.language, recipient.zone, recipient.place)

    def as_json(self, zone: ZoneInfo | None = None) -> dict[str, Any]:
        """A JSON-able dict; ``due`` is ISO 8601 with the offset of ``zone`` (event's zone)."""
        shown = zone or self.event_zone
        texts = {lang: render_text(self, lang, shown) for lang in LANGUAGES}
        return {
            "id": self.id,
            "due": self.due.astimezone(shown).isoformat(),
            "kind": self.kind,
            "segment": self.segment,
            "segment_index": self.segment_index,
            "audience": list(self.audience),
            "projected": self.projected,
            "quiet": self.quiet,
            "text": texts["en"],
            "texts": texts,
        }


# --------------------------------------------------------------------------- texts

_TEMPLATES: dict[str, dict[Language, str]] = {
    "tech_check": {
        "en": "Tech check: join the practice session now; the webinar starts at {start}.",
        "es": "Prueba técnica: entre ahora en la sesión de práctica; el webinar empieza a "
              "{start_art}.",
        "fr": "Test technique : rejoignez la session d'entraînement ; le webinaire commence à "
              "{start}.",
    },
    "doors_open": {
        "en": "Doors open: attendees can join now; we start at {start}.",
        "es": "Se abren las puertas: el público ya puede entrar; empezamos a {start_art}.",
        "fr": "Ouverture des portes : le public peut entrer ; début à {start}.",
    },
    "event_start": {
        "en": "It is {start}: start the webinar now.",
        "es": "{it_is}: comience el webinar ahora.",
        "fr": "Il est {start} : démarrez le webinaire maintenant.",
    },
    "not_started": {
        "en": "The webinar has not started yet: +{late} late.",
        "es": "El webinar aún no ha empezado: +{late} de retraso.",
        "fr": "Le webinaire n'a pas encore commencé : +{late} de retard.",
    },
    "segment_start": {
        "en": "Now: {segment}{who}, until {end}.",
        "es": "Ahora: {segment}{who}, hasta {end_art}.",
        "fr": "Maintenant : {segment}{who}, jusqu'à {end}.",
    },
    "warning": {
        # No parentheses around the end: the time already carries its place in some.
        "en": "{left} left for {segment}: it ends at {end}.",
        "es": "{remain} {left} para {segment}: termina a {end_art}.",
        "fr": "Il reste {left} pour {segment} : fin à {end}.",
    },
    "time_up": {
        "en": "{segment}: time is up.",
        "es": "{segment}: se acabó el tiempo.",
        "fr": "{segment} : le temps est écoulé.",
    },
    "overrun": {
        "en": "{segment}: +{over} over time.",
        "es": "{segment}: +{over} fuera de tiempo.",
        "fr": "{segment} : +{over} de dépassement.",
    },
    "handover": {
        "en": "Booth {booth}: hand-over, {to} takes over from {from_}.",
        "es": "Cabina {booth}: relevo, {to} toma el relevo de {from_}.",
        "fr": "Cabine {booth} : relève, {to} prend le relais de {from_}.",
    },
    "hard_stop": {
        "en": "Hard stop: the webinar must end now, at {end}.",
        "es": "Cierre obligatorio: el webinar debe terminar ahora, a {end_art}.",
        "fr": "Arrêt impératif : le webinaire doit se terminer maintenant, à {end}.",
    },
}
_WHO: dict[Language, tuple[str, str]] = {
    # (moderator label, speakers label)
    "en": ("moderator", "speakers"),
    "es": ("modera", "intervienen"),
    "fr": ("modération", "intervenants"),
}


def place_of(zone: ZoneInfo, location: str = "") -> str:
    """How a zone reads next to a time: the person's location, else the zone's city
    (``America/New_York`` → ``New York``), else its UTC offset (``UTC``, ``Etc/GMT+5``)."""
    if location.strip():
        return location.strip()
    key = getattr(zone, "key", None) or str(zone)
    if "/" in key and not key.startswith("Etc/"):
        return key.rsplit("/", 1)[-1].replace("_", " ")
    offset = datetime.now(UTC).astimezone(zone).utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = round(offset.total_seconds() / 60)
    sign = "+" if minutes > 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _local_minute(at: datetime, zone: ZoneInfo) -> datetime:
    """``at`` in ``zone`` rounded to the nearest minute (texts are read by people)."""
    rounded = (at.astimezone(UTC) + timedelta(seconds=30)).replace(second=0, microsecond=0)
    return rounded.astimezone(zone)


def _clock(at: datetime, zone: ZoneInfo, place: str) -> str:
    return f"{_local_minute(at, zone):%H:%M} ({place})"


def _es_at(at: datetime, zone: ZoneInfo, place: str) -> str:
    """Spanish "a las 08:25" but "a la 01:25": the article agrees with the hour."""
    article = "la" if _local_minute(at, zone).hour == 1 else "las"
    return f"{article} {_clock(at, zone, place)}"


def _amount(delta: timedelta) -> str:
    seconds = abs(round(delta.total_seconds()))
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" + (f" {rest} s" if rest else "")


def _is_one(delta: timedelta) -> bool:
    """Whether an amount reads as one unit (Spanish "Queda 1 min", not "Quedan")."""
    return abs(round(delta.total_seconds())) in (1, 60)


def render_text(cue: Cue, language: Language, zone: ZoneInfo, place: str | None = None) -> str:
    """A cue's text in one language with times in ``zone``, labelled ``place`` (default: the
    zone's city)."""
    p = cue.params
    where = place_of(zone, place or "")
    values: dict[str, str] = {"segment": cue.segment or ""}
    for name in ("start", "end"):
        if name in p:
            values[name] = _clock(p[name], zone, where)
            values[f"{name}_art"] = _es_at(p[name], zone, where)
    if "start" in p:
        one = values["start_art"].startswith("la ")
        values["it_is"] = ("Es " if one else "Son ") + values["start_art"]
    for name in ("left", "over", "late"):
        if name in p:
            values[name] = _amount(p[name])
    if "left" in p:
        values["remain"] = "Queda" if _is_one(p["left"]) else "Quedan"
    if cue.kind == "segment_start":
        moderator_label, speakers_label = _WHO[language]
        parts = []
        if p.get("moderator"):
            parts.append(f"{moderator_label} {p['moderator']}")
        if p.get("speakers"):
            parts.append(f"{speakers_label} {', '.join(p['speakers'])}")
        values["who"] = (" — " + "; ".join(parts)) if parts else ""
    if cue.kind == "handover":
        values.update(booth=p["booth"], to=p["to"], from_=p["from_"])
    return _TEMPLATES[cue.kind][language].format(**values)


# --------------------------------------------------------------------------- planning


def default_warnings(duration: timedelta) -> tuple[timedelta, ...]:
    """Warnings before a segment's end, scaled with its length (5 and 2 min for 50 min)."""
    minutes = duration.total_seconds() / 60
    if minutes >= 40:
        return (timedelta(minutes=5), timedelta(minutes=2))
    if minutes >= 15:
        return (timedelta(minutes=3), timedelta(minutes=1))
    if minutes >= 3:
        return (timedelta(minutes=1),)
    return ()


@dataclass
class _Span:
    start: datetime
    end: datetime
    determined: bool  # started (manual) or assumed on time (auto)
    ended_by_next: bool = False


@dataclass
class _Timeline:
    """The event in event time; the planner's mutable working copy."""

    tech_check: datetime
    doors_open: datetime
    start_cue: datetime | None
    start: datetime
    spans: list[_Span]
    handovers: list[tuple[int, int, datetime]]  # (booth index, turn, when)
    hard_stop: datetime
    started: bool = False  # an actual start is known (recorded, or `next` before any start)

    def current(self, at: datetime, advance: str) -> int | None:
        """The segment in progress at ``at`` (manual: the last started and not ended)."""
        if advance == "manual":
            for i in range(len(self.spans) - 1, -1, -1):
                span = self.spans[i]
                if span.determined and span.start <= at:
                    return None if span.ended_by_next else i
            return None
        for i, span in enumerate(self.spans):
            if span.start <= at < span.end and not span.ended_by_next:
                return i
        return None


def _initial(agenda: CueAgenda, start: datetime, keep_pre: _Timeline | None,
             started: bool = False) -> _Timeline:
    """The timeline laid from ``start``; ``keep_pre`` (re-anchoring at an actual start) keeps
    the preparation cues, the hard stop and the segments' planned lengths."""
    s = agenda.settings
    scheduled = agenda.scheduled_start
    manual = s.advance == "manual"
    lengths = ([span.end - span.start for span in keep_pre.spans] if keep_pre is not None
               else [seg.duration for seg in agenda.segments])
    spans: list[_Span] = []
    longer = timedelta(0)  # what extends before the start added to the earlier segments
    for i, (seg, length) in enumerate(zip(agenda.segments, lengths, strict=True)):
        begins = start + seg.offset + longer
        spans.append(_Span(begins, begins + length,
                           determined=(not manual) or (i == 0 and started)))
        longer += length - seg.duration
    if keep_pre is not None:
        tech, doors, start_cue = keep_pre.tech_check, keep_pre.doors_open, keep_pre.start_cue
        if start_cue is not None and start < start_cue:
            start_cue = None  # started early: "start now" would come after the fact
        # The booked end does not move with a late (or early) start; only `shift` moves it.
        hard_stop = keep_pre.hard_stop
    else:
        tech, doors, start_cue = (scheduled - s.tech_check_before,
                                  scheduled - s.doors_open_before, scheduled)
        hard_stop = start + agenda.duration
    handovers: list[tuple[int, int, datetime]] = []
    if s.handover_every > timedelta(0):
        for b, booth in enumerate(agenda.booths):
            if len(booth.interpreters) < 2:
                continue
            turn, when = 1, start + s.handover_every
            while when < hard_stop:
                handovers.append((b, turn, when))
                turn, when = turn + 1, when + s.handover_every
    return _Timeline(tech, doors, start_cue, start, spans, handovers, hard_stop, started)


def _relay(spans: list[_Span], after: int, durations: list[timedelta]) -> None:
    """Lay the segments after ``after`` back to back from its end."""
    for j in range(after + 1, len(spans)):
        spans[j].start = spans[j - 1].end
        spans[j].end = spans[j].start + durations[j]


def _apply(tl: _Timeline, adj: Adjustment, agenda: CueAgenda, at: datetime) -> _Timeline:
    advance = agenda.settings.advance
    durations = [s.end - s.start for s in tl.spans]
    if adj.kind == "start":
        return _initial(agenda, at, tl, started=True)
    if adj.kind == "shift":
        d = adj.amount

        def moved(p: datetime) -> datetime:
            return max(p + d, at) if p > at else p

        tl.tech_check, tl.doors_open = moved(tl.tech_check), moved(tl.doors_open)
        tl.start_cue = moved(tl.start_cue) if tl.start_cue else None
        tl.start = moved(tl.start)
        for span in tl.spans:
            span.start, span.end = moved(span.start), moved(span.end)
        tl.handovers = [(b, t, moved(w)) for b, t, w in tl.handovers]
        tl.hard_stop = moved(tl.hard_stop)
        return tl
    current = tl.current(at, advance)
    if adj.kind == "extend":
        if current is None and not tl.started and (advance == "manual" or at < tl.spans[0].start):
            current = 0  # not started: the first segment is the one to come
        if current is None:
            return tl
        span = tl.spans[current]
        span.end = max(span.end, at) + adj.amount
        _relay(tl.spans, current, durations)
        return tl
    # next
    if current is None and not tl.started:
        # Nothing in progress and no start known: "next" means "we are starting now".
        return _initial(agenda, at, tl, started=True)
    if current is None:
        return tl
    span = tl.spans[current]
    span.end, span.ended_by_next = at, True
    if current + 1 < len(tl.spans):
        tl.spans[current + 1].determined = True
        _relay(tl.spans, current, durations)
    return tl


def _cue_id(kind: str, scope: str, due: datetime) -> str:
    stamp = due.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    if due.microsecond:
        stamp += f".{due.microsecond // 1000:03d}"
    return f"{kind}/{scope}@{stamp}Z"


def _generate(tl: _Timeline, agenda: CueAgenda) -> list[Cue]:
    s = agenda.settings
    zone = agenda.zone
    manual = s.advance == "manual"
    waiting = manual and not tl.started  # the first segment waits for the actual start
    stop = tl.hard_stop + s.hard_stop_grace
    out: list[Cue] = []

    def add(kind: CueKind, scope: str, due_event: datetime, audience: tuple[str, ...],
            segment: SegmentPlan | None = None, projected: bool = False,
            **params: Any) -> None:
        if due_event > stop and kind not in ("tech_check", "doors_open", "event_start"):
            return  # the hard stop says "end now": nothing of the agenda comes after it
        due = agenda.to_real_time(due_event).astimezone(UTC)
        out.append(Cue(_cue_id(kind, scope, due), due, kind, audience,
                       segment.title if segment else None,
                       segment.index if segment else None, projected, False, params, zone))

    everyone = ("host", "moderator", "panelists", "interpreters")
    scheduled = tl.start_cue or tl.start
    add("tech_check", "event", tl.tech_check, everyone, start=scheduled)
    add("doors_open", "event", tl.doors_open, ("host", "moderator", "panelists"),
        start=scheduled)
    if tl.start_cue is not None:
        add("event_start", "event", tl.start_cue, everyone, start=tl.start_cue)
    if waiting and s.overrun_every > timedelta(0):
        n, at = 1, tl.start + s.overrun_every
        while at < tl.hard_stop:
            add("not_started", f"event-{n}", at, ("host",), late=at - tl.start)
            n, at = n + 1, at + s.overrun_every
    for i, (seg, span) in enumerate(zip(agenda.segments, tl.spans, strict=True)):
        projected = not span.determined
        scope = f"s{i}"
        add("segment_start", scope, span.start, ("host", "moderator", f"speakers:{i}",
                                                 "interpreters"),
            seg, projected, end=span.end, moderator=seg.moderator, speakers=seg.speakers)
        timed = ("host", "moderator", f"speakers:{i}")
        if not span.ended_by_next:
            warnings = s.warnings.get(i, default_warnings(seg.duration))
            for left in sorted(warnings, reverse=True):
                due = span.end - left
                if due > span.start:
                    add("warning", f"{scope}-{_amount(left).replace(' ', '')}", due, timed,
                        seg, projected, left=left, end=span.end)
            add("time_up", scope, span.end, timed, seg, projected, end=span.end)
        if projected or s.overrun_every <= timedelta(0):
            continue
        if span.ended_by_next:
            window_end = span.end  # nothing after an explicit end
        elif manual and (i + 1 == len(tl.spans) or not tl.spans[i + 1].determined):
            window_end = tl.hard_stop
        else:
            window_end = span.end
        n, at = 1, span.end + s.overrun_every
        while at < min(window_end, tl.hard_stop):
            add("overrun", f"{scope}-{n}", at, timed, seg, over=at - span.end, end=span.end)
            n, at = n + 1, at + s.overrun_every
    for b, turn, when in tl.handovers:
        booth = agenda.booths[b]
        members = booth.interpreters
        # The interpreters' turns count from the actual start: projected until it is known.
        add("handover", f"{booth.key}-{turn}", when, (f"booth:{booth.key}",),
            projected=waiting, booth=booth.label, to=members[turn % len(members)],
            from_=members[(turn - 1) % len(members)])
    add("hard_stop", "event", stop, ("host", "moderator"), end=stop)
    return out


def _announce_once(kept: list[Cue], fresh: list[Cue]) -> list[Cue]:
    """Mark ``quiet`` the re-planned start of the segment people were last told is on."""
    told = [c for c in kept if c.kind == "segment_start" and not c.projected and not c.quiet]
    if not told:
        return fresh
    last = max(told, key=lambda c: c.due)
    starts = [c for c in fresh if c.kind == "segment_start" and not c.projected]
    if not starts:
        return fresh
    first = min(starts, key=lambda c: c.due)
    if first.segment_index != last.segment_index:
        return fresh
    return [replace(c, quiet=True) if c is first else c for c in fresh]


def plan_cues(agenda: CueAgenda, live: LiveState | None = None) -> list[Cue]:
    """Every cue of the event under the live state, in due order (ties by id)."""
    live = live or LiveState()
    tl = _initial(agenda, agenda.scheduled_start, None)
    plan = _generate(tl, agenda)
    for adj in live.epochs():
        at = agenda.to_event_time(adj.at)
        tl = _apply(tl, adj, agenda, at)
        cut = adj.at.astimezone(UTC)
        kept = [c for c in plan if c.due < cut and not c.projected]
        plan = kept + _announce_once(kept, [c for c in _generate(tl, agenda) if c.due >= cut])
    if live.ended_at is not None:
        # The webinar is over: overruns, hand-overs and the hard stop would only be noise.
        plan = [c for c in plan if c.due < live.ended_at and not c.projected]
    return sorted(plan, key=lambda c: (c.due, _KIND_ORDER[c.kind], c.id))


def current_segment(agenda: CueAgenda, live: LiveState, now: datetime) -> tuple[
        int | None, datetime | None, datetime | None]:
    """(segment index, its start, its end) in progress at ``now`` (real times), or Nones."""
    if live.ended_at is not None and now >= live.ended_at:
        return None, None, None
    tl = _initial(agenda, agenda.scheduled_start, None)
    for adj in live.epochs():
        if adj.at > now:
            break
        tl = _apply(tl, adj, agenda, agenda.to_event_time(adj.at))
    at = agenda.to_event_time(now)
    index = tl.current(at, agenda.settings.advance)
    if index is None:
        return None, None, None
    span = tl.spans[index]
    return index, agenda.to_real_time(span.start), agenda.to_real_time(span.end)


# --------------------------------------------------------------------------- amounts

_AMOUNT = re.compile(r"^\s*(?P<sign>[+-])?\s*(?P<body>(?:\d+(?:\.\d+)?\s*[hms]\s*)+)$", re.I)
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([hms])", re.I)


def parse_amount(text: str) -> timedelta:
    """Parse ``+3m``, ``2m``, ``-1m``, ``90s``, ``1h30m`` (a bare number means minutes)."""
    raw = text.strip()
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", raw):
        raw += "m"
    match = _AMOUNT.match(raw)
    if not match:
        raise ValueError(f"{text!r} is not an amount of time; write e.g. +3m, 2m, 90s or 1h")
    unit = {"h": 3600.0, "m": 60.0, "s": 1.0}
    seconds = sum(float(n) * unit[u.lower()] for n, u in _PART.findall(match["body"]))
    return timedelta(seconds=-seconds if match["sign"] == "-" else seconds)


# --------------------------------------------------------------------------- from the event


def settings_from_event(event: EventSpec) -> CueSettings:
    """The cue settings the event file asks for (its ``[cues]`` section and the agenda's
    per-segment ``warnings``)."""
    c = event.cues
    return CueSettings(
        advance=c.advance,
        tech_check_before=c.tech_check_before,
        doors_open_before=c.doors_open_before,
        overrun_every=c.overrun_every,
        handover_every=c.handover_every,
        hard_stop_grace=c.hard_stop_grace,
        late_grace=c.late_grace,
        end_webinar_at_hard_stop=c.end_webinar_at_hard_stop,
        warnings={i: tuple(seg.warnings) for i, seg in enumerate(event.agenda)
                  if seg.warnings is not None},
    )


def agenda_from_event(event: EventSpec, settings: CueSettings | None = None,
                      speed: float = 1.0) -> CueAgenda:
    """The planner's view of an event file (people, agenda, booths); ``settings`` default to
    the file's own (:func:`settings_from_event`)."""
    from zoomorch.event import Role

    segments = tuple(
        SegmentPlan(
            index=placed.index,
            title=placed.title,
            offset=placed.start - event.webinar.start_utc,
            duration=placed.end - placed.start,
            speakers=tuple(p.name for p in placed.speakers),
            moderator=placed.moderator.name if placed.moderator else None,
        )
        for placed in event.schedule()
    )
    booths: list[Booth] = []
    booth_of: dict[str, list[str]] = {}
    if event.interpretation is not None:
        pairs: dict[str, list[str]] = {}
        for assignment in event.interpretation.interpreters:
            key = "-".join(sorted(assignment.languages))
            pairs.setdefault(key, []).append(assignment.person)
            booth_of.setdefault(assignment.person, []).append(key)
        for key, members in pairs.items():
            label = "⇄".join(_ZOOM_TO_TEXT.get(c, c.lower()).upper() for c in key.split("-"))
            booths.append(Booth(key, label, tuple(event.person(m).name for m in members)))
    recipients: list[Recipient] = []
    for person in event.people:
        audiences: set[str] = set()
        if person.has(Role.HOST) or person.has(Role.ALTERNATIVE_HOST):
            audiences.add("host")
        if person.has(Role.MODERATOR):
            audiences.add("moderator")
        if person.has(Role.PANELIST):
            audiences.add("panelists")
        if person.has(Role.INTERPRETER):
            audiences.add("interpreters")
            audiences.update(f"booth:{key}" for key in booth_of.get(person.id, []))
        for i, segment in enumerate(event.agenda):
            if person.id in segment.speakers:
                audiences.add(f"speakers:{i}")
            if person.id == segment.moderator:
                audiences.add("moderator")
        chosen = event.notifications.people.get(person.id)
        recipients.append(Recipient(
            id=person.id, name=person.name, email=person.email, zone=person.zone,
            language=_ZOOM_TO_TEXT.get(person.language, "en"), audiences=frozenset(audiences),
            channels=frozenset(chosen) if chosen is not None else None,
            place=person.location))
    return CueAgenda(
        slug=event.key,
        title=event.webinar.title,
        zone=event.webinar.zone,
        scheduled_start=event.webinar.start_utc,
        duration=timedelta(minutes=event.webinar.duration_minutes),
        segments=segments,
        recipients=tuple(recipients),
        booths=tuple(booths),
        settings=settings or settings_from_event(event),
        speed=speed,
    )


def with_settings(agenda: CueAgenda, **changes: Any) -> CueAgenda:
    """The same agenda with some settings changed."""
    return replace(agenda, settings=replace(agenda.settings, **changes))


__all__: Sequence[str] = (
    "Adjustment", "Booth", "Cue", "CueAgenda", "CueSettings", "LiveState", "Recipient",
    "SegmentPlan", "agenda_from_event", "current_segment", "default_warnings", "parse_amount",
    "place_of", "plan_cues", "render_text", "settings_from_event", "with_settings",
)
