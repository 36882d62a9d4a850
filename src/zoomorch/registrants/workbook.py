"""Reading the organisers' list from an Excel workbook (.xlsx, .xlsm), as Excel shows it.

The cells are read with openpyxl in read-only mode with the formulas' saved values
(``data_only``): rows are parsed one at a time from the sheet's XML, so a 50,000-row sheet is
never held as cell objects. Read-only mode does not expose what the layout says about the
cells (merged ranges, hidden rows, a formula that has no saved value: ``data_only`` reads it
as an empty cell), so :func:`scan_sheet` reads the same ``xl/worksheets/sheetN.xml`` once more
with the stdlib's expat parser and keeps only those facts. It first looks through the
decompressed bytes for the three markers (``<f``, ``hidden=``, ``<mergeCell``) and parses
only when one is there: a plain export (Google Sheets, Google Forms, a list typed in Excel)
costs one decompression and a byte search.

Every cell becomes the text the organiser sees (see :func:`cell_text` and docs/registrants.md),
so the rest of the sync treats a workbook exactly like a CSV: the same header languages, row
numbers as Excel shows them, rejects, and every row accounted for.
"""

from __future__ import annotations

import io
import math
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from zoomorch.registrants.source import (
    SourceError,
    SourceRow,
    SourceTable,
    decode_source,
    duplicate_header_warnings,
    file_kind,
    parse_table,
)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods")
SHOWN = 5  # rows or ranges named in a warning before "and N more"


# --- which file is it -------------------------------------------------------------------


def is_workbook_name(path: str | Path) -> bool:
    """Does the file's name say it is a workbook (``.xlsx``, ``.xls``, ``.ods`` ...)?"""
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES


_SAVE_AS = ("open it in Excel (or LibreOffice, Google Sheets) and save it as 'Excel Workbook "
            "(*.xlsx)', or as 'CSV UTF-8 (Comma delimited) (*.csv)', then pass that file "
            "with --source")


def _not_a_workbook(path: str, data: bytes) -> SourceError | None:
    """Why ``data`` cannot be read as an .xlsx workbook (named, with the fix), or None."""
    kind = file_kind(data)
    if kind == "an Excel workbook (.xlsx)":
        return None
    if kind is None:
        return SourceError(
            f"{path}: this is a text file (CSV or TSV, going by its bytes), not an Excel "
            "workbook, whatever its name says. Fix: rename it to end in .csv and pass that with "
            "--source (zoomorch reads CSV and TSV lists), or open it in Excel and save it as "
            "'Excel Workbook (*.xlsx)'")
    if kind.startswith("a password-protected"):
        return SourceError(
            f"{path}: this is {kind}; its cells cannot be read without the password. Fix: open "
            "it in Excel, choose File > Info > Protect Workbook > Encrypt with Password, delete "
            "the password and save (or save a copy as 'CSV UTF-8 (Comma delimited) (*.csv)'), "
            "then re-run")
    return SourceError(f"{path}: this is {kind}, which zoomorch does not read as a list. "
                       f"Fix: {_SAVE_AS}")


# --- cell values as text ------------------------------------------------------------------

_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DECIMALS = re.compile(r"[0#?]\.([0#?]+)")


def _unescape(text: str) -> str:
    # OOXML writes characters XML cannot hold (a carriage return, control characters) as
    # _xHHHH_; openpyxl leaves them so. (Excel escapes a literal "_x000D_" typed in a cell as
    # "_x005F_x000D_", which openpyxl already turns back into "_x000D_".)
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _format_section(number_format: str, value: float) -> str:
    """The part of a number format that applies to ``value`` (positive;negative;zero;text),
    without quoted literals, colours, locales, escapes and padding."""
    sections = number_format.split(";")
    section = sections[0]
    if value < 0 and len(sections) > 1:
        section = sections[1]
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    return _QUOTED.sub("", section).strip()


