"""``Sandbox``: the running simulator (uvicorn in a background thread) and its Python handle."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from zoomorch import scopes as zoom_scopes
from zoomorch.rate_labels import Plan
from zoomorch.sandbox.app import REQUEST_LOG_CAP, create_app
from zoomorch.sandbox.auth import Credentials, TokenIssuer
from zoomorch.sandbox.clock import SandboxClock
from zoomorch.sandbox.faults import FaultConfig
from zoomorch.sandbox.ratelimit import RateLimiter
from zoomorch.sandbox.simulation import Simulation, SimulationEngine, SimulationSettings
from zoomorch.sandbox.store import SandboxStore
from zoomorch.sandbox.webhooks import WebhookDispatcher


class Sandbox:
    """A local Zoom API (webinars part) over real HTTP. See the package README."""

    def __init__(self, account_id: str = "acc-sandbox", client_id: str = "cid-sandbox",
                 client_secret: str | None = None, *, plan: str | Plan = "pro",
                 webhook_url: str | None = None, webhook_secret: str | None = None,
                 state_file: str | Path | None = None, rate_limits: bool = True,
                 token_ttl_seconds: int = 3599, clock: SandboxClock | None = None,
                 faults: FaultConfig | None = None,
                 webhook_retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0),
                 speed: float | None = None, scopes: Iterable[str] | None = None) -> None:
        self.credentials = Credentials(account_id, client_id,
                                       client_secret or secrets.token_urlsafe(24))
        self.plan = Plan(plan)
        self.rate_limits = rate_limits
        self.store = SandboxStore(account_id, clock=clock, state_file=state_file)
        if speed is not None:
            self.store.clock.set_speed(speed)
        self.simulations = SimulationEngine(self.store)
        self.tokens = TokenIssuer(self.store.clock, account_id, token_ttl_seconds)
        self._scopes = zoom_scopes.DEFAULT_GRANTED
        if scopes is not None:
            self.scopes = scopes
        self.limiter = RateLimiter(self.plan, self.store.clock, account_id)
        self.faults = faults or FaultConfig()
        self.webhook_url = webhook_url
        self._webhooks: WebhookDispatcher | None = None
        if webhook_url:
            if not webhook_secret:
                raise ValueError("webhook_url needs webhook_secret (Zoom's secret token) "
                                 "to sign events")
            self._webhooks = WebhookDispatcher(webhook_url, webhook_secret, account_id,
                                               self.store.clock, webhook_retry_delays)
            self.store.on_event = self._webhooks.emit
        self._requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_CAP)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self._stopping = threading.Event()
        self.host = "127.0.0.1"
        self.port = 0

    def __repr__(self) -> str:
        return (f"Sandbox(account_id={self.credentials.account_id!r}, plan={self.plan.value!r}, "
                f"origin={self.origin!r})")

    # ----- URLs -------------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + "/v2"

    @property
    def oauth_url(self) -> str:
        return self.origin + "/oauth/token"

    @property
    def admin_url(self) -> str:
        return self.origin + "/_sandbox"

    def env(self) -> dict[str, str]:
        """The environment a client needs to talk to this sandbox (includes the secret)."""
        return {"ZOOM_ACCOUNT_ID": self.credentials.account_id,
                "ZOOM_CLIENT_ID": self.credentials.client_id,
                "ZOOM_CLIENT_SECRET": self.credentials.client_secret,
                "ZOOM_API_BASE_URL": self.base_url, "ZOOM_OAUTH_URL": self.oauth_url}

    # ----- lifecycle --------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Sandbox:
        """Serve in a background thread; returns once the port accepts connections."""
        if self._server is not None:
            raise RuntimeError("Sandbox already started")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says TCP,
        # and without it keep-alive calls stall ~40 ms on Nagle + delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self.host, self.port = host, sock.getsockname()[1]
        self.store.origin = self.origin
        config = uvicorn.Config(create_app(self), log_level="warning", access_log=False,
                                lifespan="off", http="h11", loop="asyncio",
                                timeout_keep_alive=30, date_header=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox did not start on {host}:{self.port}")
            time.sleep(0.01)
        if self._webhooks:
            self._webhooks.start()
        if self.store.state_file:
            self._stopping.clear()
            self._saver = threading.Thread(target=self._save_loop, name="sandbox-saver",
                                           daemon=True)
            self._saver.start()
        return self

    def stop(self) -> None:
        """Stop serving; flushes the state file and pending webhooks."""
        if self._server is None:
            return
        self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self.simulations.stop()
        if self._webhooks:
            self._webhooks.stop()
        self._stopping.set()
        if self._saver:
            self._saver.join(timeout=10)
            self._saver = None
        self.store.save_if_dirty()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _save_loop(self) -> None:
        # Debounced: after a change, wait a moment so a burst of writes makes one file write.
        while not self._stopping.is_set():
            if self.store.wait_dirty(0.5):
                self._stopping.wait(0.2)
                self.store.save_if_dirty()

    # ----- the app's scopes -------------------------------------------------------------------

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes the app is granted: tokens issued from now on carry them."""
        return self._scopes

    @scopes.setter
    def scopes(self, granted: Iterable[str]) -> None:
        # Like ticking scopes in the Marketplace: tokens already issued keep their own.
        self._scopes = (zoom_scopes.parse_scopes(granted) if isinstance(granted, str)
                        else frozenset(granted))

    # ----- inspection -------------------------------------------------------------------------

    def log_request(self, entry: dict[str, Any]) -> None:
        self._requests.append(entry)

    def requests_log(self) -> list[dict[str, Any]]:
        """Every /v2 request served: ``{method, path, status, label, at}`` (oldest first)."""
        return [dict(e) for e in list(self._requests)]

    # ----- live events ------------------------------------------------------------------------

    def simulate(self, webinar_id: int | str, **settings: Any) -> Simulation:
        """Start the webinar now on the sandbox clock and play the attendance model.

        ``settings`` are ``SimulationSettings`` fields (``seed``, ``late_minutes``,
        ``show_up_rate``, ``segments=[{"title", "minutes"}]``, ...). The returned handle has
        ``truth()``, ``wait(timeout)`` and, to play without real waiting, ``run()``,
        ``step()`` and ``run_until(moment)``.
        """
        return self.simulations.simulate(webinar_id, SimulationSettings.model_validate(settings))

    def simulation(self, webinar_id: int | str) -> Simulation:
        """The simulation of a webinar (404-style ZoomApiError if there is none)."""
        return self.simulations.get(webinar_id)

    def webhook_stats(self) -> dict[str, Any]:
        """Webhook counts by status and the worst delivery lag (empty without webhooks)."""
        return self._webhooks.stats() if self._webhooks else {}

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return self._webhooks.deliveries() if self._webhooks else []

    def wait_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until queued webhook events were delivered or given up."""
        return self._webhooks.wait_idle(timeout) if self._webhooks else True

    def reset(self) -> None:
        """Drop all state, logs and rate-limit counters (credentials stay)."""
        self.simulations.clear()
        self.store.reset()
        self.limiter.reset()
        self._requests.clear()
        self.faults.clear()
