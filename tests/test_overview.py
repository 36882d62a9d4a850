"""The conference overview: the overview link (its own role), the JSON snapshot and the page
of a running service, and `zoomorch status` on a folder of event files."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from service_support import BOARD_KEY, live_agenda, running_service, store_at
from zoomorch.board.overview import behind_text, overview_state
from zoomorch.board.tokens import BoardAuthError, BoardTokens
from zoomorch.live.state import next_segment

TOKENS = BoardTokens(BOARD_KEY)
SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"


def test_an_overview_link_opens_the_overview_and_no_board() -> None:
    token = TOKENS.issue_overview(timedelta(hours=2), language="es")
    g = TOKENS.verify(token, None, "overview")
    assert (g.role, g.events, g.language) == ("overview", None, "es")
    with pytest.raises(BoardAuthError) as refused:
        TOKENS.verify(token, "any-event", "viewer")
    assert (refused.value.status, refused.value.reason) == (403, "overview_only")
    with pytest.raises(BoardAuthError) as board:
        TOKENS.verify(TOKENS.issue("any-event", "controller"), None, "overview")
    assert (board.value.status, board.value.reason) == (403, "not_overview")
    scoped = TOKENS.verify(TOKENS.issue_overview(events=["b", "a"]), None, "overview")
    assert scoped.events == ("a", "b")
    with pytest.raises(ValueError, match="7 days"):
        TOKENS.issue_overview(timedelta(days=8))


def test_behind_text() -> None:
    assert [behind_text(s) for s in (None, 0.4, 210, 3725)] == ["", "", "3:30", "1:02:05"]


def test_phases_live_late_and_overrun(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    live = live_agenda("ov-live", started_minutes_ago=1)
    late = live_agenda("ov-late", started_minutes_ago=2)
    over = live_agenda("ov-over", started_minutes_ago=7, minutes=(5, 10, 5))
    now = datetime.now(UTC)
    next_segment(store, "ov-live", now - timedelta(minutes=1), agenda=live)
    next_segment(store, "ov-over", now - timedelta(minutes=7), agenda=over)
    rows = {r["event"]: r for r in overview_state(store, [live, late, over])["events"]}
    assert rows["ov-live"]["phase"] == "live"
    assert rows["ov-live"]["current"]["title"] == "Segment 0"
    assert rows["ov-late"]["phase"] == "late" and rows["ov-late"]["current"] is None
    assert rows["ov-late"]["behind_seconds"] > 100  # not started, 2 min past the start
    assert rows["ov-over"]["phase"] == "overrun"  # segment 0 (5 min) has run for 7
    assert rows["ov-over"]["behind_seconds"] >= 110
    assert rows["ov-live"]["next_cue"]["due"] > rows["ov-live"]["actual_start"]


def test_the_json_endpoint_needs_an_overview_link(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    agendas = [live_agenda("ov-a", started_minutes_ago=1), live_agenda("ov-b")]
    with running_service(store, agendas) as service:
        url = f"{service.base_url}/overview/state"
        assert httpx.get(url).status_code == 401
        viewer = httpx.get(url, params={"token": TOKENS.issue("ov-a", "viewer")})
        assert (viewer.status_code, viewer.json()["reason"]) == (403, "not_overview")
        expired = TOKENS.issue_overview(timedelta(hours=1),
                                        now=datetime.now(UTC) - timedelta(hours=2))
        gone = httpx.get(url, headers={"authorization": f"Bearer {expired}"})
        assert (gone.status_code, gone.json()["reason"]) == (401, "expired")

        token = TOKENS.issue_overview(timedelta(hours=1))
        first = httpx.get(url, params={"token": token}).json()
        assert [r["event"] for r in first["events"]] == ["ov-a", "ov-b"]
        assert {r["phase"] for r in first["events"]} == {"late"}
        # Each row links to its board with a viewer token for that event alone, stable.
        board = first["events"][0]["board"]
        again = httpx.get(url, params={"token": token}).json()["events"][0]["board"]
        assert board == again and board.startswith("/board/ov-a?token=")
        viewer_token = board.split("token=", 1)[1]
        assert TOKENS.verify(viewer_token, "ov-a", "viewer").role == "viewer"
        with pytest.raises(BoardAuthError):
            TOKENS.verify(viewer_token, "ov-b", "viewer")
        assert httpx.get(f"{service.base_url}{board}").status_code == 200
        # The overview link opens no board and no event API by itself.
        assert httpx.get(f"{service.base_url}/board/ov-a",
                         params={"token": token}).status_code == 403
        assert httpx.get(f"{service.base_url}/api/events/ov-a/state",
                         params={"token": token}).status_code == 403
        # A link for some events lists only those.
        only_b = TOKENS.issue_overview(events=["ov-b", "elsewhere"])
        rows = httpx.get(url, params={"token": only_b}).json()["events"]
        assert [r["event"] for r in rows] == ["ov-b"]


def test_the_page_refuses_clearly_and_hands_its_link_to_a_cookie(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    with running_service(store, [live_agenda("ov-a")]) as service:
        page = f"{service.base_url}/overview"
        viewer = httpx.get(page, params={"token": TOKENS.issue("ov-a", "viewer")})
        assert viewer.status_code == 403
        assert "a board link, not an overview link" in viewer.text
        expired = TOKENS.issue_overview(timedelta(hours=1), language="fr",
                                        now=datetime.now(UTC) - timedelta(hours=2))
        gone = httpx.get(page, params={"token": expired})
        assert gone.status_code == 401 and "a expiré" in gone.text
        with httpx.Client(base_url=service.base_url) as client:
            ok = client.get("/overview", params={"token": TOKENS.issue_overview()})
            assert ok.status_code == 200
            assert "script-src 'nonce-" in ok.headers["content-security-policy"]
            assert ok.headers["cache-control"] == "no-store"
            assert "Conference overview" in ok.text
            assert client.get("/overview/state").status_code == 200  # the cookie alone


def test_status_on_a_folder_prints_each_event_and_its_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zoomorch.cli.main import app

    monkeypatch.setenv("ZOOMORCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("ZOOMORCH_STATE_URL", raising=False)
    folder = tmp_path / "events"
    folder.mkdir()
    seed = SEED.read_text(encoding="utf-8")
    now = datetime.now(UTC).replace(microsecond=0)
    for slug, start in (("day-early", now - timedelta(minutes=2)),
                        ("day-later", now + timedelta(hours=3))):
        text = seed.replace('key = "imrf-2022-latam"', f'key = "{slug}"', 1)
        text = re.sub(r"^start = .*$", f"start = {start.isoformat()}", text, count=1,
                      flags=re.M)
        (folder / f"{slug}.toml").write_text(text, encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(app, ["status", str(folder), "--zone", "UTC"])
    assert done.exit_code == 0, done.output
    lines = {line.split("│")[1].strip(): line for line in done.output.splitlines()
             if "day-" in line}
    assert set(lines) == {"day-early", "day-later"}
    table = done.output
    assert "late" in table and "before" in table
    started = runner.invoke(app, ["cues", "next", str(folder / "day-early.toml")])
    assert started.exit_code == 0, started.output
    after = runner.invoke(app, ["status", str(folder), "--json"])
    rows = {r["event"]: r for r in json.loads(after.output)["events"]}
    assert rows["day-early"]["phase"] == "live" and rows["day-later"]["phase"] == "before"


def test_every_board_language_has_all_the_overview_words() -> None:
    """The overview speaks the board's four languages: no word missing, none left in
    English in another language (the phases are what the page colours)."""
    from zoomorch.service.overview import WORDS

    assert set(WORDS) == {"en", "es", "fr", "de"}
    for language, words in WORDS.items():
        assert words.keys() == WORDS["en"].keys(), language
        if language != "en":
            same = [k for k in ("heading", "event", "before", "late", "overrun", "ended",
                                "behind", "open", "expired") if words[k] == WORDS["en"][k]]
            assert not same, (language, same)
    assert WORDS["de"]["overrun"] == "überzogen"
