"""The cue board end to end: `zoomorch serve` running, Debian's Chromium driving the page.

One service serves the whole file: each test has its own copy of the seed event (its own key,
its own start), so what one test does to its event (start, next, shift, messages) leaves the
others alone. Screenshots go to ``tests/artifacts/board/`` (gitignored; the path is printed).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from browser_support import chrome, needs_chromium, seed_copies, serving
from service_support import BOARD_KEY
from zoomorch.board.page import COLOURS
from zoomorch.board.tokens import BoardTokens, key_id

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "board"
pytestmark = needs_chromium

# Each test's event: its key and how long before the service started it was scheduled to
# start (the webinar itself is started, or not, by the test).
EVENTS = {
    "imrf-2022-latam": 60,   # the seed's own key: the link `zoomorch board-link` prints
    "board-viewer": 60,
    "board-late": 180,       # 3 min late: whatever happens now, the agenda ends past the stop
    "board-shots": 60,
    "board-es": 60,
    "board-messages": 60,
    "board-colours": 60,
    "board-phone": 60,
}


@dataclass(frozen=True)
class Served:
    base: str
    env: dict[str, str]
    events: Path  # the folder of event files
    started: datetime  # when the events were dated from

    def link(self, slug: str, role: str = "viewer", language: str = "en",
             extra: str = "") -> str:
        token = BoardTokens(BOARD_KEY).issue(slug, role, timedelta(minutes=30),  # type: ignore[arg-type]
                                             language=language)
        return f"{self.base}/board/{slug}?token={token}{extra}"

    def token(self, slug: str, role: str = "controller") -> str:
        return self.link(slug, role).split("token=", 1)[1]

    def state(self, slug: str, language: str = "en") -> dict[str, Any]:
        """The snapshot a board in ``language`` gets (segment titles in that language when
        the event has them)."""
        answer = httpx.get(f"{self.base}/api/events/{slug}/state",
                           params={"token": self.token(slug, "viewer"), "lang": language})
        answer.raise_for_status()
        state: dict[str, Any] = answer.json()
        return state

    def post(self, slug: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = httpx.post(f"{self.base}/api/events/{slug}/{action}", json=body or {},
                            headers={"authorization": f"Bearer {self.token(slug)}"})
        answer.raise_for_status()
        state: dict[str, Any] = answer.json()
        return state


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`zoomorch serve` on a copy of the seed event per test, each scheduled to have started
    (a minute ago, mostly) — but no host has started any webinar yet (manual advance)."""
    root = tmp_path_factory.mktemp("board-browser")
    now = datetime.now(UTC).replace(microsecond=0)
    seed_copies(root / "events", {slug: now - timedelta(seconds=ago)
                                  for slug, ago in EVENTS.items()})
    with serving(root / "events", root / "state") as (base, env):
        yield Served(base, env, root / "events", now)


def _board_link(served: Served, slug: str, role: str, *extra: str) -> str:
    """A link from `zoomorch board-link`, checked against the running service."""
    done = subprocess.run(
        [sys.executable, "-m", "zoomorch.cli.main", "board-link",
         str(served.events / f"{slug}.toml"), "--role", role, "--expires", "10m",
         "--base-url", served.base, "--service", served.base, *extra],
        env=served.env, capture_output=True, text=True, check=True)
    out = done.stdout.strip()
    assert out.startswith(f"{served.base}/board/{slug}?token=")
    assert f"board key {key_id(BOARD_KEY)}, from ZOOMORCH_BOARD_SECRET" in done.stderr
    assert "uses the same board key" in done.stderr
    return out


def _chrome(tmp_path: Path, name: str) -> Any:
    return chrome(tmp_path / name)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = _chrome(tmp_path, "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def second_browser(tmp_path: Path) -> Iterator[Any]:
    """Another person's browser (its own profile: its own cookies)."""
    driver = _chrome(tmp_path, "chromium-profile-2")
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Callable[[Any], Any], timeout: float = 15,
          poll: float = 0.1) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page re-renders on every snapshot: an element found a moment ago may be replaced
    # before it is read; the condition is then asked again.
    return WebDriverWait(driver, timeout, poll_frequency=poll,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def _text(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).text)


