"""What every part of the store shares, as the parts see it: ``SandboxStore`` provides it.

One re-entrant lock guards the whole state (a call that spans parts, such as a join that
starts the webinar, stays atomic); the clock dates everything; a change marks the state file
dirty; webhook events go out through ``emit``, always called without holding the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from zoomorch.sandbox.clock import SandboxClock

# (event name, payload.object, the sandbox moment it happened or None for "now")
EventSink = Callable[[str, dict[str, Any], datetime | None], None]
# Called with (webinar id, end moment) around a webinar's end, outside the store lock: the
# live simulation applies everything that happened before that moment first.
EndHook = Callable[[int, datetime], None]


class StoreContext(Protocol):
    """The store's shared plumbing, as each resource part uses it."""

    @property
    def lock(self) -> threading.RLock: ...

    @property
    def clock(self) -> SandboxClock: ...

    @property
    def account_id(self) -> str: ...

    @property
    def origin(self) -> str: ...  # http://host:port, for join and start URLs

    def now(self) -> datetime: ...

    def mark_changed(self) -> None: ...

    def emit(self, event: str, obj: dict[str, Any], at: datetime | None = None) -> None: ...
