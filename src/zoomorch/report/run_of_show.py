"""The report's "Run of show": planned vs actual per segment, what happened in a sentence, the
live changes, and the audience by preferred language (registered vs attended).

The record comes from the state store (:mod:`zoomorch.live.record`); without one the segments
are estimated from Zoom's times and the planned lengths, and every label says "estimated".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from zoomorch.cues.record import EndedBy
from zoomorch.cues.texts import place_of
from zoomorch.live.record import RunOfShow
from zoomorch.report.attendance import AttendanceReport, SegmentAttendance, attended
from zoomorch.report.tables import Chart, Column, Kind, Table, local
from zoomorch.vocab.languages import language_in_answer

REPORT_LANGUAGES = ("en", "es", "fr")

# Less than this over or under reads as "on time" in the sentence.
ON_TIME = timedelta(seconds=30)


def clock_text(delta: timedelta) -> str:
    """An amount as people say it: ``45 s``, ``2 min``, ``1:30`` (minutes:seconds)."""
    seconds = abs(round(delta.total_seconds()))
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    if not rest:
        return f"{minutes} min"
    return f"{minutes}:{rest:02d}"


@dataclass(frozen=True)
class _Words:
    estimated: str
    on_time: str
    late: Callable[[str], str]
    early: Callable[[str], str]
    over: Callable[[str, str], str]
    short: Callable[[str, str, str], str]  # segment, had, of planned
    not_held: Callable[[str], str]
    at_hard_stop: Callable[[str], str]
    ended_at: Callable[[str], str]
    still_on: str
    not_started: str
    heading: str


_WORDS: dict[str, _Words] = {
    "en": _Words(
        estimated="Estimated from Zoom's times and the planned lengths (no live record).",
        on_time="Started on time.",
        late=lambda d: f"Started {d} late.",
        early=lambda d: f"Started {d} early.",
        over=lambda s, d: f"{s} ran {d} over.",
        short=lambda s, had, of: f"{s} had {had} of its {of}.",
        not_held=lambda s: f"{s} was not held.",
        at_hard_stop=lambda t: f"The webinar was ended at the hard stop, {t}.",
        ended_at=lambda t: f"The webinar ended at {t}.",
        still_on="The webinar had not ended when this report was made.",
        not_started="No start was recorded.",
        heading="Run of show"),
    "es": _Words(
        estimated="Estimado a partir de los horarios de Zoom y las duraciones previstas "
                  "(sin registro en vivo).",
        on_time="Empezó a la hora.",
        late=lambda d: f"Empezó {d} tarde.",
        early=lambda d: f"Empezó {d} antes.",
        over=lambda s, d: f"{s} se excedió {d}.",
        short=lambda s, had, of: f"{s} tuvo {had} de sus {of}.",
        not_held=lambda s: f"{s} no se celebró.",
        at_hard_stop=lambda t: f"El webinar se cerró en la hora límite, {t}.",
        ended_at=lambda t: f"El webinar terminó a las {t}.",
        still_on="El webinar no había terminado cuando se hizo este informe.",
        not_started="No se registró el inicio.",
        heading="Desarrollo del evento"),
    "fr": _Words(
        estimated="Estimé d'après les heures de Zoom et les durées prévues "
                  "(pas d'enregistrement en direct).",
        on_time="Commencé à l'heure.",
        late=lambda d: f"Commencé avec {d} de retard.",
        early=lambda d: f"Commencé {d} en avance.",
        over=lambda s, d: f"{s} a dépassé de {d}.",
        short=lambda s, had, of: f"{s} a eu {had} sur ses {of}.",
        not_held=lambda s: f"{s} n'a pas eu lieu.",
        at_hard_stop=lambda t: f"Le webinaire a été clos à l'heure limite, {t}.",
        ended_at=lambda t: f"Le webinaire s'est terminé à {t}.",
        still_on="Le webinaire n'était pas terminé au moment de ce rapport.",
        not_started="Aucun début n'a été enregistré.",
        heading="Déroulé"),
}


def words(language: str) -> _Words:
    if language not in _WORDS:
        raise ValueError(f"no report texts in {language!r}: use one of "
                         f"{', '.join(REPORT_LANGUAGES)}")
    return _WORDS[language]


def what_happened(ros: RunOfShow, language: str = "en") -> str:
    """What happened, in a few sentences of ``language``, e.g. "Started 2 min late.
    Interactive Dialogue ran 1:30 over. Closing Remarks had 1:40 of its 5 min. The webinar
    was ended at the hard stop, 09:36 Geneva." Estimated records say so first."""
    w = words(language)
    out: list[str] = [w.estimated] if ros.estimated else []
    delay = ros.start_delay
    if delay is None:
        return " ".join([*out, w.not_started])
    if abs(delay) < ON_TIME:
        out.append(w.on_time)
    else:
        out.append((w.late if delay > timedelta(0) else w.early)(clock_text(delay)))
    for seg in ros.segments:
        run = seg.run
        if run.ended_by == EndedBy.NOT_HELD:
            out.append(w.not_held(run.title))
        elif run.over is None:
            continue
        elif run.ended_by in (EndedBy.HARD_STOP, EndedBy.WEBINAR_END) and run.over < -ON_TIME:
            assert run.actual_length is not None
            out.append(w.short(run.title, clock_text(run.actual_length),
                               clock_text(run.planned_length)))
        elif run.over >= ON_TIME and not ros.estimated:
            out.append(w.over(run.title, clock_text(run.over)))
    if ros.end is None:
        out.append(w.still_on)
    else:
        shown = f"{ros.end.astimezone(ros.zone):%H:%M} {place_of(ros.zone)}"
        out.append((w.at_hard_stop if ros.ended_at_hard_stop else w.ended_at)(shown))
    return " ".join(out)


