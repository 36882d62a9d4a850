"""Issue 15: the registration list as an Excel workbook, read as the organiser sees it, and the
output files as workbooks. Syncs run against the sandbox over HTTP."""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import subprocess
import sys
import tracemalloc
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from registrants_support import (
    EVENT_KEY,
    client_for,
    load,
    load_xlsx,
    make_webinar,
    store_at,
    workbook_bytes,
    write_event,
)
from zoomorch.event import load_event
from zoomorch.registrants.command import sync_event_registrants
from zoomorch.registrants.normalise import QuestionRule, RegistrationRules
from zoomorch.registrants.plan import Outcome
from zoomorch.registrants.source import SourceError, read_source_bytes
from zoomorch.registrants.workbook import cell_text, number_text, read_table
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient


def _book(build: Any, **options: Any) -> bytes:
    """A workbook made by ``build(book, sheet)`` with xlsxwriter."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False, **options})
    sheet = book.add_worksheet("Inscripciones")
    build(book, sheet)
    book.close()
    return out.getvalue()


def _edit_sheet_xml(data: bytes, edit: Any) -> bytes:
    """The same workbook with its first sheet's XML changed by ``edit`` (a text -> text)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = edit(content.decode("utf-8")).encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


# --- cells as text --------------------------------------------------------------------------


def test_dates_and_numbers_read_as_the_organiser_sees_them() -> None:
    def build(book: Any, sheet: Any) -> None:
        formats = {name: book.add_format({"num_format": f}) for name, f in {
            "date": "dd/mm/yyyy", "stamp": "m/d/yyyy h:mm:ss", "time": "h:mm", "zip": "00000",
            "sci": "0.00E+00", "dec": "0.00", "pct": "0.0%", "pct0": "0%", "thousands": "#,##0",
        }.items()}
        sheet.write_row(0, 0, ["Email", "First name", "Registered", "Submitted", "Arrives",
                               "Postal code", "Phone", "Count", "Score", "Share", "Whole share",
                               "Staff", "Member", "Formula text"])
        sheet.write_string(1, 0, "ana@x.org")
        sheet.write_string(1, 1, "Ana")
        sheet.write_datetime(1, 2, date(2022, 5, 17), formats["date"])
        sheet.write_datetime(1, 3, datetime(2022, 5, 17, 10, 23, 45), formats["stamp"])
        sheet.write_datetime(1, 4, time(8, 30), formats["time"])
        sheet.write_number(1, 5, 8001, formats["zip"])
        sheet.write_number(1, 6, 34600123456, formats["sci"])
        sheet.write_number(1, 7, 5.0)
        sheet.write_number(1, 8, 5, formats["dec"])
        sheet.write_number(1, 9, 0.125, formats["pct"])
        sheet.write_number(1, 10, 0.5, formats["pct0"])
        sheet.write_number(1, 11, 1234567, formats["thousands"])
        sheet.write_boolean(1, 12, True)
        sheet.write_string(1, 13, "=HYPERLINK(\"http://x\")")

    (row,) = read_table(_book(build), "list.xlsx").rows
    assert row.cells == {
        "Email": "ana@x.org", "First name": "Ana", "Registered": "2022-05-17",
        "Submitted": "2022-05-17 10:23:45", "Arrives": "08:30", "Postal code": "08001",
        "Phone": "34600123456", "Count": "5", "Score": "5.00", "Share": "12.5%",
        "Whole share": "50%", "Staff": "1234567", "Member": "TRUE",
        "Formula text": "=HYPERLINK(\"http://x\")",
    }


def test_a_workbook_in_the_1904_date_system_reads_the_same_dates() -> None:
    def build(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, ["Email", "First name", "Registered"])
        sheet.write_row(1, 0, ["ana@x.org", "Ana"])
        sheet.write_datetime(1, 2, date(2022, 5, 17), book.add_format({"num_format": "d/m/yy"}))

    (row,) = read_table(_book(build, date_1904=True), "mac.xlsx").rows
    assert row.cells["Registered"] == "2022-05-17"


