"""``notifications.webhook.timeout_seconds`` reaches the webhook channel built from the event
file: a receiver slower than the configured timeout fails the delivery after about that long
(not the channel's 5-second default), and a prompt receiver still gets the cue. Both against
a real HTTP receiver on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from event_support import seed_data
from http_receiver import Answer, HttpReceiver, Received
from zoomorch.event import parse_event
from zoomorch.notify.base import CueMessage, DeliveryError
from zoomorch.notify.channels import ChannelOverrides, build_notifiers, resolve_channels
from zoomorch.notify.webhook import DEFAULT_TIMEOUT

CONFIGURED = 1.0  # seconds: well under the default, so the two cannot be confused


def _cue() -> CueMessage:
    return CueMessage(key="imrf:seg-2:warning:ana:webhook", event_slug="imrf", kind="warning",
                      due=datetime(2022, 5, 17, 13, 25, tzinfo=UTC),
                      text="2 minutes left", recipient_name="Ana María Diez")


def _webhook_from_file(url: str, timeout_seconds: float | None = CONFIGURED, *,
                       overrides: ChannelOverrides | None = None) -> Any:
    data = seed_data()
    hook: dict[str, Any] = {"url": url}
    if timeout_seconds is not None:
        hook["timeout_seconds"] = timeout_seconds
    data["notifications"] = {"console": False, "board": False, "webhook": hook}
    plan = resolve_channels(parse_event(data).notifications, env={}, overrides=overrides)
    [notifier] = build_notifiers(plan)
    assert notifier.name == "webhook"
    return notifier


@pytest.fixture
def slow_receiver() -> Iterator[HttpReceiver]:
    """Answers only after the test releases it (or 3× the default timeout), never sooner."""
    release = threading.Event()

    def respond(_request: Received) -> Answer:
        release.wait(timeout=3 * DEFAULT_TIMEOUT)
        return Answer(200, b"ok")

    with HttpReceiver("/cues", respond=respond) as receiver:
        yield receiver
        release.set()


def _time_failed_delivery(notifier: Any) -> float:
    began = time.monotonic()
    with pytest.raises(DeliveryError) as failed:
        notifier.deliver(_cue())
    elapsed = time.monotonic() - began
    assert "ReadTimeout" in str(failed.value)
    assert "/cues" not in str(failed.value)  # the URL's path stays out of the error
    return elapsed


def test_a_receiver_slower_than_the_configured_timeout_fails_after_that_timeout(
        slow_receiver: HttpReceiver) -> None:
    elapsed = _time_failed_delivery(_webhook_from_file(slow_receiver.url))

    assert len(slow_receiver.requests) == 1  # the cue did reach it: the wait was for its answer
    # About the configured second (scheduling slack on a busy machine), far from the default.
    assert CONFIGURED * 0.9 <= elapsed < DEFAULT_TIMEOUT - 1.5, elapsed


def test_the_files_timeout_also_holds_for_a_webhook_given_on_the_command_line(
        slow_receiver: HttpReceiver) -> None:
    notifier = _webhook_from_file("https://cues.example.org/in", overrides=ChannelOverrides(
        webhooks=(slow_receiver.url,)))

    elapsed = _time_failed_delivery(notifier)

    assert CONFIGURED * 0.9 <= elapsed < DEFAULT_TIMEOUT - 1.5, elapsed


def test_without_timeout_seconds_the_channel_waits_the_documented_default() -> None:
    notifier = _webhook_from_file("http://127.0.0.1:9/cues", timeout_seconds=None)
    assert notifier.timeout == DEFAULT_TIMEOUT == 5.0


def test_a_receiver_answering_within_the_timeout_gets_the_cue() -> None:
    def respond(_request: Received) -> Answer:
        time.sleep(CONFIGURED / 5)  # slower than instant, well within the timeout
        return Answer(204)

    with HttpReceiver("/cues", respond=respond) as receiver:
        _webhook_from_file(receiver.url).deliver(_cue())
        [body] = receiver.bodies

    assert body["text"] == "2 minutes left" and body["kind"] == "warning"
