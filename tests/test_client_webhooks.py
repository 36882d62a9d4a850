"""Webhook signatures: our receiver accepts what Zoom (the sandbox) signs, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zoomorch.sandbox import webhooks as sandbox_webhooks
from zoomorch.zoom.webhooks import sign, url_validation_response, verify

SECRET = "whsec-test-token"
BODY = b'{"event":"webinar.started","event_ts":1746090000000,"payload":{"object":{"id":1}}}'
NOW = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))


def headers(signature: str, timestamp: str = TS) -> dict[str, str]:
    return {"x-zm-request-timestamp": timestamp, "x-zm-signature": signature}


def test_signature_matches_the_sandbox_signer() -> None:
    assert sign(SECRET, TS, BODY) == sandbox_webhooks.sign(SECRET, TS, BODY.decode())


def test_genuine_request_is_accepted_whatever_the_header_case() -> None:
    signed = sign(SECRET, TS, BODY)
    assert verify(SECRET, headers(signed), BODY, now=NOW)
    upper = {"X-Zm-Request-Timestamp": TS, "X-Zm-Signature": signed}
    assert verify(SECRET, upper, BODY, now=NOW)


def test_tampered_body_or_wrong_secret_is_refused() -> None:
    signed = sign(SECRET, TS, BODY)
    assert not verify(SECRET, headers(signed), BODY.replace(b"1}", b"2}"), now=NOW)
    assert not verify("other-secret", headers(signed), BODY, now=NOW)
    assert not verify(SECRET, {"x-zm-request-timestamp": TS}, BODY, now=NOW)


def test_stale_timestamp_is_refused_as_a_replay() -> None:
    old = str(int((NOW - timedelta(minutes=6)).timestamp()))
    assert not verify(SECRET, headers(sign(SECRET, old, BODY), old), BODY, now=NOW)
    recent = str(int((NOW - timedelta(minutes=4)).timestamp()))
    assert verify(SECRET, headers(sign(SECRET, recent, BODY), recent), BODY, now=NOW)


def test_url_validation_answer_matches_zoom_s_rule() -> None:
    answer = url_validation_response(SECRET, "qgg8vlvZRS6UYooatFL8Aw")
    assert answer == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": sandbox_webhooks.encrypt_token(SECRET, "qgg8vlvZRS6UYooatFL8Aw"),
    }
