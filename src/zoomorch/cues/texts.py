"""What cues say: one catalogue per cue language, and :func:`render_text`.

A catalogue holds a template for each :class:`~zoomorch.cues.model.CueKind`, the two labels
of a segment's people, and, where the language's grammar needs it, values of its own
(Spanish: "a las 08:25" but "a la 01:25", "Quedan 2 min" but "Queda 1 min"). Every
catalogue has every kind; a language of :data:`~zoomorch.cues.model.LANGUAGES` without a
catalogue stops the import, so a cue can never silently fall back to English.

Times read ``HH:MM (place)``: the recipient's location from the event file (or the city of
their time zone), rounded to the minute; amounts read ``5 min``, ``1 min 30 s``
(:func:`zoomorch.vocab.durations.format_duration`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from zoomorch.cues.model import LANGUAGES, CueKind, Language
from zoomorch.vocab.durations import format_duration

if TYPE_CHECKING:
    from zoomorch.cues.model import Cue

# Values of a language's own, from the cue's params, the zone and the place label.
Grammar = Callable[[Mapping[str, Any], ZoneInfo, str], dict[str, str]]


@dataclass(frozen=True)
class Catalogue:
    """Every cue text in one language.

    Templates may use ``{segment}``, ``{start}``, ``{end}`` (clock times with their place),
    ``{left}``, ``{over}``, ``{late}``, ``{behind}``, ``{budget}``, ``{planned}``,
    ``{needs}``, ``{available}`` (amounts), ``{who}`` (a segment's moderator and speakers,
    introduced by the two labels), ``{next}`` (the next segment's title), ``{count}`` (how
    many segments follow), ``{booth}``, ``{to}``, ``{from_}``, ``{text}`` (a control room's
    message, as written), and whatever the catalogue's ``grammar`` adds.

    ``variants`` are the other texts of a kind, chosen by the cue's ``variant`` param
    (:data:`VARIANTS`): ``"segment_start.hard_stop"`` is the start of a segment whose planned
    end falls after the hard stop (its real budget, not the planned end).
    """

    language: Language
    templates: Mapping[CueKind, str]
    moderator_label: str
    speakers_label: str
    grammar: Grammar | None = None
    variants: Mapping[str, str] = field(default_factory=dict)


# The variants every catalogue has (see Catalogue): a segment cut short by the hard stop,
# and the "behind schedule" cue with more than one segment to make room for (``many``; the
# kind's own template: one), with no room left (``now``), and for the last segment.
VARIANTS: frozenset[str] = frozenset({
    "segment_start.hard_stop", "warning.hard_stop", "behind.many", "behind.now",
    "behind.last"})


def _spanish(params: Mapping[str, Any], zone: ZoneInfo, place: str) -> dict[str, str]:
    """The article agrees with the hour ("a la 01:25", "a las 08:25"), and so does the verb
    ("Es la 01:25", "Son las 08:25"; "Queda 1 min", "Quedan 2 min")."""
    values: dict[str, str] = {}
    for name in ("start", "end"):
        if name in params:
            article = "la" if _local_minute(params[name], zone).hour == 1 else "las"
            values[f"{name}_art"] = f"{article} {_clock(params[name], zone, place)}"
    if "start" in params:
        one = values["start_art"].startswith("la ")
        values["it_is"] = ("Es " if one else "Son ") + values["start_art"]
    if "left" in params:
        values["remain"] = "Queda" if _is_one(params["left"]) else "Quedan"
    if "available" in params:
        values["available_remain"] = "queda" if _is_one(params["available"]) else "quedan"
    return values


ENGLISH = Catalogue("en", {
    CueKind.TECH_CHECK: "Tech check: join the practice session now; the webinar starts at "
                        "{start}.",
    CueKind.DOORS_OPEN: "Doors open: attendees can join now; we start at {start}.",
    CueKind.EVENT_START: "It is {start}: start the webinar now.",
    CueKind.NOT_STARTED: "The webinar has not started yet: +{late} late.",
    CueKind.SEGMENT_START: "Now: {segment}{who}, until {end}.",
    # No parentheses around the end: the time already carries its place in some.
    CueKind.WARNING: "{left} left for {segment}: it ends at {end}.",
    CueKind.TIME_UP: "{segment}: time is up.",
    CueKind.OVERRUN: "{segment}: +{over} over time.",
    CueKind.HANDOVER: "Booth {booth}: hand-over, {to} takes over from {from_}.",
    CueKind.HARD_STOP: "Hard stop: the webinar must end now, at {end}.",
    CueKind.BEHIND: "{behind} behind schedule: to give {next} its {needs}, end {segment} by "
                    "{end}.",
    CueKind.MESSAGE: "Message from the control room: {text}",
}, "moderator", "speakers", variants={
    "segment_start.hard_stop": "Now: {segment}{who}: {budget} until the hard stop at {end}; "
                               "planned {planned}.",
    "warning.hard_stop": "{left} left for {segment}: the hard stop is at {end}.",
    "behind.many": "{behind} behind schedule: to give the {count} remaining segments their "
                   "{needs}, end {segment} by {end}.",
    "behind.now": "{behind} behind schedule: end {segment} now: the rest needs {needs}, only "
                  "{available} left until the hard stop.",
    "behind.last": "{behind} behind schedule: {segment} has only {budget}, until the hard stop "
                   "at {end}.",
})

SPANISH = Catalogue("es", {
    CueKind.TECH_CHECK: "Prueba técnica: entre ahora en la sesión de práctica; el webinar "
                        "empieza a {start_art}.",
    CueKind.DOORS_OPEN: "Se abren las puertas: el público ya puede entrar; empezamos a "
                        "{start_art}.",
    CueKind.EVENT_START: "{it_is}: comience el webinar ahora.",
    CueKind.NOT_STARTED: "El webinar aún no ha empezado: +{late} de retraso.",
    CueKind.SEGMENT_START: "Ahora: {segment}{who}, hasta {end_art}.",
    CueKind.WARNING: "{remain} {left} para {segment}: termina a {end_art}.",
    CueKind.TIME_UP: "{segment}: se acabó el tiempo.",
    CueKind.OVERRUN: "{segment}: +{over} fuera de tiempo.",
    CueKind.HANDOVER: "Cabina {booth}: relevo, {to} toma el relevo de {from_}.",
    CueKind.HARD_STOP: "Cierre obligatorio: el webinar debe terminar ahora, a {end_art}.",
    CueKind.BEHIND: "{behind} de retraso: para dar a {next} sus {needs}, termine {segment} a "
                    "más tardar a {end_art}.",
    CueKind.MESSAGE: "Mensaje de la sala de control: {text}",
}, "modera", "intervienen", _spanish, variants={
    "segment_start.hard_stop": "Ahora: {segment}{who}: {budget} hasta el cierre obligatorio a "
                               "{end_art}; previsto: {planned}.",
    "warning.hard_stop": "{remain} {left} para {segment}: el cierre obligatorio es a "
                         "{end_art}.",
    "behind.many": "{behind} de retraso: para dar a los {count} segmentos restantes sus "
                   "{needs}, termine {segment} a más tardar a {end_art}.",
    "behind.now": "{behind} de retraso: termine {segment} ahora: el resto necesita {needs} y "
                  "solo {available_remain} {available} hasta el cierre obligatorio.",
    "behind.last": "{behind} de retraso: {segment} solo tiene {budget}, hasta el cierre "
                   "obligatorio a {end_art}.",
})

FRENCH = Catalogue("fr", {
    CueKind.TECH_CHECK: "Test technique : rejoignez la session d'entraînement ; le webinaire "
                        "commence à {start}.",
    CueKind.DOORS_OPEN: "Ouverture des portes : le public peut entrer ; début à {start}.",
    CueKind.EVENT_START: "Il est {start} : démarrez le webinaire maintenant.",
    CueKind.NOT_STARTED: "Le webinaire n'a pas encore commencé : +{late} de retard.",
    CueKind.SEGMENT_START: "Maintenant : {segment}{who}, jusqu'à {end}.",
    CueKind.WARNING: "Il reste {left} pour {segment} : fin à {end}.",
    CueKind.TIME_UP: "{segment} : le temps est écoulé.",
    CueKind.OVERRUN: "{segment} : +{over} de dépassement.",
    CueKind.HANDOVER: "Cabine {booth} : relève, {to} prend le relais de {from_}.",
    CueKind.HARD_STOP: "Arrêt impératif : le webinaire doit se terminer maintenant, à {end}.",
    CueKind.BEHIND: "{behind} de retard : pour laisser à {next} ses {needs}, terminez {segment} "
                    "au plus tard à {end}.",
    CueKind.MESSAGE: "Message de la régie : {text}",
}, "modération", "intervenants", variants={
    "segment_start.hard_stop": "Maintenant : {segment}{who} : {budget} jusqu'à l'arrêt "
                               "impératif à {end} ; prévu : {planned}.",
    "warning.hard_stop": "Il reste {left} pour {segment} : arrêt impératif à {end}.",
    "behind.many": "{behind} de retard : pour laisser aux {count} segments restants leurs "
                   "{needs}, terminez {segment} au plus tard à {end}.",
    "behind.now": "{behind} de retard : terminez {segment} maintenant : la suite demande "
                  "{needs}, il ne reste que {available} avant l'arrêt impératif.",
    "behind.last": "{behind} de retard : {segment} n'a plus que {budget}, jusqu'à l'arrêt "
                   "impératif à {end}.",
})

GERMAN = Catalogue("de", {
    CueKind.TECH_CHECK: "Technik-Check: Bitte jetzt der Übungssitzung beitreten; das Webinar "
                        "beginnt um {start}.",
    CueKind.DOORS_OPEN: "Einlass: Das Publikum kann jetzt beitreten; wir beginnen um {start}.",
    CueKind.EVENT_START: "Es ist {start}: Starten Sie jetzt das Webinar.",
    CueKind.NOT_STARTED: "Das Webinar hat noch nicht begonnen: +{late} Verspätung.",
    CueKind.SEGMENT_START: "Jetzt: {segment}{who}, bis {end}.",
    CueKind.WARNING: "Noch {left} für {segment}: Ende um {end}.",
    CueKind.TIME_UP: "{segment}: Die Zeit ist um.",
    CueKind.OVERRUN: "{segment}: +{over} überzogen.",
    CueKind.HANDOVER: "Kabine {booth}: Wechsel, {to} übernimmt von {from_}.",
    CueKind.HARD_STOP: "Harter Stopp: Das Webinar muss jetzt enden, um {end}.",
    CueKind.BEHIND: "{behind} hinter dem Zeitplan: Damit {next} die vollen {needs} bekommt, "
                    "beenden Sie {segment} bis {end}.",
    CueKind.MESSAGE: "Nachricht aus der Regie: {text}",
}, "Moderation", "es sprechen", variants={
    "segment_start.hard_stop": "Jetzt: {segment}{who}: {budget} bis zum harten Stopp um "
                               "{end}; geplant: {planned}.",
    "warning.hard_stop": "Noch {left} für {segment}: harter Stopp um {end}.",
    "behind.many": "{behind} hinter dem Zeitplan: Damit die {count} übrigen Abschnitte ihre "
                   "{needs} bekommen, beenden Sie {segment} bis {end}.",
    "behind.now": "{behind} hinter dem Zeitplan: Beenden Sie {segment} jetzt: Der Rest braucht "
                  "{needs}, bis zum harten Stopp bleiben nur {available}.",
    "behind.last": "{behind} hinter dem Zeitplan: {segment} hat nur noch {budget}, bis zum "
                   "harten Stopp um {end}.",
})

CATALOGUES: dict[Language, Catalogue] = {c.language: c for c in (ENGLISH, SPANISH, FRENCH,
                                                                 GERMAN)}


def _check_catalogues() -> None:
    """Every cue language has a catalogue, and every catalogue a text for every kind."""
    missing = [lang for lang in LANGUAGES if lang not in CATALOGUES]
    if missing:
        raise RuntimeError(f"no cue catalogue for {', '.join(missing)}: add one in "
                           "zoomorch/cues/texts.py or set cue_texts=False in vocab/languages.py")
    for catalogue in CATALOGUES.values():
        gaps = [str(kind) for kind in CueKind if kind not in catalogue.templates]
        gaps += sorted(VARIANTS - set(catalogue.variants))
        if gaps:
            raise RuntimeError(f"the {catalogue.language} cue catalogue has no text for "
                               f"{', '.join(gaps)}")


_check_catalogues()


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


def _is_one(delta: timedelta) -> bool:
    """Whether an amount reads as one unit (Spanish "Queda 1 min", not "Quedan")."""
    return abs(round(delta.total_seconds())) in (1, 60)


def render_text(cue: Cue, language: Language, zone: ZoneInfo, place: str | None = None) -> str:
    """A cue's text in one language with times in ``zone``, labelled ``place`` (default: the
    zone's city). Segments are named in that language when the cue carries their titles
    (the planner gives them when the event names segments per language), else by their
    title."""
    catalogue = CATALOGUES[language]
    p = cue.params
    where = place_of(zone, place or "")
    # The segment in the reader's language where the event gives one (the planner's params).
    values: dict[str, str] = {"segment": p.get("titles", {}).get(language) or cue.segment or ""}
    for name in ("start", "end"):
        if name in p:
            values[name] = _clock(p[name], zone, where)
    for name in ("left", "over", "late", "behind", "budget", "planned", "needs", "available"):
        if name in p:
            values[name] = format_duration(p[name])
    for name in ("next", "count", "text"):
        if name in p:
            values[name] = str(p[name])
    if "next" in p and p.get("next_titles", {}).get(language):
        values["next"] = p["next_titles"][language]
    if cue.kind == CueKind.SEGMENT_START:
        parts = []
        if p.get("moderator"):
            parts.append(f"{catalogue.moderator_label} {p['moderator']}")
        if p.get("speakers"):
            parts.append(f"{catalogue.speakers_label} {', '.join(p['speakers'])}")
        values["who"] = (" — " + "; ".join(parts)) if parts else ""
    if cue.kind == CueKind.HANDOVER:
        values.update(booth=p["booth"], to=p["to"], from_=p["from_"])
    if catalogue.grammar is not None:
        values.update(catalogue.grammar(p, zone, where))
    variant = f"{cue.kind}.{p['variant']}" if p.get("variant") else ""
    template = catalogue.variants.get(variant) or catalogue.templates[cue.kind]
    return template.format(**values)
