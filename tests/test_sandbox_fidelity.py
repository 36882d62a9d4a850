"""Fidelity: every request the sandbox accepts, and every answer it gives, for every endpoint it
implements, validates against Zoom's own OpenAPI description; invalid requests get Zoom's errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests

from zoom_openapi import RecordingSession, validation_errors
from zoomorch.sandbox import Sandbox
from zoomorch.scopes import DEFAULT_GRANTED

WEBINAR = {
    "topic": "Promoting the integration of migrants: interactive dialogue",
    "type": 5,
    "start_time": "2022-05-17T12:30:00Z",
    "duration": 60,
    "timezone": "America/New_York",
    "agenda": "IMRF 2022 side event",
    "settings": {
        "approval_type": 1,
        "panelists_video": True,
        "practice_session": True,
        "alternative_hosts": "alt-host@example.org",
        "language_interpretation": {
            "enable": True,
            "interpreters": [
                {"email": "interpreter.es-en@example.org", "languages": "US,ES"},
                {"email": "interpreter.fr-en@example.org", "languages": "US,FR"},
            ],
        },
    },
}


def _session(sandbox: Sandbox) -> RecordingSession:
    session = RecordingSession()
    token = requests.post(
        sandbox.oauth_url,
        params={"grant_type": "account_credentials", "account_id": "acc-test"},
        auth=("cid-test", "s3cret-test"),
        timeout=10,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _walk_every_endpoint(sandbox: Sandbox, api: RecordingSession) -> None:
    base = sandbox.base_url

    def call(method: str, path: str, expected: int, **kwargs: Any) -> Any:
        response = api.request(method, base + path, timeout=10, **kwargs)
        assert response.status_code == expected, (method, path, response.text)
        return response.json() if response.content else None

    call("GET", "/users/me", 200)
    webinar = call("POST", "/users/me/webinars", 201, json=WEBINAR)
    wid = webinar["id"]
    call("GET", "/users/me/webinars", 200, params={"page_size": 300})
    call("GET", "/users/me", 200)
    call("GET", "/users/me/settings", 200)
    call("GET", f"/webinars/{wid}", 200)
    call("PATCH", f"/webinars/{wid}", 204,
         json={"topic": "Renamed", "settings": {"hd_video": True}})
    call("POST", f"/webinars/{wid}/panelists", 201, json={"panelists": [
        {"name": "Lucas Gómez", "email": "lucas.gomez@example.org"},
        {"name": "Walker Sizemore", "email": "walker.sizemore@example.org"},
    ]})
    panelists = call("GET", f"/webinars/{wid}/panelists", 200)["panelists"]
    walker = next(p for p in panelists if p["email"] == "walker.sizemore@example.org")
    call("DELETE", f"/webinars/{wid}/panelists/{walker['id']}", 204)
    call("GET", f"/webinars/{wid}/registrants/questions", 200)
    call("PATCH", f"/webinars/{wid}/registrants/questions", 204, json={
        "questions": [{"field_name": "country", "required": True},
                      {"field_name": "org", "required": True}],
        "custom_questions": [{"title": "Preferred language", "type": "single_radio",
                              "required": True, "answers": ["ES", "EN", "FR"]}],
    })
    created = call("POST", f"/webinars/{wid}/registrants", 201, json={
        "email": "maria.perez@example.org", "first_name": "María", "last_name": "Pérez",
        "country": "CO", "org": "Alcaldía de Bogotá",
        "custom_questions": [{"title": "Preferred language", "value": "ES"}],
    })
    call("POST", f"/webinars/{wid}/batch_registrants", 201, json={
        "auto_approve": True,
        "registrants": [{"email": f"guest{i}@example.org", "first_name": f"Guest {i}",
                         "last_name": "Example"} for i in range(5)],
    })
    for status in ("pending", "approved", "denied"):
        call("GET", f"/webinars/{wid}/registrants", 200, params={"status": status,
                                                                 "page_size": 2})
    call("GET", f"/webinars/{wid}/registrants/{created['registrant_id']}", 200)
    call("PUT", f"/webinars/{wid}/registrants/status", 204, json={
        "action": "approve", "registrants": [{"id": created["registrant_id"],
                                              "email": "maria.perez@example.org"}]})

    store = sandbox.store
    start = store.now() - timedelta(minutes=70)
    store.record_join(wid, name="María Pérez", email="maria.perez@example.org", at=start)
    store.record_join(wid, name="+57 601 555 0101", at=start + timedelta(minutes=3))
    store.add_question(wid, name="María Pérez", email="maria.perez@example.org",
                       question="¿Habrá grabación?", answer="Sí", at=start + timedelta(minutes=20))
    poll = store.add_poll(wid, title="Priorities", questions=[
        {"name": "Which GCM objective first?", "answers": ["6", "18", "19", "22"]}])
    store.record_poll_answer(wid, poll_id=poll, name="María Pérez",
                             email="maria.perez@example.org",
                             question="Which GCM objective first?", answer="18",
                             at=start + timedelta(minutes=30))
    # In-meeting controls are for meetings: a webinar id is an unknown meeting (facts.md).
    call("PATCH", f"/live_meetings/{wid}/events", 404, json={"method": "recording.start"})
    call("PUT", f"/webinars/{wid}/status", 204, json={"action": "end"})

    call("GET", f"/report/webinars/{wid}", 200)
    call("GET", f"/report/webinars/{wid}/participants", 200,
         params={"page_size": 300, "include_fields": "registrant_id"})
    uuid = call("GET", f"/webinars/{wid}", 200)["uuid"]
    call("GET", f"/past_webinars/{quote(quote(uuid, safe=''), safe='')}/absentees", 200)
    call("GET", f"/report/webinars/{wid}/qa", 200)
    call("GET", f"/report/webinars/{wid}/polls", 200)
    call("DELETE", f"/webinars/{wid}/registrants/{created['registrant_id']}", 204)
    call("DELETE", f"/webinars/{wid}/panelists", 204)
    call("DELETE", f"/webinars/{wid}", 204)


def test_every_exchange_of_every_implemented_endpoint_matches_zooms_description(
    sandbox: Sandbox,
) -> None:
    # zoomorch needs no meeting scope; the walk grants one to reach /live_meetings' own answer.
    sandbox.scopes = DEFAULT_GRANTED | {"meeting:write:admin"}
    api = _session(sandbox)
    _walk_every_endpoint(sandbox, api)

    in_zooms_description = [e for e in api.exchanges if "/chat/" not in (e.request.url or "")]
    assert len(in_zooms_description) >= 25
    problems = {e.label(): validation_errors(e) for e in in_zooms_description}
    assert {label: p for label, p in problems.items() if p} == {}


def test_team_chat_message_answers_as_zoom_documents(sandbox: Sandbox) -> None:
    # Team Chat is outside the Meeting API description: facts.md gives the shape.
    api = _session(sandbox)
    sandbox.store.set_contacts("me", ["mod@example.org"])  # the owner added her as a contact
    response = api.post(f"{sandbox.base_url}/chat/users/me/messages", timeout=10,
                        json={"message": "2 minutes left", "to_contact": "mod@example.org"})
    assert response.status_code == 201
    assert set(response.json()) == {"id"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/users/me/webinars", {"topic": "x", "type": "five"}, 400, 300),
        ("POST", "/users/me/webinars", {"topic": "x", "duration": "an hour"}, 400, 300),
        ("POST", "/users/me/webinars",
         {"topic": "x", "settings": {"approval_type": 7}}, 400, 300),
        ("GET", "/webinars/99999999999", None, 404, 3001),
        ("PATCH", "/webinars/99999999999", {"topic": "y"}, 404, 3001),
        ("GET", "/webinars/99999999999/registrants", None, 404, 3001),
    ],
)
def test_invalid_requests_get_zooms_errors(
    sandbox: Sandbox, method: str, path: str, body: dict[str, Any] | None, status: int,
    code: int,
) -> None:
    api = _session(sandbox)
    response = api.request(method, sandbox.base_url + path, json=body, timeout=10)
    assert response.status_code == status
    error = response.json()
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


def test_validation_errors_name_the_field(sandbox: Sandbox) -> None:
    api = _session(sandbox)
    response = api.post(f"{sandbox.base_url}/users/me/webinars", timeout=10,
                        json={"topic": "x", "type": "five"})
    fields = [e["field"] for e in response.json().get("errors", [])]
    assert any("type" in field for field in fields), response.json()


def test_unknown_request_fields_are_ignored_as_zoom_does(sandbox: Sandbox) -> None:
    api = _session(sandbox)
    response = api.post(f"{sandbox.base_url}/users/me/webinars", timeout=10,
                        json={**WEBINAR, "made_up_field": 1, "user_id": "me"})
    assert response.status_code == 201
    assert "made_up_field" not in response.json()


def test_batch_and_page_size_limits_are_enforced(sandbox: Sandbox) -> None:
    api = _session(sandbox)
    wid = api.post(f"{sandbox.base_url}/users/me/webinars", json=WEBINAR, timeout=10).json()["id"]
    too_many = [{"email": f"p{i}@example.org", "first_name": "P"} for i in range(31)]
    batch = api.post(f"{sandbox.base_url}/webinars/{wid}/batch_registrants", timeout=10,
                     json={"auto_approve": True, "registrants": too_many})
    assert batch.status_code == 400
    panelists = api.post(f"{sandbox.base_url}/webinars/{wid}/panelists", timeout=10,
                         json={"panelists": [{"name": "P", "email": r["email"]}
                                             for r in too_many]})
    assert panelists.status_code == 400
    # Zoom serves at most 300 a page: a larger page_size is capped, not refused.
    page = api.get(f"{sandbox.base_url}/webinars/{wid}/registrants", timeout=10,
                   params={"page_size": 1000})
    assert page.status_code == 200
    assert page.json()["page_size"] == 300
    bad_token = api.get(f"{sandbox.base_url}/webinars/{wid}/registrants", timeout=10,
                        params={"next_page_token": "not-a-token"})
    assert (bad_token.status_code, bad_token.json()["code"]) == (400, 300)


def test_sandbox_urls_are_loopback_only(sandbox: Sandbox) -> None:
    assert urlsplit(sandbox.base_url).hostname == "127.0.0.1"
