"""The files a sync leaves for the organisers: every registrant with its join link, and the
rejected rows with their reasons. Both go through :mod:`zoomorch.safe_csv`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from zoomorch.registrants.normalise import Rejection
from zoomorch.registrants.plan import Deferral
from zoomorch.safe_csv import write_csv

EXCEL_CELL_LIMIT = 32_767  # characters Excel holds in one cell

REGISTRANT_COLUMNS = (
    "email", "first_name", "last_name", "status", "join_url", "registrant_id", "on_list",
    "source_rows",
)


@dataclass(frozen=True)
class RegistrantLine:
    """One registrant as the output CSV shows it after the sync."""

    email: str
    first_name: str
    last_name: str
    status: str  # approved | pending | denied | cancelled (taken back by this run)
    join_url: str  # only for people who can join: approved or pending
    registrant_id: str
    on_list: bool
    source_rows: tuple[int, ...] = ()

    def cells(self) -> list[str]:
        return [self.email, self.first_name, self.last_name, self.status, self.join_url,
                self.registrant_id, "yes" if self.on_list else "no",
                row_list(self.source_rows)]


def row_list(rows: Sequence[int], limit: int = EXCEL_CELL_LIMIT) -> str:
    """Row numbers for one cell, ``4 7 9``; past ``limit`` characters (Excel's cell limit) the
    first rows that fit and ``… (and 1,203 more rows)``, so the cell is never cut mid-number."""
    text = " ".join(str(r) for r in rows)
    if len(text) <= limit:
        return text
    shown: list[str] = []
    used = 0
    for index, row in enumerate(rows):
        # Room for this number and the longest possible suffix after it.
        suffix = f" … (and {len(rows) - index - 1:,} more rows)"
        needed = used + (1 if shown else 0) + len(str(row))
        if needed + len(suffix) > limit:
            break
        shown.append(str(row))
        used = needed
    return " ".join(shown) + f" … (and {len(rows) - len(shown):,} more rows)"


def registrants_path(directory: str | Path, event_key: str) -> Path:
    return Path(directory) / f"registrants-{event_key}.csv"


def rejects_path(directory: str | Path, event_key: str) -> Path:
    return Path(directory) / f"registrants-{event_key}-rejects.csv"


def deferred_path(directory: str | Path, event_key: str) -> Path:
    return Path(directory) / f"registrants-{event_key}-deferred.csv"


def write_deferred(path: str | Path, deferrals: Iterable[Deferral]) -> int:
    """Write the rows left for a later run: row, email, reason, when they can be retried."""
    rows = ([d.registration.row, d.registration.email, d.registration.first_name,
             d.registration.last_name, d.reason.value, d.detail,
             d.retry_at.isoformat() if d.retry_at else ""]
            for d in sorted(deferrals, key=lambda d: d.registration.row))
    return write_csv(path, ["row", "email", "first_name", "last_name", "reason", "detail",
                            "retry_after_utc"], rows)


def write_registrants(path: str | Path, lines: Iterable[RegistrantLine]) -> int:
    """Write the registrants CSV (for the mail-merge); returns the number of registrants."""
    return write_csv(path, REGISTRANT_COLUMNS, (line.cells() for line in lines))


def write_rejects(path: str | Path, header: Sequence[str], rejections: Iterable[Rejection]) -> int:
    """Write rejected rows: row number, reason, then the row's cells as they were read."""
    columns = [h for h in header if h]
    rows = ([r.row, r.reason, *(r.cells.get(h, "") for h in columns)]
            for r in sorted(rejections, key=lambda r: r.row))
    return write_csv(path, ["row", "reason", *columns], rows)
