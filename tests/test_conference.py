"""A whole conference: a folder of event files on two Zoom accounts (two sandboxes), applied and
synced in one run each, with one pacer per account and a per-event table at the end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registrants_support import client_for, emails_by_status, store_at
from zoomorch.cli.main import app
from zoomorch.outcome import EXIT_DEFERRED, EXIT_INPUT, EXIT_OK
from zoomorch.sandbox import Sandbox
from zoomorch.zoom.client import ClientPool
from zoomorch.zoom.config import ZoomConfigError, load_settings

EVENTS = [f"ev-{n:02d}" for n in range(1, 21)]
BUSY = "busy.delegate@example.org"  # on every list: meets the per-person daily rule


def on_ilo(key: str) -> bool:
    return int(key[-2:]) % 2 == 1  # odd events on the "ilo" profile, even ones the default


def event_text(key: str, *, minutes: int = 60) -> str:
    account = 'account = "ilo"\n' if on_ilo(key) else ""
    return f'''key = "{key}"
{account}
[webinar]
title = "Side event {key}"
start = 2030-05-17T08:30:00-04:00
timezone = "America/New_York"
duration_minutes = 60

[[people]]
id = "chair-{key}"
name = "Chair {key}"
email = "chair.{key}@example.org"
roles = ["panelist"]
languages = ["EN"]
timezone = "America/New_York"

[[agenda]]
title = "Discussion"
minutes = {minutes}

[registration]
approval = "automatic"
'''


@pytest.fixture
def ilo() -> Iterator[Sandbox]:
    with Sandbox(account_id="acc-ilo", client_id="cid-ilo", client_secret="s3cret-ilo",
                 plan="pro", rate_limits=False) as sb:
        yield sb


@pytest.fixture
def env(sandbox: Sandbox, ilo: Sandbox, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("ZOOMORCH_STATE_DIR", raising=False)
    profile = {f"{name}__ILO": value for name, value in ilo.env().items()}
    return {**sandbox.env(), **profile, "ZOOM_PLAN": "pro", "ZOOM_PLAN__ILO": "pro",
            "ZOOMORCH_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}",
            "COLUMNS": "240"}


def table_rows(output: str, title: str) -> dict[str, list[str]]:
    """The per-event table's rows by their first cell (continuation lines skipped)."""
    rows: dict[str, list[str]] = {}
    for line in output.split(title, 1)[1].splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0] and cells[0] != "event":
            rows[cells[0]] = cells
    return rows


