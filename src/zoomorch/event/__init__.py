"""The event file: one declarative TOML file per webinar, validated once into
:class:`EventSpec`.

- :mod:`~zoomorch.event.model`: the sections and their fields;
- :mod:`~zoomorch.event.zoom_fields`: Zoom's vocabulary (interpretation languages, limits,
  registration fields);
- :mod:`~zoomorch.event.checks`: rules across sections, and warnings;
- :mod:`~zoomorch.event.load`: reading a file, ``--start-at``;
- :mod:`~zoomorch.event.problems`, :mod:`~zoomorch.event.secrets`: what is wrong, and the
  secrets a shared file must not hold;
- :mod:`~zoomorch.event.run_of_show`: the agenda in every participant's zone.

Every problem found in a file is collected into a single :class:`EventFileError` whose lines
name the file, the field and the fix, e.g.::

    config/x.toml: agenda[1].minutes: segments overflow the webinar (65 of 60 minutes)
      — shorten a segment or raise webinar.duration_minutes
"""

from zoomorch.event.checks import check_event, event_warnings
from zoomorch.event.load import load_event, parse_event, parse_start_at
from zoomorch.event.model import (
    CHANNELS,
    EventSpec,
    Notifications,
    Person,
    Role,
    ScheduledSegment,
    ZoomChatChannel,
)
from zoomorch.event.problems import EventFileError, Problem
from zoomorch.event.secrets import url_secret_reason
from zoomorch.event.zoom_fields import REGISTRANT_COLUMNS, ZOOM_LANGUAGES, language_name

__all__ = [
    "CHANNELS",
    "REGISTRANT_COLUMNS",
    "ZOOM_LANGUAGES",
    "EventFileError",
    "EventSpec",
    "Notifications",
    "Person",
    "Problem",
    "Role",
    "ScheduledSegment",
    "ZoomChatChannel",
    "check_event",
    "event_warnings",
    "language_name",
    "load_event",
    "parse_event",
    "parse_start_at",
    "url_secret_reason",
]
