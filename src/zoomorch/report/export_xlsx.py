"""XLSX export: one workbook, a sheet per table, typed cells, frozen bold header, charts.

Written with xlsxwriter in ``constant_memory`` mode: each row goes to a temporary file as soon
as the next one starts, so a 50,000-person sheet never sits in memory as cells.

Text cells go through :func:`zoomorch.safe_csv.neutralise` *and* are written with
``write_string`` (never ``write``, which would turn ``=...`` into a formula or a URL into a
link), so a name like ``=HYPERLINK(...)`` can never become a formula when the workbook is
opened. The workbook is written into a private file (0600, :mod:`zoomorch.private_files`).

A table with a :class:`~zoomorch.report.tables.Chart` gets it drawn beside the table:

- ``timeline``: a Gantt-like stacked bar chart, a "Planned" and an "Actual" bar per row. Each
  bar is a transparent bar from the axis to its start with the visible bar of its length
  stacked on it. The starts and lengths are in hidden helper columns right of the table (one
  row per bar, so two per table row), headed "Chart: ..."; a segment without a start or end
  (it never happened) has no bar.
- ``bars``: a clustered column chart from the table's own cells, one series per value column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from zoomorch.private_files import open_private
from zoomorch.report.tables import Chart, Kind, Table, TypedValue, cell, format_value
from zoomorch.safe_csv import FORMULA_PREFIXES, neutralise

# The number formats openpyxl gave these values (so the workbook reads back the same).
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"
_TIME_FORMATS: dict[type, str] = {
    datetime: DATETIME_FORMAT,
    date: "yyyy-mm-dd",
    time: "h:mm:ss",
    timedelta: "[hh]:mm:ss",
}
_FORMATS = {
    Kind.FLOAT: "0.0",
    Kind.PERCENT: "0.0",
}
_MAX_WIDTH = 60
# Serial day 0 of Excel's 1900 date system; spreadsheet times are naive wall-clock values.
_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001


def sheet_title(table: Table) -> str:
    """The sheet name of a table (Excel allows 31 characters and no "/")."""
    return table.title[:31].replace("/", "-")


def write_xlsx(tables: Sequence[Table], path: str | Path) -> Path:
    """Write every table as a sheet of one workbook at ``path``."""
    import xlsxwriter  # only the XLSX export needs it: `zoomorch report` starts faster

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open_private(target, "wb") as stream:  # the sheets list people: 0600
        book = xlsxwriter.Workbook(stream, {
            "constant_memory": True,
            # Belt and braces: write_string is used for text anyway.
            "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False,
        })
        try:
            formats = _Formats(book)
            for table in tables:
                _write_table(book, formats, table)
        finally:
            book.close()  # assembles the zip into the stream; removes the temporary files
    return target


class _Formats:
    """The workbook's few cell formats, made once."""

    def __init__(self, book: Any) -> None:
        self.bold = book.add_format({"bold": True})
        self.times = {kind: book.add_format({"num_format": number_format})
                      for kind, number_format in _TIME_FORMATS.items()}
        self.numbers = {kind: book.add_format({"num_format": number_format})
                        for kind, number_format in _FORMATS.items()}
        self.duration = book.add_format({"num_format": "[h]:mm"})


