"""Spreadsheet formula injection is neutralised in everything we write."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from zoomorch.safe_csv import neutralise, write_csv


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", "＝1"])
def test_cells_starting_a_formula_become_text(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Sáenz", "-3", "+2.5", "", "a=b", 42, None])
def test_plain_values_and_numbers_are_left_alone(cell: object) -> None:
    assert neutralise(cell) == cell


def test_write_csv_neutralises_every_cell_and_keeps_accents(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_csv(path, ["name", "=head"], [["Gómez", "=HYPERLINK(\"x\")"], [None, "@a"]]) == 2
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows == [["name", "'=head"], ["Gómez", "'=HYPERLINK(\"x\")"], ["", "'@a"]]
