"""XLSX export: one workbook, a sheet per table, typed cells, frozen bold header.

Text cells go through :func:`zoomorch.safe_csv.neutralise` *and* are stored as strings, so a
name like ``=HYPERLINK(...)`` can never become a formula when the workbook is opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from zoomorch.private_files import open_private
from zoomorch.report.tables import Kind, Table, TypedValue, cell
from zoomorch.safe_csv import neutralise

_FORMATS = {
    Kind.FLOAT: "0.0",
    Kind.PERCENT: "0.0",
}
_MAX_WIDTH = 60


def write_xlsx(tables: Sequence[Table], path: str | Path) -> Path:
    """Write every table as a sheet of one workbook at ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # write_only streams rows to disk: a 50,000-person sheet does not sit in memory as cells.
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31].replace("/", "-"))
        sheet.freeze_panes = "A2"
        widths = [len(c.title) for c in table.columns]
        # Widths must be set before rows in write-only mode; estimate from the first rows.
        for row in table.rows[:200]:
            for i, value in enumerate(row):
                widths[i] = max(widths[i], min(_MAX_WIDTH, len(str(value)) if value is not None
                                               else 0))
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(8, width + 2)
        header = []
        for column in table.columns:
            head = WriteOnlyCell(sheet, value=neutralise(column.title))
            head.font = bold
            header.append(head)
        sheet.append(header)
        kinds = [c.kind for c in table.columns]
        for row in table.rows:
            sheet.append([_cell(sheet, value, kind) for value, kind in zip(row, kinds,
                                                                           strict=True)])
    with open_private(target, "wb") as stream:  # the sheets list people: 0600
        book.save(stream)
    return target


def _cell(sheet: object, raw: object, column_kind: Kind) -> object:
    value, kind = cell(raw, column_kind)
    if value == "":
        return None  # an empty cell costs nothing to write; an empty string does
    if isinstance(value, str):
        # After neutralising, no text starts with "=", so openpyxl stores it as a string,
        # never as a formula.
        return neutralise(value)
    if isinstance(raw, TypedValue) and kind in _FORMATS:
        # Number formats only on the small totals sheet: a styled cell costs about twice a
        # plain one, and the big sheets' numbers are already rounded.
        out = WriteOnlyCell(sheet, value=value)
        out.number_format = _FORMATS[kind]
        return out
    return value  # numbers, booleans; openpyxl gives datetimes a date format itself
