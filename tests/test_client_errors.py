"""Zoom's error answers become typed exceptions carrying status, code and field errors."""

from __future__ import annotations

import pytest

from zoomorch.sandbox import Sandbox
from zoomorch.zoom import (
    FieldError,
    ZoomClient,
    ZoomError,
    ZoomNotFound,
    ZoomValidationError,
    load_settings,
)


def client_for(sb: Sandbox) -> ZoomClient:
    return ZoomClient(load_settings(environ=sb.env()).credentials)


def test_unknown_webinar_raises_not_found_with_zoom_code_3001(sandbox: Sandbox) -> None:
    with pytest.raises(ZoomNotFound) as caught:
        client_for(sandbox).get_webinar(12345678901)
    assert (caught.value.status, caught.value.code) == (404, 3001)
    assert "GET /webinars/{webinarId}" in str(caught.value)


def test_invalid_field_raises_validation_error_naming_the_field(sandbox: Sandbox) -> None:
    with pytest.raises(ZoomValidationError) as caught:
        client_for(sandbox).create_webinar({"topic": "Bad", "type": 99})
    error = caught.value
    assert (error.status, error.code) == (400, 300)
    assert [e.field for e in error.errors] == ["type"]
    assert isinstance(error.errors[0], FieldError)
    assert "type:" in str(error)


def test_webinar_rule_breach_is_a_zoom_error_with_its_code(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    webinar = client.create_webinar({"topic": "Recurring", "type": 6})
    with pytest.raises(ZoomError) as caught:
        client.batch_add_registrants(
            webinar.id, [{"email": "a@example.org", "first_name": "A"}], auto_approve=True
        )
    assert (caught.value.status, caught.value.code) == (400, 3000)
    assert "type 5" in caught.value.message


def test_read_calls_are_counted_apart_from_writes(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    webinar = client.create_webinar({"topic": "Count", "type": 5})
    before = client.calls.copy()
    client.get_webinar(webinar.id)
    list(client.iter_webinars())
    new = client.calls - before
    assert not [key for key in new if not key.startswith("GET ")]
    assert new == {"GET /webinars/{webinarId}": 1, "GET /users/{userId}/webinars": 1}