@pytest.mark.slow
def test_a_folder_of_20_events_on_two_accounts(
        sandbox: Sandbox, ilo: Sandbox, env: dict[str, str], tmp_path: Path) -> None:
    started = time.monotonic()
    folder = tmp_path / "config"
    folder.mkdir()
    for key in EVENTS:
        # ev-07 is broken: its agenda overflows the webinar.
        (folder / f"{key}.toml").write_text(event_text(key, minutes=90 if key == "ev-07"
                                                       else 60), encoding="utf-8")
    runner = CliRunner()

    first = runner.invoke(app, ["apply", str(folder)], env=env)
    assert first.exit_code == EXIT_INPUT, first.output
    rows = table_rows(first.output, "apply: per event")
    assert len(rows) == 20
    assert rows["ev-07.toml"][2] == "failed"
    assert "overflow" in first.output and "1 of 20 events failed: ev-07.toml" in first.output
    for key in EVENTS:
        if key == "ev-07":
            continue
        _, account, result, changes, _ = rows[key]
        assert (account, result) == ("ilo" if on_ilo(key) else "default", "ok"), rows[key]
        assert changes.startswith("create"), rows[key]

    (folder / "ev-07.toml").write_text(event_text("ev-07"), encoding="utf-8")
    second = runner.invoke(app, ["apply", str(folder)], env=env)
    assert second.exit_code == EXIT_OK, second.output
    rows = table_rows(second.output, "apply: per event")
    assert rows["ev-07"][1:3] == ["ilo", "ok"] and rows["ev-07"][3].startswith("create")
    assert {rows[k][3].split(" (")[0] for k in EVENTS if k != "ev-07"} == {"unchanged"}

    again = runner.invoke(app, ["apply", str(folder)], env=env)
    assert again.exit_code == EXIT_OK, again.output
    rows = table_rows(again.output, "apply: per event")
    assert len(rows) == 20 and {r[2] for r in rows.values()} == {"ok"}
    assert {r[3].split(" (")[0] for r in rows.values()} == {"unchanged"}

    # Each account got exactly its own ten webinars.
    store = store_at(tmp_path)
    for sb, mine in ((ilo, True), (sandbox, False)):
        client = client_for(sb)
        topics = sorted(w.topic for w in client.iter_webinars())
        assert topics == sorted(f"Side event {k}" for k in EVENTS if on_ilo(k) == mine)

    # Registrants: two people of each event's own, and one delegate on every list.
    lists = tmp_path / "lists"
    lists.mkdir()
    for key in EVENTS:
        (lists / f"{key}.csv").write_text(
            "email,first_name,last_name\n"
            f"a.{key}@example.org,Ana,{key}\nb.{key}@example.org,Ben,{key}\n"
            f"{BUSY},Busy,Delegate\n", encoding="utf-8")
    out = tmp_path / "out"
    synced = runner.invoke(app, ["registrants", "sync", str(folder), "--source-dir", str(lists),
                                 "--out", str(out)], env=env)
    assert synced.exit_code == EXIT_DEFERRED, synced.output  # deferred, not failed
    print(synced.output.split("registrants sync: per event", 1)[1])  # shown with -s
    rows = table_rows(synced.output, "registrants sync: per event")
    assert len(rows) == 20
    deferred = 0
    for key in EVENTS:
        _, account, result, changes, _ = rows[key]
        assert account == ("ilo" if on_ilo(key) else "default")
        sb = ilo if on_ilo(key) else sandbox
        webinar_id = store.webinar_id_for(key)
        assert webinar_id is not None
        approved = emails_by_status(client_for(sb), webinar_id)["approved"]
        assert changes.startswith("3 rows: "), rows[key]
        assert f"added {len(approved)}" in changes, (rows[key], approved)
        if BUSY in approved:
            assert result == "ok" and "deferred" not in changes
        else:
            assert result == "deferred" and "deferred 1" in changes, rows[key]
            deferred += 1
    # Zoom's rule: one person registered at most 3 times a day per account.
    assert deferred == 20 - 2 * 3
    assert "failed" not in {r[2] for r in rows.values()}

    # The same run again: nothing new to add; the delegate still waits for tomorrow.
    resync = runner.invoke(app, ["registrants", "sync", str(folder), "--source-dir",
                                 str(lists), "--out", str(out)], env=env)
    assert resync.exit_code == EXIT_DEFERRED, resync.output
    rows = table_rows(resync.output, "registrants sync: per event")
    assert len(rows) == 20 and not any("added" in r[3] for r in rows.values())
    assert sum(r[2] == "deferred" for r in rows.values()) == deferred
    assert time.monotonic() - started < 60


def test_one_pacer_per_account_shared_by_every_event_and_profile() -> None:
    environ = {"ZOOM_ACCOUNT_ID": "acc-a", "ZOOM_CLIENT_ID": "a", "ZOOM_CLIENT_SECRET": "x",
               "ZOOM_ACCOUNT_ID__ILO": "acc-b", "ZOOM_CLIENT_ID__ILO": "b",
               "ZOOM_CLIENT_SECRET__ILO": "y",
               # a second app of the same account as "ilo": same limits, same pacer
               "ZOOM_ACCOUNT_ID__ILO2": "acc-b", "ZOOM_CLIENT_ID__ILO2": "c",
               "ZOOM_CLIENT_SECRET__ILO2": "z", "ZOOM_PLAN__ILO2": "business"}
    with ClientPool(lambda p: load_settings(environ=environ, profile=p)) as pool:
        assert pool.client(None) is pool.client("default")
        assert pool.client("ilo") is pool.client("ilo")
        assert pool.client("ilo") is not pool.client(None)
        assert pool.limiter("ilo") is pool.limiter("ilo2")
        assert pool.limiter("ilo") is not pool.limiter(None)
        assert pool.client("ilo2").credentials.client_id == "c"


