"""`zoomorch registrants sync` end to end: as a subprocess against the sandbox, killed mid-run."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registrants_support import EVENT_KEY, client_for, make_webinar, store_at, write_event
from zoomorch.sandbox import Sandbox

QUESTIONS = '''
[[registration.questions]]
field = "country"
required = true

[[registration.custom_questions]]
title = "Preferred language"
type = "single_radio"
required = true
answers = ["Español", "English", "Français"]
'''


def prepare(
    sandbox: Sandbox, tmp_path: Path, *, questions: str = ""
) -> tuple[Path, dict[str, str], int]:
    client = client_for(sandbox)
    webinar_id = make_webinar(client, automatic=True)
    store_at(tmp_path).save_binding(EVENT_KEY, webinar_id=webinar_id)
    env = {**os.environ, **sandbox.env(),
           "ZOOMORCH_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}",
           "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    return write_event(tmp_path, questions=questions), env, webinar_id


def command(event: Path, source: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "zoomorch.cli.main", "registrants", "sync", str(event),
            "--source", str(source), "--out", str(out), *extra]


def test_cli_syncs_a_spanish_cp1252_export_and_accounts_for_every_row(
        sandbox: Sandbox, tmp_path: Path) -> None:
    event, env, _ = prepare(sandbox, tmp_path, questions=QUESTIONS)
    source = tmp_path / "inscripciones.csv"
    source.write_bytes((
        "Correo;Nombre;Apellidos;País;Idioma preferido\r\n"
        "ana@x.org;Ana;Sáenz;Colombia;español\r\n"
        "ANA@x.org ;Ana;Sáenz;Colombia;ES\r\n"
        ";Sin correo;X;Perú;ES\r\n"
        "luis@x.org;Luis;Gómez;;EN\r\n"
        "marco@x.org;=cmd|' /C calc'!A0;Ruggirello;Italia;FR\r\n"
    ).encode("cp1252"))
    dry = subprocess.run(command(event, source, tmp_path, "--dry-run"), env=env,
                         capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "would add: 2" in dry.stdout and not (tmp_path / f"registrants-{EVENT_KEY}.csv").exists()

    run = subprocess.run(command(event, source, tmp_path), env=env, capture_output=True,
                         text=True, encoding="utf-8", timeout=60)
    assert run.returncode == 0, run.stderr
    assert "rejected row 4: no email" in run.stdout
    assert "rejected row 5: missing required answer 'country'" in run.stdout
    assert "row 3 has the same email as row 2" in run.stdout
    assert "= 5 input rows: every row is accounted for" in run.stdout

    with (tmp_path / f"registrants-{EVENT_KEY}.csv").open(encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["email"], r["last_name"], r["status"]) for r in rows] == [
        ("ana@x.org", "Sáenz", "approved"), ("marco@x.org", "Ruggirello", "approved")]
    assert rows[1]["first_name"].startswith("'=")
    assert all(r["join_url"].startswith("http") for r in rows)
    with (tmp_path / f"registrants-{EVENT_KEY}-rejects.csv").open(encoding="utf-8-sig") as stream:
        rejects = list(csv.DictReader(stream))
    assert [(r["row"], r["Apellidos"]) for r in rejects] == [("4", "X"), ("5", "Gómez")]


@pytest.mark.slow
def test_kill_9_mid_sync_then_rerun_leaves_exactly_one_registrant_per_person(
        sandbox: Sandbox, tmp_path: Path) -> None:
    event, env, webinar_id = prepare(sandbox, tmp_path)
    people = 600
    source = tmp_path / "list.csv"
    source.write_text("email,first name,last name\n" + "".join(
        f"p{i}@example.org,P{i},Denkers\n" for i in range(people)), encoding="utf-8")
    sandbox.faults.update({"latency_ms": 150})
    process = subprocess.Popen(command(event, source, tmp_path), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        posts = [r for r in sandbox.requests_log()
                 if r["method"] == "POST" and r["path"].endswith("/batch_registrants")]
        if len(posts) >= 4:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    sandbox.faults.clear()
    registered_at_kill = len(list(client_for(sandbox).iter_registrants(webinar_id, "approved")))
    assert 0 < registered_at_kill < people

    rerun = subprocess.run(command(event, source, tmp_path), env=env, capture_output=True,
                           text=True, encoding="utf-8", timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"= {people} input rows: every row is accounted for" in rerun.stdout
    emails = [r.email for r in client_for(sandbox).iter_registrants(webinar_id, "approved")]
    assert len(emails) == len(set(emails)) == people

    again = subprocess.run(command(event, source, tmp_path), env=env, capture_output=True,
                           text=True, encoding="utf-8", timeout=60)
    assert "already present: 600" in again.stdout and "0 write" in again.stdout


@pytest.mark.slow
def test_ctrl_c_mid_sync_stops_within_seconds_and_a_rerun_converges(
        sandbox: Sandbox, tmp_path: Path) -> None:
    from zoomorch.registrants.ledger import SENDING, RegistrantSyncCall, RegistrantSyncRun

    event, env, webinar_id = prepare(sandbox, tmp_path, questions=QUESTIONS)
    people = 200
    source = tmp_path / "list.csv"
    # Answers go one call per person (the batch endpoint takes names only): a long queue.
    source.write_text("email,first name,last name,country,preferred language\n" + "".join(
        f"p{i}@example.org,P{i},Denkers,Colombia,Español\n" for i in range(people)),
        encoding="utf-8")
    sandbox.faults.update({"latency_ms": 100})
    process = subprocess.Popen(command(event, source, tmp_path), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               encoding="utf-8")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        adds = [r for r in sandbox.requests_log()
                if r["method"] == "POST" and r["path"].endswith("/registrants")]
        if len(adds) >= 12:
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    interrupted_at = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    took = time.monotonic() - interrupted_at
    sandbox.faults.clear()
    assert process.returncode == 130, out + err
    assert took < 2.5, f"Ctrl-C took {took:.1f} s to stop the sync"
    assert "Traceback" not in err and "Traceback" not in out
    assert "Interrupted: the calls already sent are recorded; run the same command again" in err
    registered = len(list(client_for(sandbox).iter_registrants(webinar_id, "approved")))
    assert 0 < registered < people
    with store_at(tmp_path).session() as session:
        calls = list(session.query(RegistrantSyncCall))
        runs = list(session.query(RegistrantSyncRun))
    # Every call that left was answered and recorded; none is left open for a re-run to guess.
    assert calls and not [c for c in calls if c.state == SENDING]
    assert len([c for c in calls if c.kind == "add"]) == registered
    assert [r.outcome for r in runs] == ["interrupted"]

    rerun = subprocess.run(command(event, source, tmp_path), env=env, capture_output=True,
                           text=True, encoding="utf-8", timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"= {people} input rows: every row is accounted for" in rerun.stdout
    assert f"already present: {registered}" in rerun.stdout
    emails = [r.email for r in client_for(sandbox).iter_registrants(webinar_id, "approved")]
    assert len(emails) == len(set(emails)) == people


def test_cli_defers_a_person_registered_three_times_today_and_exits_3(
        sandbox: Sandbox, tmp_path: Path) -> None:
    event, env, _ = prepare(sandbox, tmp_path)
    client = client_for(sandbox)
    for _ in range(3):  # three other side events of the forum, the same account, today
        other = make_webinar(client, automatic=True)
        client.add_registrant(other, {"email": "busy@x.org", "first_name": "Busy"})
    source = tmp_path / "list.csv"
    source.write_text("email,first name\nana@x.org,Ana\nbusy@x.org,Busy\nluis@x.org,Luis\n",
                      encoding="utf-8")
    run = subprocess.run(command(event, source, tmp_path), env=env, capture_output=True,
                         text=True, encoding="utf-8", timeout=60)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "deferred row 3: busy@x.org: Zoom's per-person daily limit" in run.stdout
    assert "retry after" in run.stdout and "00:00 UTC" in run.stdout
    assert "added: 2" in run.stdout and "deferred: 1" in run.stdout
    assert "= 3 input rows: every row is accounted for" in run.stdout
    assert "run the same command again after" in run.stderr and "exit code 3" in run.stderr
    with (tmp_path / f"registrants-{EVENT_KEY}-deferred.csv").open(encoding="utf-8-sig") as f:
        (row,) = list(csv.DictReader(f))
    assert (row["row"], row["email"], row["reason"]) == ("3", "busy@x.org",
                                                         "Zoom's per-person daily limit")
    assert row["retry_after_utc"].endswith("T00:00:00+00:00")
