"""Server-to-Server OAuth against the sandbox: caching, renewal, code 124, bad credentials."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests

from zoomorch.sandbox import Sandbox
from zoomorch.sandbox.clock import SandboxClock
from zoomorch.zoom import RetryPolicy, ZoomAuthError, ZoomClient, ZoomCredentials
from zoomorch.zoom.auth import ServerToServerOAuth

FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05, jitter=0.01)


def credentials(sb: Sandbox, **changes: str) -> ZoomCredentials:
    env = sb.env()
    values = {
        "account_id": env["ZOOM_ACCOUNT_ID"], "client_id": env["ZOOM_CLIENT_ID"],
        "client_secret": env["ZOOM_CLIENT_SECRET"], "api_base_url": env["ZOOM_API_BASE_URL"],
        "oauth_url": env["ZOOM_OAUTH_URL"],
    }
    values.update(changes)
    return ZoomCredentials.model_validate(values)


def test_one_token_serves_many_calls_from_many_threads(sandbox: Sandbox) -> None:
    client = ZoomClient(credentials(sandbox), retry=FAST)

    def work() -> None:
        for _ in range(3):
            client.request("GET", "/users/me")

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.transport.auth.tokens_fetched == 1
    assert client.calls["GET /users/{userId}"] == 18


def test_token_is_renewed_before_it_expires(sandbox: Sandbox) -> None:
    now = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
    auth = ServerToServerOAuth(credentials(sandbox), requests.Session(), now=lambda: now)
    first = auth.token()
    now += timedelta(minutes=50)  # well inside the hour: still the same token
    assert auth.token() == first
    now += timedelta(minutes=6)  # within the 5-minute margin before expiry
    assert auth.token() != first
    assert auth.tokens_fetched == 2


def test_expired_token_code_124_renews_once_and_repeats_the_call() -> None:
    # The sandbox clock starts 3 h behind, so tokens it issues later never carry an
    # issued-at in the real future.
    clock = SandboxClock(start=datetime.now(UTC) - timedelta(hours=3))
    with Sandbox(clock=clock, rate_limits=False) as sb:
        client = ZoomClient(credentials(sb), retry=FAST)
        client.request("GET", "/users/me")
        # Zoom's clock runs past the token's life while ours thinks it is fresh.
        clock.advance(timedelta(hours=2))

        assert client.request("GET", "/users/me") is not None

        statuses = [entry["status"] for entry in sb.requests_log()]
    assert statuses == [200, 401, 200]
    assert client.transport.auth.tokens_fetched == 2


def test_token_refused_even_after_renewal_raises_auth_error() -> None:
    # A zero-second token is dead on arrival: renewal cannot help, so no endless loop.
    with Sandbox(token_ttl_seconds=0, rate_limits=False) as sb:
        client = ZoomClient(credentials(sb), retry=FAST)
        with pytest.raises(ZoomAuthError) as caught:
            client.request("GET", "/users/me")
    assert caught.value.code == 124
    assert client.calls["GET /users/{userId}"] == 2


def test_wrong_client_secret_raises_auth_error_naming_the_settings(sandbox: Sandbox) -> None:
    client = ZoomClient(credentials(sandbox, client_secret="not-the-secret"), retry=FAST)
    with pytest.raises(ZoomAuthError) as caught:
        client.get_webinar(1)
    message = str(caught.value)
    assert "invalid_client" in message or "Invalid client" in message
    assert "ZOOM_CLIENT_SECRET" in message
    assert "not-the-secret" not in message
    assert sum(client.calls.values()) == 0


def test_unreachable_oauth_endpoint_is_retried_a_bounded_number_of_times(
    sandbox: Sandbox,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = ZoomClient(
        credentials(sandbox, oauth_url=f"http://127.0.0.1:{closed}/oauth/token"), retry=FAST
    )
    with pytest.raises(ZoomAuthError, match="could not reach Zoom's OAuth endpoint"):
        client.request("GET", "/users/me")
    assert sum(client.calls.values()) == 0