def _minutes(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 2)


def segment_table(ros: RunOfShow, segments: dict[int, SegmentAttendance]) -> Table:
    """Per agenda segment: planned and actual times and lengths, over/under, how it ended,
    and the audience over its actual boundaries (``segments``: by index, held ones)."""
    zone, tz = ros.zone, ros.zone.key
    basis = ros.basis
    rows: list[tuple[Any, ...]] = []
    for seg in ros.segments:
        run = seg.run
        att = segments.get(run.index)
        rows.append((
            run.title, local(run.planned_start, zone), local(run.planned_end, zone),
            _minutes(run.planned_length), local(run.actual_start, zone),
            local(run.actual_end, zone), _minutes(run.actual_length), _minutes(run.over),
            seg.ended_by, basis,
            att.present_at_start if att else None, att.peak if att else None,
            local(att.peak_at, zone) if att else None,
            round(att.average, 1) if att else None, att.present_for_most if att else None,
            round(att.percent_present_for_most, 1) if att else None))
    return Table(
        "segments", "Per agenda segment",
        [Column("Segment"), Column(f"Planned start ({tz})", Kind.DATETIME),
         Column(f"Planned end ({tz})", Kind.DATETIME), Column("Planned minutes", Kind.FLOAT),
         Column(f"Actual start ({tz})", Kind.DATETIME),
         Column(f"Actual end ({tz})", Kind.DATETIME), Column("Actual minutes", Kind.FLOAT),
         Column("Over (+) / under (-) minutes", Kind.FLOAT), Column("How it ended"),
         Column("Boundaries"), Column("Present at start", Kind.INT), Column("Peak", Kind.INT),
         Column(f"Peak at ({tz})", Kind.DATETIME), Column("Average", Kind.FLOAT),
         Column("Present for most of it", Kind.INT),
         Column("% of attendees present for most", Kind.PERCENT)],
        rows)


def run_of_show_table(ros: RunOfShow, language: str = "en") -> Table:
    """The timeline: one row per segment (planned and actual), charted as a Gantt."""
    zone, tz = ros.zone, ros.zone.key
    rows = [(s.run.title, local(s.run.planned_start, zone), local(s.run.planned_end, zone),
             local(s.run.actual_start, zone), local(s.run.actual_end, zone), s.ended_by,
             ros.basis) for s in ros.segments]
    heading = words(language).heading
    return Table(
        "run_of_show", heading,
        [Column("Segment"), Column(f"Planned start ({tz})", Kind.DATETIME),
         Column(f"Planned end ({tz})", Kind.DATETIME),
         Column(f"Actual start ({tz})", Kind.DATETIME),
         Column(f"Actual end ({tz})", Kind.DATETIME), Column("How it ended"),
         Column("Boundaries")],
        rows, chart=Chart("timeline", f"{heading}: planned vs actual ({tz})", (0, 1, 2, 3, 4)))


def changes_table(ros: RunOfShow) -> Table:
    """Every live change (start, next, extend, shift, end) with when and who."""
    zone, tz = ros.zone, ros.zone.key
    rows: list[tuple[Any, ...]] = []
    if ros.actual_start is not None:
        rows.append((local(ros.actual_start, zone), "start", None, ros.start_source or "", ""))
    rows += [(local(c.at, zone), str(c.kind),
              _minutes(c.amount) if c.kind != "next" else None, c.by, c.segment or "")
             for c in ros.changes]
    if ros.end is not None:
        rows.append((local(ros.end, zone), "end", None, ros.end_source or "", ""))
    return Table("live_changes", "Live changes",
                 [Column(f"At ({tz})", Kind.DATETIME), Column("What"),
                  Column("Minutes", Kind.FLOAT), Column("By"), Column("During")], rows)


def run_of_show_totals(ros: RunOfShow, language: str = "en"
                       ) -> list[tuple[str, Any, Kind]]:
    """Rows for the totals table: the sentence, the basis, the delay, the hard stop."""
    return [
        ("Run of show", what_happened(ros, language), Kind.TEXT),
        ("Segment boundaries", ros.basis, Kind.TEXT),
        ("Start delay (minutes)", _minutes(ros.start_delay), Kind.FLOAT),
        (f"Hard stop ({ros.zone.key})", local(ros.hard_stop, ros.zone), Kind.DATETIME),
    ]


def language_key(answer: str) -> str:
    """A preferred-language answer as one label per language (``es``, ``Español`` →
    ``Spanish``); an answer no language matches is kept as written."""
    answer = answer.strip()
    if not answer:
        return "(not given)"
    found = language_in_answer(answer)
    return found.name if found is not None else answer


def language_table(report: AttendanceReport) -> Table:
    """Audience by preferred language: registrants who attended plus the absentees (approved
    registrants who did not come), and how many of them attended."""
    registered: Counter[str] = Counter()
    came: Counter[str] = Counter()
    for person in attended(report.people):
        if person.registrant_id:
            key = language_key(person.preferred_language)
            registered[key] += 1
            came[key] += 1
    for absent in report.absentees:
        registered[language_key(absent.preferred_language)] += 1
    rows = [(lang, n, came[lang], round(100 * came[lang] / n, 1) if n else None)
            for lang, n in sorted(registered.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Table(
        "languages", "Audience by preferred language",
        [Column("Preferred language"), Column("Registered", Kind.INT),
         Column("Attended", Kind.INT), Column("% attended", Kind.PERCENT)],
        rows, chart=Chart("bars", "Registered vs attended by preferred language", (0, 1, 2)))
