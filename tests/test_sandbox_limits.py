"""Zoom's rate limits in the sandbox: per-second 429 with headers, daily pools, fault bursts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sandbox_helpers import ZoomSession, create_webinar
from zoomorch.rate_labels import RateLabel
from zoomorch.sandbox import Sandbox


def test_per_second_limit_answers_429_with_zoom_headers() -> None:
    with Sandbox(client_secret="x", plan="free") as sb:
        s = ZoomSession(sb)
        wid = create_webinar(s)["id"]
        # Medium on Free: 2 per second, counted in a strict sliding 1-second window.
        answers = [s.get(f"/webinars/{wid}/registrants") for _ in range(3)]
        assert [a.status_code for a in answers[:2]] == [200, 200]
        assert answers[0].headers["X-RateLimit-Category"] == "Medium"
        assert answers[0].headers["X-RateLimit-Limit"] == "2"
        limited = answers[2]
        assert limited.status_code == 429
        assert limited.json() == {"code": 429, "message": "You have reached the maximum "
                                  "per-second rate limit for this API. Try again later."}
        assert limited.headers["X-RateLimit-Category"] == "Medium"
        assert limited.headers["X-RateLimit-Type"] == "QPS"
        assert limited.headers["X-RateLimit-Limit"] == "2"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert int(limited.headers["X-RateLimit-Reset"]) >= 1
        # Other labels have their own windows.
        assert s.get("/users/me").status_code == 200
        time.sleep(1.01)  # the window runs on real time, as the client's pacing does
        assert s.get(f"/webinars/{wid}/registrants").status_code == 200


def test_daily_pool_exhausted_answers_retry_after_date_time() -> None:
    with Sandbox(client_secret="x", plan="free") as sb:
        s = ZoomSession(sb)
        wid = create_webinar(s)["id"]
        sb.limiter.set_daily_used(RateLabel.HEAVY, 1000)
        response = s.post(f"/webinars/{wid}/batch_registrants", json={
            "registrants": [{"email": "a@example.org", "first_name": "A"}]})
        assert response.status_code == 429
        assert response.json()["message"].startswith("You have reached the maximum daily")
        assert response.headers["X-RateLimit-Type"] == "Daily-limit"
        assert response.headers["X-RateLimit-Category"] == "Heavy"
        today = sb.store.now().date()
        midnight = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
        assert response.headers["Retry-After"] == midnight.strftime("%Y-%m-%dT%H:%M:%SZ")
        # Light calls draw from another pool.
        assert s.get("/users/me").status_code == 200


def test_rate_limits_false_never_429(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    wid = create_webinar(s)["id"]
    codes = {s.get(f"/webinars/{wid}/registrants").status_code for _ in range(30)}
    assert codes == {200}


def test_webinar_writes_limited_to_100_a_day_per_host(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    wid = create_webinar(s)["id"]
    answers = [s.patch(f"/webinars/{wid}", json={"agenda": str(i)}) for i in range(100)]
    assert [a.status_code for a in answers] == [204] * 99 + [429]
    refused = answers[-1]
    # Zoom's own wording; the limit headers but no X-RateLimit-Type (facts.md).
    assert refused.json()["code"] == 429
    assert "daily rate limit (100) of Meeting Create/Update" in refused.json()["message"]
    assert refused.headers["X-RateLimit-Limit"] == "100"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Type" not in refused.headers
    assert s.post("/users/me/webinars", json={"topic": "One more", "type": 5}).status_code == 429
