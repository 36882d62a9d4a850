"""Non-idempotent writes are never duplicated: a lost answer is looked up, not repeated.

The sandbox's fault draws are seeded, so each test picks the exact sequence of calls that
fail: ``x`` fails, ``.`` goes through (one draw per /v2 call that reaches processing).
"""

from __future__ import annotations

import random
import threading

import pytest

from zoomorch.sandbox import Sandbox
from zoomorch.zoom import RetryPolicy, ZoomClient, ZoomConnectionError, load_settings

FAST = RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05, jitter=0.01)
WEBINAR = {"topic": "Ocean Forum", "type": 5, "start_time": "2030-03-01T09:00:00Z",
           "duration": 90, "settings": {"approval_type": 0}}


def seed_for(pattern: str, rate: float = 0.5) -> int:
    """A seed whose first draws fail exactly where ``pattern`` has an ``x``."""
    for seed in range(100_000):
        rng = random.Random(seed)
        if all((rng.random() < rate) == (mark == "x") for mark in pattern):
            return seed
    raise AssertionError(f"no seed for {pattern}")


def client_for(sb: Sandbox) -> ZoomClient:
    return ZoomClient(load_settings(environ=sb.env()).credentials, retry=FAST)


def drop_after_processing(sb: Sandbox, pattern: str) -> None:
    sb.faults.seed = seed_for(pattern)
    sb.faults.drop_after_processing_rate = 0.5


def fail_before_processing(sb: Sandbox, pattern: str) -> None:
    sb.faults.seed = seed_for(pattern)
    sb.faults.error_rate = 0.5


def dropped(sb: Sandbox) -> list[str]:
    """``METHOD path`` of the calls whose answers the sandbox cut off."""
    return [f"{e['method']} {e['path']}" for e in sb.requests_log() if e.get("dropped")]


def test_create_webinar_whose_answer_was_lost_is_found_not_repeated(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    drop_after_processing(sandbox, "x..")  # create (lost answer), list, get

    webinar = client.create_webinar(WEBINAR)

    assert dropped(sandbox) == ["POST /v2/users/me/webinars"]
    assert len(sandbox.store.webinars) == 1
    assert webinar.id in sandbox.store.webinars
    assert webinar.topic == "Ocean Forum"
    assert client.calls["POST /users/{userId}/webinars"] == 1
    assert client.calls["GET /users/{userId}/webinars"] == 1


def test_create_webinar_refused_before_processing_is_sent_again(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    fail_before_processing(sandbox, "x..")  # create (500, nothing done), list, create

    client.create_webinar(WEBINAR)

    assert len(sandbox.store.webinars) == 1
    assert client.calls["POST /users/{userId}/webinars"] == 2


def test_an_older_identical_webinar_is_not_mistaken_for_the_lost_one(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    older = client.create_webinar(WEBINAR)
    sandbox.store.webinars[older.id].data["created_at"] = "2020-01-01T00:00:00Z"
    fail_before_processing(sandbox, "x..")

    newer = client.create_webinar(WEBINAR)

    assert newer.id != older.id
    assert len(sandbox.store.webinars) == 2


def test_add_registrant_whose_answer_was_lost_is_not_sent_twice(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    webinar = client.create_webinar(WEBINAR)
    drop_after_processing(sandbox, "x.")  # add (lost answer), list approved

    created = client.add_registrant(webinar.id, {"email": "Ana@Example.org", "first_name": "Ana"})

    assert len(dropped(sandbox)) == 1
    registrants = list(client.iter_registrants(webinar.id))
    assert [r.email.lower() for r in registrants] == ["ana@example.org"]
    assert created.registrant_id == registrants[0].id
    assert created.join_url == registrants[0].join_url
    assert client.calls["POST /webinars/{webinarId}/registrants"] == 1


def test_batch_whose_answer_was_lost_resends_nobody(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    webinar = client.create_webinar(WEBINAR)
    people = [{"email": f"p{i}@example.org", "first_name": f"P{i}"} for i in range(40)]
    drop_after_processing(sandbox, "x..")  # batch of 30 (lost), list, batch of 10

    result = client.batch_add_registrants(webinar.id, people, auto_approve=True)

    assert len(dropped(sandbox)) == 1
    assert [r.email for r in result] == [p["email"] for p in people]
    assert len({r.registrant_id for r in result}) == 40
    assert len(list(client.iter_registrants(webinar.id))) == 40
    assert client.calls["POST /webinars/{webinarId}/batch_registrants"] == 2


def test_batch_resends_only_the_registrants_that_are_missing(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    webinar = client.create_webinar(WEBINAR)
    people = [{"email": f"p{i}@example.org", "first_name": f"P{i}"} for i in range(10)]
    client.batch_add_registrants(webinar.id, people[:4], auto_approve=True)
    fail_before_processing(sandbox, "x..")  # batch (500), list, batch again

    result = client.batch_add_registrants(webinar.id, people, auto_approve=True)

    assert [r.email for r in result] == [p["email"] for p in people]
    resent = [e for e in sandbox.requests_log() if e["path"].endswith("batch_registrants")]
    assert [e["status"] for e in resent] == [201, 500, 201]
    # Those already registered keep their ids; the resend held the other six only.
    registrants = {r.email: r.id for r in client.iter_registrants(webinar.id)}
    assert len(registrants) == 10
    assert {r.email: r.registrant_id for r in result} == registrants


def test_add_panelists_whose_answer_was_lost_adds_only_missing_ones(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    webinar = client.create_webinar(WEBINAR)
    panel = [{"name": f"Panelist {i}", "email": f"panel{i}@example.org"} for i in range(35)]
    drop_after_processing(sandbox, "x..")  # first 30 (lost), list, last 5

    client.add_panelists(webinar.id, panel)

    assert dropped(sandbox) == [f"POST /v2/webinars/{webinar.id}/panelists"]
    assert sorted(p.email for p in client.list_panelists(webinar.id)) == sorted(
        p["email"] for p in panel
    )
    assert client.calls["POST /webinars/{webinarId}/panelists"] == 2


def test_delete_whose_answer_timed_out_counts_as_done(sandbox: Sandbox) -> None:
    # The first DELETE is slow: the client gives up reading, Zoom deletes anyway, and the
    # repeat finds nothing to delete (404) — which means done, not an error.
    client = ZoomClient(
        load_settings(environ=sandbox.env()).credentials,
        retry=RetryPolicy(attempts=3, initial_wait=1.0, jitter=0.0),
        timeout=(2.0, 0.1),
    )
    webinar = client.create_webinar(WEBINAR)
    sandbox.faults.latency_ms = 500
    threading.Timer(0.2, setattr, (sandbox.faults, "latency_ms", 0)).start()

    client.delete_webinar(webinar.id)

    deletes = [e["status"] for e in sandbox.requests_log() if e["method"] == "DELETE"]
    assert deletes == [204, 404]
    assert sandbox.store.webinars == {}


def test_chat_message_with_lost_answer_is_reported_not_repeated(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    drop_after_processing(sandbox, "x")

    with pytest.raises(ZoomConnectionError) as caught:
        client.send_chat_message("2 min left", to_contact="mod@example.org")

    assert caught.value.ambiguous
    assert client.calls["POST /chat/users/{userId}/messages"] == 1
