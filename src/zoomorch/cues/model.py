"""What the cue planner reads and writes: the agenda, the live state, the cues.

Plain frozen values, no clock, no I/O. Kinds of cue, of audience and of live adjustment are
``StrEnum`` members, so they compare equal to, and are stored and serialised as, the same
strings as before (``"time_up"``, ``"host"``, ``"shift"``).

- inputs: :class:`CueAgenda` (the event as the planner needs it: :class:`SegmentPlan`,
  :class:`Recipient`, :class:`Booth`, :class:`CueSettings`) and :class:`LiveState` (the
  actual start, every :class:`Adjustment`, the end);
- output: :class:`Cue`, one moment someone must be told something, with its text in each
  cue language (:mod:`zoomorch.cues.texts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, cast, get_args
from zoneinfo import ZoneInfo

from zoomorch.vocab.languages import CUE_LANGUAGES

# The languages cues are written in: ISO 639-1 codes, one catalogue each in texts.py.
Language = Literal["en", "de", "fr", "es"]
LANGUAGES: tuple[Language, ...] = tuple(cast(Language, lang.iso) for lang in CUE_LANGUAGES)
if set(LANGUAGES) != set(get_args(Language)):
    raise RuntimeError(f"cue languages {LANGUAGES} (vocab.languages: cue_texts) differ from "
                       f"the Language type {get_args(Language)}")

MINUTE = timedelta(minutes=1)


class CueKind(StrEnum):
    """What a cue says; also the first part of its id."""

    TECH_CHECK = "tech_check"
    DOORS_OPEN = "doors_open"
    EVENT_START = "event_start"
    NOT_STARTED = "not_started"
    SEGMENT_START = "segment_start"
    WARNING = "warning"
    TIME_UP = "time_up"
    OVERRUN = "overrun"
    HANDOVER = "handover"
    HARD_STOP = "hard_stop"
    BEHIND = "behind"  # what remains cannot fit before the hard stop: the delay, what to do
    # A control room's message to the presenter sent on to the host's and moderator's
    # channels (:func:`message_cue`): posted, never planned.
    MESSAGE = "message"


# Among cues due at the same instant, the order people should read them in.
KIND_ORDER: dict[CueKind, int] = {
    CueKind.TECH_CHECK: 0, CueKind.DOORS_OPEN: 1, CueKind.EVENT_START: 2, CueKind.TIME_UP: 3,
    CueKind.HARD_STOP: 4, CueKind.NOT_STARTED: 5, CueKind.SEGMENT_START: 6, CueKind.BEHIND: 7,
    CueKind.WARNING: 8, CueKind.OVERRUN: 9, CueKind.HANDOVER: 10, CueKind.MESSAGE: 11,
}
# Cues about the scheduled time, not the agenda: they come even after the hard stop.
PREPARATION: frozenset[CueKind] = frozenset(
    {CueKind.TECH_CHECK, CueKind.DOORS_OPEN, CueKind.EVENT_START})


class Audience(StrEnum):
    """Who a cue goes to. Two audiences carry a parameter and are built by the static
    methods: the speakers of one segment (``speakers:1``) and one booth (``booth:ES-US``)."""

    HOST = "host"  # the host and alternative hosts
    MODERATOR = "moderator"
    PANELISTS = "panelists"
    INTERPRETERS = "interpreters"

    @staticmethod
    def speakers(index: int) -> str:
        """The speakers of segment ``index``."""
        return f"speakers:{index}"

    @staticmethod
    def booth(key: str) -> str:
        """The interpreters of one booth (``key`` as in :attr:`Booth.key`)."""
        return f"booth:{key}"


class AdjustmentKind(StrEnum):
    """A live change to the plan (the actual start counts as one when re-planning)."""

    START = "start"
    SHIFT = "shift"
    NEXT = "next"
    EXTEND = "extend"


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class CueSettings:
    """How cues are planned and delivered for one event; defaults fit the seed event.

    ``warnings`` overrides the warnings of a segment (by index) with amounts before its end.
    ``late_grace``: a cue found undelivered up to this long after its due time (e.g. after a
    restart) is still delivered and marked late; beyond it, it is recorded as missed.
    ``behind_after``: the host and the moderator get a "behind schedule" cue (once per segment)
    when the agenda's projected finish passes the hard stop by this much; 0 turns it off.
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
    behind_after: timedelta = timedelta(minutes=2)


@dataclass(frozen=True)
class Recipient:
    """Someone who receives cues: in their language, with times in their zone.

    ``spoken`` is the language they speak when it is not ``language`` (no cue texts exist in
    it: the cues fall back, and the plan says so, see :meth:`CueAgenda.language_fallbacks`);
    ``""`` when their cues are in the language they speak.
    """

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
    spoken: str = ""
    # Why their cues are not in the language they speak (vocab.languages), e.g. "no Korean
    # cue texts, nor in their other languages: cues in English"; "" when they are.
    fallback_reason: str = ""

    def wants(self, channel: str) -> bool:
        """Whether this person takes cues on ``channel`` (e.g. ``webhook1`` is a webhook)."""
        if self.channels is None:
            return True
        return channel in self.channels or channel.rstrip("0123456789") in self.channels