def _write_table(book: Any, formats: _Formats, table: Table) -> None:
    sheet = book.add_worksheet(sheet_title(table))
    sheet.freeze_panes(1, 0)
    columns = len(table.columns)
    kinds = [c.kind for c in table.columns]
    widths = [len(c.title) for c in table.columns]
    # Widths from the first rows (the old estimate; autofit is not available in
    # constant_memory mode).
    for row in table.rows[:200]:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], min(_MAX_WIDTH, len(str(value)) if value is not None
                                           else 0))
    for i, width in enumerate(widths):
        sheet.set_column(i, i, max(8, width + 2))
    for i, column in enumerate(table.columns):
        sheet.write_string(0, i, neutralise(column.title), formats.bold)

    timeline = table.chart if table.chart is not None and table.chart.kind == "timeline" \
        else None
    helper = columns + 1  # first hidden helper column of a timeline (one blank column first)
    if timeline is not None:
        _check_columns(table, timeline, 5)
        for i, title in enumerate(("Chart: bar", "Chart: start", "Chart: planned length",
                                   "Chart: actual length")):
            sheet.write_string(0, helper + i, title, formats.bold)
        sheet.set_column(helper, helper + 3, None, None, {"hidden": True})

    write_string, write_number = sheet.write_string, sheet.write_number
    write_boolean, write_datetime = sheet.write_boolean, sheet.write_datetime
    datetime_format = formats.times[datetime]
    rows = table.rows
    last = len(rows) * 2 if timeline is not None else len(rows)
    for r in range(1, last + 1):
        if r <= len(rows):
            row = rows[r - 1]
            if len(row) != columns:
                raise ValueError(f"table {table.name!r}: row {r} has {len(row)} cells for "
                                 f"{columns} columns")
            # The common types first, by exact type: this loop runs for every cell.
            for c, raw in enumerate(row):
                if raw is None or raw == "":
                    continue  # an empty cell costs nothing to write; an empty string does
                kind = type(raw)
                if kind is str:
                    write_string(r, c, neutralise(raw) if raw.startswith(FORMULA_PREFIXES)
                                 else raw)
                elif kind is int or kind is float:
                    if math.isfinite(raw):
                        write_number(r, c, raw)
                elif kind is bool:
                    write_boolean(r, c, raw)
                elif kind is datetime:
                    write_datetime(r, c, raw, datetime_format)
                else:
                    _write_other(sheet, formats, r, c, raw, kinds[c])
        if timeline is not None:
            _write_timeline_helper(sheet, formats, helper, r, rows[(r - 1) // 2],
                                   timeline.columns, planned=r % 2 == 1)

    if table.chart is not None and rows:
        _insert_chart(book, sheet, table, table.chart,
                      at=helper + 4 if timeline is not None else columns + 1,
                      helper=helper)


def _write_other(sheet: Any, formats: _Formats, r: int, c: int, raw: Any,
                 column_kind: Kind) -> None:
    """Any cell the fast path did not take: TypedValue, enums, dates, times, durations."""
    value, kind = cell(raw, column_kind)
    if isinstance(raw, TypedValue) and kind in _FORMATS and not isinstance(value, str) \
            and value != "":
        # Number formats only on the small totals sheet (as before the switch to xlsxwriter):
        # the big sheets' numbers are already rounded. A value-less cell keeps its format.
        if value is None:
            sheet.write_blank(r, c, None, formats.numbers[kind])
        elif isinstance(value, bool):
            sheet.write_boolean(r, c, value, formats.numbers[kind])
        elif isinstance(value, int | float):
            if math.isfinite(value):
                sheet.write_number(r, c, value, formats.numbers[kind])
        else:
            _write_plain(sheet, formats, r, c, value)
        return
    if value is None or value == "":
        return
    _write_plain(sheet, formats, r, c, value)


def _write_plain(sheet: Any, formats: _Formats, r: int, c: int, value: Any) -> None:
    if isinstance(value, str):
        sheet.write_string(r, c, neutralise(str(value)))
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        if math.isfinite(value):
            sheet.write_number(r, c, value)
    elif isinstance(value, datetime):
        sheet.write_datetime(r, c, value, formats.times[datetime])
    elif isinstance(value, date | time | timedelta):
        sheet.write_datetime(r, c, value, formats.times[type(value)])
    else:
        raise TypeError(f"cannot write {type(value).__name__} {value!r} to a spreadsheet cell")


# --- charts -----------------------------------------------------------------------------------


def _check_columns(table: Table, chart: Chart, count: int | None = None) -> None:
    wrong = [i for i in chart.columns if not 0 <= i < len(table.columns)]
    if wrong or (count is not None and len(chart.columns) != count) or len(chart.columns) < 2:
        raise ValueError(f"table {table.name!r}: chart {chart.kind!r} cannot use columns "
                         f"{chart.columns} of {len(table.columns)}")


def _serial(value: Any) -> float | None:
    """A datetime cell as Excel's serial day number (None if it is not a datetime)."""
    value, _ = cell(value, Kind.DATETIME)
    if not isinstance(value, datetime) or value.tzinfo is not None:
        return None
    return (value - _EXCEL_EPOCH).total_seconds() / 86400


def _timeline_bar(row: Sequence[Any], columns: tuple[int, ...],
                  planned: bool) -> tuple[float | None, float | None]:
    """(start, length) in days of one bar; None where the segment has no start or end."""
    _, planned_start, planned_end, actual_start, actual_end = columns
    start = _serial(row[planned_start if planned else actual_start])
    end = _serial(row[planned_end if planned else actual_end])
    if start is None or end is None:
        return start, None
    return start, max(0.0, end - start)


def _written(raw: Any, kind: Kind) -> Any:
    """A cell's value as the sheet holds it (text neutralised, "" as no value)."""
    value, _ = cell(raw, kind)
    if value == "":
        return None
    return neutralise(value) if isinstance(value, str) else value


def _bar_label(raw: Any, planned: bool) -> str:
    label = format_value(raw, Kind.TEXT)
    return neutralise(f"{label} ({'planned' if planned else 'actual'})")


def _write_timeline_helper(sheet: Any, formats: _Formats, helper: int, r: int,
                           row: Sequence[Any], columns: tuple[int, ...], *,
                           planned: bool) -> None:
    sheet.write_string(r, helper, _bar_label(row[columns[0]], planned))
    start, length = _timeline_bar(row, columns, planned)
    if start is not None and length is not None:
        sheet.write_number(r, helper + 1, start, formats.times[datetime])
        sheet.write_number(r, helper + (2 if planned else 3), length, formats.duration)


def _insert_chart(book: Any, sheet: Any, table: Table, chart: Chart, *, at: int,
                  helper: int) -> None:
    name = sheet_title(table)
    rows = len(table.rows)
    # A chart title or series name starting with "=" would be read as a cell reference.
    title = neutralise(chart.title)
    drawn: Any
    # The cells' values go along as the chart's cache ("..._data"): in constant_memory mode
    # xlsxwriter cannot read them back from the sheet, and viewers that do not recalculate
    # (previews, some web viewers) would draw an empty chart, with numbers for the labels.
    if chart.kind == "timeline":
        drawn = book.add_chart({"type": "bar", "subtype": "stacked"})
        last = rows * 2
        bars = [_timeline_bar(row, chart.columns, planned)
                for row in table.rows for planned in (True, False)]
        labels = [_bar_label(row[chart.columns[0]], planned)
                  for row in table.rows for planned in (True, False)]
        categories = {"categories": [name, 1, helper, last, helper], "categories_data": labels}
        starts = [start if length is not None else None for start, length in bars]
        drawn.add_series({"name": "Start", **categories,
                          "values": [name, 1, helper + 1, last, helper + 1],
                          "values_data": starts,
                          "fill": {"none": True}, "border": {"none": True}})
        for offset, series, planned in ((2, "Planned", True), (3, "Actual", False)):
            lengths = [length if i % 2 == (0 if planned else 1) else None
                       for i, (_, length) in enumerate(bars)]
            drawn.add_series({"name": series, **categories,
                              "values": [name, 1, helper + offset, last, helper + offset],
                              "values_data": lengths, "gap": 40})
        drawn_bars = [(s, length) for s, length in bars if s is not None and length is not None]
        axis: dict[str, Any] = {"num_format": "hh:mm", "major_gridlines": {"visible": True}}
        if drawn_bars:
            # Whole 5 minutes either side: the transparent start bars begin at the axis.
            step = 5 / 1440
            axis["min"] = math.floor(min(s for s, _ in drawn_bars) / step) * step
            axis["max"] = max(axis["min"] + step,
                              math.ceil(max(s + n for s, n in drawn_bars) / step) * step)
        drawn.set_x_axis(axis)  # a bar chart's x axis is the horizontal (value) one
        drawn.set_y_axis({"reverse": True})  # the first row at the top, as in the table
        drawn.set_legend({"position": "bottom", "delete_series": [0]})
        drawn.show_hidden_data()  # the helper columns are hidden
        height = max(288, 60 + 2 * rows * 22)
    else:
        _check_columns(table, chart)
        drawn = book.add_chart({"type": "column"})
        label = chart.columns[0]
        labels = [format_value(_written(row[label], table.columns[label].kind), Kind.TEXT)
                  for row in table.rows]
        for column in chart.columns[1:]:
            values = [_written(row[column], table.columns[column].kind) for row in table.rows]
            drawn.add_series({
                "name": neutralise(table.columns[column].title),
                "categories": [name, 1, label, rows, label], "categories_data": labels,
                "values": [name, 1, column, rows, column],
                "values_data": [v if isinstance(v, int | float) and not isinstance(v, bool)
                                else None for v in values],
            })
        drawn.set_legend({"position": "bottom"})
        height = 288
    drawn.set_title({"name": title})
    width = max(480, min(1400, 160 + rows * (36 if chart.kind == "bars" else 0)))
    sheet.insert_chart(1, at, drawn, {"x_offset": 10, "y_offset": 10,
                                      "x_scale": width / 480, "y_scale": height / 288})


__all__ = ["DATETIME_FORMAT", "sheet_title", "write_xlsx"]