def number_text(value: float, number_format: str = "General") -> str:
    """A number as text (see docs/registrants.md, "Workbooks: what a cell reads as").

    Whole numbers keep every digit (a phone number typed as a number, even one Excel shows as
    ``3.46E+10``); a format of only zeros pads them (``00000``: a postal code ``08001``). A
    percentage reads as Excel shows it (``0.0%``: ``12.5%``); a format with decimals keeps
    them (``0.00``: ``5.00``); anything else shows up to 15 significant digits (Excel's
    precision). Digit grouping and currency symbols are left out: Excel draws them in the
    computer's language, which the file does not record.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    section = _format_section(number_format or "General", value)
    lowered = section.lower()
    decimals_match = _DECIMALS.search(section)
    decimals = len(decimals_match.group(1)) if decimals_match else 0
    if "%" in section:
        return f"{value * 100:.{decimals}f}%"
    whole = float(value).is_integer() and abs(value) < 1e21
    if decimals and "e" not in lowered:
        return f"{value:.{decimals}f}"
    if whole:
        digits = str(abs(int(value)))
        if section and set(section) == {"0"}:
            digits = digits.zfill(len(section))
        return ("-" if value < 0 else "") + digits
    text = format(value, ".15g")
    if "e" in text:  # 1e-07: Excel's General shows 1E-07 too; keep Python's spelling
        return text.upper()
    return text


def _time_text(moment: time | datetime, number_format: str) -> str:
    seconds = moment.second or moment.microsecond or "s" in number_format.lower()
    return moment.strftime("%H:%M:%S" if seconds else "%H:%M")


def cell_text(value: Any, number_format: str = "General") -> str:
    """The text a cell holds, as the organiser sees it (dates as ISO 8601)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _unescape(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        lowered = _QUOTED.sub("", number_format.lower())
        has_time = "h" in lowered or "s" in lowered
        if not has_time and value.time() == time(0):
            return value.date().isoformat()
        return f"{value.date().isoformat()} {_time_text(value, number_format)}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _time_text(value, number_format)
    if isinstance(value, timedelta):
        total = int(value.total_seconds())
        sign, total = ("-", -total) if total < 0 else ("", total)
        return f"{sign}{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
    if isinstance(value, int | float):
        return number_text(value, number_format)
    return str(value)


# --- the layout openpyxl's read-only mode does not give ----------------------------------


def column_letter(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _coordinate(ref: str) -> tuple[int, int]:
    """``"C12"`` -> (12, 3)."""
    column = 0
    index = 0
    for index, char in enumerate(ref):  # noqa: B007 - index is used after the loop
        if "A" <= char <= "Z":
            column = column * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            column = column * 26 + ord(char) - 96
        else:
            break
    return int(ref[index:].replace("$", "") or 0), column


@dataclass(frozen=True)
class MergedRange:
    ref: str  # as written, "A1:B1"
    first_row: int
    first_column: int
    last_row: int
    last_column: int

    @classmethod
    def parse(cls, ref: str) -> MergedRange:
        start, _, end = ref.replace("$", "").partition(":")
        top, left = _coordinate(start)
        bottom, right = _coordinate(end or start)
        return cls(ref, top, left, bottom, right)


@dataclass
class SheetLayout:
    """What the sheet's XML says beyond the cell values."""

    hidden_rows: list[int] = field(default_factory=list)
    merged: list[MergedRange] = field(default_factory=list)
    unsaved: dict[int, list[int]] = field(default_factory=dict)  # row -> columns of formulas
    # with no saved value
    parsed: bool = False  # False: no marker found, the XML was not parsed


_MARKERS = (b"<f>", b"<f ", b":f>", b":f ", b"hidden=", b"mergeCell")
_CHUNK = 1 << 20


class _Scan:
    """expat handlers: hidden rows, merged ranges, formula cells without a saved value."""

    def __init__(self, layout: SheetLayout) -> None:
        self.layout = layout
        self.row = 0
        self.column = 0
        self.cell: tuple[int, int, str] | None = None
        self.formula = False
        self.value_element = False
        self.value_text = False
        self.in_value = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            ref = attributes.get("r")
            row, column = _coordinate(ref) if ref else (self.row, self.column + 1)
            self.column = column
            self.cell = (row, column, attributes.get("t", "n"))
            self.formula = self.value_element = self.value_text = False
        elif local == "f" and self.cell is not None:
            self.formula = True
        elif local == "v" and self.cell is not None:
            self.value_element = self.in_value = True
        elif local == "row":
            ref = attributes.get("r")
            self.row = int(ref) if ref else self.row + 1
            self.column = 0
            if attributes.get("hidden") in ("1", "true"):
                self.layout.hidden_rows.append(self.row)
        elif local == "mergeCell" and attributes.get("ref"):
            self.layout.merged.append(MergedRange.parse(attributes["ref"]))

    def end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "v":
            self.in_value = False
        elif local == "c" and self.cell is not None:
            row, column, kind = self.cell
            # A string result may be empty (<v></v> with t="str"); any other empty or missing
            # <v> means nobody computed the formula (openpyxl and other writers save it so).
            computed = self.value_text or (self.value_element and kind == "str")
            if self.formula and not computed:
                self.layout.unsaved.setdefault(row, []).append(column)
            self.cell = None

    def text(self, data: str) -> None:
        if self.in_value and data.strip():
            self.value_text = True


def _has_markers(stream: IO[bytes]) -> bool:
    tail = b""
    while chunk := stream.read(_CHUNK):
        window = tail + chunk
        if any(marker in window for marker in _MARKERS):
            return True
        tail = window[-16:]
    return False


def scan_sheet(archive: zipfile.ZipFile, member: str) -> SheetLayout:
    """Hidden rows, merged ranges and formulas without a saved value, streaming."""
    layout = SheetLayout()
    with archive.open(member) as stream:
        if not _has_markers(stream):
            return layout
    scan = _Scan(layout)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.text
    with archive.open(member) as stream:
        try:
            parser.ParseFile(stream)
        except expat.ExpatError as error:
            raise SourceError(f"{member} is not well-formed XML ({error})") from None
    layout.parsed = True
    return layout


# --- the sheet as a table ----------------------------------------------------------------


@dataclass(frozen=True)
class SheetChoice:
    title: str
    member: str  # the sheet's part in the zip, "xl/worksheets/sheet1.xml"
    note: str  # which sheet was read when the workbook has several; "" otherwise


def _choose_sheet(book: Any, path: str, wanted: str | None) -> tuple[Any, SheetChoice]:
    sheets = list(book.worksheets)
    states = {ws.title: getattr(ws, "sheet_state", "visible") for ws in sheets}

    def listing() -> str:
        return ", ".join(repr(ws.title) + ("" if states[ws.title] == "visible" else " (hidden)")
                         for ws in sheets)

    if not sheets:
        raise SourceError(f"{path}: the workbook has no worksheet (only charts?). Fix: put the "
                          "list on a worksheet, save, and re-run")
    note = ""
    if wanted is not None:
        chosen = next((ws for ws in sheets if ws.title == wanted), None) or next(
            (ws for ws in sheets if ws.title.casefold().strip() == wanted.casefold().strip()),
            None)
        if chosen is None:
            raise SourceError(f"{path}: no sheet named {wanted!r}; the workbook's sheets are: "
                              f"{listing()}. Fix: pass one of them with --sheet")
        if states[chosen.title] != "visible":
            note = f"{path}: sheet {chosen.title!r} is hidden in Excel; reading it as asked"
    else:
        visible = [ws for ws in sheets if states[ws.title] == "visible"]
        if not visible:
            raise SourceError(f"{path}: every sheet is hidden ({listing()}); name the one to "
                              "read with --sheet")
        chosen = visible[0]
        if len(sheets) > 1:
            note = (f"{path} has {len(sheets)} sheets ({listing()}): reading the first visible "
                    f"one, {chosen.title!r}; choose another with --sheet NAME")
    # The sheet's part in the zip, as openpyxl resolved it from the workbook's relationships
    # (a private attribute of ReadOnlyWorksheet, stable since openpyxl 2.4).
    member = str(chosen._worksheet_path).lstrip("/")
    return chosen, SheetChoice(chosen.title, member, note)


def _load(data: bytes, path: str) -> tuple[Any, zipfile.ZipFile]:
    from openpyxl import load_workbook  # only a workbook needs it

    problem = _not_a_workbook(path, data)
    if problem is not None:
        raise problem
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        with warnings.catch_warnings():
            # "Data Validation extension is not supported", "no default style"...: not ours.
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise SourceError(
            f"{path}: cannot be read as an Excel workbook ({type(error).__name__}: {error}). "
            "Fix: open it in Excel and save it again as 'Excel Workbook (*.xlsx)', or save it "
            "as 'CSV UTF-8 (Comma delimited) (*.csv)' and pass that with --source") from None
    return book, archive


def _rows_with_numbers(ws: Any) -> Iterator[tuple[int, Any]]:
    # The <dimension> a writer records can be wrong (or absent): read every row there is.
    ws.reset_dimensions()
    yield from enumerate(ws.iter_rows(min_row=1), start=1)


def _shown(items: list[str]) -> str:
    head = ", ".join(items[:SHOWN])
    return head + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def _row_spans(rows: list[int]) -> list[str]:
    spans: list[str] = []
    start = previous = None
    for row in rows:
        if previous is not None and row == previous + 1:
            previous = row
            continue
        if start is not None:
            spans.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = row
    if start is not None:
        spans.append(str(start) if start == previous else f"{start}-{previous}")
    return spans


@dataclass
class _Reading:
    """The state of one pass over the sheet's rows."""

    path: str
    layout: SheetLayout
    header: tuple[str, ...] = ()
    header_row: int = 0
    rows: list[SourceRow] = field(default_factory=list)
    blanks: list[int] = field(default_factory=list)
    unnamed_data: dict[int, str] = field(default_factory=dict)  # column -> first cell with data
    carried: dict[int, tuple[int, str]] = field(default_factory=dict)  # column -> (until, text)
    merged_starts: dict[tuple[int, int], MergedRange] = field(default_factory=dict)
    last_row: int = 0


def _cell_values(reading: _Reading, number: int,
                 cells: Any) -> tuple[list[str], list[tuple[int, str]]]:
    """The row's texts by column (1-based -> index 0), and its cells' problems by column."""
    texts: list[str] = []
    problems: list[tuple[int, str]] = []
    for cell in cells:
        value = getattr(cell, "value", None)
        if value is None:
            texts.append("")
        elif isinstance(value, str):
            if cell.data_type == "e":
                problems.append((len(texts) + 1, (
                    f"{column_letter(len(texts) + 1)}{number} shows the error {value} (its "
                    "formula failed); fix the formula or type the value, save, and re-run")))
            texts.append(_unescape(value))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            texts.append(number_text(value, cell.number_format))
        else:
            texts.append(cell_text(value, cell.number_format))
    for column in reading.layout.unsaved.get(number, ()):
        while len(texts) < column:
            texts.append("")
        problems.append((column, f"{column_letter(column)}{number} is a formula with no saved "
                                 "value; open and save the file in Excel"))
    if reading.carried or reading.merged_starts:
        _apply_merges(reading, number, texts)
    return texts, problems


def _apply_merges(reading: _Reading, number: int, texts: list[str]) -> None:
    """A range merged over several rows shows its value on each: give it to each row."""
    for column, (until, text) in list(reading.carried.items()):
        if number > until:
            del reading.carried[column]
            continue
        while len(texts) < column:
            texts.append("")
        if not texts[column - 1].strip():
            texts[column - 1] = text
    for column in range(1, len(texts) + 1):
        merged = reading.merged_starts.get((number, column))
        if merged is not None and texts[column - 1].strip():
            reading.carried[column] = (merged.last_row, texts[column - 1])


def _problem_cells(problems: list[tuple[int, str]],
                   header: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(header, problem) for the cells of named columns; a column without a header is an
    error of the whole list when it holds data (see _layout_warnings)."""
    return tuple((header[column - 1], problem) for column, problem in problems
                 if column - 1 < len(header) and header[column - 1])


def read_workbook(data: bytes, path: str, sheet: str | None = None) -> SourceTable:
    """Read the chosen sheet (``--sheet``; else the first visible one) as a table."""
    book, archive = _load(data, path)
    try:
        ws, choice = _choose_sheet(book, path, sheet)
        try:
            layout = scan_sheet(archive, choice.member)
        except KeyError:  # pragma: no cover - openpyxl found the part a moment ago
            layout = SheetLayout()
        label = f"{path}, sheet {choice.title!r}"
        reading = _Reading(label, layout)
        for merged in layout.merged:
            if merged.last_row > merged.first_row:
                reading.merged_starts[(merged.first_row, merged.first_column)] = merged
        for number, cells in _rows_with_numbers(ws):
            _read_row(reading, number, cells)
    finally:
        book.close()
        archive.close()
    if not reading.header_row:
        raise SourceError(f"{label}: the sheet is empty; expected a header row and one row "
                          "per person. Fix: pass the sheet that holds the list with --sheet")
    warnings_out = [choice.note] if choice.note else []
    warnings_out += _layout_warnings(reading)
    warnings_out += duplicate_header_warnings(reading.header, label)
    # Blank rows after the last person are the sheet's empty (perhaps formatted) rows.
    last = reading.rows[-1].number if reading.rows else reading.header_row
    blanks = tuple(n for n in reading.blanks if n < last)
    blank_set = set(blanks)
    hidden = tuple(n for n in layout.hidden_rows
                   if reading.header_row < n <= last and n not in blank_set)
    if hidden:
        warnings_out.append(hidden_rows_warning(label, hidden))
    return SourceTable(
        path=label, encoding="xlsx", delimiter="", header=reading.header,
        header_row=reading.header_row, rows=tuple(reading.rows), blank_rows=blanks,
        warnings=tuple(warnings_out), line_count=last, lines_read=last,
        sheet=choice.title, hidden_rows=hidden,
    )


def _read_row(reading: _Reading, number: int, cells: Any) -> None:
    texts, problems = _cell_values(reading, number, cells)
    named_problems = _problem_cells(problems, reading.header)
    blank = not any(t.strip() for t in texts) and not named_problems
    if not reading.header_row:
        if blank:
            return
        while texts and not texts[-1].strip():
            texts.pop()
        reading.header = tuple(t.strip().lstrip("\ufeff") for t in texts)
        reading.header_row = number
        return
    if blank:
        reading.blanks.append(number)
        return
    header = reading.header
    values: dict[str, str] = {}
    for index, text in enumerate(texts):
        name = header[index] if index < len(header) else ""
        if name:
            values.setdefault(name, text)
        elif text.strip() and index + 1 not in reading.unnamed_data:
            reading.unnamed_data[index + 1] = f"{column_letter(index + 1)}{number}"
    reading.rows.append(SourceRow(number, values, line=number,
                                  problems=named_problems))


def _layout_warnings(reading: _Reading) -> list[str]:
    label, layout, header_row = reading.path, reading.layout, reading.header_row
    out: list[str] = []
    header_merges = [m for m in layout.merged
                     if m.first_row <= header_row <= m.last_row and m.last_column > m.first_column]
    errors: list[str] = []
    for column, first in sorted(reading.unnamed_data.items()):
        letter = column_letter(column)
        merged = next((m for m in header_merges
                       if m.first_column < column <= m.last_column), None)
        if merged is not None:
            title = reading.header[merged.first_column - 1] if merged.first_column <= len(
                reading.header) else ""
            errors.append(f"column {letter} has no header of its own: its header cell "
                          f"{letter}{header_row} is part of the merged cells {merged.ref} "
                          f"({title!r}), yet the column holds data (first in {first}). Fix: "
                          f"unmerge {merged.ref} and give column {letter} its own header in "
                          f"row {header_row}")
        else:
            errors.append(f"column {letter} has no header (cell {letter}{header_row} is empty) "
                          f"but holds data (first in {first}). Fix: give it a header in row "
                          f"{header_row} (e.g. one of the usual ones, or the title of a custom "
                          "question), or delete the column")
    if errors:
        raise SourceError(f"{label}: " + "; ".join(errors) + ". Nothing was sent")
    for merged in header_merges:
        title = reading.header[merged.first_column - 1] if merged.first_column <= len(
            reading.header) else ""
        out.append(f"{label}: the header cells {merged.ref} are merged ({title!r}): the "
                   f"header is read from {column_letter(merged.first_column)}{header_row}, "
                   "and the other columns of the merge hold no data")
    data_merges = [m for m in layout.merged if m.first_row > header_row]
    if data_merges:
        out.append(f"{label}: merged cells among the rows: {_shown([m.ref for m in data_merges])}"
                   "; a range merged over several rows gives its value to each of them (as "
                   "Excel shows it), a range over several columns counts in its first column")
    return out


def hidden_rows_warning(label: str, hidden: tuple[int, ...]) -> str:
    spans = _row_spans(list(hidden))
    noun = "row" if len(hidden) == 1 else "rows"
    return (f"{label}: {len(hidden)} {noun} hidden in Excel (by a filter or Hide): "
            f"{noun} {_shown(spans)}; read like every other row (a filter left on when the file "
            "was saved takes nobody off the list): delete a row to take the person off")


def read_table(data: bytes, path: str, sheet: str | None = None) -> SourceTable:
    """The list in ``data``: a workbook when its name says so (.xlsx ...), else CSV or TSV."""
    if is_workbook_name(path):
        return read_workbook(data, path, sheet)
    decoded = decode_source(data, path)  # a workbook named .csv is refused here, by its bytes
    if sheet is not None:
        raise SourceError(f"{path}: --sheet {sheet!r} names a sheet of a workbook, but this is "
                          "a CSV or TSV text list, which has no sheets. Fix: leave out --sheet, "
                          "or pass the workbook (.xlsx) itself")
    return parse_table(decoded, path)