@pytest.mark.parametrize(("value", "number_format", "text"), [
    (5.0, "General", "5"), (-3.0, "General", "-3"), (0.1 + 0.2, "General", "0.3"),
    (1234.5, "General", "1234.5"), (573001234567.0, "General", "573001234567"),
    (42, "000000", "000042"), (2.5, "0", "2.5"), (0.0375, "0.00%", "3.75%"),
    (1234.5, "#,##0.00", "1234.50"), (-2.5, "0.00;[Red](0.00)", "-2.50"),
    (12.0, '"€"#,##0', "12"),
])
def test_number_text(value: float, number_format: str, text: str) -> None:
    assert number_text(value, number_format) == text


def test_cell_text_of_other_kinds() -> None:
    assert cell_text(None) == ""
    assert cell_text(False) == "FALSE"
    assert cell_text(datetime(2022, 5, 17), "yyyy-mm-dd") == "2022-05-17"
    assert cell_text(datetime(2022, 5, 17), "yyyy-mm-dd h:mm") == "2022-05-17 00:00"
    assert cell_text(time(9, 5, 7)) == "09:05:07"
    assert cell_text("Line one_x000D_\nline two") == "Line one\r\nline two"


# --- formulas -------------------------------------------------------------------------------


def _formula_list(value: str | None) -> bytes:
    def build(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, ["Email", "First name", "Last name", "Notes"])
        sheet.write_row(1, 0, ["ana@x.org", "Ana", "Sáenz"])
        sheet.write_row(2, 0, ["luis@x.org", "Luis"])
        # C3: the last name from a formula; D2: a formula in a column Zoom is not sent.
        if value is None:
            sheet.write_formula(2, 2, '="Gó"&"mez"')
        else:
            sheet.write_formula(2, 2, '="Gó"&"mez"', None, value)
        sheet.write_formula(1, 3, "=1+1", None, "")

    return _book(build)


def test_a_formula_uses_its_saved_value() -> None:
    source = load_xlsx(_formula_list("Gómez"))
    assert [r.last_name for r in source.registrations] == ["Sáenz", "Gómez"]
    # D2 has no saved value either, but Notes is not sent to Zoom: a warning, not a rejection.
    assert any("column 'Notes' is not sent to Zoom" in w and "D2" in w for w in source.warnings)


def test_a_formula_with_no_saved_value_rejects_its_row_naming_the_cell() -> None:
    # xlsxwriter saves <v></v> for a formula it was given no value for (like openpyxl).
    source = load_xlsx(_formula_list(""))
    assert [r.email for r in source.registrations] == ["ana@x.org"]
    (rejection,) = source.rejections
    assert (rejection.row, rejection.reason) == (
        3, "C3 is a formula with no saved value; open and save the file in Excel")
    assert source.data_rows == 2


def test_a_formula_cell_without_any_value_element_is_found_too() -> None:
    data = _edit_sheet_xml(_formula_list("Gómez"),
                           lambda xml: re.sub(r"(<c r=\"C3\"[^>]*>)(<f>.*?</f>)<v>[^<]*</v>",
                                              r"\1\2", xml))
    assert "C3 is a formula with no saved value" in load_xlsx(data).rejections[0].reason


def test_a_workbook_saved_by_openpyxl_with_formulas_is_refused_cell_by_cell() -> None:
    book = openpyxl.Workbook()
    book.active.append(["Email", "First name"])
    book.active.append(["ana@x.org", "Ana"])
    book.active.append(["luis@x.org", '=UPPER("luis")'])
    out = io.BytesIO()
    book.save(out)
    source = load_xlsx(out.getvalue())
    assert [(r.row, r.reason) for r in source.rejections] == [
        (3, "B3 is a formula with no saved value; open and save the file in Excel")]


def test_a_formula_showing_an_error_rejects_its_row() -> None:
    def build(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, ["Email", "First name"])
        sheet.write_row(1, 0, ["ana@x.org"])
        sheet.write_formula(1, 1, "=VLOOKUP(A2,Other!A:B,2,0)", None, "#N/A")

    (rejection,) = load_xlsx(_book(build)).rejections
    assert rejection.reason.startswith("B2 shows the error #N/A (its formula failed)")


# --- header and layout ----------------------------------------------------------------------


