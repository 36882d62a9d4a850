"""`zoomorch demo` and `zoomorch rehearse`, run as the console command would be (subprocesses
of `python -m zoomorch`), against the in-process sandbox they start themselves."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from zoomorch.demo import bundled
from zoomorch.event import load_event
from zoomorch.registrants.command import load_list

ROOT = Path(__file__).resolve().parents[1]
SEED_EVENT = ROOT / "config" / "imrf-2022-latam.toml"


def _zoomorch(*args: str, cwd: Path, timeout: float = 110) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    for name in list(env):
        if name.startswith(("ZOOM_", "ZOOMORCH_")):
            del env[name]  # the demo needs no credentials, and must not pick any up
    return subprocess.run([sys.executable, "-m", "zoomorch", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


# --------------------------------------------------------------------------- bundled data


def test_bundled_seed_event_is_the_config_file() -> None:
    with bundled("events/imrf-2022-latam.toml") as shipped:
        assert shipped.read_bytes() == SEED_EVENT.read_bytes(), (
            "src/zoomorch/data/events/imrf-2022-latam.toml differs from config/: copy it over")


def test_sample_list_is_what_the_seeded_script_makes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_sample_registrations", ROOT / "scripts" / "make_sample_registrations.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.OUT = tmp_path / "sample.csv"
    script.main()
    with bundled("sample-registrations.csv") as shipped:
        assert shipped.read_bytes() == script.OUT.read_bytes()


def test_sample_list_has_hundreds_of_people_and_a_handful_of_reported_bad_rows() -> None:
    spec = load_event(SEED_EVENT)
    with bundled("sample-registrations.csv") as path:
        people, _ = load_list(spec, path)
    assert people.data_rows > 250
    reasons = " | ".join(r.reason for r in people.rejections)
    assert "no email" in reasons and "malformed email" in reasons
    assert "unknown status" in reasons
    assert len(people.rejections) <= 8
    assert len(people.merges) == 1  # the same email in capitals
    assert len(people.registrations) + len(people.rejections) + len(people.merges) == \
        people.data_rows
    emails = [r.email for r in people.registrations]
    assert all(e.rsplit("@", 1)[1] in ("example.org", "example.com", "example.net")
               for e in emails)
    assert {r.language.value for r in people.registrations if r.language} == {"ES", "EN", "FR"}
    assert any(ch in "áéíóúñçèêëàâîïôûü" for r in people.registrations
               for ch in (r.first_name + r.last_name).lower())


# --------------------------------------------------------------------------- end to end


def test_demo_runs_the_seed_event_end_to_end_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _zoomorch("demo", "--speed", "600", "--out", str(out),
                     "--state-dir", str(tmp_path / "state"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    text = done.stdout
    # setup: the webinar with interpretation, panelists, the TBC flag; the sync's bad rows
    assert "webinar id" in text and "interpretation on: Spanish, English, French" in text
    assert "TBC" in text
    assert "rejected row" in text and "counts add up" in text
    # a strict account: one person already registered 3 times today is deferred, not fatal;
    # Team Chat reaches the sender's contacts and the channel, the others fall back
    assert "deferred row" in text and "Zoom's per-person daily limit" in text
    assert "retry after" in text and "00:00 UTC" in text
    assert "cues posted to #imrf-side-event-cues" in text and "fell back to the cue board" in text
    assert (out / "registrants" / "registrants-imrf-2022-latam-deferred.csv").is_file()
    # live: cues as they fire, the webhook fixing the start, the host's actions, the board
    for kind in ("segment_start", "warning", "time_up", "hard_stop"):
        assert f"cue {kind}" in text, kind
    assert "signed webinar.started webhook verified" in text
    assert "host: `next`" in text and "ends the webinar through the Zoom API" in text
    assert "/board/imrf-2022-latam?token=" in text

    report = out / "report"
    html = report / "imrf-2022-latam-attendance.html"
    xlsx = report / "imrf-2022-latam-attendance.xlsx"
    assert html.stat().st_size > 5_000 and "Interactive Dialogue" in html.read_text("utf-8")
    assert xlsx.read_bytes()[:2] == b"PK" and xlsx.stat().st_size > 5_000
    people = (report / "imrf-2022-latam-people.csv").read_text("utf-8").splitlines()
    assert len(people) > 50
    assert (out / "registrants" / "registrants-imrf-2022-latam-rejects.csv").is_file()

    summary = json.loads((out / "demo-summary.json").read_text("utf-8"))
    assert summary["sync_adds_up"] and summary["rejected_rows"] >= 5
    assert summary["deferred_rows"] == 1 and summary["chat_fell_back"] > 0
    assert summary["registered"] >= 290
    truth = summary["truth_attendees"]
    assert truth > 50
    assert abs(summary["attended"] - truth) <= max(5, truth // 10)
    assert 0 < summary["peak"] <= summary["attended"]
    assert summary["best_segment"] in ("Opening Remarks", "Interactive Dialogue",
                                       "Closing Remarks")
    assert summary["cues_delivered"] > 20 and summary["ended_at"] is not None


def test_rehearse_runs_any_event_file_with_checklist_timeline_and_mock_report(
        tmp_path: Path) -> None:
    event = tmp_path / "tiny.toml"
    event.write_text('''key = "tiny-rehearsal"

[webinar]
title = "Tiny rehearsal"
start = 2030-05-17T08:30:00-04:00
timezone = "America/New_York"
duration_minutes = 20

[[people]]
id = "host"
name = "Host"
email = "host@example.org"
roles = ["host"]
timezone = "America/New_York"
languages = ["English"]

[[people]]
id = "ana"
name = "Ana Pérez"
email = "ana@example.org"
roles = ["moderator"]
timezone = "America/Bogota"
languages = ["Spanish"]

[[people]]
id = "tbc"
name = "Speaker (TBC)"
roles = ["panelist"]
timezone = "Europe/Paris"
languages = ["French"]
tbc = true

[[agenda]]
title = "Welcome"
minutes = 4
speakers = ["host"]

[[agenda]]
title = "Panel"
minutes = 12
moderator = "ana"

[[agenda]]
title = "Closing"
minutes = 4

[cues]
tech_check_before = 2
doors_open_before = 1
''', encoding="utf-8")
    registrations = tmp_path / "list.csv"
    registrations.write_text(
        "Correo electrónico,Nombre,Apellido,Estado\n"
        + "".join(f"persona{i}@example.net,Persona,Número {i},aprobado\n" for i in range(12))
        + "sin-arroba.example.net,Mal,Correo,aprobado\n", encoding="utf-8")
    out = tmp_path / "mock"
    done = _zoomorch("rehearse", str(event), "--speed", "480", "--out", str(out),
                     "--registrations", str(registrations), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    text = done.stdout
    assert "the event file is valid" in text and "Speaker (TBC): TBC" in text
    assert "Cue timeline" in text and "hard_stop" in text
    assert "rejected row 14" in text
    assert "cue time_up" in text and "host: `next` → Panel" in text
    summary = json.loads((out / "demo-summary.json").read_text("utf-8"))
    assert summary["event"] == "tiny-rehearsal" and summary["registered"] == 12
    assert (out / "report" / "tiny-rehearsal-attendance.html").stat().st_size > 2_000


def test_rehearse_refuses_an_invalid_event_file_naming_the_field(tmp_path: Path) -> None:
    event = tmp_path / "bad.toml"
    event.write_text('[webinar]\ntitle = "x"\nstart = 2030-05-17T08:30:00-04:00\n'
                     'timezone = "Mars/Olympus"\nduration_minutes = 20\n\n'
                     '[[agenda]]\ntitle = "All"\nminutes = 20\n', encoding="utf-8")
    done = _zoomorch("rehearse", str(event), cwd=tmp_path, timeout=30)
    assert done.returncode == 2
    assert "webinar.timezone" in done.stderr and "Traceback" not in done.stderr


def test_ctrl_c_during_the_live_event_stops_the_demo_cleanly(tmp_path: Path) -> None:
    when = "live: the event"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "ZOOMORCH_"))}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "zoomorch", "demo", "--speed", "600", "--out",
         str(tmp_path / "out")], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    reached = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if when in line:
                reached.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert reached.wait(60), "".join(seen)[-2000:]
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.stderr is not None
    stderr = process.stderr.read()
    reader.join(5)
    assert code == 130, stderr[-2000:]
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert "Traceback" not in "".join(seen)
