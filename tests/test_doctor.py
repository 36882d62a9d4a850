"""`zoomorch doctor` against the sandbox over HTTP: full and reduced scopes, licences, Team
Chat's reach, secrets and the state store — each line ✓ or ✗ with its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zoomorch.cli.main import app
from zoomorch.sandbox import Sandbox
from zoomorch.scopes import DEFAULT_GRANTED

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "config" / "imrf-2022-latam.toml"
SAMPLE = REPO / "src" / "zoomorch" / "data" / "sample-registrations.csv"
BOARD_KEY = "k" * 48


def env_for(sb: Sandbox, tmp_path: Path) -> dict[str, str | None]:
    return {**sb.env(), "ZOOM_PLAN": "pro", "ZOOM_WEBHOOK_SECRET_TOKEN": "whsec-test",
            "ZOOMORCH_BOARD_SECRET": BOARD_KEY, "ZOOMORCH_STATE_DIR": str(tmp_path / "state"),
            "ZOOMORCH_STATE_URL": None, "ZOOMORCH_CHAT_SENDER": None}


def doctor(env: dict[str, str | None], *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    result = CliRunner().invoke(app, ["doctor", *args, "--json"], env=env)
    document = json.loads(result.stdout)
    return result.exit_code, {c["check"]: c for c in document["checks"]}


def test_doctor_passes_on_a_ready_account_with_every_scope(
        sandbox: Sandbox, tmp_path: Path) -> None:
    code, checks = doctor(env_for(sandbox, tmp_path), str(SEED))
    assert code == 0, checks
    assert checks["credentials"]["status"] == "ok"
    for feature in ("setup", "sync", "report"):
        assert checks[f"scopes: {feature}"]["status"] == "ok"
    assert checks["webinar feature"]["status"] == "ok"
    assert checks["interpretation imrf-2022-latam"]["status"] == "ok"
    assert checks["capacity imrf-2022-latam"]["status"] == "skip"  # no list named
    assert checks["state store"]["status"] == "ok"
    assert checks["Team Chat imrf-2022-latam"]["status"] == "skip"  # the seed leaves it off


def test_doctor_with_a_missing_scope_names_it_and_the_fix(tmp_path: Path) -> None:
    reduced = DEFAULT_GRANTED - {"report:read:admin"}
    with Sandbox(client_secret="s", rate_limits=False, scopes=reduced) as sb:
        code, checks = doctor(env_for(sb, tmp_path), str(SEED))
        human = CliRunner().invoke(app, ["doctor", str(SEED)], env=env_for(sb, tmp_path))
    assert code == 1
    report = checks["scopes: report"]
    assert report["status"] == "fail"
    assert "report:read:admin" in report["detail"]
    assert "docs/zoom-app.md" in report["fix"]
    assert checks["scopes: setup"]["status"] == "ok"
    assert "✗ scopes: report" in human.output and "fix:" in human.output


def test_doctor_catches_an_account_without_interpretation_or_webinars(
        sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.store.set_account({"language_interpretation": False, "webinar": False})
    code, checks = doctor(env_for(sandbox, tmp_path), str(SEED))
    assert code == 1
    assert checks["interpretation imrf-2022-latam"]["status"] == "fail"
    assert "Language interpretation" in checks["interpretation imrf-2022-latam"]["fix"]
    assert checks["webinar feature"]["status"] == "fail"


def test_doctor_tells_which_chat_recipients_zoom_can_reach(
        sandbox: Sandbox, tmp_path: Path) -> None:
    event = tmp_path / "event.toml"
    event.write_text(SEED.read_text(encoding="utf-8").replace(
        "zoom_chat = false ", '# zoom_chat = false').replace(
        "# [notifications.people]",
        '[notifications.zoom_chat]\nsender = "host@example.org"\n'
        'channel = "imrf-cues"\n\n# [notifications.people]'), encoding="utf-8")
    code, checks = doctor(env_for(sandbox, tmp_path), str(event))
    assert checks["Team Chat imrf-2022-latam"]["status"] == "ok"
    reach = checks["Team Chat reach imrf-2022-latam"]
    assert reach["status"] == "warn"
    assert "Ana María Diez" in reach["detail"] and "1 of" in reach["detail"]
    assert "channel" in reach["fix"]
    assert checks["scopes: chat_cues"]["status"] == "ok"
    assert code == 0  # warnings are worth a look, not a failure
    stranger = dict(env_for(sandbox, tmp_path), ZOOMORCH_CHAT_SENDER="nobody@ngo.example")
    code, checks = doctor(stranger, str(event))
    assert code == 1
    assert "not a user of this Zoom account" in checks["Team Chat imrf-2022-latam"]["detail"]


def test_doctor_compares_the_registration_list_with_the_webinar_capacity(
        sandbox: Sandbox, tmp_path: Path) -> None:
    event = tmp_path / "event.toml"
    event.write_text(SEED.read_text(encoding="utf-8")
                     + f'\n[registrants]\nsource = "{SAMPLE.as_posix()}"\n', encoding="utf-8")
    code, checks = doctor(env_for(sandbox, tmp_path), str(event))
    assert code == 0 and checks["capacity imrf-2022-latam"]["status"] == "ok"
    assert "307 rows" in checks["capacity imrf-2022-latam"]["detail"]
    sandbox.store.set_account({"webinar_capacity": 100})
    code, checks = doctor(env_for(sandbox, tmp_path), str(event))
    assert code == 1 and checks["capacity imrf-2022-latam"]["status"] == "fail"


@pytest.mark.parametrize("unset", ["ZOOM_PLAN", "ZOOM_WEBHOOK_SECRET_TOKEN"])
def test_doctor_fails_without_the_rate_plan_or_the_webhook_secret(
        sandbox: Sandbox, tmp_path: Path, unset: str) -> None:
    env = env_for(sandbox, tmp_path)
    env[unset] = None
    code, checks = doctor(env, str(SEED))
    assert code == 1
    failed = [c for c in checks.values() if c["status"] == "fail"]
    assert len(failed) == 1 and unset in failed[0]["fix"] + failed[0]["detail"]


def test_doctor_with_bad_credentials_says_so(sandbox: Sandbox, tmp_path: Path) -> None:
    env = dict(env_for(sandbox, tmp_path), ZOOM_CLIENT_SECRET="wrong")
    code, checks = doctor(env)
    assert code == 1 and checks["credentials"]["status"] == "fail"
    assert "ZOOM_CLIENT_SECRET" in checks["credentials"]["fix"]


def test_doctor_reads_the_registration_list_as_the_sync_does_and_names_a_broken_one(
        sandbox: Sandbox, tmp_path: Path) -> None:
    broken = tmp_path / "list.csv"
    broken.write_bytes(b"\xff\xfe\x00garbage\x00")  # neither text nor a table
    event = tmp_path / "event.toml"
    event.write_text(SEED.read_text(encoding="utf-8")
                     + '\n[registrants]\nsource = "list.csv"\n', encoding="utf-8")
    code, checks = doctor(env_for(sandbox, tmp_path), str(event))
    assert code == 1 and checks["capacity imrf-2022-latam"]["status"] == "fail"
    assert "list.csv" in checks["capacity imrf-2022-latam"]["detail"]
