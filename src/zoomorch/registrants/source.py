"""Reading the organisers' registration list: bytes -> text -> a table of numbered rows.

Spreadsheet exports arrive as UTF-8 (with or without BOM), UTF-16 ("Unicode text", usually
tab-separated) or Windows-1252, and lists pasted together from several partners can even mix
UTF-8 and Windows-1252 line by line. Row numbers are the ones a spreadsheet shows: the header
is row 1 when it is the first line, blank rows keep their number, and a quoted cell with an
embedded line break stays one row.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# The decoding is shared with the event files (zoomorch.textfiles); DecodedSource is the
# name callers of this module know.
from zoomorch.textfiles import DecodedText as DecodedSource
from zoomorch.textfiles import decode_text


class SourceError(ValueError):
    """The list as a whole cannot be read (as opposed to one bad row)."""


@dataclass(frozen=True)
class SourceRow:
    """One non-blank data row: its spreadsheet row number and its cells by header."""

    number: int
    cells: dict[str, str]
    extra_cells: tuple[str, ...] = ()  # non-empty cells beyond the last header column
    line: int = 0  # the file's line the row starts on (1-based)
    lines: int = 1  # how many of the file's lines it spans (a cell with line breaks: more)
    # Cells whose value cannot be trusted, as (header, why): a workbook's formula with no
    # saved value or an error value (#N/A). A row is rejected for one in a column it uses.
    problems: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SourceTable:
    path: str
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    header_row: int
    rows: tuple[SourceRow, ...]
    blank_rows: tuple[int, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    line_count: int = 0  # the file's lines, counted from its line breaks
    lines_read: int = 0  # the lines the rows, blank rows and header took up
    sheet: str = ""  # a workbook's sheet that was read
    hidden_rows: tuple[int, ...] = ()  # a workbook's data rows hidden in Excel (read all the same)

    @property
    def multi_line_rows(self) -> tuple[int, ...]:
        """The rows with a cell holding a line break (one row in a spreadsheet)."""
        return tuple(row.number for row in self.rows if row.lines > 1)


# Files that are not text, by their first bytes (their "magic"): a workbook renamed to .csv or
# picked by mistake would otherwise show its binary bytes as the list's headers.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"),  # OLE2 (also .doc)
    (b"%PDF-", "a PDF document"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            mimetype = (archive.read("mimetype")[:100].decode("ascii", "replace")
                        if "mimetype" in names else "")
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        return "a ZIP file"
    if "xl/workbook.bin" in names:
        return "an Excel binary workbook (.xlsb)"
    if any(name.startswith("xl/") for name in names):
        return "an Excel workbook (.xlsx)"
    if "spreadsheet" in mimetype:
        return "an OpenDocument spreadsheet (.ods)"
    if any(name.startswith("word/") for name in names):
        return "a Word document (.docx)"
    return "a ZIP file"


def file_kind(data: bytes) -> str | None:
    """What a file that is not text is (``an Excel workbook (.xlsx)``), from its first bytes;
    None for anything that may be text."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _zip_kind(data)
    if data.startswith(_OLE2) and _ENCRYPTED_PACKAGE in data:
        # Excel saves a workbook with a password to open as an OLE2 file holding the
        # encrypted .xlsx in a stream named "EncryptedPackage".
        return "a password-protected (encrypted) Excel workbook"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def decode_source(data: bytes, path: str = "<list>") -> DecodedSource:
    """Decode a registration list, detecting its encoding; SourceError for a file that is
    not text at all (a workbook, a PDF, an archive), named with the fix."""
    kind = file_kind(data)
    if kind is not None:
        rename = (" (or rename it to end in .xlsx: zoomorch reads Excel workbooks)"
                  if kind == "an Excel workbook (.xlsx)" else "")
        raise SourceError(
            f"{path}: this is {kind}, not a CSV or TSV text file, whatever its name says. "
            "Fix: open it in Excel (or LibreOffice, Google Sheets) and save or download it as "
            f"'CSV UTF-8 (Comma delimited) (*.csv)', then pass that file with --source{rename}"
        )
    return decode_text(data)


def _sniff_delimiter(text: str) -> str:
    for line in text.splitlines():
        if not line.strip().strip(",;\t"):
            continue
        counts: dict[str, int] = {",": 0, ";": 0, "\t": 0}
        quoted = False
        for char in line:
            if char == '"':
                quoted = not quoted
            elif not quoted and char in counts:
                counts[char] += 1
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","
    return ","


def _is_blank(record: list[str]) -> bool:
    return all(not cell.strip() for cell in record)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_EMAIL_LIKE = re.compile(r"[^@\s\"',;]+@[^@\s\"',;]+\.[^@\s\"',;.]+")


def _count_lines(text: str) -> int:
    """The file's lines as a text editor numbers them (a last line without a break counts)."""
    breaks = len(_LINE_BREAK.findall(text))
    return breaks + (1 if text and not text.endswith(("\n", "\r")) else 0)


def _looks_like_a_row(line: str, delimiter: str, columns: int) -> bool:
    """Does one line of a multi-line cell read as a whole row of the list on its own?"""
    if not line.strip():
        return False
    try:
        fields = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return False
    # A row of a registration list has the header's columns and an email; an address
    # ("Calle 5, Apto 3" / "Bogotá, Colombia") or a comment on two lines has no email cell.
    return len(fields) >= max(2, columns) and any(
        _EMAIL_LIKE.fullmatch(f.strip()) for f in fields)


