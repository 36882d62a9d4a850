"""The client secret and access tokens never show in reprs, errors or logs."""

from __future__ import annotations

import logging

import pytest

from zoomorch.sandbox import Sandbox
from zoomorch.zoom import (
    RetryPolicy,
    ZoomAuthError,
    ZoomClient,
    ZoomCredentials,
    ZoomNotFound,
    load_settings,
)

FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05, jitter=0.01)


def test_secret_and_token_stay_out_of_reprs_errors_and_logs(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    secret = sandbox.env()["ZOOM_CLIENT_SECRET"]
    caplog.set_level(logging.DEBUG)
    settings = load_settings(environ=sandbox.env())
    client = ZoomClient(settings.credentials, retry=FAST)
    webinar = client.create_webinar({"topic": "Secrets", "type": 5, "duration": 30})
    sandbox.faults.error_rate = 1.0  # a logged retry, then an error
    with pytest.raises(Exception) as server_error:
        client.get_webinar(webinar.id)
    sandbox.faults.error_rate = 0.0
    with pytest.raises(ZoomNotFound) as not_found:
        client.get_webinar(1)
    token = client.transport.auth.token()

    wrong = ZoomClient(
        ZoomCredentials(
            account_id="acc-test", client_id="cid-test", client_secret="wrong-secret-value",
            api_base_url=sandbox.base_url, oauth_url=sandbox.oauth_url,
        ),
        retry=FAST,
    )
    with pytest.raises(ZoomAuthError) as auth_error:
        wrong.get_webinar(1)

    texts = [
        repr(settings), str(settings), repr(settings.credentials), str(settings.credentials),
        repr(client), str(client), repr(client.transport), repr(client.transport.auth),
        repr(webinar), str(webinar), webinar.model_dump_json(),
        repr(server_error.value), str(server_error.value),
        repr(not_found.value), str(not_found.value),
        repr(auth_error.value), str(auth_error.value), repr(wrong),
        caplog.text,
    ]
    assert "retrying GET /webinars/{webinarId}" in caplog.text
    for text in texts:
        assert secret not in text
        assert "wrong-secret-value" not in text
        assert token not in text
    # The host's start link carries a start token: kept, but never printed.
    assert webinar.start_url is not None
    assert "zak=" not in repr(webinar) + webinar.model_dump_json()