def _live(driver: Any) -> None:
    """The page has its first snapshot and its stream is open."""
    _wait(driver, lambda d: d.execute_script(
        "return document.body.dataset.revision !== undefined && "
        "document.getElementById('conn').className === 'live'"))


def _shot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def _rgb(colour: str) -> str:
    """``#a61b1b`` → ``rgb(166, 27, 27)`` (how the browser reports a computed colour)."""
    return "rgb({}, {}, {})".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))


# -- the controller's board ------------------------------------------------------------------


def test_board_shows_the_countdown_and_a_controllers_next_changes_the_segment(
    served: Served, browser: Any,
) -> None:
    from selenium.webdriver.common.by import By

    slug = "imrf-2022-latam"
    browser.get(_board_link(served, slug, "controller"))
    # Past the scheduled start and not started: the board counts the delay up and the
    # controller's button starts the webinar.
    _wait(browser, lambda d: _text(d, "current-title") == "Not started yet")
    _wait(browser, lambda d: re.fullmatch(r"\+[0-2]:\d\d", _text(d, "countdown")))
    assert _text(browser, "next-title") == "Opening Remarks"
    assert _text(browser, "btn-next") == "Start now ▶"
    browser.find_element(By.ID, "btn-next").click()
    _wait(browser, lambda d: _text(d, "current-title") == "Opening Remarks")
    # The 5-minute opening begins now, counting down.
    first = _wait(browser, lambda d: re.fullmatch(r"[45]:\d\d", _text(d, "countdown")))
    assert first
    assert _text(browser, "btn-next") == "Next segment ▶"
    state = browser.find_element(By.ID, "now").get_attribute("data-state")
    assert state in ("green", "amber")
    assert _text(browser, "next-title") == "Interactive Dialogue"
    before = _text(browser, "countdown")
    _wait(browser, lambda d: _text(d, "countdown") != before, timeout=5)

    browser.find_element(By.ID, "btn-next").click()
    _wait(browser, lambda d: _text(d, "current-title") == "Interactive Dialogue")
    _wait(browser, lambda d: re.fullmatch(r"(49|50):\d\d", _text(d, "countdown")))
    assert _text(browser, "next-title") == "Closing Remarks"
    # The server's plan moved too, not just the page.
    answer = httpx.get(f"{served.base}/api/events/{slug}/state",
                       params={"token": served.token(slug, "viewer")})
    assert answer.json()["current"]["title"] == "Interactive Dialogue"


def test_viewer_board_has_no_controls_and_updates_live_from_another_controller(
    served: Served, browser: Any,
) -> None:
    from selenium.webdriver.common.by import By

    slug = "board-viewer"
    browser.get(served.link(slug, "viewer"))
    _wait(browser, lambda d: _text(d, "current-title") == "Not started yet")
    served.post(slug, "next")  # before the start: starts it
    _wait(browser, lambda d: _text(d, "current-title") == "Opening Remarks")
    for control in ("btn-next", "btn-shift", "msg-send", "msg-wrap"):
        assert not browser.find_element(By.ID, control).is_displayed()
    served.post(slug, "next")
    _wait(browser, lambda d: _text(d, "current-title") == "Interactive Dialogue")


def _seconds(clock: str) -> int:
    """``"3:05"`` → 185."""
    minutes, seconds = clock.split(":")
    return int(minutes) * 60 + int(seconds)


