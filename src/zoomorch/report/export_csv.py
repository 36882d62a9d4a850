"""CSV export: one file per table, formula injection neutralised, UTF-8 with BOM for Excel."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from zoomorch.report.tables import Kind, Table, format_value
from zoomorch.safe_csv import write_csv


def write_csv_tables(tables: Sequence[Table], out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``{stem}-{table}.csv`` for every table into ``out_dir``; returns the paths."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for table in tables:
        path = directory / f"{stem}-{table.name}.csv"
        write_csv(path, table.header, _text_rows(table))
        written.append(path)
    return written


def _text_rows(table: Table) -> Iterator[list[str]]:
    """The table's rows as text, cell by cell exactly as :func:`format_value` writes them."""
    convert = [_converter(c.kind) for c in table.columns]
    for row in table.rows:
        yield [to_text(value) for to_text, value in zip(convert, row, strict=True)]


def _converter(kind: Kind) -> Callable[[Any], str]:
    """:func:`format_value` for one column, with its common cases first (it runs for every
    cell of a 20,000-row table); anything unusual goes to format_value itself."""
    if kind is Kind.DATETIME:
        # The same moments recur (joins and leaves are whole seconds of one webinar).
        texts: dict[datetime, str] = {}

        def moment(value: Any) -> str:
            if type(value) is datetime and value.tzinfo is None:
                text = texts.get(value)
                if text is None:
                    text = texts[value] = format_value(value, kind)
                return text
            if type(value) is str:
                return value
            return format_value(value, kind)
        return moment
    if kind is Kind.FLOAT or kind is Kind.PERCENT:
        def number(value: Any) -> str:
            if type(value) is float:
                return f"{value:.1f}"
            if type(value) is str:
                return value
            return format_value(value, kind)
        return number
    if kind is Kind.BOOL:
        return lambda value: format_value(value, kind)

    def plain(value: Any) -> str:
        if type(value) is str:
            return value
        if type(value) is int:
            return str(value)
        return format_value(value, kind)
    return plain