def test_an_empty_header_cell_with_data_below_is_an_error_naming_the_column() -> None:
    data = workbook_bytes([["Email", "First name", None, "Country"],
                           ["ana@x.org", "Ana", "", "CO"],
                           ["luis@x.org", "Luis", "VIP", "PE"]])
    with pytest.raises(SourceError) as refused:
        load_xlsx(data)
    message = str(refused.value)
    assert message.startswith("list.xlsx, sheet 'Sheet1': column C has no header (cell C1 is "
                              "empty) but holds data (first in C3). Fix: give it a header")


def test_data_beyond_the_last_header_is_an_error_too() -> None:
    data = workbook_bytes([["Email", "First name"], ["ana@x.org", "Ana", None, "note"]])
    with pytest.raises(SourceError, match=r"column D has no header .* \(first in D2\)"):
        load_xlsx(data)


def test_an_empty_header_cell_over_an_empty_column_is_fine() -> None:
    data = workbook_bytes([["Email", None, "First name"], ["ana@x.org", None, "Ana"]])
    assert [r.first_name for r in load_xlsx(data).registrations] == ["Ana"]


def _merged_header(data_below: bool) -> bytes:
    def build(book: Any, sheet: Any) -> None:
        sheet.merge_range(0, 1, 0, 2, "Nombre")
        sheet.write_string(0, 0, "Correo")
        sheet.write_row(1, 0, ["ana@x.org", "Ana", "Sáenz" if data_below else ""])

    return _book(build)


def test_a_merged_header_over_data_is_an_error_naming_the_merge() -> None:
    with pytest.raises(SourceError) as refused:
        load_xlsx(_merged_header(data_below=True))
    assert ("column C has no header of its own: its header cell C1 is part of the merged cells "
            "B1:C1 ('Nombre'), yet the column holds data (first in C2). Fix: unmerge B1:C1"
            ) in str(refused.value)


def test_a_merged_header_is_reported() -> None:
    source = load_xlsx(_merged_header(data_below=False))
    assert [r.first_name for r in source.registrations] == ["Ana"]
    assert any("the header cells B1:C1 are merged ('Nombre')" in w for w in source.warnings)


def test_cells_merged_over_several_rows_give_their_value_to_each_row() -> None:
    def build(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, ["Email", "First name", "Organisation"])
        for r, (email, name) in enumerate([("a@x.org", "A"), ("b@x.org", "B"),
                                           ("c@x.org", "C")], start=1):
            sheet.write_row(r, 0, [email, name])
        sheet.merge_range(1, 2, 3, 2, "OIM")

    source = load_xlsx(_book(build))
    assert [r.answers["org"] for r in source.registrations] == ["OIM", "OIM", "OIM"]
    assert any("merged cells among the rows: C2:C4" in w for w in source.warnings)


def test_hidden_rows_are_read_and_reported() -> None:
    def build(book: Any, sheet: Any) -> None:
        sheet.write_row(0, 0, ["Email", "First name"])
        for r in range(1, 8):
            sheet.write_row(r, 0, [f"p{r}@x.org", f"P{r}"])
        for r in (2, 3, 6):  # rows 3, 4 and 7, as Excel numbers them
            sheet.set_row(r, None, None, {"hidden": True})

    source = load_xlsx(_book(build))
    assert len(source.registrations) == 7 and source.hidden_rows == (3, 4, 7)
    (warning,) = [w for w in source.warnings if "hidden" in w]
    assert "3 rows hidden in Excel (by a filter or Hide): rows 3-4, 7; read like every other " \
           "row" in warning


def test_row_numbers_are_excels_with_blank_rows_and_a_title_gap() -> None:
    data = workbook_bytes([[], [], ["Email", "First name"], ["a@x.org", "A"], [],
                           ["bad", "B"], ["c@x.org", "C"], [], []])
    source = load_xlsx(data)
    assert [r.row for r in source.registrations] == [4, 7]
    assert [r.row for r in source.rejections] == [6]
    assert source.blank_rows == (5,)  # the empty rows after the last person are not rows
    assert source.data_rows == 3


# --- sheets ---------------------------------------------------------------------------------


