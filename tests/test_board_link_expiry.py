"""Board links live at most a week (issue 16, item 6): ``board-link --expires`` refuses more,
and the service refuses a link that was signed for longer, whoever signed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from service_support import BOARD_KEY, live_agenda, running_service, store_at
from zoomorch.board.tokens import (
    ALGORITHM,
    AUDIENCE,
    MAX_LINK_LIFETIME,
    BoardAuthError,
    BoardTokens,
)
from zoomorch.cli.main import app


def _env(tmp_path: Path) -> dict[str, str]:
    return {"ZOOMORCH_STATE_DIR": str(tmp_path), "ZOOMORCH_BOARD_SECRET": BOARD_KEY}


def _minted(event: str, lifetime: timedelta, *, issued: datetime | None = None) -> str:
    """A token signed with the right key but outside what zoomorch issues (an older zoomorch
    issued such links: the cap must hold for them too)."""
    issued = issued or datetime.now(UTC)
    claims = {"aud": AUDIENCE, "event": event, "role": "controller", "lang": "en",
              "iat": int(issued.timestamp()), "exp": int((issued + lifetime).timestamp())}
    return jwt.encode(claims, BOARD_KEY, algorithm=ALGORITHM)


def test_the_cap_is_seven_days() -> None:
    assert timedelta(days=7) == MAX_LINK_LIFETIME


@pytest.mark.parametrize("expires", ["36500d", "8d", "7d1s", "P8D", "20000"])
def test_board_link_refuses_an_expiry_beyond_the_cap(tmp_path: Path, expires: str) -> None:
    result = CliRunner().invoke(app, ["board-link", "imrf", "--role", "controller",
                                      "--expires", expires], env=_env(tmp_path))
    assert result.exit_code == 2, result.output
    assert "token=" not in result.output
    assert "at most 7 days" in result.output
    assert "--expires" in result.output


def test_board_link_issues_links_up_to_the_cap(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["board-link", "imrf", "--role", "controller",
                                      "--expires", "7d"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().split("token=", 1)[1]
    grant = BoardTokens(BOARD_KEY).verify(token, "imrf", "controller")
    assert timedelta(days=7) - timedelta(minutes=1) < grant.expires - datetime.now(UTC) \
        <= timedelta(days=7)


def test_issue_refuses_a_lifetime_beyond_the_cap() -> None:
    tokens = BoardTokens(BOARD_KEY)
    with pytest.raises(ValueError, match="at most 7 days"):
        tokens.issue("imrf", "controller", timedelta(days=7, seconds=1))
    with pytest.raises(ValueError, match="at most 7 days"):
        tokens.issue("imrf", "viewer", timedelta(days=365 * 100))
    tokens.verify(tokens.issue("imrf", "controller", MAX_LINK_LIFETIME), "imrf", "controller")


@pytest.mark.parametrize("token_kind", ["hundred-years", "eight-days", "issued-in-the-future",
                                        "no-issue-time"])
def test_verify_refuses_a_signed_link_that_lives_beyond_the_cap(token_kind: str) -> None:
    now = datetime.now(UTC)
    if token_kind == "hundred-years":
        token = _minted("imrf", timedelta(days=36500))
    elif token_kind == "eight-days":
        token = _minted("imrf", timedelta(days=8))
    elif token_kind == "issued-in-the-future":
        # a 6-day lifetime that starts in a year: it would work for a year and six days
        token = _minted("imrf", timedelta(days=6), issued=now + timedelta(days=365))
    else:
        token = jwt.encode({"aud": AUDIENCE, "event": "imrf", "role": "controller",
                            "exp": int((now + timedelta(days=300)).timestamp())},
                           BOARD_KEY, algorithm=ALGORITHM)
    with pytest.raises(BoardAuthError) as refused:
        BoardTokens(BOARD_KEY).verify(token, "imrf", "controller")
    assert refused.value.status == 401
    if token_kind in ("hundred-years", "eight-days"):
        assert "longer than 7 days" in str(refused.value)
        assert "new one" in str(refused.value)


def test_the_service_refuses_a_hundred_year_link(tmp_path: Path) -> None:
    agenda = live_agenda()
    store = store_at(tmp_path)
    try:
        with running_service(store, [agenda]) as service:
            def state(token: str) -> int:
                return httpx.get(f"{service.base_url}/api/events/{agenda.slug}/state",
                                 headers={"authorization": f"Bearer {token}"}).status_code

            assert state(_minted(agenda.slug, timedelta(days=7))) == 200
            assert state(_minted(agenda.slug, timedelta(days=36500))) == 401
    finally:
        store.close()
