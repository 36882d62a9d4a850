"""The sandbox's Zoom API over real HTTP: OAuth, webinars, validation errors."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

import requests

from sandbox_helpers import access_token
from zoomorch.sandbox import Sandbox


def api(sb: Sandbox) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access_token(sb)}"
    return session


def test_oauth_token_has_zoom_shape(sandbox: Sandbox) -> None:
    creds = sandbox.credentials
    response = requests.post(sandbox.oauth_url,
                             data={"grant_type": "account_credentials",
                                   "account_id": creds.account_id},
                             auth=(creds.client_id, creds.client_secret), timeout=5)
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "api_url"}


def test_oauth_refuses_wrong_secret_grant_and_account(sandbox: Sandbox) -> None:
    creds = sandbox.credentials
    ok = {"grant_type": "account_credentials", "account_id": creds.account_id}
    bad_secret = requests.post(sandbox.oauth_url, params=ok, auth=(creds.client_id, "nope"),
                               timeout=5)
    assert bad_secret.status_code == 400
    assert bad_secret.json() == {"reason": "Invalid client_id or client_secret",
                                 "error": "invalid_client"}
    bad_grant = requests.post(sandbox.oauth_url,
                              params={**ok, "grant_type": "client_credentials"},
                              auth=(creds.client_id, creds.client_secret), timeout=5)
    assert bad_grant.status_code == 400
    assert bad_grant.json()["error"] == "unsupported_grant_type"
    bad_account = requests.post(sandbox.oauth_url, params={**ok, "account_id": "other"},
                                auth=(creds.client_id, creds.client_secret), timeout=5)
    assert bad_account.status_code == 400


def test_missing_or_bad_token_is_124(sandbox: Sandbox) -> None:
    missing = requests.get(sandbox.base_url + "/users/me", timeout=5)
    assert missing.status_code == 401
    assert missing.json() == {"code": 124, "message": "Invalid access token."}
    forged = requests.get(sandbox.base_url + "/users/me",
                          headers={"Authorization": "Bearer abc.def.ghi"}, timeout=5)
    assert forged.json()["code"] == 124


def test_expired_token_is_124_expired() -> None:
    with Sandbox(client_secret="x", rate_limits=False, token_ttl_seconds=1) as sb:
        session = api(sb)
        assert session.get(sb.base_url + "/users/me", timeout=5).status_code == 200
        sb.store.clock.advance(2)
        expired = session.get(sb.base_url + "/users/me", timeout=5)
        assert expired.status_code == 401
        assert expired.json() == {"code": 124, "message": "Access token is expired."}


def test_users_me_is_the_apps_owner_with_a_real_user_id(sandbox: Sandbox) -> None:
    s = api(sandbox)
    body = s.get(sandbox.base_url + "/users/me", timeout=5).json()
    assert body["id"] not in ("me", "") and body["email"] == "host@example.org"
    by_email = s.get(sandbox.base_url + "/users/host@example.org", timeout=5).json()
    assert by_email["id"] == body["id"]
    stranger = s.get(sandbox.base_url + "/users/someone@other.org", timeout=5)
    assert stranger.status_code == 404 and stranger.json()["code"] == 1001


def test_webinar_create_get_update_delete(sandbox: Sandbox) -> None:
    s = api(sandbox)
    created = s.post(sandbox.base_url + "/users/me/webinars", json={
        "topic": "Launch", "type": 5, "start_time": "2030-05-17T12:30:00Z", "duration": 90,
        "timezone": "Europe/Berlin", "settings": {
            "approval_type": 0,
            "language_interpretation": {"enable": True, "interpreters": [
                {"email": "ana@example.org", "languages": "US,ES"}]}},
        "unknown_field": "ignored"}, timeout=5)
    assert created.status_code == 201, created.text
    webinar = created.json()
    assert re.fullmatch(r"\d{11}", str(webinar["id"]))
    assert len(webinar["uuid"]) == 24 and webinar["uuid"].endswith("==")
    assert webinar["start_time"] == "2030-05-17T12:30:00Z"
    assert webinar["settings"]["language_interpretation"]["interpreters"][0]["languages"] == "US,ES"
    assert webinar["join_url"].startswith(sandbox.origin + "/w/")
    assert "registration_url" in webinar and re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", webinar["created_at"])
    wid = webinar["id"]

    patched = s.patch(f"{sandbox.base_url}/webinars/{wid}",
                      json={"topic": "Launch 2", "settings": {"approval_type": 1}}, timeout=5)
    assert patched.status_code == 204
    got = s.get(f"{sandbox.base_url}/webinars/{wid}", timeout=5).json()
    assert got["topic"] == "Launch 2"
    assert got["settings"]["approval_type"] == 1
    # Deep merge: the interpreters survived a settings PATCH that did not mention them.
    assert got["settings"]["language_interpretation"]["enable"] is True

    listed = s.get(sandbox.base_url + "/users/me/webinars", timeout=5).json()
    assert [w["id"] for w in listed["webinars"]] == [wid]

    assert s.delete(f"{sandbox.base_url}/webinars/{wid}", timeout=5).status_code == 204
    gone = s.get(f"{sandbox.base_url}/webinars/{wid}", timeout=5)
    assert gone.status_code == 404
    assert gone.json() == {"code": 3001, "message": f"Webinar does not exist: {wid}."}


def test_invalid_fields_are_400_code_300_naming_the_field(sandbox: Sandbox) -> None:
    s = api(sandbox)
    response = s.post(sandbox.base_url + "/users/me/webinars", json={
        "topic": "x", "type": "5", "settings": {"approval_type": 7}}, timeout=5)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 300
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"type", "settings.approval_type"}


def test_malformed_json_is_400_code_300(sandbox: Sandbox) -> None:
    response = api(sandbox).post(sandbox.base_url + "/users/me/webinars", data="{nope",
                                 headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["code"] == 300


def test_a_call_without_a_token_is_refused_with_401() -> None:
    with Sandbox(client_secret="x") as sb:
        assert requests.get(sb.base_url + "/users/me", timeout=5).status_code == 401


def test_webinar_list_pages_with_next_page_token(sandbox: Sandbox) -> None:
    s = api(sandbox)
    for i in range(5):
        sandbox.store.create_webinar("me", {"topic": f"W{i}"})
    first = s.get(sandbox.base_url + "/users/me/webinars", params={"page_size": 3}).json()
    assert first["total_records"] == 5 and len(first["webinars"]) == 3
    rest = s.get(sandbox.base_url + "/users/me/webinars",
                 params={"page_size": 3, "next_page_token": first["next_page_token"]}).json()
    assert [w["topic"] for w in first["webinars"] + rest["webinars"]] == [
        f"W{i}" for i in range(5)]
    assert rest["next_page_token"] == ""


def test_http_date_is_the_sandbox_clocks_time() -> None:
    with Sandbox(client_secret="x") as sb:
        sb.store.clock.advance(timedelta(hours=5))
        response = requests.get(sb.base_url + "/users/me", timeout=5)
        served = parsedate_to_datetime(response.headers["Date"])
        assert abs(served - sb.store.clock.now()) < timedelta(seconds=2)
        assert len(response.raw.headers.getlist("date")) == 1