def _three_sheets() -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    config = book.add_worksheet("Config")
    config.write_row(0, 0, ["setting", "value"])
    people = book.add_worksheet("Inscripciones")
    people.write_row(0, 0, ["Correo", "Nombre"])
    people.write_row(1, 0, ["ana@x.org", "Ana"])
    speakers = book.add_worksheet("Ponentes")
    speakers.write_row(0, 0, ["Correo", "Nombre"])
    speakers.write_row(1, 0, ["luis@x.org", "Luis"])
    people.activate()
    config.hide()
    book.close()
    return out.getvalue()


def test_several_sheets_read_the_first_visible_one_and_say_which() -> None:
    source = load_xlsx(_three_sheets())
    assert [r.email for r in source.registrations] == ["ana@x.org"]
    assert source.sheet == "Inscripciones"
    assert source.path == "list.xlsx, sheet 'Inscripciones'"
    assert ("list.xlsx has 3 sheets ('Config' (hidden), 'Inscripciones', 'Ponentes'): reading "
            "the first visible one, 'Inscripciones'; choose another with --sheet NAME"
            ) in source.warnings


def test_sheet_picks_another_sheet_and_an_unknown_one_lists_them() -> None:
    assert [r.email for r in load_xlsx(_three_sheets(), sheet="ponentes").registrations] == [
        "luis@x.org"]
    with pytest.raises(SourceError) as refused:
        load_xlsx(_three_sheets(), sheet="Speakers")
    assert str(refused.value) == (
        "list.xlsx: no sheet named 'Speakers'; the workbook's sheets are: 'Config' (hidden), "
        "'Inscripciones', 'Ponentes'. Fix: pass one of them with --sheet")


def test_sheet_is_refused_for_a_csv_list() -> None:
    with pytest.raises(SourceError, match=r"--sheet 'Inscripciones' names a sheet of a "
                                          r"workbook, but this is a CSV or TSV text list"):
        read_table(b"email,first name\na@x.org,A\n", "list.csv", "Inscripciones")


# --- files that are not a real .xlsx --------------------------------------------------------


