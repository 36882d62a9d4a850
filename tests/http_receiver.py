"""A small HTTP receiver on loopback for tests: records every POST and answers as told.

Webhook channels, the cue service and the sandbox's signed webhooks all need a real endpoint
to post to; this is the one they share.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass(frozen=True)
class Received:
    """One POST as it arrived: path, headers (names lower-cased) and the raw body."""

    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def text(self) -> str:
        return self.raw.decode()

    @property
    def json(self) -> Any:
        """The body parsed as JSON (raises if it is not JSON: a test should see that)."""
        return json.loads(self.raw)


@dataclass(frozen=True)
class Answer:
    """What the receiver sends back."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None


Responder = Callable[[Received], Answer]


class HttpReceiver:
    """An HTTP server on 127.0.0.1 (random port) that records each POST in ``requests``.

    It answers ``status`` with ``body`` (both settable while running), or whatever ``respond``
    returns when set (e.g. to answer Zoom's ``endpoint.url_validation``); ``respond`` runs for
    one request at a time. ``url`` ends in
    ``path``. Use it as a context manager, or call ``close()``.
    """

    def __init__(self, path: str = "/", *, status: int = 200, body: bytes = b"",
                 respond: Responder | None = None) -> None:
        self.requests: list[Received] = []
        self.status = status
        self.body = body
        self.respond = respond
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                request = Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                   self.rfile.read(length))
                answer = receiver._answer(request)
                self.send_response(answer.status)
                if answer.content_type is not None:
                    self.send_header("content-type", answer.content_type)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _answer(self, request: Received) -> Answer:
        # Handlers run on their own threads; one at a time keeps ``respond`` simple.
        with self._lock:
            self.requests.append(request)
            if self.respond is None:
                return Answer(self.status, self.body)
            return self.respond(request)

    @property
    def bodies(self) -> list[Any]:
        """The JSON body of every request so far, in arrival order."""
        with self._lock:
            return [request.json for request in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up waiting (a channel's timeout, tested on purpose) closes its end
    before the answer is written: expected here, so not printed as a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