def test_board_shows_how_far_behind_after_a_late_start_and_each_segments_budget(
    served: Served, browser: Any,
) -> None:
    from selenium.webdriver.common.by import By

    slug = "board-late"
    browser.get(served.link(slug, "controller"))
    _wait(browser, lambda d: _text(d, "current-title") == "Not started yet")
    # Not started 3 minutes (and however long the tests before took) after the scheduled
    # start: the whole hour no longer fits, and the delay counts up with the clock.
    behind = re.compile(r"(\d+:\d\d) behind")
    first = _wait(browser, lambda d: behind.fullmatch(_text(d, "schedule")))
    assert 180 <= _seconds(first.group(1)) <= 300
    _wait(browser, lambda d: _text(d, "schedule") != first.group(0), timeout=5)

    browser.find_element(By.ID, "btn-next").click()
    _wait(browser, lambda d: _text(d, "current-title") == "Opening Remarks")
    late = _seconds(_wait(browser, lambda d: behind.fullmatch(_text(d, "schedule"))).group(1))
    assert 180 <= late <= 300
    # Each segment's budget against the hard stop: the opening and the dialogue keep theirs,
    # the closing gets what is left of its 5 minutes.
    rows = browser.find_elements(By.CSS_SELECTOR, "#budgets li")
    budgets = [(row.find_element(By.CLASS_NAME, "title").text,
                row.find_element(By.CLASS_NAME, "amount").text) for row in rows]
    assert [title for title, _ in budgets] == [
        "Opening Remarks", "Interactive Dialogue", "Closing Remarks"]
    assert budgets[0][1] == "5:00 / 5:00" and budgets[1][1] == "50:00 / 50:00"
    closing = budgets[2][1].split(" / ")
    assert closing[1] == "5:00" and abs(_seconds(closing[0]) - (300 - late)) <= 2
    assert "short" in rows[2].get_attribute("class")
    # The host and the moderator were told, and the board lists it.
    _wait(browser, lambda d: "behind schedule: to give the 2 remaining segments their 55 min, "
                             "end Opening Remarks by" in _text(d, "latest"))

    # Two more minutes for the opening: two more minutes behind, taken from the closing.
    amount = browser.find_element(By.ID, "amount")
    amount.clear()
    amount.send_keys("2m")
    browser.find_element(By.ID, "btn-extend").click()
    _wait(browser, lambda d: (m := behind.fullmatch(_text(d, "schedule"))) is not None
          and _seconds(m.group(1)) >= late + 115)
    # The same offset in the snapshot the server sends (event seconds).
    state = httpx.get(f"{served.base}/api/events/{slug}/state",
                      params={"token": served.token(slug, "viewer")}).json()
    assert late + 110 <= state["behind_seconds"] <= late + 130
    assert [b["title"] for b in state["budgets"]] == [
        "Opening Remarks", "Interactive Dialogue", "Closing Remarks"]

    # A refused amount says so in the board's words (the service's own in the tooltip).
    amount.clear()
    amount.send_keys("-2m")
    browser.find_element(By.ID, "btn-extend").click()
    _wait(browser, lambda d: _text(d, "control-error").startswith("That amount did not work"))


# -- languages -------------------------------------------------------------------------------


def test_a_spanish_board_speaks_spanish_with_a_24_hour_clock(served: Served,
                                                             browser: Any) -> None:
    from selenium.webdriver.common.by import By

    slug = "board-es"
    browser.get(served.link(slug, "controller", "es"))
    _live(browser)
    _wait(browser, lambda d: _text(d, "current-title") == "Aún no ha empezado")
    assert browser.execute_script("return document.documentElement.lang") == "es"
    assert _text(browser, "btn-next") == "Empezar ahora ▶"
    assert _text(browser, "btn-shift") == "Desplazar"
    assert _text(browser, "btn-extend") == "Prolongar"
    assert _text(browser, "msg-send") == "Enviar"
    assert _text(browser, "sound") == "Activar sonido"
    assert _text(browser, "conn") == "en vivo"
    assert browser.find_element(By.ID, "amount").get_attribute("aria-label").startswith(
        "Cantidad")
    assert re.fullmatch(r"\d+:\d\d de retraso", _text(browser, "schedule"))
    # No English word of the board's own is left (segment titles are the snapshot's).
    page = browser.find_element(By.TAG_NAME, "body").text
    for english in ("Shift", "Extend", "Start now", "Latest cues", "Next segment", "Send",
                    "Sound on", "behind", "Until the hard stop", "Not started yet", "live"):
        assert english not in page, english
    # Times: the 24-hour clock, in the event's zone — the same digits Python's %H gives.
    state = served.state(slug, "es")
    zone = ZoneInfo(state["zone"])
    starts = datetime.fromisoformat(state["next"]["start"]).astimezone(zone)
    assert _text(browser, "next-when") == starts.strftime("%H:%M:%S")
    clock = _text(browser, "clock")
    assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d", clock), clock
    assert abs(datetime.strptime(clock, "%H:%M:%S").replace(
        year=2000) - datetime.now(zone).replace(year=2000, month=1, day=1, tzinfo=None)
        .replace(microsecond=0)) < timedelta(seconds=5) or clock.startswith("00:")
    # The latest cues come in Spanish too, with Spanish times.
    assert "Son las" in _text(browser, "latest") or "Es la" in _text(browser, "latest")

    # Started: the current segment's end reads "hasta las HH:MM:SS" ("la" at one o'clock).
    served.post(slug, "next")
    state = served.state(slug, "es")
    _wait(browser, lambda d: _text(d, "current-title") == state["current"]["title"])
    ends = datetime.fromisoformat(state["current"]["end"]).astimezone(zone)
    word = "HASTA LA" if ends.hour == 1 else "HASTA LAS"
    _wait(browser, lambda d: _text(d, "current-until") == f"{word} {ends:%H:%M:%S}")
    assert _text(browser, "btn-next") == "Siguiente segmento ▶"


