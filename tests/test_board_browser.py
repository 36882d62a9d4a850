"""The cue board end to end: `zoomorch serve` running, Debian's Chromium driving the page."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service_support import BOARD_KEY

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "config" / "imrf-2022-latam.toml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian's chromium and chromium-driver are not installed "
           "(apt-get install chromium chromium-driver; .ci/run does it)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`zoomorch serve` on the seed event, re-dated to have started a minute ago — but the
    host has not started the webinar yet (manual advance: the opening waits for it)."""
    yield from _serve(tmp_path, "now-1m")


@pytest.fixture
def served_late(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The same, re-dated to have started 3 to 4 minutes ago (``now-4m`` rounds up to a whole
    minute): whatever happens now, the agenda ends past the hard stop."""
    yield from _serve(tmp_path, "now-4m")


def _serve(tmp_path: Path, start_at: str) -> Iterator[tuple[str, dict[str, str]]]:
    port = _free_port()
    env = {**os.environ, "ZOOMORCH_STATE_DIR": str(tmp_path), "ZOOMORCH_BOARD_SECRET": BOARD_KEY}
    env.pop("ZOOMORCH_STATE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "zoomorch.cli.main", "serve", str(SEED), "--start-at", start_at,
         "--port", str(port), "--no-console"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _, err = process.communicate(timeout=5)
                pytest.fail(f"zoomorch serve did not come up: {err[-2000:]}")
            time.sleep(0.1)
        yield base, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _board_link(base: str, env: dict[str, str], role: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "zoomorch.cli.main", "board-link", str(SEED), "--role", role,
         "--expires", "10m", "--base-url", base],
        env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out.startswith(f"{base}/board/imrf-2022-latam?token=")
    return out


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: object, condition: object, timeout: float = 15) -> object:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)  # type: ignore[arg-type]


def _text(driver: object, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).text)  # type: ignore[attr-defined]


def test_board_shows_the_countdown_and_a_controllers_next_changes_the_segment(
    served: tuple[str, dict[str, str]], browser: object,
) -> None:
    from selenium.webdriver.common.by import By

    base, env = served
    browser.get(_board_link(base, env, "controller"))  # type: ignore[attr-defined]
    # A minute past the scheduled start and not started: the board counts the delay up and
    # the controller's button starts the webinar.
    _wait(browser, lambda d: _text(d, "current-title") == "Not started yet")
    # (--start-at now-1m rounds up to a whole minute: up to a minute late by now)
    _wait(browser, lambda d: re.fullmatch(r"\+[0-2]:\d\d", _text(d, "countdown")))
    assert _text(browser, "next-title") == "Opening Remarks"
    assert _text(browser, "btn-next") == "Start now ▶"
    browser.find_element(By.ID, "btn-next").click()  # type: ignore[attr-defined]
    _wait(browser, lambda d: _text(d, "current-title") == "Opening Remarks")
    # The 5-minute opening begins now, counting down.
    first = _wait(browser, lambda d: re.fullmatch(r"[45]:\d\d", _text(d, "countdown")))
    assert first
    assert _text(browser, "btn-next") == "Next segment ▶"
    state = browser.find_element(By.ID, "now").get_attribute("data-state")  # type: ignore[attr-defined]
    assert state in ("green", "amber")
    assert _text(browser, "next-title") == "Interactive Dialogue"
    before = _text(browser, "countdown")
    _wait(browser, lambda d: _text(d, "countdown") != before, timeout=5)

    browser.find_element(By.ID, "btn-next").click()  # type: ignore[attr-defined]
    _wait(browser, lambda d: _text(d, "current-title") == "Interactive Dialogue")
    _wait(browser, lambda d: re.fullmatch(r"(49|50):\d\d", _text(d, "countdown")))
    assert _text(browser, "next-title") == "Closing Remarks"
    # The server's plan moved too, not just the page.
    token = _board_link(base, env, "viewer").split("token=", 1)[1]
    answer = httpx.get(f"{base}/api/events/imrf-2022-latam/state", params={"token": token})
    assert answer.json()["current"]["title"] == "Interactive Dialogue"


def test_viewer_board_has_no_controls_and_updates_live_from_another_controller(
    served: tuple[str, dict[str, str]], browser: object,
) -> None:
    from selenium.webdriver.common.by import By

    base, env = served
    browser.get(_board_link(base, env, "viewer"))  # type: ignore[attr-defined]
    controller = _board_link(base, env, "controller").split("token=", 1)[1]
    _wait(browser, lambda d: _text(d, "current-title") == "Not started yet")
    httpx.post(f"{base}/api/events/imrf-2022-latam/next",  # before the start: starts it
               headers={"authorization": f"Bearer {controller}"}).raise_for_status()
    _wait(browser, lambda d: _text(d, "current-title") == "Opening Remarks")
    assert not browser.find_element(By.ID, "btn-next").is_displayed()  # type: ignore[attr-defined]
    httpx.post(f"{base}/api/events/imrf-2022-latam/next",
               headers={"authorization": f"Bearer {controller}"}).raise_for_status()
    _wait(browser, lambda d: _text(d, "current-title") == "Interactive Dialogue")


def _seconds(clock: str) -> int:
    """``"3:05"`` → 185."""
    minutes, seconds = clock.split(":")
    return int(minutes) * 60 + int(seconds)


def test_board_shows_how_far_behind_after_a_late_start_and_each_segments_budget(
    served_late: tuple[str, dict[str, str]], browser: object,
) -> None:
    from selenium.webdriver.common.by import By

    base, env = served_late
    browser.get(_board_link(base, env, "controller"))  # type: ignore[attr-defined]
    _wait(browser, lambda d: _text(d, "current-title") == "Not started yet")
    # Not started 3–4 minutes after the scheduled start: the whole hour no longer fits, and
    # the delay counts up with the clock.
    behind = re.compile(r"(\d+:\d\d) behind")
    first = _wait(browser, lambda d: behind.fullmatch(_text(d, "schedule")))
    assert 180 <= _seconds(first.group(1)) <= 300  # type: ignore[attr-defined]
    _wait(browser, lambda d: _text(d, "schedule") != first.group(0),  # type: ignore[attr-defined]
          timeout=5)

    browser.find_element(By.ID, "btn-next").click()  # type: ignore[attr-defined]
    _wait(browser, lambda d: _text(d, "current-title") == "Opening Remarks")
    late = _seconds(_wait(browser, lambda d: behind.fullmatch(_text(d, "schedule")))
                    .group(1))  # type: ignore[attr-defined]
    assert 180 <= late <= 300
    # Each segment's budget against the hard stop: the opening and the dialogue keep theirs,
    # the closing gets what is left of its 5 minutes.
    rows = browser.find_elements(By.CSS_SELECTOR, "#budgets li")  # type: ignore[attr-defined]
    budgets = [(row.find_element(By.CLASS_NAME, "title").text,
                row.find_element(By.CLASS_NAME, "amount").text) for row in rows]
    assert [title for title, _ in budgets] == [
        "Opening Remarks", "Interactive Dialogue", "Closing Remarks"]
    assert budgets[0][1] == "5:00 / 5:00" and budgets[1][1] == "50:00 / 50:00"
    closing = budgets[2][1].split(" / ")
    assert closing[1] == "5:00" and abs(_seconds(closing[0]) - (300 - late)) <= 2
    assert "short" in rows[2].get_attribute("class")  # type: ignore[attr-defined]
    # The host and the moderator were told, and the board lists it.
    _wait(browser, lambda d: "behind schedule: to give the 2 remaining segments their 55 min, "
                             "end Opening Remarks by" in _text(d, "latest"))

    # Two more minutes for the opening: two more minutes behind, taken from the closing.
    amount = browser.find_element(By.ID, "amount")  # type: ignore[attr-defined]
    amount.clear()
    amount.send_keys("2m")
    browser.find_element(By.ID, "btn-extend").click()  # type: ignore[attr-defined]
    _wait(browser, lambda d: (m := behind.fullmatch(_text(d, "schedule"))) is not None
          and _seconds(m.group(1)) >= late + 115)
    # The same offset in the snapshot the server sends (event seconds).
    token = _board_link(base, env, "viewer").split("token=", 1)[1]
    state = httpx.get(f"{base}/api/events/imrf-2022-latam/state",
                      params={"token": token}).json()
    assert late + 110 <= state["behind_seconds"] <= late + 130
    assert [b["title"] for b in state["budgets"]] == [
        "Opening Remarks", "Interactive Dialogue", "Closing Remarks"]
