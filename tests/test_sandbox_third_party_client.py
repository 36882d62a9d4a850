"""Proof against something we did not write: the published `zoomus` client, pointed at the
sandbox, runs a webinar's set-up through its own code paths (OAuth, JSON bodies, query strings)."""

from __future__ import annotations

from typing import Any

import pytest

from zoom_openapi import RecordingSession, validation_errors
from zoomorch.sandbox import Sandbox

zoomus = pytest.importorskip("zoomus")


def _zoomus_client(sandbox: Sandbox) -> Any:
    return zoomus.ZoomClient(
        "cid-test", "s3cret-test", "acc-test",
        base_uri=sandbox.base_url, oauth_uri=sandbox.oauth_url,
    )


def test_zoomus_runs_a_webinar_setup_against_the_sandbox(sandbox: Sandbox) -> None:
    client = _zoomus_client(sandbox)

    created = client.webinar.create(
        user_id="me", topic="Interactive dialogue with Latin American players", type=5,
        start_time="2022-05-17T12:30:00Z", duration=60, timezone="America/New_York",
        settings={
            "approval_type": 0,
            "language_interpretation": {"enable": True, "interpreters": [
                {"email": "interpreter.es@example.org", "languages": "US,ES"},
                {"email": "interpreter.fr@example.org", "languages": "US,FR"},
            ]},
        },
    )
    assert created.status_code == 201, created.text
    webinar_id = created.json()["id"]
    assert len(str(webinar_id)) == 11

    added = client.webinar.add_panelists(id=webinar_id, panelists=[
        {"name": "Lucas Gómez", "email": "lucas.gomez@example.org"},
        {"name": "Hernán Ruggirello", "email": "hernan.ruggirello@example.org"},
    ])
    assert added.status_code == 201, added.text
    panelists = client.webinar.list_panelists(id=webinar_id).json()["panelists"]
    emails = {p["email"] for p in panelists}
    # Interpreters of a webinar are panelists too, as in Zoom.
    assert {"lucas.gomez@example.org", "hernan.ruggirello@example.org",
            "interpreter.es@example.org", "interpreter.fr@example.org"} <= emails

    for first, last in [("Johanna", "Sáenz"), ("Noortje", "Denkers")]:
        registered = client.webinar.register(
            id=webinar_id, email=f"{first.lower()}@example.org", first_name=first, last_name=last)
        assert registered.status_code == 201, registered.text
        assert registered.json()["join_url"].startswith(sandbox.base_url.removesuffix("/v2"))

    listed = client.webinar.get_registrants(id=webinar_id, page_size=300).json()
    assert listed["total_records"] == 2
    assert {r["last_name"] for r in listed["registrants"]} == {"Sáenz", "Denkers"}

    updated = client.webinar.update(id=webinar_id, topic="Renamed by zoomus")
    assert updated.status_code == 204, updated.text
    assert client.webinar.get(id=webinar_id).json()["topic"] == "Renamed by zoomus"

    removed = client.webinar.remove_panelists(id=webinar_id)
    assert removed.status_code == 204, removed.text

    deleted = client.webinar.delete(id=webinar_id)
    assert deleted.status_code == 204, deleted.text
    gone = client.webinar.get(id=webinar_id)
    assert (gone.status_code, gone.json()["code"]) == (404, 3001)


def test_zoomus_requests_themselves_validate_against_zooms_description(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # zoomus sends through module-level requests calls; record them with our session.
    recorder = RecordingSession()
    import requests as real_requests

    for verb in ("get", "post", "patch", "put", "delete"):
        monkeypatch.setattr(real_requests, verb, getattr(recorder, verb))
    client = _zoomus_client(sandbox)
    webinar_id = client.webinar.create(
        user_id="me", topic="Validated", type=5, start_time="2022-05-17T12:30:00Z",
        duration=60).json()["id"]
    client.webinar.register(id=webinar_id, email="ana@example.org", first_name="Ana",
                            last_name="Diez")
    client.webinar.get_registrants(id=webinar_id)
    assert recorder.exchanges
    problems = {e.label(): validation_errors(e) for e in recorder.exchanges}
    assert {label: p for label, p in problems.items() if p} == {}