def test_a_screenshot_per_language_and_view(served: Served, browser: Any) -> None:
    """en, es, fr × board (controller), speaker: screenshots for people to look at; each
    shows its own language's words."""
    slug = "board-shots"
    served.post(slug, "next")  # the opening is on
    heading = {"en": "NEXT", "es": "SIGUE", "fr": "ENSUITE"}
    paths = []
    for language in ("en", "es", "fr"):
        title = served.state(slug, language)["current"]["title"]
        browser.get(served.link(slug, "controller", language))
        _live(browser)
        _wait(browser, lambda d, t=title: _text(d, "current-title") == t)
        assert _text(browser, "next-label") == heading[language]
        paths.append(_shot(browser, f"board-{language}"))
        browser.get(served.link(slug, "viewer", language, "&view=speaker"))
        _live(browser)
        _wait(browser, lambda d: re.fullmatch(r"[45]:\d\d", _text(d, "countdown")))
        assert browser.execute_script("return document.documentElement.lang") == language
        assert not _text(browser, "next-title")  # not shown: a bare countdown
        paths.append(_shot(browser, f"speaker-{language}"))
    # A transparent background for an OBS browser source: the page shows through.
    browser.get(served.link(slug, "viewer", "en", "&view=speaker&bg=transparent"))
    _live(browser)
    assert browser.execute_script(
        "return getComputedStyle(document.body).backgroundColor") == "rgba(0, 0, 0, 0)"
    paths.append(_shot(browser, "speaker-en-transparent"))
    assert all(p.stat().st_size > 1000 for p in paths)


# -- presenter messages ----------------------------------------------------------------------


def test_a_controllers_message_reaches_a_viewer_within_a_second_and_its_ack_comes_back(
    served: Served, browser: Any, second_browser: Any,
) -> None:
    from selenium.webdriver.common.by import By

    slug = "board-messages"
    served.post(slug, "next")
    controller, viewer = browser, second_browser
    controller.get(served.link(slug, "controller", "en"))
    viewer.get(served.link(slug, "viewer", "es"))
    _live(controller)
    _live(viewer)
    assert not viewer.find_element(By.ID, "msg").is_displayed()

    text = "Two minutes for the last question, then Q&A"
    box = controller.find_element(By.ID, "msg-input")
    box.send_keys(text)
    assert _text(controller, "msg-count") == f"{len(text)} / 280"
    controller.find_element(By.ID, "msg-notify").click()
    controller.find_element(By.ID, "msg-send").click()
    sent = time.monotonic()
    _wait(viewer, lambda d: d.find_element(By.ID, "msg").is_displayed()
          and _text(d, "msg-text") == text, timeout=5, poll=0.02)
    seen_after = time.monotonic() - sent
    assert seen_after < 1.0, f"the viewer saw the message after {seen_after:.2f} s"
    # Highlighted: the message colours, the heading in the viewer's language, an OK button.
    assert viewer.execute_script("return getComputedStyle(document.getElementById('msg'))"
                                 ".backgroundColor") == _rgb(COLOURS["message"][0])
    assert _text(viewer, "msg-label").upper() == "MENSAJE PARA QUIEN PRESENTA"
    assert viewer.find_element(By.ID, "msg-ack").get_attribute("aria-label") == \
        "OK, mensaje visto"
    _wait(viewer, lambda d: d.execute_script(
        "return document.getElementById('announce-assertive').textContent")
        == "Mensaje para quien presenta: " + text, timeout=2)
    # The controller's board shows it too, and that it waits; the box is empty again.
    _wait(controller, lambda d: _text(d, "msg-text") == text)
    message_id = controller.find_element(By.ID, "msg").get_attribute("data-id")
    row = f"#messages li[data-id='{message_id}']"
    _wait(controller, lambda d: d.find_element(By.CSS_SELECTOR, row)
          .get_attribute("class") == "waiting")
    assert controller.find_element(By.ID, "msg-input").get_attribute("value") == ""
    state = httpx.get(f"{served.base}/api/events/{slug}/state",
                      params={"token": served.token(slug, "viewer")}).json()
    assert state["message"]["id"] == message_id and state["message"]["text"] == text
    _shot(viewer, "message-viewer-es")

    viewer.find_element(By.ID, "msg-ack").click()
    _wait(viewer, lambda d: not d.find_element(By.ID, "msg").is_displayed())
    _wait(controller, lambda d: d.find_element(By.CSS_SELECTOR, row)
          .get_attribute("class") == "acknowledged")
    assert not controller.find_element(By.ID, "msg").is_displayed()
    assert re.fullmatch(r".*✓ seen \d\d:\d\d:\d\d",
                        controller.find_element(By.CSS_SELECTOR, row).text)
    _shot(controller, "message-acknowledged-en")

    # A quick button sends its words at once, in the controller's language.
    controller.find_element(By.ID, "msg-wrap").click()
    _wait(viewer, lambda d: _text(d, "msg-text") == "Please wrap up", timeout=5)


