"""Pacing keeps big jobs under Zoom's limits; 429s are waited out or reported at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from zoomorch.rate_labels import RateLabel
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import (
    RateLimiter,
    RetryPolicy,
    TokenBucket,
    ZoomClient,
    ZoomDailyLimitReached,
    ZoomRateLimited,
    load_settings,
)
from zoomorch.zoom.ratelimit import parse_moment

FAST = RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05, jitter=0.01)


def client_for(sb: Sandbox, plan: str = "pro", policy: RetryPolicy = FAST) -> ZoomClient:
    return ZoomClient(load_settings(environ=sb.env()).credentials, plan, retry=policy)


def test_bucket_spaces_calls_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(4.0, clock=lambda: now[0], sleep=lambda s: None)
    waits = [bucket.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])


def test_bucket_hands_each_thread_its_own_slot() -> None:
    bucket = TokenBucket(1000.0, clock=lambda: 0.0, sleep=lambda s: None)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(50):
            wait = bucket.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round(w * 1000) for w in waits) == list(range(200))


def test_limiter_paces_each_label_below_the_plan_limit() -> None:
    limiter = RateLimiter("free")
    assert limiter.limit(RateLabel.MEDIUM) == 2
    assert limiter.pace(RateLabel.MEDIUM) == pytest.approx(2 * 0.97)


def test_many_threads_on_a_free_plan_provoke_no_429() -> None:
    with Sandbox(plan="free", rate_limits=True) as sb:
        client = client_for(sb, "free")
        webinar = client.create_webinar({"topic": "Load", "type": 5})

        def work() -> None:
            for _ in range(4):
                client.get_webinar(webinar.id)  # Light: 4/s on Free

        started = time.monotonic()
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        statuses = [e["status"] for e in sb.requests_log()]
    assert statuses.count(429) == 0
    assert len(statuses) == 17
    assert elapsed >= 16 / 4.0 - 0.3  # paced, not bursted


def test_client_adopts_a_lower_limit_announced_by_zoom() -> None:
    # Configured as Business (80/s Light) against a Free account (4/s).
    with Sandbox(plan="free", rate_limits=True) as sb:
        client = client_for(sb, "business")
        webinar = client.create_webinar({"topic": "Adapt", "type": 5})
        for _ in range(8):
            client.get_webinar(webinar.id)
        statuses = [e["status"] for e in sb.requests_log()]
    assert client.transport.limiter.limit(RateLabel.LIGHT) == 4
    assert statuses.count(429) <= 1


def test_per_second_429_waits_as_told_and_retries(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    client.request("GET", "/users/me")
    sandbox.faults.rate_limit_burst = 1

    started = time.monotonic()
    client.request("GET", "/users/me")
    elapsed = time.monotonic() - started

    assert [e["status"] for e in sandbox.requests_log()] == [200, 429, 200]
    assert elapsed >= 0.9  # X-RateLimit-Reset: 1 (second)


def test_per_second_429s_that_persist_raise_rate_limited(sandbox: Sandbox) -> None:
    client = client_for(sandbox, policy=RetryPolicy(attempts=2, initial_wait=0.01))
    sandbox.faults.rate_limit_burst = 5

    with pytest.raises(ZoomRateLimited) as caught:
        client.request("GET", "/users/me")

    assert caught.value.rate_limit_type == "QPS"
    assert caught.value.retry_after == pytest.approx(1.0, abs=0.1)
    assert client.calls["GET /users/{userId}"] == 2


def test_daily_limit_raises_at_once_saying_when_it_resets() -> None:
    with Sandbox(plan="free", rate_limits=True) as sb:
        client = client_for(sb, "free")
        sb.limiter.set_daily_used(RateLabel.HEAVY, 1000)  # Free: 1,000 Heavy calls a day

        with pytest.raises(ZoomDailyLimitReached) as caught:
            client.get_webinar_report(123)

    # At once: one call and no retry. Waiting for the reset, hours away, would time the test
    # out; no wall-clock bound needed (a busy machine made the old `< 1 s` one flaky).
    assert sum(client.calls.values()) == 1, client.calls
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    assert caught.value.resets_at == datetime(
        tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC
    )
    assert "resets at" in str(caught.value)
    assert f"{tomorrow:%Y-%m-%d} 00:00 UTC" in str(caught.value)


@pytest.mark.parametrize(
    "value",
    ["2", "Thu, 01 May 2025 09:00:02 GMT", "2025-05-01T09:00:02Z", "1746090002"],
)
def test_retry_after_is_read_as_seconds_http_date_iso_date_or_epoch(value: str) -> None:
    now = datetime(2025, 5, 1, 9, 0, 0, tzinfo=UTC)
    assert parse_moment(value, now) == now + timedelta(seconds=2)
