"""Listings are walked page by page at Zoom's maximum page size; report rows are typed."""

from __future__ import annotations

from zoomorch.sandbox import Sandbox
from zoomorch.zoom import RetryPolicy, ZoomClient, load_settings

FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05, jitter=0.01)


def client_for(sb: Sandbox) -> ZoomClient:
    return ZoomClient(load_settings(environ=sb.env()).credentials, retry=FAST)


def test_more_than_a_thousand_registrants_come_back_in_pages_of_300(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    webinar = client.create_webinar({"topic": "Big", "type": 5, "settings": {"approval_type": 0}})
    people = [{"email": f"guest{i:04}@example.org", "first_name": f"G{i}"} for i in range(1050)]
    client.batch_add_registrants(webinar.id, people, auto_approve=True)

    registrants = list(client.iter_registrants(webinar.id))

    assert len(registrants) == 1050
    assert {r.email for r in registrants} == {p["email"] for p in people}
    assert client.calls["GET /webinars/{webinarId}/registrants"] == 4  # 300+300+300+150
    assert all(r.create_time is not None and r.create_time.tzinfo for r in registrants)
    assert client.calls["POST /webinars/{webinarId}/batch_registrants"] == 35  # 30 a call


def test_stopping_early_fetches_no_further_pages(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    webinar = client.create_webinar({"topic": "Lazy", "type": 5, "settings": {"approval_type": 0}})
    people = [{"email": f"g{i}@example.org", "first_name": "G"} for i in range(301)]
    client.batch_add_registrants(webinar.id, people, auto_approve=True)

    first = next(client.iter_registrants(webinar.id))

    assert first.email.endswith("@example.org")
    assert client.calls["GET /webinars/{webinarId}/registrants"] == 1


def test_participants_report_and_absentees_of_a_past_webinar(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    webinar = client.create_webinar({"topic": "Past", "type": 5, "settings": {"approval_type": 0}})
    ana = client.add_registrant(webinar.id, {"email": "ana@example.org", "first_name": "Ana"})
    client.add_registrant(webinar.id, {"email": "bo@example.org", "first_name": "Bo"})
    store = sandbox.store
    store.start_webinar(webinar.id)
    joined = store.record_join(webinar.id, name="Ana", email="ana@example.org",
                               registrant_id=ana.registrant_id, role="attendee")
    store.clock.advance(90)
    store.record_leave(webinar.id, participant_id=joined, email=None, name=None)
    store.end_webinar(webinar.id)
    # A UUID with '/' must be double-encoded in the path: make this one such a UUID.
    report = client.get_webinar_report(webinar.id)
    assert report.uuid is not None
    slashed = "/" + report.uuid[1:].replace("A", "/", 1) + "//x"
    store.webinars[webinar.id].data["uuid"] = slashed
    store.uuid_index[slashed] = webinar.id

    rows = list(client.iter_participants_report(webinar.id))
    absent = list(client.iter_absentees(slashed))

    assert [(r.user_email, r.registrant_id, r.duration) for r in rows] == [
        ("ana@example.org", ana.registrant_id, 90)
    ]
    assert rows[0].join_time is not None and rows[0].join_time.tzinfo is not None
    assert rows[0].leave_time is not None and rows[0].leave_time.tzinfo is not None
    assert [r.email for r in absent] == ["bo@example.org"]
    assert client.get_qa_report(webinar.id).questions == []
    assert client.get_polls_report(webinar.id).questions == []
