"""The plan / apply / agenda commands end to end (typer runner, sandbox over HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from zoomorch.cli.main import app
from zoomorch.sandbox import Sandbox

SEED = str(Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml")


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("ZOOMORCH_STATE_URL", raising=False)
    return {**sandbox.env(), "ZOOMORCH_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200"}


def test_plan_then_apply_then_plan_in_sync(env: dict[str, str]) -> None:
    runner = CliRunner()
    before = runner.invoke(app, ["plan", SEED, "--start-at", "now+10m"], env=env)
    assert before.exit_code == 0, before.output
    assert "create webinar" in before.output
    assert "TBC: Mexico representative (TBC)" in before.output
    done = runner.invoke(app, ["apply", SEED, "--start-at", "2030-05-17T08:30-04:00"], env=env)
    assert done.exit_code == 0, done.output
    assert "webinar id:" in done.output and "/w/" in done.output
    assert "registration URL: http" in done.output
    after = runner.invoke(app, ["plan", SEED, "--start-at", "2030-05-17T08:30-04:00"], env=env)
    assert "webinar in sync" in after.output and "no write call" in after.output


def test_plan_reports_file_errors_with_exit_code_2(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(Path(SEED).read_text(encoding="utf-8").replace("minutes = 50", "minutes = 55"),
                   encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", str(bad)], env=env)
    assert result.exit_code == 2
    assert "agenda[2].minutes: segments overflow the webinar (65 of 60 minutes)" in result.output


def test_agenda_json_and_ics(env: dict[str, str], tmp_path: Path) -> None:
    ics = tmp_path / "run.ics"
    link = "https://zoom.example/webinar/register/WN_abc"
    result = CliRunner().invoke(app, ["agenda", SEED, "--json", "--ics", str(ics),
                                      "--join-url", link], env=env)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [s["title"] for s in document["segments"]] == [
        "Opening Remarks", "Interactive Dialogue", "Closing Remarks"]
    events = list(Calendar.from_ical(ics.read_bytes()).walk("VEVENT"))
    assert len(events) == 3
    assert {str(e["url"]) for e in events} == {link}
    table = CliRunner().invoke(app, ["agenda", SEED], env=env)
    assert "Buenos Aires" in table.output and "14:30–14:35" in table.output


def test_panelist_added_in_the_portal_shows_as_drift_by_email(
    env: dict[str, str], sandbox: Sandbox,
) -> None:
    runner = CliRunner()
    start = "2030-05-17T08:30-04:00"
    done = runner.invoke(app, ["apply", SEED, "--start-at", start], env=env)
    assert done.exit_code == 0, done.output
    webinar_id = int(done.output.split("webinar id:")[1].split()[0])
    sandbox.store.add_panelists(webinar_id, [{"name": "Portal Guest",
                                              "email": "portal.guest@example.org"}])
    result = runner.invoke(app, ["plan", SEED, "--start-at", start], env=env)
    assert result.exit_code == 0, result.output
    drift = result.output.split("Drift")[1]
    assert "portal.guest@example.org (Portal Guest)" in drift
    assert "{" not in drift.split("Panelists")[0]


def test_apply_on_an_account_without_interpretation_exits_non_zero_naming_the_setting(
        sandbox: Sandbox, env: dict[str, str]) -> None:
    sandbox.store.set_account({"language_interpretation": False})
    done = CliRunner().invoke(app, ["apply", SEED, "--start-at", "2030-05-17T08:30-04:00"],
                              env=env)
    assert done.exit_code == 1, done.output
    assert "webinar id:" in done.output  # the rest was applied
    assert "did not keep settings.language_interpretation" in done.output
    assert "Language interpretation" in done.output and "Account Settings" in done.output
    # Once the account has it, the same command finishes the job.
    sandbox.store.set_account({"language_interpretation": True})
    again = CliRunner().invoke(app, ["apply", SEED, "--start-at", "2030-05-17T08:30-04:00"],
                               env=env)
    assert again.exit_code == 0, again.output


def test_apply_past_the_hosts_daily_limit_says_when_it_resets(
        sandbox: Sandbox, env: dict[str, str]) -> None:
    for _ in range(100):  # today's creates/updates of the host are spent elsewhere
        sandbox.store.create_webinar("me", {"topic": "Another side event", "type": 5})
    done = CliRunner().invoke(app, ["apply", SEED, "--start-at", "2030-05-17T08:30-04:00"],
                              env=env)
    assert done.exit_code == 1, done.output
    assert "100 webinar creates and updates a day" in done.output
    assert "00:00 UTC" in done.output
