"""Transient failures are retried with backoff, within bounds, with the reason logged."""

from __future__ import annotations

import socket

import pytest

from zoomorch.sandbox import Sandbox
from zoomorch.zoom import (
    RetryPolicy,
    ZoomClient,
    ZoomConnectionError,
    ZoomCredentials,
    ZoomError,
    load_settings,
)

FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05, jitter=0.01)


def client_for(sb: Sandbox, policy: RetryPolicy = FAST) -> ZoomClient:
    return ZoomClient(load_settings(environ=sb.env()).credentials, retry=policy)


def test_server_error_on_a_read_is_retried_and_logged(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(sandbox, RetryPolicy(attempts=8, initial_wait=0.01, max_wait=0.02))
    webinar = client.create_webinar({"topic": "Retry", "type": 5})
    sandbox.faults.seed = 7
    sandbox.faults.error_rate = 0.5

    for _ in range(6):
        assert client.get_webinar(webinar.id).id == webinar.id

    statuses = [e["status"] for e in sandbox.requests_log() if e["method"] == "GET"]
    assert statuses.count(200) == 6
    assert 500 in statuses
    assert "retrying GET /webinars/{webinarId}" in caplog.text
    assert "HTTP 500" in caplog.text


def test_server_errors_that_persist_raise_after_the_bounded_attempts(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    sandbox.faults.error_rate = 1.0

    with pytest.raises(ZoomError) as caught:
        client.get_webinar(123)

    assert caught.value.status == 500
    assert client.calls["GET /webinars/{webinarId}"] == 3


def test_refused_connection_is_retried_then_reported(sandbox: Sandbox) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    env = sandbox.env()
    client = ZoomClient(
        ZoomCredentials(
            account_id=env["ZOOM_ACCOUNT_ID"], client_id=env["ZOOM_CLIENT_ID"],
            client_secret=env["ZOOM_CLIENT_SECRET"], oauth_url=env["ZOOM_OAUTH_URL"],
            api_base_url=f"http://127.0.0.1:{closed_port}/v2",
        ),
        retry=FAST,
    )

    with pytest.raises(ZoomConnectionError) as caught:
        client.create_webinar({"topic": "Nowhere", "type": 5})

    # Nothing was sent, so even a create could be repeated blindly.
    assert not caught.value.ambiguous
    assert client.calls["POST /users/{userId}/webinars"] == 3
    assert "connection refused" in str(caught.value)


def test_read_timeout_on_a_read_is_retried(sandbox: Sandbox) -> None:
    client = ZoomClient(
        load_settings(environ=sandbox.env()).credentials, retry=FAST, timeout=(2.0, 0.2)
    )
    sandbox.faults.latency_ms = 400

    with pytest.raises(ZoomConnectionError) as caught:
        client.request("GET", "/users/me")

    assert caught.value.ambiguous
    assert client.calls["GET /users/{userId}"] == 3
