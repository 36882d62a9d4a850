"""The XLSX writer (xlsxwriter, constant_memory) read back with openpyxl: every cell of every
table comes back as the table's typed value, text stays text, and charts are drawn."""

from __future__ import annotations

import stat
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from test_report_export import EVIL, sample_report
from zoomorch.report.export_xlsx import DATETIME_FORMAT, sheet_title, write_xlsx
from zoomorch.report.tables import Chart, Column, Kind, Table, TypedValue, cell, report_tables
from zoomorch.safe_csv import neutralise

ZONE = ZoneInfo("Europe/Berlin")
T0 = datetime(2024, 6, 10, 14, 0)


def expected(raw: Any, kind: Kind) -> Any:
    """What a cell must read back as: the table's typed value, text neutralised, no ""."""
    value, _ = cell(raw, kind)
    if value == "":
        return None
    return neutralise(value) if isinstance(value, str) else value


def assert_same_cells(book: Any, tables: list[Table]) -> int:
    """Every cell of every table, compared with its sheet (value and type); returns cells."""
    assert book.sheetnames == [sheet_title(t) for t in tables]
    compared = 0
    for table in tables:
        sheet = book[sheet_title(table)]
        assert sheet.freeze_panes == "A2"
        assert [c.value for c in sheet[1]][:len(table.columns)] == [
            neutralise(c.title) for c in table.columns]
        assert all(sheet.cell(1, i + 1).font.bold for i in range(len(table.columns)))
        for r, row in enumerate(table.rows, start=2):
            for c, (raw, column) in enumerate(zip(row, table.columns, strict=True), start=1):
                got = sheet.cell(r, c)
                want = expected(raw, column.kind)
                assert got.value == want, (table.name, r, c, got.value, want)
                if isinstance(want, bool):
                    assert got.value is want and got.data_type == "b"
                elif isinstance(want, str):
                    # Text is a string cell, never a formula.
                    assert type(got.value) is str and got.data_type == "s", (table.name, r, c)
                elif isinstance(want, datetime):
                    assert isinstance(got.value, datetime)
                    assert got.number_format == DATETIME_FORMAT
                elif isinstance(want, int | float):
                    assert isinstance(got.value, int | float) and not isinstance(got.value, bool)
                compared += 1
        # Nothing below the table in its columns (a timeline's hidden helper columns have
        # two rows per table row).
        below = sheet.iter_rows(min_row=len(table.rows) + 2, max_col=len(table.columns),
                                values_only=True)
        assert all(v is None for row in below for v in row)
    return compared


def test_every_report_table_reads_back_cell_for_cell(tmp_path: Path) -> None:
    tables = report_tables(sample_report(), ZONE)
    path = write_xlsx(tables, tmp_path / "r.xlsx")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    book = openpyxl.load_workbook(path)
    assert assert_same_cells(book, tables) > 50
    people = book["Per person"]
    names = [people.cell(r, 1).value for r in range(2, people.max_row + 1)]
    assert "'" + EVIL in names
    formats = {r[0].value: r[1].number_format for r in book["Totals"].iter_rows(min_row=2)}
    assert formats["Median minutes attended"] == "0.0"
    assert formats["Conversion (%)"] == "0.0"


def test_typed_cells_none_text_that_looks_like_a_formula_and_numbers(tmp_path: Path) -> None:
    table = Table("mixed", "Mixed/kinds", [
        Column("Text"), Column("When", Kind.DATETIME), Column("Yes?", Kind.BOOL),
        Column("Minutes", Kind.FLOAT), Column("Count", Kind.INT),
        Column("Share", Kind.PERCENT), Column("=SUM(A1:A9)")], [
        ("=1+1", T0, True, 12.5, 3, 99.9, "@SUM(A1)"),
        (EVIL, None, False, 0.0, 0, None, "+49 30 1234"),
        ("-3", T0 + timedelta(hours=1, seconds=1), None, 80.0, -7, 0.1, "-1+2"),
        ("", datetime(2031, 12, 31, 23, 59, 59), True, 1e-3, 10**12, 100.0, "\tTab"),
        ("Plain", T0, False, -2.25, 1, 50.0, "https://evil.example/x"),
        (None, None, None, None, None, None, None),
    ])
    totals = Table("totals", "Totals", [Column("Metric"), Column("Value")], [
        ("Minutes", TypedValue(12.3, Kind.FLOAT)), ("Nothing", TypedValue(None, Kind.PERCENT)),
        ("When", TypedValue(T0, Kind.DATETIME)), ("Name", TypedValue("=2", Kind.TEXT))])
    book = openpyxl.load_workbook(write_xlsx([table, totals], tmp_path / "m.xlsx"))
    assert assert_same_cells(book, [table, totals]) == 42 + 8
    sheet = book["Mixed-kinds"]
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"
    assert sheet["A4"].value == "-3" and sheet["A4"].data_type == "s"  # a number-like text
    assert sheet["G1"].value == "'=SUM(A1:A9)"  # the header too
    assert sheet["G6"].value == "https://evil.example/x" and sheet["G6"].hyperlink is None
    assert sheet["B4"].value == datetime(2024, 6, 10, 15, 0, 1)
    assert sheet["C3"].value is False and sheet["C4"].value is None
    assert sheet["E5"].value == 10**12
    assert book["Totals"]["B3"].value is None and book["Totals"]["B3"].number_format == "0.0"
    assert book["Totals"]["B5"].value == "'=2"
    # No formula anywhere in the workbook.
    with zipfile.ZipFile(tmp_path / "m.xlsx") as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in archive.read(n) for n in sheets)


