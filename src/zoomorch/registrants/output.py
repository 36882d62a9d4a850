"""The files a sync leaves for the organisers: every registrant with its join link, the
rejected rows with their reasons, the rows left for a later run.

Each is a CSV (through :mod:`zoomorch.safe_csv`) or, with ``--output-format xlsx``, a workbook
of one sheet written by xlsxwriter in ``constant_memory`` mode (rows go to a temporary file as
they are written). In a workbook, text is written with ``write_string`` only, after
:func:`zoomorch.safe_csv.neutralise`: a name like ``=HYPERLINK(...)`` stays text and a join
link is not made a link; row numbers are numbers. Both kinds of file are private (0600,
:mod:`zoomorch.private_files`): they list people.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from zoomorch.private_files import open_private
from zoomorch.registrants.normalise import Rejection
from zoomorch.registrants.plan import Deferral
from zoomorch.safe_csv import FORMULA_PREFIXES, neutralise, write_csv

OutputFormat = Literal["csv", "xlsx"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("csv", "xlsx")
_MAX_WIDTH = 60

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


def registrants_path(directory: str | Path, event_key: str,
                     output_format: OutputFormat = "csv") -> Path:
    return Path(directory) / f"registrants-{event_key}.{output_format}"


def rejects_path(directory: str | Path, event_key: str,
                 output_format: OutputFormat = "csv") -> Path:
    return Path(directory) / f"registrants-{event_key}-rejects.{output_format}"


def deferred_path(directory: str | Path, event_key: str,
                  output_format: OutputFormat = "csv") -> Path:
    return Path(directory) / f"registrants-{event_key}-deferred.{output_format}"


def write_table(path: str | Path, header: Sequence[str], rows: Iterable[Iterable[Any]], *,
                output_format: OutputFormat = "csv", sheet: str = "Sheet1") -> int:
    """Write ``header`` and ``rows`` as a CSV or a one-sheet workbook; the number of rows."""
    if output_format == "xlsx":
        return write_xlsx(path, header, rows, sheet=sheet)
    if output_format != "csv":
        raise ValueError(f"output format {output_format!r} is not one of {OUTPUT_FORMATS}")
    return write_csv(path, header, rows)


def write_xlsx(path: str | Path, header: Sequence[str], rows: Iterable[Iterable[Any]], *,
               sheet: str = "Sheet1") -> int:
    """Write a one-sheet workbook, privately: bold frozen header, a filter, text as text."""
    import xlsxwriter  # only an XLSX output needs it

    rest = iter(rows)
    # The first rows set the column widths (constant_memory mode cannot autofit).
    first: list[Iterable[Any]] = [list(row) for row in itertools.islice(rest, 200)]
    widths = [len(str(h)) for h in header]
    for row in first:
        for i, value in enumerate(list(row)[: len(widths)]):
            widths[i] = max(widths[i], min(_MAX_WIDTH, len(str(value))))
    count = 0
    with open_private(path, "wb") as stream:
        book = xlsxwriter.Workbook(stream, {
            "constant_memory": True,
            # Belt and braces: text goes through write_string anyway.
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        })
        try:
            target = book.add_worksheet(sheet[:31])
            bold = book.add_format({"bold": True})
            for i, width in enumerate(widths):
                target.set_column(i, i, max(8, width + 2))
            target.freeze_panes(1, 0)
            for c, title in enumerate(header):
                target.write_string(0, c, neutralise(str(title)), bold)
            for count, row in enumerate(itertools.chain(first, rest), start=1):
                _write_row(target, count, row)
            target.autofilter(0, 0, count, max(0, len(header) - 1))
        finally:
            book.close()  # assembles the zip into the stream; removes the temporary files
    return count


def _write_row(sheet: Any, r: int, row: Iterable[Any]) -> None:
    for c, value in enumerate(row):
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            sheet.write_string(r, c, "yes" if value else "no")
        elif isinstance(value, int | float):
            if math.isfinite(value):
                sheet.write_number(r, c, value)
        else:
            text = str(value)
            sheet.write_string(r, c, neutralise(text) if text.startswith(FORMULA_PREFIXES)
                               else text)


def write_deferred(path: str | Path, deferrals: Iterable[Deferral], *,
                   output_format: OutputFormat = "csv") -> int:
    """Write the rows left for a later run: row, email, reason, when they can be retried."""
    rows = ([d.registration.row, d.registration.email, d.registration.first_name,
             d.registration.last_name, d.reason.value, d.detail,
             d.retry_at.isoformat() if d.retry_at else ""]
            for d in sorted(deferrals, key=lambda d: d.registration.row))
    return write_table(path, ["row", "email", "first_name", "last_name", "reason", "detail",
                              "retry_after_utc"], rows, output_format=output_format,
                       sheet="Deferred")


def write_registrants(path: str | Path, lines: Iterable[RegistrantLine], *,
                      output_format: OutputFormat = "csv") -> int:
    """Write the registrants file (for the mail-merge); returns the number of registrants."""
    return write_table(path, REGISTRANT_COLUMNS, (line.cells() for line in lines),
                       output_format=output_format, sheet="Registrants")


def capped(text: str, limit: int = EXCEL_CELL_LIMIT - 1) -> str:
    """A cell's text as a spreadsheet can hold it: past ``limit`` characters (Excel's cell
    limit, less one for the quote that keeps a formula-like text a text) its start and
    ``… (cut: 123,456 characters in the list)``, so a hostile or broken cell is still shown,
    named, and never silently cut by the spreadsheet."""
    if len(text) <= limit:
        return text
    suffix = f" … (cut: {len(text):,} characters in the list)"
    return text[:limit - len(suffix)] + suffix


def write_rejects(path: str | Path, header: Sequence[str], rejections: Iterable[Rejection], *,
                  output_format: OutputFormat = "csv") -> int:
    """Write rejected rows: row number, reason, then the row's cells as they were read (each
    :func:`capped` at Excel's cell limit)."""
    columns = [h for h in header if h]
    rows = ([r.row, capped(r.reason), *(capped(r.cells.get(h, "")) for h in columns)]
            for r in sorted(rejections, key=lambda r: r.row))
    return write_table(path, ["row", "reason", *columns], rows, output_format=output_format,
                       sheet="Rejected rows")