def _ole2(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + extra + bytes(512)


def _zip(name: str, content: bytes = b"x") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(("data", "starts", "fix"), [
    (b"email,first name\nana@x.org,Ana\n",
     "this is a text file (CSV or TSV, going by its bytes), not an Excel workbook",
     "rename it to end in .csv"),
    (_ole2(), "this is an old Excel workbook (.xls), which zoomorch does not read",
     "save it as 'Excel Workbook (*.xlsx)'"),
    # Excel keeps a workbook with a password to open as an OLE2 file holding the encrypted
    # package in a stream of this name (its directory entry is UTF-16).
    (_ole2("EncryptedPackage".encode("utf-16-le")),
     "this is a password-protected (encrypted) Excel workbook; its cells cannot be read",
     "Encrypt with Password, delete the password"),
    (_zip("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
     "this is an OpenDocument spreadsheet (.ods)", "Excel Workbook (*.xlsx)"),
    (_zip("xl/workbook.bin"), "this is an Excel binary workbook (.xlsb)",
     "Excel Workbook (*.xlsx)"),
    (_zip("xl/workbook.xml", b"<not a workbook"), "cannot be read as an Excel workbook",
     "save it again as 'Excel Workbook (*.xlsx)'"),
])
def test_a_file_that_is_not_a_real_xlsx_is_named_with_the_fix(
        tmp_path: Path, data: bytes, starts: str, fix: str) -> None:
    path = tmp_path / "inscripciones.xlsx"
    path.write_bytes(data)
    with pytest.raises(SourceError) as refused:
        read_table(path.read_bytes(), str(path))
    message = str(refused.value)
    assert message.startswith(f"{path}: {starts}"), message
    assert fix in message and "Traceback" not in message


def test_a_workbook_named_csv_says_to_rename_it() -> None:
    with pytest.raises(SourceError) as refused:
        read_table(workbook_bytes([["Email"], ["a@x.org"]]), "list.csv")
    assert "this is an Excel workbook (.xlsx), not a CSV or TSV text file" in str(refused.value)
    assert "rename it to end in .xlsx" in str(refused.value)


# --- the same list as CSV and as a workbook: the same Zoom ----------------------------------

QUESTIONS = '''
[[registration.questions]]
field = "country"
required = true

[[registration.questions]]
field = "org"
required = true

[[registration.custom_questions]]
title = "Preferred language"
type = "single_radio"
required = true
answers = ["Español", "English", "Français"]
'''

# The organisers' list of docs/registrants.md, with a phone and a postal code.
ORGANISERS = [
    ["Email", "First name", "Last name", "Country", "Organisation", "Preferred language",
     "Estado", "Teléfono", "Código postal"],
    ["ana.perez@example.org", "Ana", "Pérez", "Colombia", "Alcaldía de Bogotá", "Español", "",
     "573001234567", "110111"],
    ["john.smith@example.org", "John", "Smith", "USA", "Migration Policy Institute", "English",
     "aprobado", "12025550143", "20036"],
    ["marie.dupont@example", "Marie", "Dupont", "Francia", "OCDE", "Français", "", "", ""],
    ["ANA.PEREZ@example.org", "Ana María", "Pérez", "CO", "Alcaldía Mayor de Bogotá", "ES", "",
     "", ""],
    ["", "", "", "", "", "", "", "", ""],
    ["lucia.fernandez@example.org", "Lucía", "Fernández", "Perú", "OIM", "es", "rechazado",
     "5114440000", "15074"],
    ["pedro.gil@example.org", "Pedro", "Gil", "", "Cruz Roja", "Español", "", "", ""],
    ["hans.muller@example.org", "Hans", "Müller", "Alemania", "GIZ", "Deutsch", "", "", ""],
    ["sofia.rojas@example.org", "Sofía", "Rojas", "Venezuela", "Coalición por Venezuela",
     "español", "cancelado", "", ""],
    ["marco@example.it", "=cmd|' /C calc'!A0", "Ruggirello", "Italia", "FAO", "English", "",
     "390612345678", "00153"],
]


def _organisers_workbook() -> bytes:
    """The same list as Excel keeps it: numbers typed as numbers (a postal code as a number
    formatted 00000), the blank row empty."""
    def build(book: Any, sheet: Any) -> None:
        postal = book.add_format({"num_format": "00000"})
        for r, row in enumerate(ORGANISERS):
            for c, value in enumerate(row):
                if not value:
                    continue
                if r and c == 7:
                    sheet.write_number(r, c, int(value))
                elif r and c == 8:
                    sheet.write_number(r, c, int(value), postal)
                else:
                    sheet.write_string(r, c, value)

    return _book(build)


def _zoom_state(client: ZoomClient, webinar_id: int) -> dict[str, list[dict[str, Any]]]:
    """Zoom's registrants in each status, every field but the ids, links and times."""
    return {status: sorted(
        (r.model_dump(exclude={"id", "join_url", "create_time"}, mode="json")
         for r in client.iter_registrants(webinar_id, status)),
        key=lambda r: r["email"].lower())
        for status in ("approved", "pending", "denied")}


def _sync_file(sandbox: Sandbox, root: Path, name: str, data: bytes, questions: str = QUESTIONS,
               **options: Any) -> tuple[Any, Any, int]:
    root.mkdir()
    client = client_for(sandbox)
    webinar_id = make_webinar(client, automatic=False)
    store = store_at(root)
    store.save_binding(EVENT_KEY, webinar_id=webinar_id)
    spec = load_event(write_event(root, approval="manual", questions=questions))
    source = root / name
    source.write_bytes(data)
    report, files = sync_event_registrants(spec, source, client, store, out_dir=root / "out",
                                           **options)
    return report, files, webinar_id


def test_a_workbook_syncs_to_the_same_zoom_as_its_csv_twin(
        sandbox: Sandbox, tmp_path: Path) -> None:
    text = "\r\n".join(";".join(row) for row in ORGANISERS) + "\r\n"
    csv_report, csv_files, csv_webinar = _sync_file(
        sandbox, tmp_path / "csv", "inscripciones.csv", text.encode("cp1252", "replace"))
    xlsx_report, xlsx_files, xlsx_webinar = _sync_file(
        sandbox, tmp_path / "xlsx", "inscripciones.xlsx", _organisers_workbook())

    client = client_for(sandbox)
    from_csv = _zoom_state(client, csv_webinar)
    assert sum(len(v) for v in from_csv.values()) == 4  # Ana, John, Lucía, Marco
    assert _zoom_state(client, xlsx_webinar) == from_csv
    # Every row accounted for, the same way, with the same rejections and row numbers.
    for report in (csv_report, xlsx_report):
        assert report.counts.adds_up and report.counts.data_rows == 9
    assert ({k.value: v for k, v in xlsx_report.counts.by_outcome.items()}
            == {k.value: v for k, v in csv_report.counts.by_outcome.items()})
    assert ([(r.row, r.reason) for r in xlsx_report.rejections]
            == [(r.row, r.reason) for r in csv_report.rejections]
            == [(4, "malformed email 'marie.dupont@example'"),
                (8, "missing required answer 'country' (column 'Country')"),
                (9, "answer to 'Preferred language' 'Deutsch' is not one of: Español, "
                    "English, Français")])
    ana = next(r for r in from_csv["pending"] if r["email"] == "ana.perez@example.org")
    assert (ana["phone"], ana["zip"]) == ("573001234567", "110111")
    marco = next(r for s in from_csv.values() for r in s if r["email"] == "marco@example.it")
    assert marco["zip"] == "00153"  # a number formatted 00000 keeps its zeros
    # The rejects files list the same cells.
    with csv_files.rejects.open(encoding="utf-8-sig", newline="") as stream:
        csv_rejects = list(csv.reader(stream))
    with xlsx_files.rejects.open(encoding="utf-8-sig", newline="") as stream:
        assert list(csv.reader(stream)) == csv_rejects


# --- the output files as workbooks ----------------------------------------------------------


def test_the_cli_reads_a_sheet_and_writes_xlsx_files_read_back_with_openpyxl(
        sandbox: Sandbox, tmp_path: Path) -> None:
    client = client_for(sandbox)
    webinar_id = make_webinar(client, automatic=True)
    store_at(tmp_path).save_binding(EVENT_KEY, webinar_id=webinar_id)
    event = write_event(tmp_path, questions=QUESTIONS)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False})
    book.add_worksheet("Notas").write_string(0, 0, "nothing here")
    sheet = book.add_worksheet("Lista")
    for r, row in enumerate(ORGANISERS):
        sheet.write_row(r, 0, [v for v in row], None)
    sheet.set_row(2, None, None, {"hidden": True})  # John, filtered out of view
    book.close()
    source = tmp_path / "lista.xlsx"
    source.write_bytes(out.getvalue())
    env = {**os.environ, **sandbox.env(),
           "ZOOMORCH_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}",
           "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run(
        [sys.executable, "-m", "zoomorch.cli.main", "registrants", "sync", str(event),
         "--source", str(source), "--sheet", "Lista", "--out", str(tmp_path / "out"),
         "--output-format", "xlsx"],
        env=env, capture_output=True, text=True, encoding="utf-8", timeout=90)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (f"{source}, sheet 'Lista': 9 rows (xlsx, 1 blank rows skipped, 1 hidden rows read)"
            in run.stdout)
    assert "1 row hidden in Excel (by a filter or Hide): row 3" in run.stdout
    assert "= 9 input rows: every row is accounted for" in run.stdout

    registrants = tmp_path / "out" / f"registrants-{EVENT_KEY}.xlsx"
    rejects = tmp_path / "out" / f"registrants-{EVENT_KEY}-rejects.xlsx"
    assert not (tmp_path / "out" / f"registrants-{EVENT_KEY}.csv").exists()
    for path in (registrants, rejects):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Read back with formulas as formulas: no text cell became one.
    sheet_out = openpyxl.load_workbook(registrants).active
    rows = [[c.value for c in row] for row in sheet_out.iter_rows()]
    assert rows[0] == ["email", "first_name", "last_name", "status", "join_url",
                       "registrant_id", "on_list", "source_rows"]
    assert all(c.data_type != "f" for row in sheet_out.iter_rows() for c in row)
    by_email = {row[0]: row for row in rows[1:]}
    assert set(by_email) == {"ana.perez@example.org", "john.smith@example.org",
                             "lucia.fernandez@example.org", "marco@example.it"}
    assert by_email["marco@example.it"][1] == "'=cmd|' /C calc'!A0"  # text, never a formula
    assert by_email["ana.perez@example.org"][7] == "2 5"
    assert all(str(row[4]).startswith("http") for row in rows[1:] if row[3] == "approved")
    assert sheet_out.freeze_panes == "A2"
    reject_rows = [[c.value for c in row]
                   for row in openpyxl.load_workbook(rejects).active.iter_rows()]
    assert reject_rows[0][:3] == ["row", "reason", "Email"]
    assert [(r[0], r[2]) for r in reject_rows[1:]] == [
        (4, "marie.dupont@example"), (8, "pedro.gil@example.org"),
        (9, "hans.muller@example.org")]