@dataclass(frozen=True)
class _Swallowed:
    """A cell that ran over the lines after its row."""

    column: str
    line: int  # the line the cell starts on
    lines: tuple[int, ...]  # the swallowed lines that read as rows (or, at the end, all)
    evidence: str  # the first of them, as written
    to_the_end: bool  # the file ended inside the cell


def _swallowing(
    record: list[str], header: tuple[str, ...], first_line: int, delimiter: str,
    opened_at_end: bool,
) -> _Swallowed | None:
    line = first_line
    for index, cell in enumerate(record):
        parts = _LINE_BREAK.split(cell)
        name = header[index] if index < len(header) else f"column {index + 1}"
        rows = tuple(line + k for k, part in enumerate(parts)
                     if k and _looks_like_a_row(part, delimiter, len(header)))
        if rows:
            return _Swallowed(name, line, rows, parts[rows[0] - line], False)
        if opened_at_end and index == len(record) - 1 and len(parts) > 1:
            # The file ended inside this (the record's last) cell: it took every line left.
            taken = tuple(line + k for k, part in enumerate(parts) if k and part.strip())
            if taken:
                return _Swallowed(name, line, taken, parts[taken[0] - line], True)
        line += len(parts) - 1
    return None


def _swallowed_rows_error(path: str, row: int, found: _Swallowed) -> SourceError:
    first, last = found.lines[0], found.lines[-1]
    span = f"line {first}" if first == last else f"lines {first}-{last}"
    shown = found.evidence if len(found.evidence) <= 80 else found.evidence[:77] + "..."
    if found.to_the_end:
        what = f"runs to the end of the file: it swallowed {span} (the first: {shown!r})"
    else:
        count = len(found.lines)
        holds = f"which hold {count} rows" if count > 1 else "which holds a row"
        what = f"swallowed {span}, {holds} of their own (the first: {shown!r})"
    return SourceError(
        f"{path}: row {row} (line {found.line}), column {found.column!r}: a quote (\") opened "
        f"in this cell is not closed where the cell should end, so the cell {what}; the people "
        "on those lines would be lost. Nothing was sent. Fix: close the quote or delete the "
        "stray \" in that cell (in a spreadsheet, retype the cell), save the list again and "
        "re-run"
    )


def duplicate_header_warnings(header: tuple[str, ...], path: str) -> list[str]:
    """A warning for each header that appears twice (the first such column is used)."""
    out: list[str] = []
    seen: set[str] = set()
    for name in header:
        if name and name.casefold() in seen:
            out.append(f"{path}: column {name!r} appears twice in the header; "
                       "the first one is used")
        seen.add(name.casefold())
    return out


def parse_table(decoded: DecodedSource, path: str = "<list>") -> SourceTable:
    """Split decoded text into a header and numbered rows.

    A quoted cell may hold line breaks (an address on two lines) and stays one row. A quote
    left open swallows the lines after it into one cell: when a line inside a cell reads as a
    row of its own, or the file ends inside a quoted cell that spans lines, the list is
    refused with the row, the line and the fix, rather than losing the people on those lines.
    """
    text = decoded.text
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: tuple[str, ...] | None = None
    header_row = 0
    rows: list[SourceRow] = []
    blanks: list[int] = []
    warnings: list[str] = []
    lines_read = 0
    line_count = _count_lines(text)
    try:
        for number, record in enumerate(reader, start=1):
            first_line = lines_read + 1
            spans = reader.line_num - lines_read
            lines_read = reader.line_num
            if header is None:
                if _is_blank(record):
                    continue
                header = tuple(cell.strip().lstrip("\ufeff") for cell in record)
                header_row = number
                warnings += duplicate_header_warnings(header, path)
                continue
            if _is_blank(record):
                blanks.append(number)
                continue
            if spans > 1:
                # The file ending inside a quoted cell leaves that cell's quote unpaired.
                at_end = lines_read == line_count and _opens_unclosed(
                    _LINE_BREAK.split(text)[first_line - 1 : lines_read])
                found = _swallowing(record, header, first_line, delimiter, at_end)
                if found is not None:
                    raise _swallowed_rows_error(path, number, found)
            cells: dict[str, str] = {}
            for name, value in zip(header, record, strict=False):
                if name and name not in cells:
                    cells[name] = value
            extra = tuple(v for v in record[len(header) :] if v.strip())
            rows.append(SourceRow(number, cells, extra, first_line, spans))
    except csv.Error as error:
        raise SourceError(
            f"{path}: cannot be read as CSV near row {reader.line_num}: {error}"
        ) from None
    if header is None:
        raise SourceError(
            f"{path}: the file is empty; expected a header row and one row per person"
        )
    return SourceTable(
        path=path,
        encoding=decoded.encoding,
        delimiter=delimiter,
        header=header,
        header_row=header_row,
        rows=tuple(rows),
        blank_rows=tuple(blanks),
        warnings=tuple(warnings),
        line_count=line_count,
        lines_read=lines_read,
    )


def _opens_unclosed(lines: list[str]) -> bool:
    """Do these lines (one record's) leave a quote open? Quotes pair up in well-formed CSV."""
    return sum(line.count('"') for line in lines) % 2 == 1


def read_source_bytes(path: str | Path) -> bytes:
    """The registration list file's bytes; SourceError when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot read the registration list: {error.strerror}") from None


def read_source(path: str | Path) -> SourceTable:
    """Read and parse a registration list file."""
    return parse_table(decode_source(read_source_bytes(path), str(path)), str(path))
