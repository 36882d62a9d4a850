"""Headless Chromium and `zoomorch serve` for the browser tests (board, overview): copies of
the seed event dated for the test, one service for a test module, and a Chrome driver."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from service_support import BOARD_KEY, came_up

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian's chromium and chromium-driver are not installed "
           "(apt-get install chromium chromium-driver; .ci/run does it)",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed_copies(events: Path, starts: Mapping[str, datetime]) -> None:
    """One copy of the seed event per key in ``events``, each starting at its moment."""
    events.mkdir(parents=True, exist_ok=True)
    seed = SEED.read_text(encoding="utf-8")
    for slug, start in starts.items():
        text = seed.replace('key = "imrf-2022-latam"', f'key = "{slug}"', 1)
        text = re.sub(r"^start = .*$", f"start = {start.isoformat()}", text, count=1,
                      flags=re.M)
        (events / f"{slug}.toml").write_text(text, encoding="utf-8")


@contextmanager
def serving(events: Path, state_dir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`zoomorch serve` on the event files in ``events`` (SQLite in ``state_dir``, the tests'
    board key), up and healthy: yields its base URL and its environment; stopped after."""
    port = free_port()
    env = {**os.environ, "ZOOMORCH_STATE_DIR": str(state_dir),
           "ZOOMORCH_BOARD_SECRET": BOARD_KEY}
    env.pop("ZOOMORCH_STATE_URL", None)
    env.pop("ZOOMORCH_PUBLIC_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "zoomorch.cli.main", "serve", str(events), "--port", str(port),
         "--no-console"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        if not came_up(base, process, 30):
            process.terminate()
            _, err = process.communicate(timeout=5)
            pytest.fail(f"zoomorch serve did not come up: {err[-2000:]}")
        yield base, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def chrome(profile: Path, *, window: str = "1280,900") -> Any:
    """A headless Chromium with its own profile (its own cookies) at ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--window-size={window}",
                 "--autoplay-policy=no-user-gesture-required", "--lang=en-US",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
    driver.set_page_load_timeout(30)
    return driver
