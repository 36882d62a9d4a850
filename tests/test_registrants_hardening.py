"""Issue 16, the registrant list's holes: nothing lost, nothing leaked, every count true.

- item 2: an unterminated quote that swallows later rows is refused with its line and the fix;
- item 3: a call Zoom fails after its retries defers only its people, with that reason; a Zoom
  that is plainly down stops the run after a few failed calls in a row;
- item 10: bidi overrides and control characters never reach Zoom, and the report says so;
- item 11: a spreadsheet that is not text (a renamed .xlsx) is named as such; the
  ``source_rows`` cell stays within Excel's 32,767 characters.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registrants_support import (
    EVENT_KEY,
    client_for,
    emails_by_status,
    load,
    make_webinar,
    store_at,
    write_event,
)
from zoomorch.registrants.ledger import SyncLedger
from zoomorch.registrants.normalise import RegistrationRules
from zoomorch.registrants.output import EXCEL_CELL_LIMIT, RegistrantLine, write_registrants
from zoomorch.registrants.plan import DeferralReason, Outcome, SyncCounts
from zoomorch.registrants.source import SourceError, decode_source, parse_table, read_source
from zoomorch.registrants.sync import (
    STOP_AFTER_FAILED_CALLS,
    RegistrantSync,
    SyncAborted,
    SyncReport,
)
from zoomorch.registrants.values import MAX_NAME
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient
from zoomorch.zoom.retry import RetryPolicy

# Five attempts, as in production, without the seconds of backoff between them.
FAST_RETRY = RetryPolicy(attempts=5, initial_wait=0.001, max_wait=0.002, jitter=0.0)


def _cli(event: Path, source: Path, out: Path, env: dict[str, str]
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zoomorch.cli.main", "registrants", "sync", str(event),
         "--source", str(source), "--out", str(out)],
        env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)


def _prepare_cli(sandbox: Sandbox, tmp_path: Path) -> tuple[Path, dict[str, str], int]:
    client = client_for(sandbox)
    webinar_id = make_webinar(client, automatic=True)
    store_at(tmp_path).save_binding(EVENT_KEY, webinar_id=webinar_id)
    env = {**os.environ, **sandbox.env(),
           "ZOOMORCH_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}",
           "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    return write_event(tmp_path), env, webinar_id


def _registrant_posts(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests_log()
            if r["method"] == "POST" and "registrants" in r["path"]]


# --- item 2: an unterminated quote --------------------------------------------------------

HEADER = "email,first name,last name,Organisation"


def _twenty_rows() -> list[str]:
    """The header (line 1) and 20 people on lines 2-21."""
    return [HEADER] + [f"p{n}@x.org,P{n},Lastname{n},Org {n}" for n in range(2, 22)]


def test_an_unterminated_quote_swallowing_later_rows_is_refused_with_its_line() -> None:
    lines = _twenty_rows()
    lines[3] = 'p4@x.org,P4,Lastname4,"OIM Bogotá'  # line 4: the quote is never closed
    text = "\n".join(lines) + "\n"
    with pytest.raises(SourceError) as refused:
        parse_table(decode_source(text.encode()), "list.csv")
    message = str(refused.value)
    assert message.startswith("list.csv: row 4 (line 4), column 'Organisation'")
    assert "lines 5-21" in message and "17 rows" in message
    assert "p5@x.org,P5,Lastname5,Org 5" in message  # the first swallowed line, as evidence
    assert "Fix:" in message and 'close the quote' in message


def test_a_quote_closed_rows_later_is_refused_too() -> None:
    lines = _twenty_rows()
    lines[3] = 'p4@x.org,P4,Lastname4,"OIM Bogotá'
    lines[8] = 'p9@x.org,P9,Lastname9,Org 9"'  # a stray quote closes it five lines later
    with pytest.raises(SourceError, match=r"row 4 \(line 4\).*lines 5-9.*5 rows"):
        parse_table(decode_source(("\n".join(lines) + "\n").encode()), "list.csv")


def test_legitimate_multi_line_cells_are_kept_with_their_spreadsheet_row_numbers() -> None:
    text = ('email,first name,last name,Address,Comments\n'
            'ana@x.org,Ana,Sáenz,"Calle 5, Apto 3\nBogotá, Colombia","I will ask:\n'
            'who, when, where?"\n'
            'luis@x.org,Luis,Gómez,"Av. 9 de Julio 1000\r\nPiso 3, Of. B\r\nCABA",\n'
            'eva@x.org,Eva,Denkers,Main St,\n')
    table = parse_table(decode_source(text.encode()), "list.csv")
    assert [row.number for row in table.rows] == [2, 3, 4]
    assert table.rows[0].cells["Address"] == "Calle 5, Apto 3\nBogotá, Colombia"
    assert table.rows[1].cells["Address"].count("\n") == 2
    assert [row.lines for row in table.rows] == [3, 3, 1]
    assert table.line_count == 8 and table.lines_read == table.line_count


def test_the_cli_refuses_the_swallowing_list_and_never_claims_every_row_is_accounted_for(
        sandbox: Sandbox, tmp_path: Path) -> None:
    event, env, _ = _prepare_cli(sandbox, tmp_path)
    lines = _twenty_rows()
    lines[3] = 'p4@x.org,P4,Lastname4,"OIM Bogotá'
    source = tmp_path / "hostile.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = _cli(event, source, tmp_path, env)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "accounted for" not in run.stdout + run.stderr
    assert f"{source}: row 4 (line 4), column 'Organisation'" in run.stderr
    assert not _registrant_posts(sandbox)  # nobody was sent: the list must be fixed first


def test_every_row_is_accounted_for_only_when_the_rows_take_up_every_line_of_the_file() -> None:
    source = load('email,first name,Address\nana@x.org,Ana,"Calle 5\nBogotá"\n\n'
                  "luis@x.org,Luis,\n")
    counts = SyncCounts.of(source)
    counts.by_outcome[Outcome.ADDED] = 2
    assert (source.line_count, source.lines_read, source.multi_line_rows) == (5, 5, (2,))
    assert "= 2 = 2 input rows: every row is accounted for" in counts.summary()
    counts.lines_read -= 1  # a line no row took up: some row was not read
    assert counts.adds_up is False
    assert "accounted for" not in counts.summary()
    assert "take up 4 of the file's 5 lines: MISMATCH" in counts.summary()


# --- item 3: a call Zoom fails after its retries ------------------------------------------


class FaultyRig:
    """A webinar in the sandbox and a client whose chosen write calls meet a 5xx every time.

    The 5xx comes from the sandbox over HTTP: its ``error_rate`` fault is switched on just
    for the chosen requests (the run uses one worker, so nothing else overlaps them), or, with
    ``stay_down``, from the first chosen request on, for every call, as when Zoom is down.
    """

    def __init__(self, sandbox: Sandbox, tmp_path: Path) -> None:
        self.sandbox = sandbox
        self.client: ZoomClient = client_for(sandbox, retry=FAST_RETRY)
        self.webinar_id = make_webinar(self.client, automatic=True)
        self.ledger = SyncLedger(store_at(tmp_path), "ev", self.webinar_id)
        self.heal: Callable[[], None] = lambda: None

    def fail_posts(self, when: Callable[[Any], bool], *, stay_down: bool = False,
                   method_failing: str = "POST") -> None:
        session = self.client.transport.session
        send = session.request

        def request(method: str, url: str, **kwargs: Any) -> Any:
            if (method != method_failing or "registrants" not in url
                    or not when(kwargs.get("json"))):
                return send(method, url, **kwargs)
            self.sandbox.faults.error_rate = 1.0
            try:
                return send(method, url, **kwargs)
            finally:
                if not stay_down:
                    self.sandbox.faults.error_rate = 0.0

        session.request = request  # type: ignore[method-assign,assignment]
        self.heal = lambda: setattr(session, "request", send)

    def sync(self, text: str, rules: RegistrationRules | None = None) -> SyncReport:
        sync = RegistrantSync(self.client, self.webinar_id, ledger=self.ledger,
                              automatic_approval=True, workers=1)
        return sync.run(load(text, rules))


def _batch_with(email: str) -> Callable[[Any], bool]:
    return lambda body: any(p["email"] == email for p in body.get("registrants", []))


NAMES_ONLY = "email,first name\n" + "".join(f"p{i}@x.org,P{i}\n" for i in range(65))
WITH_COUNTRY = "email,first name,country\n" + "".join(
    f"p{i}@x.org,P{i},Colombia\n" for i in range(12))


def test_a_batch_zoom_fails_five_times_defers_only_its_people_and_the_run_goes_on(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = FaultyRig(sandbox, tmp_path)
    # The second batch of 30 (p30..p59) meets HTTP 500 on all five attempts.
    rig.fail_posts(_batch_with("p30@x.org"))
    report = rig.sync(NAMES_ONLY)  # no SyncAborted: the other batches went through
    failed = sorted(f"p{i}@x.org" for i in range(30, 60))
    assert sorted(d.registration.email for d in report.deferrals) == failed
    assert {d.reason for d in report.deferrals} == {DeferralReason.ZOOM_FAILED}
    assert all("HTTP 500" in d.detail for d in report.deferrals)
    assert report.counts[Outcome.ADDED] == 35 and report.counts[Outcome.DEFERRED] == 30
    assert report.counts.deferred_by_reason == {DeferralReason.ZOOM_FAILED: 30}
    assert report.counts.adds_up
    summary = report.counts.summary()
    assert "every row is accounted for" in summary
    assert f"{DeferralReason.ZOOM_FAILED.value}: 30" in summary
    assert DeferralReason.PERSON_DAILY_LIMIT.value not in summary
    assert len(emails_by_status(rig.client, rig.webinar_id)["approved"]) == 35
    batch_posts = [r for r in _registrant_posts(sandbox) if "batch" in r["path"]]
    assert len(batch_posts) == 3 + 4  # three batches, the failed one tried five times


def test_one_person_zoom_fails_five_times_is_deferred_and_the_others_are_registered(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = FaultyRig(sandbox, tmp_path)
    rig.fail_posts(lambda person: person.get("email") == "p3@x.org")
    report = rig.sync(WITH_COUNTRY, RegistrationRules(required_fields=frozenset({"country"})))
    (deferral,) = report.deferrals
    assert (deferral.registration.email, deferral.reason) == ("p3@x.org",
                                                              DeferralReason.ZOOM_FAILED)
    assert deferral.retry_at is None  # no known time: the next run tries again
    assert report.counts[Outcome.ADDED] == 11 and report.counts.adds_up
    assert "p3@x.org" not in emails_by_status(rig.client, rig.webinar_id)["approved"]
    # The next run, Zoom well again, registers them.
    rig.heal()
    again = RegistrantSync(rig.client, rig.webinar_id, ledger=rig.ledger,
                           automatic_approval=True).run(load(WITH_COUNTRY))
    assert again.counts[Outcome.ADDED] == 1 and not again.deferrals


def test_a_status_call_zoom_fails_defers_its_people_and_the_other_calls_go_on(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = FaultyRig(sandbox, tmp_path)
    rig.sync("email,first name\na@x.org,A\nb@x.org,B\nc@x.org,C\n")
    rig.fail_posts(lambda body: body.get("action") == "cancel", method_failing="PUT")
    report = rig.sync("email,first name,status\na@x.org,A,cancelled\nb@x.org,B,denied\n"
                      "c@x.org,C,\n")
    (deferral,) = report.deferrals
    assert (deferral.registration.email, deferral.reason) == ("a@x.org",
                                                              DeferralReason.ZOOM_FAILED)
    assert report.counts[Outcome.STATUS_CHANGED] == 1 and report.counts.adds_up
    status = emails_by_status(rig.client, rig.webinar_id)
    assert status["denied"] == ["b@x.org"] and status["approved"] == ["a@x.org", "c@x.org"]
    rig.heal()
    again = rig.sync("email,first name,status\na@x.org,A,cancelled\n")
    assert again.counts[Outcome.CANCELLED] == 1 and not again.deferrals


def test_a_zoom_that_is_down_stops_the_run_after_consecutive_failed_calls(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = FaultyRig(sandbox, tmp_path)
    rig.fail_posts(lambda person: True, stay_down=True)
    with pytest.raises(SyncAborted) as stopped:
        rig.sync(WITH_COUNTRY, RegistrationRules(required_fields=frozenset({"country"})))
    report = stopped.value.report
    assert report is not None and report.counts.adds_up
    by_reason = report.counts.deferred_by_reason
    assert by_reason == {DeferralReason.ZOOM_FAILED: STOP_AFTER_FAILED_CALLS,
                         DeferralReason.RUN_STOPPED: 12 - STOP_AFTER_FAILED_CALLS}
    tried = [d for d in report.deferrals if d.reason is DeferralReason.ZOOM_FAILED]
    assert [d.registration.row for d in tried] == list(range(2, 2 + STOP_AFTER_FAILED_CALLS))
    stopped_rows = [d for d in report.deferrals if d.reason is DeferralReason.RUN_STOPPED]
    assert all(f"{STOP_AFTER_FAILED_CALLS} calls in a row" in d.detail for d in stopped_rows)
    assert f"{STOP_AFTER_FAILED_CALLS} calls in a row" in str(stopped.value)
    # Each failed call was sent at least once and at most five times; then nothing more.
    adds = [r for r in _registrant_posts(sandbox) if r["path"].endswith("/registrants")]
    assert STOP_AFTER_FAILED_CALLS <= len(adds) <= STOP_AFTER_FAILED_CALLS * FAST_RETRY.attempts


# --- item 10: bidi overrides and control characters ---------------------------------------

HOSTILE_NAMES = (
    "email,first name,last name,Organisation\n"
    "ana@x.org,Ana\u202e,Sáe\x00nz,OIM\x07 Bogotá\n"
    "luis@x.org,\u2066Luis\u2069,Gó\x1bmez\x85,Cruz\u202aRoja\u202c\n"
    "eva\u202e@x.org,Eva,Denkers,GIZ\n"
    "max@x.\x00org,Max,Mustermann,GIZ\n"
)
CONTROLS = {chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20),
                             *range(0x7F, 0xA0), *range(0x202A, 0x202F),
                             *range(0x2066, 0x206A)]}


def test_bidi_overrides_and_control_characters_are_stripped_from_names_and_said() -> None:
    source = load(HOSTILE_NAMES)
    ana, luis = source.registrations
    assert (ana.first_name, ana.last_name, ana.answers["org"]) == ("Ana", "Sáenz", "OIM Bogotá")
    assert (luis.first_name, luis.last_name, luis.answers["org"]) == ("Luis", "Gómez",
                                                                      "CruzRoja")
    assert ("row 2: removed from first name: U+202E RIGHT-TO-LEFT OVERRIDE"
            in source.warnings)
    assert "row 2: removed from last name: U+0000 NULL" in source.warnings
    assert "row 2: removed from organisation: U+0007 BELL" in source.warnings
    assert any(w.startswith("row 3: removed from first name: U+2066 LEFT-TO-RIGHT ISOLATE, "
                            "U+2069 POP DIRECTIONAL ISOLATE") for w in source.warnings)
    reasons = {r.row: r.reason for r in source.rejections}
    assert reasons[4] == ("email contains an invisible control character "
                          "(U+202E RIGHT-TO-LEFT OVERRIDE); retype the address")
    assert reasons[5].startswith("email contains an invisible control character (U+0000 NULL)")


def test_no_control_character_reaches_zoom(sandbox: Sandbox, tmp_path: Path) -> None:
    client = client_for(sandbox)
    webinar_id = make_webinar(client, automatic=True)
    report = RegistrantSync(client, webinar_id, ledger=None, automatic_approval=True).run(
        load(HOSTILE_NAMES))
    assert report.counts[Outcome.ADDED] == 2 and report.counts[Outcome.REJECTED] == 2
    people = list(client.iter_registrants(webinar_id, "approved"))
    seen = "".join(f"{p.email}{p.first_name}{p.last_name}{p.org}" for p in people)
    assert sorted((p.first_name, p.last_name, p.org) for p in people) == [
        ("Ana", "Sáenz", "OIM Bogotá"), ("Luis", "Gómez", "CruzRoja")]
    assert sorted(p.email for p in people) == ["ana@x.org", "luis@x.org"]
    assert not CONTROLS & set(seen)


def test_a_name_that_is_only_control_characters_is_rejected_not_sent_empty() -> None:
    longest = "N" * MAX_NAME
    source = load(f"email,first name\nana@x.org,\u202e\x07\nmax@x.org,{longest}\u202e\x07\n")
    assert [(r.row, r.reason) for r in source.rejections] == [
        (2, "no first name (Zoom requires one)")]
    # Zoom's length limits count what is sent, after the characters are removed.
    assert [r.first_name for r in source.registrations] == [longest]


# --- item 11: a file that is not text; the source_rows cell --------------------------------


def _xlsx_bytes() -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["email", "first name"])
    book.active.append(["ana@x.org", "Ana"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_with(name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, "x")
    return out.getvalue()


@pytest.mark.parametrize(("make", "named"), [
    (_xlsx_bytes, "an Excel workbook (.xlsx)"),
    (lambda: _zip_with("content.xml"), "a ZIP file"),
    (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "an old Excel workbook (.xls)"),
    (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF document"),
])
def test_a_list_that_is_not_text_is_named_with_the_fix(
        tmp_path: Path, make: Callable[[], bytes], named: str) -> None:
    path = tmp_path / "inscripciones.csv"  # renamed: the extension says nothing
    path.write_bytes(make())
    with pytest.raises(SourceError) as refused:
        read_source(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: this is {named}, not a CSV or TSV text file")
    assert "CSV UTF-8" in message
    assert "PK" not in message and "\x00" not in message


def test_the_cli_names_a_renamed_xlsx_and_exits_2(sandbox: Sandbox, tmp_path: Path) -> None:
    event, env, _ = _prepare_cli(sandbox, tmp_path)
    source = tmp_path / "list.csv"
    source.write_bytes(_xlsx_bytes())
    run = _cli(event, source, tmp_path, env)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Excel workbook (.xlsx)" in run.stderr and "headers" not in run.stdout + run.stderr
    assert not _registrant_posts(sandbox)


def test_the_source_rows_cell_stays_within_excels_cell_limit() -> None:
    rows = tuple(range(2, 12_002))  # one person on 12,000 rows
    cell = RegistrantLine("a@x.org", "A", "", "approved", "", "r1", True, rows).cells()[-1]
    assert len(cell) <= EXCEL_CELL_LIMIT
    shown, _, rest = cell.partition(" … (and ")
    numbers = [int(n) for n in shown.split()]
    assert numbers == list(rows[: len(numbers)])
    assert rest == f"{len(rows) - len(numbers):,} more rows)"
    short = RegistrantLine("b@x.org", "B", "", "approved", "", "r2", True, (4, 7)).cells()[-1]
    assert short == "4 7"


def test_a_person_on_thousands_of_rows_gets_a_source_rows_cell_excel_can_hold(
        sandbox: Sandbox, tmp_path: Path) -> None:
    client = client_for(sandbox)
    webinar_id = make_webinar(client, automatic=True)
    text = "email,first name\n" + "ana@x.org,Ana\n" * 8000
    report = RegistrantSync(client, webinar_id, ledger=None, automatic_approval=True).run(
        load(text))
    assert report.counts[Outcome.MERGED] == 7999 and report.counts.adds_up
    out = tmp_path / "registrants.csv"
    write_registrants(out, report.lines)
    with out.open(encoding="utf-8-sig", newline="") as stream:
        (row,) = list(csv.DictReader(stream))
    assert len(row["source_rows"]) <= EXCEL_CELL_LIMIT
    assert row["source_rows"].startswith("2 3 4 ") and "more rows)" in row["source_rows"]
