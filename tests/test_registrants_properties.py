"""Property-based: hostile registration lists always account for every row, and Zoom ends
holding exactly the valid people, once each; the same list saved as CSV and as an Excel
workbook reads to the same rows, people and rejections."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registrants_support import (
    client_for,
    emails_by_status,
    make_webinar,
    store_at,
    workbook_bytes,
)
from zoomorch.registrants.ledger import SyncLedger
from zoomorch.registrants.normalise import RegistrationList, normalise_table
from zoomorch.registrants.plan import plan_sync
from zoomorch.registrants.source import decode_source, parse_table
from zoomorch.registrants.sync import RegistrantSync
from zoomorch.registrants.workbook import number_text, read_table
from zoomorch.sandbox import Sandbox

POOL = ["ana@example.org", "luis.gomez@example.org", "m.ruggirello@example.it", "eva@denkers.nl",
        "zoe@example.fr"]
NAME_CHARS = st.sampled_from([*"anzÁéñçüŁ \"',;\n=+-@", "Sáenz", "Gómez", "\r\n"])
names = st.lists(NAME_CHARS, max_size=6).map("".join)


@st.composite
def emails(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["pool", "pool", "pool", "blank", "malformed"]))
    if kind == "blank":
        return draw(st.sampled_from(["", "  "]))
    if kind == "malformed":
        return draw(st.sampled_from(["no-at-sign.example.org", "a@b", "two@@x.org"]))
    email = draw(st.sampled_from(POOL))
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in email)
    return draw(st.sampled_from(["", " ", "\t"])) + cased + draw(st.sampled_from(["", "  "]))


rows_strategy = st.lists(st.tuples(emails(), names, names), max_size=12)


@st.composite
def hostile_lists(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, str, str]]]:
    rows = draw(rows_strategy)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(["Email", "First name", "Last name"])
    for row in rows:
        if draw(st.integers(0, 4)) == 0:
            out.write("\n")  # a blank line between rows
        writer.writerow(row)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "mixed"]))
    if encoding == "mixed":
        data = b"".join(_encode_either(line, draw(st.booleans()))
                        for line in text.splitlines(keepends=True))
    else:
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            data = text.encode("utf-8")
    return data, rows


def _encode_either(line: str, cp1252: bool) -> bytes:
    if cp1252:
        try:
            return line.encode("cp1252")
        except UnicodeEncodeError:
            pass
    return line.encode("utf-8")


def _clean(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split())


def expected(rows: list[tuple[str, str, str]]) -> tuple[int, set[str]]:
    """(data rows, valid email keys) as a careful human would count them."""
    data_rows = [r for r in rows if any(cell.strip() for cell in r)]
    # A person is valid when at least one of their rows has a pool email and a first name.
    valid = {r[0].strip().casefold() for r in data_rows
             if r[0].strip().casefold() in POOL and _clean(r[1])}
    return len(data_rows), valid


def read(data: bytes) -> RegistrationList:
    return normalise_table(parse_table(decode_source(data), "hostile.csv"))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(hostile_lists())
def test_every_row_of_a_hostile_list_is_accounted_for(
        generated: tuple[bytes, list[tuple[str, str, str]]]) -> None:
    data, rows = generated
    source = read(data)
    data_rows, valid = expected(rows)
    assert source.data_rows == data_rows
    assert {r.key for r in source.registrations} == valid
    assert len(source.registrations) + len(source.rejections) + len(source.merges) == data_rows
    for registration in source.registrations:
        first_rows = [r for r in rows if r[0].strip().casefold() == registration.key]
        assert registration.first_name in {_clean(r[1]) for r in first_rows} | {""}
    counts = plan_sync(source, [], automatic_approval=True).counts(source)
    assert counts.adds_up


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=hostile_lists(), second=hostile_lists())
def test_zoom_ends_with_exactly_the_valid_people_once_each(
        sandbox: Sandbox, tmp_path_factory: object,
        first: tuple[bytes, list[tuple[str, str, str]]],
        second: tuple[bytes, list[tuple[str, str, str]]]) -> None:
    # Each example is a day of its own: the sandbox (shared by the examples) counts the pool's
    # registrations across webinars, and Zoom allows 3 a person a day.
    sandbox.reset()
    client = client_for(sandbox)
    webinar_id = make_webinar(client, automatic=True)
    tmp = Path(tmp_path_factory.mktemp("state"))
    sync = RegistrantSync(client, webinar_id, ledger=SyncLedger(store_at(tmp), "ev", webinar_id),
                          automatic_approval=True)
    registered: set[str] = set()
    for data, rows in (first, second):
        report = sync.run(read(data), prune=True)
        assert report.counts.adds_up
        _, valid = expected(rows)
        on_list = {r[0].strip().casefold() for r in rows}
        # Prune cancels whoever is off the latest list, but spares people whose row was
        # rejected (they are still on it, with a typo).
        registered = valid | (registered & on_list)
        status = emails_by_status(client, webinar_id)
        assert set(status["approved"]) == registered
        everyone = status["approved"] + status["pending"] + status["denied"]
        assert len(everyone) == len(set(everyone))
    again = sync.run(read(second[0]), prune=True)
    assert again.write_calls == 0


# --- the same list as CSV and as XLSX -------------------------------------------------------


@st.composite
def csv_and_xlsx_twins(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """One hostile list (blank rows between people included) saved as CSV and as .xlsx."""
    rows = draw(rows_strategy)
    layout: list[tuple[str, str, str] | None] = [("Email", "First name", "Last name")]
    for row in rows:
        if draw(st.integers(0, 4)) == 0:
            layout.append(None)  # a blank row between people
        layout.append(row)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    for entry in layout:
        if entry is None:
            out.write("\n")
        else:
            writer.writerow(entry)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    # Both of xlsxwriter's ways to store text: shared strings, and inline (constant_memory).
    book = workbook_bytes([entry or () for entry in layout],
                          constant_memory=draw(st.booleans()))
    return data, book


def _outcome(source: RegistrationList) -> dict[str, object]:
    last = max([r.row for r in source.rejections]
               + [n for r in source.registrations for n in r.rows], default=0)
    return {
        "data_rows": source.data_rows,
        # A workbook's empty rows after the last person are not rows of the list.
        "blank_rows": [n for n in source.blank_rows if n < last],
        "people": [(r.email, r.first_name, r.last_name, r.rows, dict(r.cells))
                   for r in source.registrations],
        "rejections": [(r.row, r.reason, r.email, dict(r.cells)) for r in source.rejections],
        "merges": [(m.row, m.into_row, m.email) for m in source.merges],
    }


@settings(max_examples=150, deadline=None)
@given(csv_and_xlsx_twins())
def test_a_hostile_list_reads_the_same_as_csv_and_as_xlsx(twins: tuple[bytes, bytes]) -> None:
    data, book = twins
    from_csv = read(data)
    from_xlsx = normalise_table(read_table(book, "hostile.xlsx"))
    assert _outcome(from_xlsx) == _outcome(from_csv)
    counts = plan_sync(from_xlsx, [], automatic_approval=True).counts(from_xlsx)
    assert counts.adds_up


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**15), 10**15))
def test_a_whole_number_keeps_every_digit(number: int) -> None:
    # A phone number typed as a number, in General, scientific or "0" format.
    for number_format in ("General", "0", "0.00E+00", "#,##0"):
        assert number_text(float(number), number_format) == str(number)
        assert number_text(number, number_format) == str(number)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10**15 - 1), min_size=1, max_size=8))
def test_numbers_in_a_workbook_read_as_their_digits(numbers: list[int]) -> None:
    rows: list[list[object]] = [["Email", "First name", "Phone"]]
    rows += [[f"p{i}@x.org", f"P{i}", n] for i, n in enumerate(numbers)]
    table = read_table(workbook_bytes(rows), "phones.xlsx")
    assert [row.cells["Phone"] for row in table.rows] == [str(n) for n in numbers]
