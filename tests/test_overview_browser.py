"""The conference overview end to end: `zoomorch serve` running three copies of the seed event,
Debian's Chromium showing the overview; `zoomorch cues next` changes one row within ~1 s.
Screenshots go to ``tests/artifacts/overview/`` (gitignored)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from browser_support import chrome, needs_chromium, seed_copies, serving
from service_support import BOARD_KEY
from zoomorch.board.tokens import BoardTokens, key_id

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "overview"
pytestmark = needs_chromium

# Each event's start, in seconds from when the service starts (negative: already due).
EVENTS = {"ov-live": -60, "ov-late": -120, "ov-later": 3 * 3600}


@dataclass(frozen=True)
class Served:
    base: str
    env: dict[str, str]
    events: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("overview-browser")
    now = datetime.now(UTC).replace(microsecond=0)
    seed_copies(root / "events", {slug: now + timedelta(seconds=offset)
                                  for slug, offset in EVENTS.items()})
    with serving(root / "events", root / "state") as (base, env):
        yield Served(base, env, root / "events")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = chrome(tmp_path / "chromium-profile", window="1400,700")
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Any, timeout: float = 10) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page re-renders every second: an element found may be replaced before it is read.
    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def _cell(driver: Any, slug: str, cls: str) -> str:
    return str(driver.execute_script(
        "const r = document.getElementById('row-' + arguments[0]);"
        "const c = r && r.querySelector('.' + arguments[1]); return c ? c.textContent : null;",
        slug, cls))


def _phase(driver: Any, slug: str) -> str | None:
    found = driver.execute_script(
        "const r = document.getElementById('row-' + arguments[0]);"
        "return r ? r.dataset.phase : null;", slug)
    return str(found) if found is not None else None


def _shot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")


def test_the_overview_lists_every_event_and_follows_a_next_within_a_second(
    served: Served, browser: Any,
) -> None:
    # ov-live is started by its controller before anyone looks.
    controller = BoardTokens(BOARD_KEY).issue("ov-live", "controller", timedelta(minutes=10))
    httpx.post(f"{served.base}/api/events/ov-live/next", json={},
               headers={"authorization": f"Bearer {controller}"}).raise_for_status()
    done = subprocess.run(
        [sys.executable, "-m", "zoomorch.cli.main", "overview-link", "--hours", "1",
         "--base-url", served.base], env=served.env, capture_output=True, text=True, check=True)
    assert f"board key {key_id(BOARD_KEY)}, from ZOOMORCH_BOARD_SECRET" in done.stderr
    link = done.stdout.strip()
    assert link.startswith(f"{served.base}/overview?token=")

    browser.get(link)
    _wait(browser, lambda d: all(_phase(d, s) for s in EVENTS))
    assert "token=" not in browser.current_url  # the cookie carries it now
    assert [_phase(browser, s) for s in EVENTS] == ["live", "late", "before"]
    assert _cell(browser, "ov-live", "segment") == "Opening Remarks"
    assert _cell(browser, "ov-late", "segment") == "—"
    assert re.fullmatch(r"[12]:\d\d behind", _cell(browser, "ov-late", "delay"))
    # Times on a 24-hour clock in the browser's zone; the next cue with its time.
    assert re.fullmatch(r"([A-Za-z]{3}, \d+ [A-Za-z]{3} )?\d\d:\d\d",
                        _cell(browser, "ov-later", "time"))
    assert re.match(r"\d\d:\d\d · ", _cell(browser, "ov-live", "next-cue"))
    _shot(browser, "overview-en")

    # `zoomorch cues next` from another process starts ov-late: its row changes within ~1 s.
    subprocess.run([sys.executable, "-m", "zoomorch.cli.main", "cues", "next",
                    str(served.events / "ov-late.toml")], env=served.env, check=True,
                   capture_output=True)
    asked = time.monotonic()
    _wait(browser, lambda d: _phase(d, "ov-late") == "live", timeout=5)
    took = time.monotonic() - asked
    assert took < 2.0, f"the overview followed `cues next` after {took:.1f} s"
    assert _cell(browser, "ov-late", "segment") == "Opening Remarks"
    assert _phase(browser, "ov-live") == "live" and _phase(browser, "ov-later") == "before"

    # Each row opens the event's board, as a viewer.
    href = browser.execute_script(
        "return document.querySelector('#row-ov-later a').getAttribute('href');")
    browser.get(f"{served.base}{href}")
    _wait(browser, lambda d: d.execute_script(
        "return document.body.classList.contains('viewer')"))
    assert not browser.execute_script("return document.body.classList.contains('controller')")
    _wait(browser, lambda d: d.execute_script(  # its stream took the viewer link
        "return document.body.dataset.revision !== undefined"))


def test_a_board_link_or_an_expired_link_gets_a_clear_page(served: Served, browser: Any) -> None:
    tokens = BoardTokens(BOARD_KEY)
    browser.get(f"{served.base}/overview?token={tokens.issue('ov-live', 'viewer')}")
    text = _wait(browser, lambda d: d.find_element("id", "error").text)
    assert "This is a board link, not an overview link" in text
    expired = tokens.issue_overview(timedelta(hours=1), language="es",
                                    now=datetime.now(UTC) - timedelta(hours=2))
    browser.get(f"{served.base}/overview?token={expired}")
    text = _wait(browser, lambda d: d.find_element("id", "error").text)
    assert "ha caducado" in text
    _shot(browser, "overview-expired-es")
