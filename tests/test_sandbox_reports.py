"""Reports, absentees, Q&A and polls derived from attendance recorded in the sandbox."""

from __future__ import annotations

from datetime import timedelta

import requests

from sandbox_helpers import ZoomSession, create_webinar
from zoomorch.sandbox import Sandbox
from zoomorch.scopes import DEFAULT_GRANTED


def test_reports_before_the_webinar_happened_are_3001(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    webinar = create_webinar(s)
    for path in (f"/report/webinars/{webinar['id']}",
                 f"/report/webinars/{webinar['id']}/participants",
                 f"/report/webinars/{webinar['id']}/qa",
                 f"/past_webinars/{webinar['uuid']}/absentees"):
        response = s.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == 3001


def test_reports_follow_recorded_attendance(sandbox: Sandbox) -> None:
    # The meeting scope (zoomorch needs none) only to reach /live_meetings' own answer below.
    sandbox.scopes = DEFAULT_GRANTED | {"meeting:write:admin"}
    s = ZoomSession(sandbox)
    webinar = create_webinar(s, approval_type=0)
    wid = webinar["id"]
    ids = {}
    for name in ("ana", "bo", "cy"):
        ids[name] = s.post(f"/webinars/{wid}/registrants", json={
            "email": f"{name}@example.org", "first_name": name.title()}).json()["registrant_id"]
    store, clock = sandbox.store, sandbox.store.clock
    start = clock.now()
    store.record_join(wid, name="Ana", email="ana@example.org", at=start)
    store.record_join(wid, name="Bo", email="bo@example.org", at=start + timedelta(minutes=1))
    store.record_leave(wid, email="ana@example.org", at=start + timedelta(minutes=10))
    store.record_join(wid, name="Ana", email="ana@example.org", at=start + timedelta(minutes=12))
    store.add_question(wid, name="Bo", email="bo@example.org", question="Slides?",
                       answer="Yes")
    poll = store.add_poll(wid, title="Mood", questions=[{"name": "How?", "answers": ["Good"]}])
    store.record_poll_answer(wid, poll_id=poll, name="Ana", email="ana@example.org",
                             question="How?", answer="Good")
    # In-meeting controls are documented for meetings: a webinar id is an unknown meeting.
    live = s.patch(f"/live_meetings/{wid}/events", json={"method": "recording.start"})
    assert (live.status_code, live.json()["code"]) == (404, 3001)
    store.end_webinar(wid, at=start + timedelta(minutes=30))

    details = s.get(f"/report/webinars/{wid}").json()
    assert details["participants_count"] == 2
    assert details["duration"] == 30

    rows = s.get(f"/report/webinars/{wid}/participants",
                 params={"include_fields": "registrant_id", "page_size": 2}).json()
    assert rows["total_records"] == 3 and len(rows["participants"]) == 2
    more = s.get(f"/report/webinars/{wid}/participants", params={
        "include_fields": "registrant_id", "next_page_token": rows["next_page_token"]}).json()
    every = rows["participants"] + more["participants"]
    ana = [r for r in every if r["user_email"] == "ana@example.org"]
    assert [r["duration"] for r in ana] == [600, 1080]
    assert {r["registrant_id"] for r in ana} == {ids["ana"]}
    # Ana is not signed in to Zoom (an attendee joined by hand is not): no id, and Zoom's
    # user_id is new on each join; the registrant id is what ties her two rows.
    assert {r["id"] for r in ana} == {r["participant_user_id"] for r in ana} == {""}
    assert len({r["user_id"] for r in ana}) == 2

    absent = s.get(f"/past_webinars/{webinar['uuid']}/absentees").json()
    assert [r["email"] for r in absent["registrants"]] == ["cy@example.org"]

    qa = s.get(f"/report/webinars/{wid}/qa").json()
    assert qa["questions"] == [{"name": "Bo", "email": "bo@example.org",
                                "question_details": [{"question": "Slides?", "answer": "Yes"}]}]
    polls = s.get(f"/report/webinars/{wid}/polls").json()
    assert polls["questions"][0]["question_details"][0]["answer"] == "Good"


def test_chat_messages_are_kept_and_visible_via_admin(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    requests.put(f"{sandbox.admin_url}/users/me/contacts", json={"contacts": ["mod@example.org"]},
                 timeout=5).raise_for_status()
    sent = s.post("/chat/users/me/messages",
                  json={"message": "2 min left", "to_contact": "mod@example.org"})
    assert sent.status_code == 201
    messages = requests.get(sandbox.admin_url + "/chat", timeout=5).json()["messages"]
    assert messages[0]["id"] == sent.json()["id"]
    assert messages[0]["message"] == "2 min left"
    nowhere = s.post("/chat/users/me/messages", json={"message": "hi"})
    assert nowhere.status_code == 400


def test_admin_drives_attendance_and_reset(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    wid = create_webinar(s)["id"]
    admin = sandbox.admin_url
    joined = requests.post(f"{admin}/webinars/{wid}/join",
                           json={"name": "Ana", "email": "ana@example.org"}, timeout=5)
    assert joined.status_code == 200
    assert requests.post(f"{admin}/webinars/{wid}/end", timeout=5).json() == {"status": "ended"}
    assert s.get(f"/report/webinars/{wid}/participants").json()["total_records"] == 1
    assert requests.get(f"{admin}/requests", timeout=5).json()["requests"][-1]["status"] == 200
    assert requests.post(f"{admin}/reset", timeout=5).status_code == 200
    assert s.get(f"/webinars/{wid}").status_code == 404
