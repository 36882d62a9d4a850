"""Spreadsheet-safe cell values and CSV writing, shared by every exporter.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return, which some
spreadsheets skip before evaluating) is run as a formula by Excel, LibreOffice and Google Sheets
when the file is opened: a registrant named ``=HYPERLINK(...)`` must stay text. Such cells get a
leading apostrophe, the convention spreadsheets themselves use for "this is text". Plain numbers
("-3", "+2.5") cannot carry a formula and are left alone so numeric columns stay numeric.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from zoomorch.private_files import open_private

# Full-width variants are folded to ASCII by some spreadsheet imports, so they count too.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell; only strings are ever changed."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        if _PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of ``row`` through :func:`neutralise`."""
    return [neutralise(cell) for cell in row]


class SafeCSVWriter:
    """A ``csv.writer`` whose every cell is neutralised before it is written."""

    def __init__(self, stream: IO[str], **fmtparams: Any) -> None:
        self._writer = csv.writer(stream, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(neutralise_row("" if cell is None else cell for cell in row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_csv(
    path: str | Path,
    header: Sequence[str],
    rows: Iterable[Iterable[Any]],
    *,
    encoding: str = "utf-8-sig",
) -> int:
    """Write ``header`` and ``rows`` to ``path`` safely; return the number of data rows.

    The default encoding carries a BOM so that Excel opens accented names (Sáenz, Gómez)
    correctly; every spreadsheet and our own reader accept it. The file is private (0600, see
    :mod:`zoomorch.private_files`): these files list people.
    """
    count = 0
    with open_private(path, "w", encoding=encoding, newline="") as stream:
        writer = SafeCSVWriter(stream)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
