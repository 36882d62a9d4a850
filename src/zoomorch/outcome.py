"""How a command ends: exit codes, and the errors every command turns into a one-line message.

0 done · 1 Zoom refused or could not be reached · 2 bad input (event file, list, credentials)
· 3 done, but some rows wait for a later run (Zoom's per-person daily limit, or a call Zoom
failed after its retries): run the same command again after the time shown (e.g. from a daily
scheduled job) · 130 interrupted (Ctrl-C), after what was already done is recorded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK, EXIT_ZOOM, EXIT_INPUT, EXIT_DEFERRED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def run_guarded(
    console: Console,
    work: Callable[[], int],
    *,
    input_errors: tuple[type[Exception], ...] = (),
    credentials_hint: str = "",
    interrupted: str | None = None,
) -> int:
    """Run a command's work; print the usual failures on ``console`` and return the exit code.

    ``input_errors`` are the command's own bad-input errors (the event file's always are);
    with ``interrupted`` set, Ctrl-C prints it and exits 130 instead of a traceback.
    """
    from zoomorch.event import EventFileError

    bad_input: tuple[type[Exception], ...] = (EventFileError, *input_errors)
    try:
        return work()
    except _zoom_errors("ZoomConfigError") as exc:  # first: it is a ValueError too
        console.print(f"Zoom credentials: {exc}{credentials_hint}", markup=False)
        return EXIT_INPUT
    except bad_input as exc:
        console.print(str(exc), markup=False, highlight=False)
        return EXIT_INPUT
    except _zoom_errors("ZoomError") as exc:
        console.print(f"Zoom said no: {exc}", markup=False)
        return EXIT_ZOOM
    except KeyboardInterrupt:
        if interrupted is None:
            raise
        console.print(interrupted, markup=False, highlight=False)
        return EXIT_INTERRUPTED


def _zoom_errors(name: str) -> tuple[type[Exception], ...]:
    """The Zoom client's error class ``name``, if the client was loaded; else nothing to catch.

    A command that never loaded the client (``agenda``) cannot have raised its errors, so it
    need not import it (and its dependencies) just to recognise them.
    """
    errors = sys.modules.get("zoomorch.zoom.errors")
    return (getattr(errors, name),) if errors is not None else ()