def test_a_profile_without_credentials_names_the_variables_to_set() -> None:
    with pytest.raises(ZoomConfigError) as caught:
        load_settings(environ={"ZOOM_ACCOUNT_ID": "acc", "ZOOM_CLIENT_ID": "a",
                               "ZOOM_CLIENT_SECRET": "x", "ZOOM_CLIENT_ID__UNEP": "u"},
                      profile="unep")
    message = str(caught.value)
    assert "account profile 'unep'" in message
    assert "ZOOM_ACCOUNT_ID__UNEP" in message and "ZOOM_CLIENT_SECRET__UNEP" in message
    assert "ZOOM_CLIENT_ID__UNEP" not in message


def test_one_event_file_on_a_profile_and_a_missing_profile(
        ilo: Sandbox, env: dict[str, str], tmp_path: Path) -> None:
    one = tmp_path / "ev-01.toml"
    one.write_text(event_text("ev-01"), encoding="utf-8")
    done = CliRunner().invoke(app, ["apply", str(one)], env=env)
    assert done.exit_code == EXIT_OK, done.output
    assert [w.topic for w in client_for(ilo).iter_webinars()] == ["Side event ev-01"]
    bare = {k: v for k, v in env.items() if "__ILO" not in k}
    refused = CliRunner().invoke(app, ["plan", str(one)], env=bare)
    assert refused.exit_code == EXIT_INPUT
    assert "ZOOM_ACCOUNT_ID__ILO" in refused.output


def test_source_names_one_list_only(env: dict[str, str], tmp_path: Path) -> None:
    for key in ("ev-02", "ev-04"):
        (tmp_path / f"{key}.toml").write_text(event_text(key), encoding="utf-8")
    listed = tmp_path / "list.csv"
    listed.write_text("email\na@example.org\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["registrants", "sync", str(tmp_path / "ev-02.toml"),
                                      str(tmp_path / "ev-04.toml"), "--source", str(listed)],
                                env=env)
    assert result.exit_code == EXIT_INPUT
    assert "--source-dir" in result.output


def test_doctor_checks_every_profile_the_folder_uses(
        sandbox: Sandbox, ilo: Sandbox, env: dict[str, str], tmp_path: Path) -> None:
    from zoomorch.doctor import Status, run_doctor

    folder = tmp_path / "config"
    folder.mkdir()
    for key in ("ev-01", "ev-02", "ev-03"):
        (folder / f"{key}.toml").write_text(event_text(key), encoding="utf-8")
    checks = {c.name: c for c in run_doctor([folder], environ=env).checks}
    for profile in ("default", "ilo"):
        for name in ("Zoom settings", "rate plan", "credentials", "scopes: setup",
                     "host user"):
            assert checks[f"account {profile}: {name}"].status is Status.OK, name
    assert "(used by ev-01, ev-03)" in checks["account ilo: scopes: setup"].detail
    assert "(used by ev-02)" in checks["account default: scopes: setup"].detail

    bare = {k: v for k, v in env.items() if "__ILO" not in k}
    failed = {c.name: c for c in run_doctor([folder], environ=bare).checks}
    assert failed["account ilo: Zoom settings"].status is Status.FAIL
    assert "ZOOM_CLIENT_SECRET__ILO" in failed["account ilo: Zoom settings"].detail
    assert failed["account default: credentials"].status is Status.OK
