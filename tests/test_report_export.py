"""Exporters: CSV per table, one typed XLSX workbook, a self-contained HTML page."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from zoomorch.report.attendance import (
    AttendanceReport,
    ParticipantJoin,
    PlannedSegment,
    RegistrantAnswers,
    Roster,
    WebinarRun,
    build_report,
)
from zoomorch.report.export_csv import write_csv_tables
from zoomorch.report.export_html import render_html, write_html
from zoomorch.report.export_xlsx import write_xlsx
from zoomorch.report.tables import report_tables

ZONE = ZoneInfo("Europe/Berlin")
START = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
END = START + timedelta(minutes=90)
EVIL = '=HYPERLINK("http://evil.example/x","click")'


def sample_report() -> AttendanceReport:
    webinar = WebinarRun(topic="Rivers & <Rain>", start=START, end=END, planned_start=START,
                         webinar_id=81234567890, host_email="host@example.org")
    regs = [RegistrantAnswers("r1", "ana@x.org", EVIL, "", country="DE", organisation="-1+2",
                              preferred_language="Deutsch"),
            RegistrantAnswers("r2", "bo@x.org", "Bo", "", country="FR",
                              preferred_language="Français"),
            RegistrantAnswers("r3", "cy@x.org", "Cy", "", country="FR")]
    rows = [ParticipantJoin(EVIL, "ana@x.org", START, START + timedelta(minutes=80), "r1"),
            ParticipantJoin("Bo", "bo@x.org", START + timedelta(minutes=5),
                            START + timedelta(minutes=50), "r2"),
            ParticipantJoin("+33 1 23 45 67 89", "", START, None, user_id="9")]
    segments = [PlannedSegment("Welcome", START, START + timedelta(minutes=30)),
                PlannedSegment("Debate", START + timedelta(minutes=30), END)]
    return build_report(webinar, rows, regs, Roster(), as_of=END, segments=segments)


def test_csv_has_one_file_per_table_with_formulas_neutralised(tmp_path: Path) -> None:
    rep = sample_report()
    paths = write_csv_tables(report_tables(rep, ZONE), tmp_path, "water")
    names = sorted(p.name for p in paths)
    assert names == sorted(f"water-{n}.csv" for n in (
        "totals", "people", "segments", "absentees", "qa", "polls", "poll_results"))
    with open(tmp_path / "water-people.csv", encoding="utf-8-sig", newline="") as f:
        people = list(csv.DictReader(f))
    ana = next(p for p in people if p["Email"] == "ana@x.org")
    assert ana["Name"] == "'" + EVIL
    assert ana["Organisation"] == "'-1+2"
    assert ana["First join (Europe/Berlin)"] == "2024-06-10 14:00:00"  # CEST, UTC+2
    assert ana["Minutes"] == "80.0"
    dial_in = next(p for p in people if p["Connection"] == "dial-in")
    assert dial_in["Name"] == "'+33 1 23 45 67 89"  # "+33 1…" is not a plain number


def test_xlsx_has_a_typed_sheet_per_table_with_frozen_header(tmp_path: Path) -> None:
    rep = sample_report()
    path = write_xlsx(report_tables(rep, ZONE), tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Totals", "Per person", "Per agenda segment", "Absentees",
                               "Q&A", "Poll answers", "Poll results"]
    sheet = book["Per person"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert sheet.cell(1, 1).font.bold
    rows = [dict(zip(header, (c.value for c in r), strict=True))
            for r in sheet.iter_rows(min_row=2)]
    ana = next(r for r in rows if r["Email"] == "ana@x.org")
    assert ana["Name"] == "'" + EVIL
    cell = next(c for c in sheet["A"] if c.value == "'" + EVIL)
    assert cell.data_type == "s"
    assert ana["First join (Europe/Berlin)"] == datetime(2024, 6, 10, 14, 0)
    assert isinstance(ana["Joins"], int) and ana["Minutes"] == 80
    assert isinstance(ana["% of webinar"], float)
    assert ana["Still in room"] is False
    totals = {r[0].value: r[1].value for r in book["Totals"].iter_rows(min_row=2)}
    formats = {r[0].value: r[1].number_format for r in book["Totals"].iter_rows(min_row=2)}
    assert formats["Median minutes attended"] == "0.0"
    assert totals["Registered"] == 3 and totals["Attended"] == 3
    assert totals["Peak at (Europe/Berlin)"] == datetime(2024, 6, 10, 14, 5)
    segments = list(book["Per agenda segment"].iter_rows(min_row=2, values_only=True))
    assert [s[0] for s in segments] == ["Welcome", "Debate"]


def test_html_is_self_contained_with_three_charts(tmp_path: Path) -> None:
    rep = sample_report()
    page = render_html(rep, report_tables(rep, ZONE), ZONE)
    assert page.count("<svg") == 3
    assert "Rivers &amp; &lt;Rain&gt;" in page
    # Nothing may load from elsewhere: no src/href to a URL, no <script>, no @import.
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "<script" not in page and "@import" not in page
    assert "<?xml" not in page
    assert "Europe/Berlin" in page


def test_every_export_shows_the_unidentified_connections_next_to_attended(
        tmp_path: Path) -> None:
    webinar = WebinarRun(topic="Guests", start=START, end=END)
    # Two guests called "iPhone" at once, neither signed in: Zoom cannot say who is who.
    rows = [ParticipantJoin("iPhone", "", START, START + timedelta(minutes=30), user_id="1"),
            ParticipantJoin("iPhone", "", START + timedelta(minutes=10), END, user_id="2"),
            ParticipantJoin("Bo", "bo@x.org", START, END)]
    rep = build_report(webinar, rows, [], Roster(), as_of=END)
    tables = report_tables(rep, ZONE)
    write_csv_tables(tables, tmp_path, "g")
    with open(tmp_path / "g-totals.csv", encoding="utf-8-sig", newline="") as f:
        csv_totals = [tuple(r) for r in csv.reader(f)]
    at = csv_totals.index(("Attended", "3"))
    assert csv_totals[at + 1] == ("Unidentified connections", "2")
    book = openpyxl.load_workbook(write_xlsx(tables, tmp_path / "g.xlsx"))
    xlsx_totals = [(r[0].value, r[1].value) for r in book["Totals"].iter_rows(min_row=2)]
    at = xlsx_totals.index(("Attended", 3))
    assert xlsx_totals[at + 1] == ("Unidentified connections", 2)
    page = render_html(rep, tables, ZONE)
    assert "Attended 3 · 2 unidentified connections" in page
    assert "<td>Unidentified connections</td>" in page


def test_html_caps_huge_tables_and_says_so() -> None:
    rep = sample_report()
    page = render_html(rep, report_tables(rep, ZONE), ZONE, max_rows=1)
    assert "Showing the first 1 of 3 rows" in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_html_renders_in_headless_chromium_without_network(tmp_path: Path) -> None:
    rep = sample_report()
    page = write_html(rep, report_tables(rep, ZONE), ZONE, tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run", "--disable-dev-shm-usage",
         # A dead proxy: any network fetch the page tried would fail and leave a hole.
         "--proxy-server=http://127.0.0.1:9", "--window-size=1200,2000",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, timeout=90, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    # The screenshot is not blank: the charts draw coloured pixels (PNG bytes vary a lot).
    assert len(set(shot.read_bytes()[1000:5000])) > 50
