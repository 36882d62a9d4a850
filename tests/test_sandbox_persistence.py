"""The sandbox's state file: a rehearsal survives a restart; no secrets are written."""

from __future__ import annotations

from pathlib import Path

import requests

from sandbox_helpers import ZoomSession, access_token, create_webinar
from zoomorch.sandbox import Sandbox


def test_state_survives_restart_without_secrets(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox.json"
    with Sandbox(client_secret="very-secret-value", rate_limits=False,
                 state_file=state_file) as sb:
        s = ZoomSession(sb)
        token = access_token(sb)
        wid = create_webinar(s)["id"]
        added = s.post(f"/webinars/{wid}/registrants",
                       json={"email": "ana@example.org", "first_name": "Ana"}).json()
        sb.store.record_join(wid, name="Ana", email="ana@example.org")
        sb.store.end_webinar(wid)
    text = state_file.read_text()
    assert "very-secret-value" not in text
    assert token not in text

    with Sandbox(client_secret="very-secret-value", rate_limits=False,
                 state_file=state_file) as again:
        s = ZoomSession(again)
        assert s.get(f"/webinars/{wid}").json()["id"] == wid
        registrant = s.get(f"/webinars/{wid}/registrants/{added['registrant_id']}").json()
        # Same personal link (token), now on the new sandbox's origin.
        assert registrant["join_url"].split("?")[1] == added["join_url"].split("?")[1]
        assert registrant["join_url"].startswith(again.origin)
        page = requests.get(registrant["join_url"], timeout=5)
        assert page.status_code == 200 and "ana@example.org" in page.text
        report = s.get(f"/report/webinars/{wid}/participants").json()
        assert report["total_records"] == 1


def test_unreadable_state_file_names_the_file(tmp_path: Path) -> None:
    state_file = tmp_path / "broken.json"
    state_file.write_text("{not json")
    try:
        Sandbox(client_secret="x", state_file=state_file)
    except ValueError as exc:
        assert str(state_file) in str(exc)
    else:
        raise AssertionError("a broken state file must be refused")
