"""The rejects file shows every rejected row as it was read, within what a spreadsheet holds:
a cell past Excel's 32,767 characters is cut with a note saying how long it was."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import openpyxl

from zoomorch.registrants.normalise import Rejection
from zoomorch.registrants.output import EXCEL_CELL_LIMIT, capped, write_rejects


def test_a_cell_within_the_limit_is_kept_whole() -> None:
    assert capped("Ana") == "Ana"
    assert capped("x" * (EXCEL_CELL_LIMIT - 1)) == "x" * (EXCEL_CELL_LIMIT - 1)


def test_a_longer_cell_is_cut_to_the_limit_and_says_so() -> None:
    cut = capped("y" * 100_000)
    assert len(cut) == EXCEL_CELL_LIMIT - 1  # room for the quote that keeps "=…" a text
    assert cut.startswith("yyyy") and cut.endswith("… (cut: 100,000 characters in the list)")


def test_rejects_files_hold_a_huge_cell_in_both_formats(tmp_path: Path) -> None:
    huge = "=" + "z" * 90_000
    rejected = [Rejection(7, "no email address", "", {"email": "", "first_name": huge}),
                Rejection(3, "not an email address: 'ana(at)x'", "ana(at)x",
                          {"email": "ana(at)x", "first_name": "Ana"})]
    header = ["email", "first_name"]
    assert write_rejects(tmp_path / "r.csv", header, rejected) == 2
    csv.field_size_limit(sys.maxsize)
    with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows] == ["row", "3", "7"]
    cell = rows[2][3]
    assert len(cell) <= EXCEL_CELL_LIMIT  # with the leading ' that keeps it text
    assert cell.startswith("'=zzz") and cell.endswith("(cut: 90,001 characters in the list)")

    write_rejects(tmp_path / "r.xlsx", header, rejected, output_format="xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    assert sheet is not None
    value = sheet.cell(row=3, column=4).value
    assert isinstance(value, str) and value.endswith("(cut: 90,001 characters in the list)")
    assert sheet.cell(row=3, column=4).data_type == "s"  # text, never a formula
