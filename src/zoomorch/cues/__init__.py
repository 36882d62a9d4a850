"""Live cues: what the moderator, speakers, host and interpreters are told, and when.

- :mod:`~zoomorch.cues.model`: the agenda, the live state, the cues (enums for cue kinds,
  audiences and adjustments);
- :mod:`~zoomorch.cues.planner`: :func:`plan_cues`, :func:`current_segment` and
  :func:`time_budget` (the agenda against the hard stop), pure functions of the agenda and the
  live state;
- :mod:`~zoomorch.cues.texts`: one catalogue per cue language and :func:`render_text`;
- :mod:`~zoomorch.cues.from_event`: :func:`agenda_from_event`.

Amounts of time (``shift +3m``) are read by :func:`parse_amount`, the one duration grammar
of :mod:`zoomorch.vocab.durations` under the name this package has always exported.
"""

from zoomorch.cues.from_event import agenda_from_event, booth_label, settings_from_event
from zoomorch.cues.model import (
    LANGUAGES,
    Adjustment,
    AdjustmentKind,
    Audience,
    Booth,
    Cue,
    CueAgenda,
    CueKind,
    CueSettings,
    Language,
    LiveState,
    Recipient,
    SegmentPlan,
    with_settings,
)
from zoomorch.cues.planner import (
    SegmentBudget,
    TimeBudget,
    current_segment,
    default_warnings,
    plan_cues,
    time_budget,
)
from zoomorch.cues.texts import CATALOGUES, place_of, render_text
from zoomorch.vocab.durations import parse_duration as parse_amount

__all__ = [
    "CATALOGUES",
    "LANGUAGES",
    "Adjustment",
    "AdjustmentKind",
    "Audience",
    "Booth",
    "Cue",
    "CueAgenda",
    "CueKind",
    "CueSettings",
    "Language",
    "LiveState",
    "Recipient",
    "SegmentBudget",
    "SegmentPlan",
    "TimeBudget",
    "agenda_from_event",
    "booth_label",
    "current_segment",
    "default_warnings",
    "parse_amount",
    "place_of",
    "plan_cues",
    "render_text",
    "settings_from_event",
    "time_budget",
    "with_settings",
]
