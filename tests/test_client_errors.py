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


def test_zooms_daily_rules_are_told_apart_by_their_wording(sandbox: Sandbox) -> None:
    from datetime import UTC, datetime, timedelta

    from zoomorch.zoom import (
        ZoomDailyLimitReached,
        ZoomHostDailyLimitReached,
        ZoomRegistrantDailyLimit,
    )

    client = client_for(sandbox)
    webinar = client.create_webinar({"topic": "Rules", "type": 5,
                                     "settings": {"approval_type": 0}})
    person = {"email": "Busy@Example.org", "first_name": "Busy"}
    for _ in range(3):
        client.add_registrant(webinar.id, person)
    with pytest.raises(ZoomRegistrantDailyLimit) as one_person:
        client.add_registrant(webinar.id, person)
    error = one_person.value
    assert not isinstance(error, ZoomDailyLimitReached)  # only this person waits
    assert error.email == "Busy@Example.org" and error.status == 429
    midnight = sandbox.store.now().astimezone(UTC).date() + timedelta(days=1)
    assert error.resets_at == datetime(midnight.year, midnight.month, midnight.day, tzinfo=UTC)
    for _ in range(99):  # the host's 100 creates/updates a day, one spent above
        client.update_webinar(webinar.id, {"agenda": "x"})
    with pytest.raises(ZoomHostDailyLimitReached) as host:
        client.update_webinar(webinar.id, {"agenda": "y"})
    assert "100 webinar creates and updates a day" in str(host.value)
    assert "00:00 UTC" in str(host.value)
