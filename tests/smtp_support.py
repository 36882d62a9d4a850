"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for email tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


class Inbox:
    """Every envelope the server accepted, in order."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def bodies_to(self, address: str) -> list[str]:
        """The text of every mail sent to ``address``."""
        out = []
        for envelope in self.envelopes:
            if address in envelope.rcpt_tos:
                mail = message_from_bytes(envelope.original_content or b"")
                out.append(str(mail.get_payload(decode=True).decode()))  # type: ignore[union-attr]
        return out


def free_port() -> int:
    # aiosmtpd's Controller probes its own port after starting, so it cannot take port 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(inbox: Inbox, **options: Any) -> Iterator[Controller]:
    """A running SMTP server on 127.0.0.1 handing mail to ``inbox``."""
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
