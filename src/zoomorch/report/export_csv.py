"""CSV export: one file per table, formula injection neutralised, UTF-8 with BOM for Excel."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from zoomorch.report.tables import Table, format_value
from zoomorch.safe_csv import write_csv


def write_csv_tables(tables: Sequence[Table], out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``{stem}-{table}.csv`` for every table into ``out_dir``; returns the paths."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for table in tables:
        path = directory / f"{stem}-{table.name}.csv"
        kinds = [c.kind for c in table.columns]
        write_csv(path, table.header,
                  ([format_value(v, k) for v, k in zip(row, kinds, strict=True)]
                   for row in table.rows))
        written.append(path)
    return written
