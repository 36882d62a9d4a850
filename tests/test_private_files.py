"""Files that hold personal data are private from their first byte (issue 16, item 5).

The state database (emails, personal join links) and every file zoomorch writes with people
in it — the registrants CSV with join links, rejected and deferred rows, the report in every
format, the demo's summary — are created 0600, or stricter when the umask says so, never
wider; and a world-readable database from an older zoomorch is narrowed when it is opened.
"""

from __future__ import annotations

import ast
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from zoomorch.db.store import open_store
from zoomorch.private_files import open_private, write_private_bytes, write_private_text
from zoomorch.registrants.normalise import Rejection
from zoomorch.registrants.output import (
    RegistrantLine,
    write_deferred,
    write_registrants,
    write_rejects,
)
from zoomorch.report.attendance import (
    ParticipantJoin,
    PlannedSegment,
    RegistrantAnswers,
    Roster,
    WebinarRun,
    build_report,
)
from zoomorch.report.export_csv import write_csv_tables
from zoomorch.report.export_html import write_html
from zoomorch.report.export_xlsx import write_xlsx
from zoomorch.report.tables import report_tables
from zoomorch.safe_csv import write_csv

SRC = Path(__file__).resolve().parents[1] / "src" / "zoomorch"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    """Run the test under the usual umask 022 (world-readable by default); restore after."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _with_umask(value: int) -> int:
    return os.umask(value)


# -- the state database -------------------------------------------------------------------


@pytest.mark.usefixtures("umask")
def test_a_new_state_database_and_its_wal_files_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "state" / "zoomorch.sqlite3"
    store = open_store(f"sqlite:///{path}")
    try:
        with store.session() as session:  # a write, so that the WAL and its index exist
            session.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
            session.execute(text("INSERT INTO probe VALUES (1)"))
        companions = [Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(p.exists() for p in companions)
        assert mode(path) == 0o600
        assert [mode(p) for p in companions] == [0o600, 0o600]
        assert mode(path.parent) == 0o700  # a state directory zoomorch created itself
    finally:
        store.close()


@pytest.mark.usefixtures("umask")
def test_a_world_readable_database_is_narrowed_on_open_with_a_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "zoomorch.sqlite3"
    sqlite3.connect(path).close()  # what an older zoomorch left: SQLite's default 0644
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="zoomorch.db"):
        store = open_store(f"sqlite:///{path}")
    store.close()
    assert mode(path) == 0o600
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("zoomorch.db")]
    assert any(str(path) in line and "0644" in line and "0600" in line for line in lines), lines


@pytest.mark.usefixtures("umask")
def test_a_private_database_is_left_alone(tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "zoomorch.sqlite3"
    open_store(f"sqlite:///{path}").close()
    path.chmod(0o400 | 0o200)
    with caplog.at_level(logging.WARNING, logger="zoomorch.db"):
        open_store(f"sqlite:///{path}").close()
    assert mode(path) == 0o600
    assert not [r for r in caplog.records if r.name.startswith("zoomorch.db")]


def test_a_stricter_umask_is_respected_for_the_database(tmp_path: Path) -> None:
    old = _with_umask(0o077)
    try:
        path = tmp_path / "zoomorch.sqlite3"
        open_store(f"sqlite:///{path}").close()
    finally:
        os.umask(old)
    assert mode(path) == 0o600


# -- the files people get -------------------------------------------------------------------


def _report_files(out: Path) -> list[Path]:
    start = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
    webinar = WebinarRun(topic="Rivers", start=start, end=start + timedelta(minutes=60),
                         planned_start=start, webinar_id=81234567890,
                         host_email="host@example.org")
    regs = [RegistrantAnswers("r1", "ana@x.org", "Ana", "Sáenz", country="DE")]
    rows = [ParticipantJoin("Ana Sáenz", "ana@x.org", start, start + timedelta(minutes=50),
                            "r1")]
    report = build_report(webinar, rows, regs, Roster(), as_of=start + timedelta(minutes=60),
                          segments=[PlannedSegment("All", start,
                                                   start + timedelta(minutes=60))])
    zone = ZoneInfo("Europe/Berlin")
    tables = report_tables(report, zone)
    files = write_csv_tables(tables, out, "water")
    files.append(write_xlsx(tables, out / "water-attendance.xlsx"))
    files.append(write_html(report, tables, zone, out / "water-attendance.html"))
    return files


def _registrant_files(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    line = RegistrantLine("ana@x.org", "Ana", "Sáenz", "approved",
                          "https://zoom.example/w/1?tk=personal", "r1", True, (2,))
    write_registrants(out / "registrants-x.csv", [line])
    write_rejects(out / "registrants-x-rejects.csv", ["email", "name"],
                  [Rejection(row=3, reason="malformed email", email="bo@",
                             cells={"email": "bo@", "name": "Bo"})])
    write_deferred(out / "registrants-x-deferred.csv", [])
    return sorted(out.glob("registrants-*.csv"))


@pytest.mark.usefixtures("umask")
def test_report_files_are_0600(tmp_path: Path) -> None:
    files = _report_files(tmp_path / "report")
    assert len(files) >= 3 and {p.suffix for p in files} == {".csv", ".xlsx", ".html"}
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


@pytest.mark.usefixtures("umask")
def test_registrant_files_are_0600(tmp_path: Path) -> None:
    files = _registrant_files(tmp_path / "out")
    assert len(files) == 3
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


@pytest.mark.usefixtures("umask")
def test_rewriting_a_world_readable_file_makes_it_private(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("old,content\n", encoding="utf-8")
    path.chmod(0o644)
    write_csv(path, ["email"], [["ana@x.org"]])
    assert mode(path) == 0o600
    assert path.read_bytes().decode("utf-8-sig") == "email\r\nana@x.org\r\n"


def test_a_stricter_umask_is_respected_for_files(tmp_path: Path) -> None:
    old = _with_umask(0o277)  # owner may read, nobody may write, others nothing
    try:
        write_private_text(tmp_path / "a.json", "{}\n")
        write_private_bytes(tmp_path / "b.bin", b"\x00")
        write_csv(tmp_path / "c.csv", ["email"], [["ana@x.org"]])
    finally:
        os.umask(old)
    assert [mode(tmp_path / n) for n in ("a.json", "b.bin", "c.csv")] == [0o400] * 3
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == "{}\n"


@pytest.mark.usefixtures("umask")
def test_open_private_writes_text_and_bytes(tmp_path: Path) -> None:
    with open_private(tmp_path / "t.txt", "w", encoding="utf-8") as fh:
        fh.write("Sáenz\n")
    with open_private(tmp_path / "b.bin", "wb") as fb:
        fb.write(b"\x01\x02")
    assert (tmp_path / "t.txt").read_text(encoding="utf-8") == "Sáenz\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x01\x02"
    assert mode(tmp_path / "t.txt") == mode(tmp_path / "b.bin") == 0o600
    with pytest.raises(ValueError, match="writing"):
        open_private(tmp_path / "t.txt", "r")


@pytest.mark.usefixtures("umask")
def test_the_sandbox_state_file_is_private(tmp_path: Path) -> None:
    from zoomorch.sandbox.store.facade import SandboxStore

    state = tmp_path / "sandbox.json"
    SandboxStore("acct", state_file=state).save()
    assert mode(state) == 0o600


# -- no new way of writing a file around the helper ------------------------------------------

# Every place in src/zoomorch that writes a file, and why it may do so without
# zoomorch.private_files. Anything else must go through the helper.
ALLOWED_WRITERS = {
    ("private_files.py", "os.open"): "the helper itself",
    ("board/tokens.py", "os.open"): "board.key: os.open(..., 0o600) with O_EXCL",
    ("sandbox/store/facade.py", "tempfile.mkstemp"): "mkstemp creates 0600; then os.replace",
    ("plan_view.py", "write_bytes"): "the agenda's .ics: titles and times, no people",
    # serve's SQLite lock: a pid, no people; opened 0600 and not truncated before the flock,
    # so a refused second serve can still name the holder.
    ("db/store.py", "os.open"): "state.sqlite3.serve.lock: os.open(..., 0o600), a pid only",
    ("db/store.py", "open"): "the same lock's handle (open of the os.open descriptor)",
}


def _writers(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (f"{func.value.id}.{func.attr}" if isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name) else
                func.attr if isinstance(func, ast.Attribute) else
                func.id if isinstance(func, ast.Name) else "")
        short = name.rsplit(".", 1)[-1]
        if short in ("write_text", "write_bytes", "mkstemp", "NamedTemporaryFile"):
            yield name if "." in name and short == "mkstemp" else short
        elif name == "os.open":
            yield name
        elif short == "open" and name != "os.open":
            modes = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
            modes += [k.value.value for k in node.keywords
                      if k.arg == "mode" and isinstance(k.value, ast.Constant)]
            if isinstance(func, ast.Attribute) and not node.args[:1] and not modes:
                continue  # path.open() reads
            if any(isinstance(m, str) and set(m) & set("wax+") for m in modes):
                yield "open"
        elif short == "save" and isinstance(func, ast.Attribute) and node.args:
            first = node.args[0]
            if not (isinstance(first, ast.Name) and first.id in ("stream", "fh", "fb")):
                yield "save(path)"


def test_every_file_zoomorch_writes_goes_through_the_private_helper() -> None:
    found = {(str(p.relative_to(SRC)), w) for p in SRC.rglob("*.py") for w in _writers(p)}
    unexpected = sorted(found - set(ALLOWED_WRITERS))
    assert not unexpected, (
        f"files written without zoomorch.private_files: {unexpected}; use open_private / "
        "write_private_text / write_private_bytes, or add the place to ALLOWED_WRITERS with "
        "the reason it holds no personal data or is already private")