def test_a_row_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    table = Table("bad", "Bad", [Column("A"), Column("B")], [("x",)])
    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        write_xlsx([table], tmp_path / "bad.xlsx")


def run_of_show() -> Table:
    def at(minutes: float) -> datetime:
        return T0 + timedelta(minutes=minutes)
    return Table(
        "run_of_show", "Run of show",
        [Column("Segment"), Column("Planned start", Kind.DATETIME),
         Column("Planned end", Kind.DATETIME), Column("Actual start", Kind.DATETIME),
         Column("Actual end", Kind.DATETIME), Column("Over (min)", Kind.FLOAT)],
        [("Welcome", at(0), at(10), at(7), at(19), 2.0),
         ("=Keynote", at(10), at(40), at(19), at(52), 3.0),
         ("Cut for time", at(40), at(50), None, None, None),  # never happened
         ("Q&A", at(50), at(60), at(52), None, None)],  # still running: no end yet
        chart=Chart("timeline", "Planned and actual", (0, 1, 2, 3, 4)))


def attendance_by_segment() -> Table:
    return Table(
        "by_segment", "By segment",
        [Column("Segment"), Column("At start", Kind.INT), Column("Peak", Kind.INT),
         Column("Average", Kind.FLOAT)],
        [("Welcome", 10, 14, 12.5), ("Keynote", 14, 20, None), ("Q&A", 9, 9, 9.0)],
        chart=Chart("bars", "=Attendance per segment", (0, 1, 2, 3)))


def test_a_timeline_chart_is_drawn_beside_its_table(tmp_path: Path) -> None:
    table = run_of_show()
    path = write_xlsx([table], tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    assert_same_cells(book, [table])  # the table itself is unchanged
    sheet = book["Run of show"]
    charts = sheet._charts
    assert len(charts) == 1
    chart = charts[0]
    assert chart.tagname == "barChart" and chart.grouping == "stacked"
    assert chart.barDir == "bar"  # horizontal bars
    assert len(chart.series) == 3  # the transparent start, planned, actual
    assert chart.anchor._from.col >= len(table.columns)  # beside the table, not over it
    # Two bars a row in the hidden helper columns: label, start, planned / actual length.
    helper = len(table.columns) + 1
    hidden = sheet.column_dimensions[get_column_letter(helper + 1)]
    assert hidden.hidden and (hidden.min, hidden.max) == (helper + 1, helper + 4)
    assert not sheet.column_dimensions["A"].hidden
    bars = [[sheet.cell(r, helper + 1 + i).value for i in range(4)] for r in range(2, 10)]
    assert [b[0] for b in bars] == [
        "Welcome (planned)", "Welcome (actual)", "'=Keynote (planned)", "'=Keynote (actual)",
        "Cut for time (planned)", "Cut for time (actual)", "Q&A (planned)", "Q&A (actual)"]
    assert bars[0][2] == timedelta(minutes=10) and bars[0][3] is None
    assert bars[1][3] == timedelta(minutes=12) and bars[1][2] is None
    assert bars[5][1:] == [None, None, None]  # never happened: no bar at all
    assert bars[7][3] is None  # no end yet: no actual bar
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/charts/chart1.xml").decode()
    assert "<c:v>Planned</c:v>" in xml and "<c:v>Actual</c:v>" in xml
    assert "Planned and actual" in xml
    assert "'Run of show'!$H$2:$H$9" in xml  # the categories: the helper labels


def test_a_bars_chart_has_one_series_per_value_column(tmp_path: Path) -> None:
    tables = [run_of_show(), attendance_by_segment()]
    path = write_xlsx(tables, tmp_path / "b.xlsx")
    book = openpyxl.load_workbook(path)
    assert_same_cells(book, tables)
    charts = book["By segment"]._charts
    assert len(charts) == 1
    chart = charts[0]
    assert chart.tagname == "barChart" and chart.barDir == "col"
    assert chart.grouping == "clustered"
    assert len(chart.series) == 3
    refs = [s.val.numRef.f for s in chart.series]
    assert refs == ["'By segment'!$B$2:$B$4", "'By segment'!$C$2:$C$4",
                    "'By segment'!$D$2:$D$4"]
    assert chart.series[0].cat.strRef.f == "'By segment'!$A$2:$A$4"
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith("xl/charts/"))
        xml = archive.read("xl/charts/chart2.xml").decode()
    assert names == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
    for series in ("At start", "Peak", "Average"):
        assert f"<c:v>{series}</c:v>" in xml
    assert "'=Attendance per segment" in xml  # a title is never a reference either


def test_a_chart_on_columns_the_table_does_not_have_is_refused(tmp_path: Path) -> None:
    table = Table("t", "T", [Column("A"), Column("B", Kind.INT)], [("x", 1)],
                  chart=Chart("bars", "T", (0, 5)))
    with pytest.raises(ValueError, match="cannot use columns"):
        write_xlsx([table], tmp_path / "t.xlsx")


def test_an_empty_table_with_a_chart_writes_its_header_only(tmp_path: Path) -> None:
    table = Table("t", "T", run_of_show().columns, [],
                  chart=Chart("timeline", "T", (0, 1, 2, 3, 4)))
    book = openpyxl.load_workbook(write_xlsx([table], tmp_path / "e.xlsx"))
    assert book["T"].max_row == 1 and not book["T"]._charts


def test_aware_datetimes_are_refused_rather_than_shifted(tmp_path: Path) -> None:
    table = Table("t", "T", [Column("When", Kind.DATETIME)], [(datetime(2024, 1, 1, tzinfo=UTC),)])
    with pytest.raises(TypeError):
        write_xlsx([table], tmp_path / "a.xlsx")
