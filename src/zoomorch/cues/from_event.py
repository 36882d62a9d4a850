"""The planner's view of an event file: people become :class:`Recipient` s (audiences,
cue language, zone, channels), the agenda :class:`SegmentPlan` s (with their titles per
language), interpreter pairs :class:`Booth` s, and the ``[cues]`` section
:class:`CueSettings`.

A person's cues are in the first of their languages that has cue texts, else English
(:func:`zoomorch.vocab.languages.cue_language`); when that is not the language they speak,
their recipient says so and :meth:`CueAgenda.language_fallbacks` lists it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, cast

from zoomorch.cues.model import (
    Audience,
    Booth,
    CueAgenda,
    CueSettings,
    Language,
    Recipient,
    SegmentPlan,
)
from zoomorch.vocab.languages import by_zoom_code, cue_language

if TYPE_CHECKING:
    from zoomorch.event import EventSpec


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
        behind_after=c.behind_after,
        end_webinar_at_hard_stop=c.end_webinar_at_hard_stop,
        warnings={i: tuple(seg.warnings) for i, seg in enumerate(event.agenda)
                  if seg.warnings is not None},
    )


def booth_label(key: str) -> str:
    """How a booth reads in texts: ``"ES-US"`` → ``"ES⇄EN"`` (ISO codes, not Zoom's
    country-style ones)."""
    return "⇄".join(by_zoom_code(code).iso.upper() for code in key.split("-"))


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
            titles=placed.titles,
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
            booths.append(Booth(key, booth_label(key),
                                tuple(event.person(m).name for m in members)))
    recipients: list[Recipient] = []
    for person in event.people:
        audiences: set[str] = set()
        if person.has(Role.HOST) or person.has(Role.ALTERNATIVE_HOST):
            audiences.add(Audience.HOST)
        if person.has(Role.MODERATOR):
            audiences.add(Audience.MODERATOR)
        if person.has(Role.PANELIST):
            audiences.add(Audience.PANELISTS)
        if person.has(Role.INTERPRETER):
            audiences.add(Audience.INTERPRETERS)
            audiences.update(Audience.booth(key) for key in booth_of.get(person.id, []))
        for i, segment in enumerate(event.agenda):
            if person.id in segment.speakers:
                audiences.add(Audience.speakers(i))
            if person.id == segment.moderator:
                audiences.add(Audience.MODERATOR)
        chosen = event.notifications.people.get(person.id)
        choice = cue_language(person.languages)
        recipients.append(Recipient(
            id=person.id, name=person.name, email=person.email, zone=person.zone,
            language=cast(Language, choice.cues.iso), audiences=frozenset(audiences),
            channels=frozenset(chosen) if chosen is not None else None,
            place=person.location, spoken=choice.spoken.name if choice.fallback else "",
            fallback_reason=choice.explain()))
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