@dataclass(frozen=True)
class SegmentPlan:
    """One agenda segment as the planner needs it (offsets are event time from the start).

    ``titles``: what cues and boards in a language call it (the event file's ``title_es``
    …), where given; :meth:`title_in` falls back to ``title``."""

    index: int
    title: str
    offset: timedelta
    duration: timedelta
    speakers: tuple[str, ...] = ()
    moderator: str | None = None
    titles: Mapping[str, str] = field(default_factory=dict, hash=False)

    def title_in(self, language: str) -> str:
        """The segment's title in ``language`` (ISO code), else its title."""
        return self.titles.get(language) or self.title


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
    whatever the second it really begins. ``skips`` are the jumps of the event clock over an
    empty stretch (a rehearsal skipping the pre-show wait): ``(wall instant, event time
    skipped)``, in order; from each wall instant on, the event clock shows that much more.
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
    skips: tuple[tuple[datetime, timedelta], ...] = ()

    @property
    def real_start(self) -> datetime:
        """The wall instant of the scheduled start."""
        if self.skips:
            return self.to_real_time(self.scheduled_start)
        return self.origin or self.scheduled_start

    def to_event_time(self, real: datetime) -> datetime:
        base = self.origin or self.scheduled_start
        event = self.scheduled_start + (real - base) * self.speed
        for at, gap in self.skips:
            if real >= at:
                event += gap
        return event

    def to_real_time(self, event: datetime) -> datetime:
        """The first wall instant at which the event clock shows ``event`` (a moment inside
        a skipped stretch is reached at the jump)."""
        base = self.origin or self.scheduled_start
        real = base + (event - self.scheduled_start) / self.speed
        skipped = timedelta(0)
        for at, gap in self.skips:
            if real < at:
                break
            skipped += gap
            real = base + (event - self.scheduled_start - skipped) / self.speed
            if real < at:
                return at
        return real

    def skipping(self, at: datetime, gap: timedelta) -> CueAgenda:
        """The same agenda with the event clock jumping ``gap`` forward at wall instant
        ``at`` (no earlier than its last jump)."""
        if gap < timedelta(0) or (self.skips and at < self.skips[-1][0]):
            raise ValueError("the event clock only jumps forward, one jump after another")
        return replace(self, skips=(*self.skips, (at, gap)))

    def recipients_for(self, cue: Cue) -> list[Recipient]:
        """The people a cue goes to."""
        wanted = set(cue.audience)
        return [r for r in self.recipients if r.audiences & wanted]

    def language_fallbacks(self) -> list[str]:
        """One line per person whose cues are not in the language they speak, e.g.
        ``"Min-jun Park speaks Korean; no Korean cue texts, …: cues in English"``."""
        return [f"{r.name} speaks {r.spoken}; {r.fallback_reason}"
                for r in self.recipients if r.spoken]


def with_settings(agenda: CueAgenda, **changes: Any) -> CueAgenda:
    """The same agenda with some settings changed."""
    return replace(agenda, settings=replace(agenda.settings, **changes))


@dataclass(frozen=True)
class Adjustment:
    """One live change to the plan, issued at wall time ``at`` (tz-aware). ``kind`` may be
    given as its string (``"shift"``), as stored; it is held as :class:`AdjustmentKind`."""

    kind: AdjustmentKind
    at: datetime
    amount: timedelta = timedelta(0)  # shift/extend; "start": unused (the start is ``at``)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AdjustmentKind(self.kind))


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
            items.append(Adjustment(AdjustmentKind.START, self.actual_start))
        return sorted(items, key=lambda a: a.at)

    def started_by(self, at: datetime) -> bool:
        """Whether the start is known at ``at``: recorded, or a ``next`` read as the start."""
        return self.actual_start is not None or any(
            a.kind == AdjustmentKind.NEXT and a.at <= at for a in self.adjustments)


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
        from zoomorch.cues.texts import render_text  # texts.py reads this module's types

        return {lang: render_text(self, lang, self.event_zone) for lang in LANGUAGES}

    def text_for(self, recipient: Recipient) -> str:
        """The text in the recipient's language, times in their zone."""
        from zoomorch.cues.texts import render_text

        return render_text(self, recipient.language, recipient.zone, recipient.place)

    def as_json(self, zone: ZoneInfo | None = None) -> dict[str, Any]:
        """A JSON-able dict; ``due`` is ISO 8601 with the offset of ``zone`` (event's zone)."""
        from zoomorch.cues.texts import render_text

        shown = zone or self.event_zone
        texts = {lang: render_text(self, lang, shown) for lang in LANGUAGES}
        return {
            "id": self.id,
            "due": self.due.astimezone(shown).isoformat(),
            "kind": str(self.kind),
            "segment": self.segment,
            "segment_index": self.segment_index,
            "audience": [str(a) for a in self.audience],
            "projected": self.projected,
            "quiet": self.quiet,
            "text": texts["en"],
            "texts": texts,
        }


# The cue id of a message sent on to people's channels: ``message/<its id>``.
MESSAGE_CUE_PREFIX = "message/"


def message_cue(message_id: str, text: str, at: datetime,
                event_zone: ZoneInfo = ZoneInfo("UTC")) -> Cue:
    """A control room's message to the presenter as a cue for the host and the moderator:
    due when it was posted (``at``, tz-aware), its text prefixed in each recipient's
    language ("Message from the control room: wrap up"). Its id, ``message/<id>``, keys its
    deliveries, so it is sent once whoever asks again."""
    return Cue(f"{MESSAGE_CUE_PREFIX}{message_id}", at, CueKind.MESSAGE,
               (Audience.HOST, Audience.MODERATOR), params={"text": text},
               event_zone=event_zone)
