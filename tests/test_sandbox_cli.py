"""`zoomorch sandbox` end to end: prints a working environment and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests


def test_sandbox_command_prints_env_that_works(tmp_path: Path) -> None:
    env = {**os.environ, "ZOOMORCH_SANDBOX_CLIENT_SECRET": "from-env-secret"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoomorch", "sandbox", "--port", "0",
         "--plan", "free", "--state-file", str(tmp_path / "state.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(5))
        assert lines["ZOOM_CLIENT_SECRET"] == "from-env-secret"
        token = requests.post(lines["ZOOM_OAUTH_URL"], params={
            "grant_type": "account_credentials", "account_id": lines["ZOOM_ACCOUNT_ID"]},
            auth=(lines["ZOOM_CLIENT_ID"], lines["ZOOM_CLIENT_SECRET"]), timeout=5).json()
        created = requests.post(lines["ZOOM_API_BASE_URL"] + "/users/me/webinars",
                                json={"topic": "CLI"}, timeout=5,
                                headers={"Authorization": f"Bearer {token['access_token']}"})
        assert created.status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    state = (tmp_path / "state.json").read_text()
    assert '"topic":"CLI"' in state and "from-env-secret" not in state


def test_sandbox_command_speed_runs_the_clock_fast() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoomorch", "sandbox", "--port", "0",
         "--speed", "600", "--client-secret", "x"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(5))
        admin = lines["ZOOM_API_BASE_URL"].removesuffix("/v2") + "/_sandbox"
        clock = requests.get(admin + "/clock", timeout=5).json()
        assert clock["speed"] == 600
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
