"""Board links name their key (issue 15, item 6): ``kid`` in the JWT header; `board-link`
says which key signed a link and where it came from, and refuses one the running service
would not take; the service tells its key id to anyone (``GET /board-key-id``)."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from service_support import BOARD_KEY, live_agenda, running_service, store_at
from zoomorch.board.tokens import BoardAuthError, BoardTokens, key_id, load_board_key
from zoomorch.cli.main import app

OTHER_KEY = "a-different-key-on-another-machine-0123456789"


def test_a_link_carries_its_key_id_a_short_fingerprint_of_the_key() -> None:
    tokens = BoardTokens(BOARD_KEY)
    assert tokens.key_id == key_id(BOARD_KEY)
    assert len(tokens.key_id) == 8 and int(tokens.key_id, 16) >= 0
    assert BOARD_KEY not in repr(tokens) and tokens.key_id in repr(tokens)
    assert jwt.get_unverified_header(tokens.issue("imrf"))["kid"] == tokens.key_id


def test_a_link_signed_with_another_key_is_refused_naming_both_keys() -> None:
    ours, theirs = BoardTokens(BOARD_KEY), BoardTokens(OTHER_KEY)
    with pytest.raises(BoardAuthError) as refused:
        ours.verify(theirs.issue("imrf"), "imrf")
    error = refused.value
    assert error.status == 401 and error.reason == "other_key"
    assert (error.link_key_id, error.service_key_id) == (theirs.key_id, ours.key_id)
    assert theirs.key_id in str(error) and ours.key_id in str(error)
    assert "zoomorch board-link" in str(error) and "ZOOMORCH_STATE_DIR" in str(error)
    # Our key id but not our signature: altered, not another key.
    forged = jwt.encode({"aud": "zoomorch-board", "event": "imrf", "role": "controller",
                         "iat": 1, "exp": 2}, OTHER_KEY, algorithm="HS256",
                        headers={"kid": ours.key_id})
    with pytest.raises(BoardAuthError) as altered:
        ours.verify(forged, "imrf")
    assert altered.value.reason == "invalid"
    # A link from before key ids (no kid): another key, which one unknown.
    old = jwt.encode(jwt.decode(theirs.issue("imrf"), options={"verify_signature": False}),
                     OTHER_KEY, algorithm="HS256")
    with pytest.raises(BoardAuthError) as unknown:
        ours.verify(old, "imrf")
    assert unknown.value.reason == "other_key" and unknown.value.link_key_id is None
    # Garbage is just not valid; a link without a key id signed with ours still works.
    with pytest.raises(BoardAuthError) as garbage:
        ours.verify("not-a-link", "imrf")
    assert garbage.value.reason == "invalid"
    plain = jwt.encode(jwt.decode(ours.issue("imrf"), options={"verify_signature": False}),
                       BOARD_KEY, algorithm="HS256")
    assert ours.verify(plain, "imrf").event == "imrf"


def test_the_key_says_where_it_came_from(tmp_path: Path) -> None:
    from_env = load_board_key({"ZOOMORCH_BOARD_SECRET": BOARD_KEY})
    assert from_env.describe() == "ZOOMORCH_BOARD_SECRET" and BOARD_KEY not in repr(from_env)
    made = load_board_key({"ZOOMORCH_STATE_DIR": str(tmp_path)})
    assert made.created and made.path == tmp_path / "board.key"
    assert made.describe() == f"{tmp_path / 'board.key'} (ZOOMORCH_STATE_DIR, generated now)"
    again = load_board_key({"ZOOMORCH_STATE_DIR": str(tmp_path)})
    assert not again.created and again.id == made.id
    assert again.describe() == f"{tmp_path / 'board.key'} (ZOOMORCH_STATE_DIR)"


def _board_link(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["board-link", "board", "--role", "controller", *args],
                                env={"ZOOMORCH_PUBLIC_URL": "", **env})
    return result.exit_code, result.stdout, result.stderr


def test_board_link_says_which_key_signed_the_link_and_where_from(tmp_path: Path) -> None:
    code, out, err = _board_link({"ZOOMORCH_STATE_DIR": str(tmp_path),
                                  "ZOOMORCH_BOARD_SECRET": BOARD_KEY})
    assert code == 0, err
    assert out.count("\n") == 1 and "token=" in out  # stdout: the link alone
    assert f"# signed with board key {key_id(BOARD_KEY)}, from ZOOMORCH_BOARD_SECRET" in err
    assert BOARD_KEY not in out + err

    state = tmp_path / "state"
    code, out, err = _board_link({"ZOOMORCH_STATE_DIR": str(state),
                                  "ZOOMORCH_BOARD_SECRET": ""})
    made = (state / "board.key").read_text().strip()
    assert code == 0 and f"board key {key_id(made)}, from {state / 'board.key'}" in err
    assert "generated now" in err and "no service has used this state directory" in err
    token = out.strip().split("token=", 1)[1]
    assert BoardTokens(made).verify(token, "board", "controller").can_control


def test_board_link_checks_the_running_service_and_refuses_a_key_it_would_not_take(
    tmp_path: Path,
) -> None:
    agenda = live_agenda()
    store = store_at(tmp_path)
    try:
        with running_service(store, [agenda]) as service:
            url = service.base_url
            # The same key: said so, and the link works there.
            code, out, err = _board_link({"ZOOMORCH_BOARD_SECRET": BOARD_KEY,
                                          "ZOOMORCH_STATE_DIR": str(tmp_path / "a")},
                                         "--service", url, "--base-url", url)
            assert code == 0, err
            assert f"the service at {url} uses the same board key" in err
            token = out.strip().split("token=", 1)[1]
            assert service.ctx.tokens.verify(token, "board").event == "board"

            # Another state directory, so another key: refused, both ids named, no link,
            # and the key it generated for nothing is gone again.
            elsewhere = tmp_path / "elsewhere"
            code, out, err = _board_link({"ZOOMORCH_BOARD_SECRET": "",
                                          "ZOOMORCH_STATE_DIR": str(elsewhere)},
                                         "--service", url)
            assert code == 2 and "token=" not in out
            assert f"the service at {url} uses board key {key_id(BOARD_KEY)}" in err
            assert f"from {elsewhere / 'board.key'}" in err
            assert "same ZOOMORCH_STATE_DIR or ZOOMORCH_BOARD_SECRET" in err
            assert not (elsewhere / "board.key").exists()

            # ZOOMORCH_PUBLIC_URL is checked too, when set.
            code, out, err = _board_link({"ZOOMORCH_BOARD_SECRET": OTHER_KEY,
                                          "ZOOMORCH_PUBLIC_URL": url})
            assert code == 2 and key_id(OTHER_KEY) in err and key_id(BOARD_KEY) in err
    finally:
        store.close()


def test_board_link_prints_the_link_when_the_service_cannot_be_asked(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, out, err = _board_link({"ZOOMORCH_BOARD_SECRET": BOARD_KEY,
                                  "ZOOMORCH_STATE_DIR": str(tmp_path)},
                                 "--service", f"http://127.0.0.1:{port}", "--view", "speaker")
    assert code == 0 and out.strip().endswith("&view=speaker")
    assert f"could not ask the service at http://127.0.0.1:{port} for its key id" in err
    assert f"works only with a service using board key {key_id(BOARD_KEY)}" in err