# -- the speaker view's colours over time ----------------------------------------------------


def _left(state: dict[str, Any]) -> float:
    """Event seconds left in the current segment by the snapshot's own clock."""
    end = datetime.fromisoformat(state["current"]["end"])
    now = datetime.fromisoformat(state["now"])
    return (end - now).total_seconds() * float(state["speed"])


def test_the_speaker_view_goes_green_amber_red_and_flashes_over_time(
    served: Served, browser: Any,
) -> None:
    slug = "board-colours"
    state = served.post(slug, "next")
    amber, red = state["current"]["amber_seconds"], state["current"]["red_seconds"]
    assert amber > red > 0
    browser.get(served.link(slug, "viewer", "en", "&view=speaker"))
    _live(browser)
    # What the page shows in each state, noted by the page itself as it changes (half a
    # second after, when the colour transition is over).
    browser.execute_script("""
      window.seen = [];
      const box = document.getElementById('now');
      const note = () => {
        const s = box.dataset.state;
        setTimeout(() => { if (box.dataset.state !== s) return;
          const css = getComputedStyle(box);
          window.seen.push({state: s, bg: css.backgroundColor, fg: css.color,
                            animation: css.animationName}); }, 450);
      };
      new MutationObserver(note).observe(box, {attributes: true,
                                               attributeFilter: ['data-state']});
      note();
      window.said = [];  // what the assertive live region announced
      const urgent = document.getElementById('announce-assertive');
      new MutationObserver(() => { if (urgent.textContent) window.said.push(urgent.textContent); })
        .observe(urgent, {childList: true, characterData: true, subtree: true});
    """)
    browser.find_element("id", "sound").click()  # chimes are opt-in
    assert browser.find_element("id", "sound").get_attribute("aria-pressed") == "true"

    def states() -> list[str]:
        return [s["state"] for s in browser.execute_script("return window.seen")]

    _wait(browser, lambda d: states() == ["green"])
    # Move the end so that the clock itself crosses each threshold a couple of seconds later.
    for threshold, expected in ((amber, "amber"), (red, "red"), (0.0, "over")):
        state = served.post(slug, "shift",
                            {"amount": f"-{_left(state) - threshold - 2:.1f}s"})
        _wait(browser, lambda d, e=expected: states()[-1:] == [e], timeout=8)
    seen = browser.execute_script("return window.seen")
    assert [s["state"] for s in seen] == ["green", "amber", "red", "over"]
    colours = {s["state"]: (s["bg"], s["fg"]) for s in seen}
    for name in ("green", "amber", "red"):
        assert colours[name] == (_rgb(COLOURS[name][0]), _rgb(COLOURS[name][1])), name
    over = seen[-1]
    assert over["animation"] == "flash"
    assert _text(browser, "over-label") == "OVER TIME" or \
        _text(browser, "over-label").lower() == "over time"
    assert re.fullmatch(r"\+0:0\d", _text(browser, "countdown"))
    # Flashing: the background alternates between the two reds.
    backgrounds = set()
    for _ in range(14):
        backgrounds.add(browser.execute_script(
            "return getComputedStyle(document.getElementById('now')).backgroundColor"))
        time.sleep(0.1)
    assert backgrounds == {_rgb(COLOURS["red"][0]), _rgb(COLOURS["over"][0])}
    # Chimes: the one confirming sound is on, a warning at amber and at red, time-up.
    assert browser.execute_script("return document.body.dataset.chimes") == \
        "test warning warning timeup"
    _wait(browser, lambda d: f"Time is up: {state['current']['title']}"
          in d.execute_script("return window.said"), timeout=3)
    _shot(browser, "speaker-over-time")

    # Reduced motion: no flashing, the darker red held, a white frame and the words instead.
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-reduced-motion", "value": "reduce"}]})
    css = browser.execute_script(
        "const c = getComputedStyle(document.getElementById('now'));"
        "return [c.animationName, c.backgroundColor, c.outlineStyle, c.outlineColor];")
    assert css == ["none", _rgb(COLOURS["over"][0]), "solid", "rgb(255, 255, 255)"]
    assert browser.find_element("id", "over-label").is_displayed()
    _shot(browser, "speaker-over-time-reduced-motion")


