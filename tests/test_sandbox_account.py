"""The sandbox's account as strict as Zoom's: users, licensed features, Team Chat's reach.

Sources for each rule are in docs/sandbox.md (facts.md, Zoom's API reference).
"""

from __future__ import annotations

import requests

from sandbox_helpers import ZoomSession, create_webinar
from zoomorch.sandbox import Sandbox

INTERPRETATION = {"enable": True, "interpreters": [
    {"email": "ana.booth@example.org", "languages": "US,ES"}]}


def admin(sb: Sandbox, method: str, path: str, body: object) -> requests.Response:
    response = requests.request(method, sb.admin_url + path, json=body, timeout=5)
    response.raise_for_status()
    return response


def test_settings_tell_the_webinar_feature_capacity_and_interpretation(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    settings = s.get("/users/me/settings").json()
    assert settings["feature"]["webinar"] is True and settings["feature"]["webinar_capacity"] > 0
    assert settings["in_meeting"]["language_interpretation"]["enable"] is True
    admin(sandbox, "PUT", "/account", {"language_interpretation": False, "webinar": False})
    settings = s.get("/users/me/settings").json()
    assert settings["feature"]["webinar"] is False
    assert settings["in_meeting"]["language_interpretation"]["enable"] is False


def test_without_interpretation_zoom_silently_drops_the_setting(sandbox: Sandbox) -> None:
    admin(sandbox, "PUT", "/account", {"language_interpretation": False})
    s = ZoomSession(sandbox)
    created = create_webinar(s, settings={"approval_type": 0,
                                          "language_interpretation": INTERPRETATION})
    assert created["settings"]["language_interpretation"]["enable"] is False
    patched = s.patch(f"/webinars/{created['id']}",
                      json={"settings": {"language_interpretation": INTERPRETATION}})
    assert patched.status_code == 204  # no error at all
    got = s.get(f"/webinars/{created['id']}").json()
    assert got["settings"]["language_interpretation"]["interpreters"] == []


def test_without_the_webinar_plan_create_is_refused_as_zoom_refuses_it(sandbox: Sandbox) -> None:
    admin(sandbox, "PUT", "/account", {"webinar": False})
    refused = ZoomSession(sandbox).post("/users/me/webinars", json={"topic": "x", "type": 5})
    assert refused.status_code == 400
    assert refused.json()["code"] == 200
    assert "Subscription plan for webinar is missing" in refused.json()["message"]


def test_team_chat_reaches_the_senders_contacts_only(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    admin(sandbox, "PUT", "/users/tech.host@example.org", {"first_name": "Tech"})
    colleague = s.post("/chat/users/me/messages",  # same account: a company contact
                       json={"message": "hi", "to_contact": "tech.host@example.org"})
    assert colleague.status_code == 201
    outsider = s.post("/chat/users/me/messages",
                      json={"message": "2 min left", "to_contact": "moderator@ngo.example"})
    assert outsider.status_code == 400
    assert "contact" in outsider.json()["message"]
    admin(sandbox, "PUT", "/users/me/contacts", {"contacts": ["moderator@ngo.example"]})
    added = s.post("/chat/users/me/messages",
                   json={"message": "2 min left", "to_contact": "moderator@ngo.example"})
    assert added.status_code == 201
    # The sender is a real user of the account; another organisation's is not.
    stranger = s.post("/chat/users/someone@ngo.example/messages",
                      json={"message": "hi", "to_contact": "tech.host@example.org"})
    assert (stranger.status_code, stranger.json()["code"]) == (404, 1001)
    sent = requests.get(sandbox.admin_url + "/chat", timeout=5).json()["messages"]
    assert [m["sender"] for m in sent] == ["host@example.org", "host@example.org"]


def test_a_channel_message_needs_the_sender_among_its_members(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    admin(sandbox, "PUT", "/users/tech.host@example.org", {})
    admin(sandbox, "PUT", "/channels/cues-imrf", {
        "name": "IMRF side event cues",
        "members": ["tech.host@example.org", "moderator@ngo.example"]})
    member = s.post("/chat/users/tech.host@example.org/messages",
                    json={"message": "time is up", "to_channel": "cues-imrf"})
    assert member.status_code == 201
    outsider = s.post("/chat/users/me/messages",
                      json={"message": "time is up", "to_channel": "cues-imrf"})
    assert outsider.status_code == 400 and "member" in outsider.json()["message"]
    unknown = s.post("/chat/users/me/messages", json={"message": "x", "to_channel": "nope"})
    assert unknown.status_code == 404


def test_a_guest_who_is_a_user_of_the_account_keeps_their_email_in_the_report(
        sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    wid = create_webinar(s)["id"]
    sandbox.store.put_user("colleague@example.org", "Col", "League")
    sandbox.store.record_join(wid, name="Col League", email="colleague@example.org")
    sandbox.store.record_join(wid, name="Outsider", email="outsider@ngo.example")
    sandbox.store.end_webinar(wid)
    rows = s.get(f"/report/webinars/{wid}/participants").json()["participants"]
    shown = {r["name"]: r["user_email"] for r in rows}
    assert shown["Col League"] == "colleague@example.org"  # the host's account: shown
    assert shown["Outsider"] == ""  # a guest from outside who did not register: hidden


def test_the_admin_join_route_can_say_who_is_signed_in_and_who_dials_in(
        sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    wid = create_webinar(s)["id"]
    admin(sandbox, "POST", f"/webinars/{wid}/join",
          {"name": "Ana", "email": "ana@ngo.example", "signed_in": True})
    admin(sandbox, "POST", f"/webinars/{wid}/join",
          {"name": "+57 601 555 0101", "phone_number": "+57 601 555 0101"})
    bad = requests.post(f"{sandbox.admin_url}/webinars/{wid}/join",
                        json={"name": "X", "signed_in": "yes"}, timeout=5)
    assert bad.status_code == 400 and "signed_in" in bad.json()["message"]
    sandbox.store.end_webinar(wid)
    rows = {r["name"]: r for r in
            s.get(f"/report/webinars/{wid}/participants").json()["participants"]}
    assert rows["Ana"]["id"] != "" and rows["Ana"]["user_email"] == ""  # signed in, a guest
    assert rows["+57 601 555 0101"]["id"] == ""
