"""Team Chat cues on a strict account: a person outside the sender's contacts falls back to
email, recorded as "fell back" with the reason, and `cues status` shows it. Real servers on
loopback: the sandbox (Zoom), an SMTP server (aiosmtpd), `zoomorch cues run` in a process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smtp_support import Inbox, smtp_server
from zoomorch.cli.main import app
from zoomorch.sandbox import Sandbox

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"
SENDER = "host@example.org"  # the technical host, a user of the Zoom account


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    with smtp_server(inbox) as controller:
        yield int(controller.port), inbox


@pytest.mark.slow
def test_a_chat_cue_to_a_non_contact_falls_back_to_email_and_status_says_so(
        sandbox: Sandbox, smtp: tuple[int, Inbox], tmp_path: Path) -> None:
    port, inbox = smtp
    # Johanna Sáenz (an external speaker) takes cues on Team Chat only; Zoom cannot reach her.
    text = SEED.read_text(encoding="utf-8").replace(
        "zoom_chat = false ", "# zoom_chat = false").replace(
        "# [notifications.people]\n# ana-maria-diez = [\"zoom_chat\"]",
        f'[notifications.zoom_chat]\nsender = "{SENDER}"\n\n'
        f'[notifications.email]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n'
        'sender = "cues@example.org"\n\n'
        '[notifications.people]\njohanna-saenz = ["zoom_chat"]')
    event = tmp_path / "event.toml"
    event.write_text(text, encoding="utf-8")
    start = datetime.now(UTC) + timedelta(seconds=2)
    env = {**os.environ, **sandbox.env(), "ZOOMORCH_STATE_DIR": str(tmp_path)}
    env.pop("ZOOMORCH_STATE_URL", None)
    env.pop("ZOOMORCH_CHAT_SENDER", None)
    started = CliRunner().invoke(app, ["cues", "start", str(event), "--at", start.isoformat()],
                                 env={"ZOOMORCH_STATE_DIR": str(tmp_path),
                                      "ZOOMORCH_STATE_URL": None})
    assert started.exit_code == 0, started.output
    process = subprocess.Popen(
        [sys.executable, "-m", "zoomorch.cli.main", "cues", "run", str(event), "--speed", "600",
         "--start-at", start.isoformat(), "--no-console"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not any("se acabó el tiempo" in body
                      for body in inbox.bodies_to("johanna.saenz@example.org")):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the opening's time-up never reached Johanna"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    assert "channels: zoom_chat, email" in err
    status = CliRunner().invoke(app, ["cues", "status", str(event), "--start-at",
                                      start.isoformat(), "--json"],
                                env={"ZOOMORCH_STATE_DIR": str(tmp_path),
                                     "ZOOMORCH_STATE_URL": None})
    assert status.exit_code == 0, status.output
    document = json.loads(status.output)
    fell_back = {f["recipient"]: f["reason"] for f in document["fell_back"]}
    assert "not in the Team Chat contacts of host@example.org" in fell_back["johanna-saenz"]
    assert "handed to email instead" in fell_back["johanna-saenz"]
    assert "they get it by email" in fell_back["lucas-gomez"]  # wants email anyway: no copy
    assert "technical-host" not in fell_back  # a user of the account: a company contact
    chats = sandbox.store.chat_messages
    assert chats and {m["to_contact"] for m in chats} == {SENDER}
    assert {m["sender"] for m in chats} == {SENDER}
    # Each of Johanna's cues arrived once, by email.
    bodies = inbox.bodies_to("johanna.saenz@example.org")
    assert len(bodies) == len(set(bodies))
    human = CliRunner().invoke(app, ["cues", "status", str(event), "--start-at",
                                     start.isoformat()],
                               env={"ZOOMORCH_STATE_DIR": str(tmp_path),
                                    "ZOOMORCH_STATE_URL": None})
    assert "fell back to another channel:" in human.output
    assert "johanna-saenz on zoom_chat" in human.output