# -- phones ----------------------------------------------------------------------------------


def test_on_a_phone_the_countdown_next_segment_and_latest_cue_fit_the_first_screen(
    served: Served, browser: Any,
) -> None:
    slug = "board-phone"
    served.post(slug, "next")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    served.post(slug, "message", {"text": "Please wrap up: the next panel is waiting",
                                  "notify": False})
    for role in ("controller", "viewer"):
        title = served.state(slug, "es")["current"]["title"]
        browser.get(served.link(slug, role, "es"))
        _live(browser)
        _wait(browser, lambda d, t=title: _text(d, "current-title") == t)
        _wait(browser, lambda d: d.execute_script(
            "return document.querySelectorAll('#latest li').length") > 0)
        assert browser.execute_script("return window.innerWidth") == 390
        rects = browser.execute_script("""
          const box = (el) => { const r = el.getBoundingClientRect();
                                return [r.top, r.bottom, r.left, r.right]; };
          return {countdown: box(document.getElementById('countdown')),
                  next: box(document.getElementById('next-title')),
                  latest: box(document.querySelector('#latest li')),
                  message: box(document.getElementById('msg')),
                  height: window.innerHeight, width: window.innerWidth,
                  scrolled: window.scrollY};
        """)
        assert rects["scrolled"] == 0
        for part in ("countdown", "next", "latest", "message"):
            top, bottom, left, right = rects[part]
            assert 0 <= top < bottom <= rects["height"], (role, part, rects)
            assert 0 <= left < right <= rects["width"], (role, part, rects)
        _shot(browser, f"phone-{role}-es")


# -- links that work -------------------------------------------------------------------------


def test_a_link_signed_with_another_key_says_which_keys_and_what_to_do(
    served: Served, browser: Any,
) -> None:
    other = BoardTokens("a-different-key-on-another-machine-0123456789")
    ours, theirs = key_id(BOARD_KEY), other.key_id
    for language, says in (("en", "signed with board key"), ("es", "se firmó con la clave")):
        token = other.issue("board-viewer", "controller", language=language)
        browser.get(f"{served.base}/board/board-viewer?token={token}")
        error = _text(browser, "error")
        assert says in error and theirs in error and ours in error, error
        assert "zoomorch board-link" in _text(browser, "fix")
        assert "ZOOMORCH_STATE_DIR" in _text(browser, "fix")
        _shot(browser, f"link-other-key-{language}")
    # An expired link keeps its own message.
    expired = BoardTokens(BOARD_KEY).issue("board-viewer", "viewer", timedelta(minutes=5),
                                           now=datetime.now(UTC) - timedelta(hours=1))
    browser.get(f"{served.base}/board/board-viewer?token={expired}")
    assert _text(browser, "error") == "This board link has expired: ask the host for a new one."