def test_the_output_format_xlsx_from_the_python_entry_point(
        sandbox: Sandbox, tmp_path: Path) -> None:
    report, files, _ = _sync_file(sandbox, tmp_path / "run", "lista.csv",
                                  b"email,first name\nana@x.org,Ana\nbad,B\n",
                                  questions="", output_format="xlsx")
    assert report.counts[Outcome.ADDED] == 1 and report.counts.adds_up
    assert files.registrants.suffix == ".xlsx" and files.rejects.suffix == ".xlsx"
    rows = list(openpyxl.load_workbook(files.rejects, read_only=True).active.values)
    assert rows[1][:3] == (3, "malformed email 'bad'", "bad")


# --- memory: a 50,000-row workbook ----------------------------------------------------------

ROWS_50K = 50_000


def _big_list(tmp_path: Path, count: int = ROWS_50K) -> tuple[Path, Path]:
    # Names only, the commonest list (and the quickest to trace allocation by allocation).
    header = ["Email", "First name"]
    rows = ([f"person{i}@example.org", f"Nombre{i} Sáenz"] for i in range(count))
    book_path = tmp_path / "big.xlsx"
    book = xlsxwriter.Workbook(str(book_path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, row)
        writer.writerow(row)
    book.close()
    csv_path = tmp_path / "big.csv"
    csv_path.write_text(text.getvalue(), encoding="utf-8")
    return csv_path, book_path


def _peak(path: Path) -> tuple[int, int]:
    """The peak of traced memory while the list is read into rows (as `load_list` reads it;
    what follows, normalising the rows, is the same code for both)."""
    tracemalloc.start()
    try:
        table = read_table(read_source_bytes(path), str(path))
        return tracemalloc.get_traced_memory()[1], len(table.rows)
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_a_50000_row_workbook_reads_within_the_memory_of_its_csv(tmp_path: Path) -> None:
    csv_path, book_path = _big_list(tmp_path)
    csv_peak, csv_rows = _peak(csv_path)
    xlsx_peak, xlsx_rows = _peak(book_path)
    assert csv_rows == xlsx_rows == ROWS_50K
    print(f"peak while reading {ROWS_50K} rows: CSV {csv_peak / 2**20:.1f} MiB, "
          f"XLSX {xlsx_peak / 2**20:.1f} MiB")
    # Both hold the list's rows (and the CSV its text); reading the workbook streams its XML,
    # so it adds no more than a constant on top.
    assert xlsx_peak <= 1.5 * csv_peak + 8 * 2**20, (csv_peak, xlsx_peak)


def test_a_csv_list_and_its_workbook_agree_row_for_row_on_a_sample() -> None:
    text = "email,first name,last name\n" + "".join(
        f"p{i}@example.org,P{i},Denkers\n" for i in range(40))
    rows = [row.split(",") for row in text.splitlines()]
    assert load(text).by_key().keys() == load_xlsx(workbook_bytes(rows)).by_key().keys()


def test_custom_questions_and_languages_come_from_a_workbook_as_from_a_csv() -> None:
    rules = RegistrationRules(questions=(
        QuestionRule("Preferred language", True, ("Español", "English", "Français")),))
    rows = [["Correo", "Nombre", "Idioma preferido"], ["ana@x.org", "Ana", "ES"],
            ["luis@x.org", "Luis", "anglais"]]
    source = load_xlsx(workbook_bytes(rows), rules)
    assert [dict(r.custom_answers) for r in source.registrations] == [
        {"Preferred language": "Español"}, {"Preferred language": "English"}]
