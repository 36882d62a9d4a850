"""event"""

from zoomorch.event.model import (
    REGISTRANT_COLUMNS,
    EventFileError,
    EventSpec,
    Notifications,
    Person,
    Role,
    ScheduledSegment,
    ZoomChatChannel,
    language_name,
    load_event,
    parse_event,
    parse_start_at,
    url_secret_reason,
)

__all__ = [
    "REGISTRANT_COLUMNS",
    "EventFileError",
    "EventSpec",
    "Notifications",
    "Person",
    "Role",
    "ScheduledSegment",
    "ZoomChatChannel",
    "language_name",
    "load_event",
    "parse_event",
    "parse_start_at",
    "url_secret_reason",
]
