"""Fault injection: 5xx before processing, 429 bursts, latency, connections dropped after it."""

from __future__ import annotations

import time

import pytest
import requests

from sandbox_helpers import ZoomSession, create_webinar
from zoomorch.sandbox import Sandbox


def test_dropped_connection_after_processing_changed_state(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    wid = create_webinar(s)["id"]
    sandbox.faults.drop_after_processing_rate = 1.0
    with pytest.raises(requests.exceptions.RequestException):
        s.post(f"/webinars/{wid}/registrants", json={"email": "a@example.org", "first_name": "A"})
    sandbox.faults.drop_after_processing_rate = 0.0
    listed = s.get(f"/webinars/{wid}/registrants").json()
    assert [r["email"] for r in listed["registrants"]] == ["a@example.org"]
    assert sandbox.requests_log()[-2].get("dropped") is True


def test_injected_5xx_changes_nothing(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    wid = create_webinar(s)["id"]
    sandbox.faults.error_rate = 1.0
    failed = s.post(f"/webinars/{wid}/registrants",
                    json={"email": "a@example.org", "first_name": "A"})
    assert failed.status_code >= 500
    sandbox.faults.error_rate = 0.0
    assert s.get(f"/webinars/{wid}/registrants").json()["total_records"] == 0


def test_rate_limit_burst_via_admin_api(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    put = requests.put(sandbox.admin_url + "/faults", json={"rate_limit_burst": 2, "seed": 7},
                       timeout=5)
    assert put.status_code == 200 and put.json()["rate_limit_burst"] == 2
    codes = [s.get("/users/me").status_code for _ in range(3)]
    assert codes == [429, 429, 200]
    bad = requests.put(sandbox.admin_url + "/faults", json={"error_rate": 2}, timeout=5)
    assert bad.status_code == 400


def test_added_latency(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)
    sandbox.faults.latency_ms = 150
    began = time.monotonic()
    assert s.get("/users/me").status_code == 200
    assert time.monotonic() - began >= 0.15


def test_seeded_faults_are_reproducible(sandbox: Sandbox) -> None:
    s = ZoomSession(sandbox)

    def run() -> list[int]:
        sandbox.faults.update({"error_rate": 0.5, "seed": 42})
        return [s.get("/users/me").status_code for _ in range(12)]

    first = run()
    assert run() == first
    assert set(first) == {200, 500}
