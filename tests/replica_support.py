"""Replicas of ``zoomorch serve`` for tests: real processes on loopback over one store, a
webhook receiver counting cue deliveries, and a board stream counting what it is pushed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from service_support import BOARD_KEY, came_up, read_sse
from smtp_support import free_port
from zoomorch.board.tokens import BoardTokens


@dataclass
class Replica:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def health(self) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(f"{self.base}/healthz", timeout=2).json()
        return answer

    def wait_up(self, timeout: float) -> None:
        """Until it answers /healthz; stopped, with its log in the error, if it does not."""
        if not came_up(self.base, self.process, timeout):
            self.stop()
            raise AssertionError(f"{self.name} did not come up: {self.log()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_replica(name: str, state_url: str, events: list[Path], tmp: Path, *,
                  webhook: str | None = None, start_at: str | None = "now+1m",
                  speed: float = 60,
                  extra_env: dict[str, str] | None = None, wait: bool = True) -> Replica:
    port = free_port()
    env = {**os.environ, "ZOOMORCH_STATE_URL": state_url,
           "ZOOMORCH_STATE_DIR": str(tmp / "state"), "ZOOMORCH_BOARD_SECRET": BOARD_KEY,
           "ZOOMORCH_REPLICA_ID": name, **(extra_env or {})}
    env.pop("ZOOMORCH_PUBLIC_URL", None)
    args = [sys.executable, "-m", "zoomorch.cli.main", "serve", *map(str, events),
            "--port", str(port), "--no-console", "--speed", str(speed)]
    if start_at is not None:  # else each event file's own start
        args += ["--start-at", start_at]
    if webhook:
        args += ["--webhook", webhook]
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    replica = Replica(name, process, port, log_path)
    if wait:
        replica.wait_up(30)
    return replica


@dataclass
class BoardWatch:
    """One board's stream: the cues pushed to it and the revisions of its snapshots, with the
    monotonic time each arrived."""

    url: str
    cues: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    states: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    error: BaseException | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            with httpx.stream("GET", self.url, timeout=httpx.Timeout(5, read=None)) as resp:
                resp.raise_for_status()
                for name, data in read_sse(resp):
                    if self._stop.is_set():
                        return
                    if name == "cue":
                        self.cues.append((time.time(), data))
                    elif name == "state":
                        self.states.append((time.time(), data))
        except BaseException as exc:
            if not self._stop.is_set():
                self.error = exc

    def start(self) -> BoardWatch:
        threading.Thread(target=self.run, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()


def board_stream(replica: Replica, slug: str, language: str = "en") -> BoardWatch:
    token = BoardTokens(BOARD_KEY).issue(slug, "viewer", timedelta(hours=1), language=language)
    return BoardWatch(f"{replica.base}/board/{slug}/stream?token={token}").start()


def cue_keys(requests: list[Any]) -> Counter[str]:
    """Deliveries the webhook receiver got, by the cue's delivery key."""
    keys: Counter[str] = Counter()
    for r in requests:
        body = r.json
        keys[str(body.get("key") or body.get("zoomorch", {}).get("key") or r.text)] += 1
    return keys
