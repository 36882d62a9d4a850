"""Console, webhook and email channels, each against a real server on loopback."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from rich.console import Console

from http_receiver import HttpReceiver
from smtp_support import Inbox
from smtp_support import smtp_server as smtp_server_at
from zoomorch.notify.base import CueMessage, DeliveryError
from zoomorch.notify.console import ConsoleNotifier
from zoomorch.notify.email import EmailNotifier, SmtpSettings, message_id_for
from zoomorch.notify.webhook import WebhookNotifier


def _cue(**overrides: Any) -> CueMessage:
    fields: dict[str, Any] = {
        "key": "imrf:seg-2:warning-5:moderator:ch",
        "event_slug": "imrf",
        "kind": "warning",
        "due": datetime(2022, 5, 17, 13, 25, tzinfo=UTC),
        "text": "Quedan 5 minutos para Diálogo interactivo",
        "recipient_name": "Ana María Diez",
        "recipient_email": "ana@example.org",
        "segment": "Diálogo interactivo",
    }
    fields.update(overrides)
    return CueMessage(**fields)


# -- console --------------------------------------------------------------------------------


def test_console_prints_kind_segment_recipient_and_text() -> None:
    buffer = io.StringIO()
    notifier = ConsoleNotifier(Console(file=buffer, width=200, color_system=None))
    notifier.deliver(_cue(late=True, text="[bold] is not markup here"))
    out = buffer.getvalue()
    assert "warning" in out and "Diálogo interactivo" in out and "Ana María Diez" in out
    assert "[bold] is not markup here" in out
    assert "(late)" in out


# -- webhook --------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver("/hooks/T000/B000/s3cretpath", body=b"ok") as r:
        yield r


def test_webhook_posts_slack_compatible_text_and_structured_fields(receiver: HttpReceiver) -> None:
    WebhookNotifier(receiver.url).deliver(_cue())
    [request] = receiver.requests
    headers, body = request.headers, request.json
    assert body["text"] == "Quedan 5 minutos para Diálogo interactivo"
    assert body["kind"] == "warning"
    assert body["segment"] == "Diálogo interactivo"
    assert body["event"] == "imrf"
    assert body["due"] == "2022-05-17T13:25:00+00:00"
    assert body["late"] is False
    assert headers["idempotency-key"] == "imrf:seg-2:warning-5:moderator:ch"
    assert headers["content-type"] == "application/json"


def test_webhook_error_status_is_a_delivery_error_without_the_secret_url(
    receiver: HttpReceiver,
) -> None:
    receiver.status = 500
    notifier = WebhookNotifier(receiver.url)
    with pytest.raises(DeliveryError) as info:
        notifier.deliver(_cue())
    assert "500" in str(info.value)
    assert "s3cretpath" not in str(info.value)
    assert "s3cretpath" not in repr(notifier)


def test_webhook_unreachable_receiver_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError):
        WebhookNotifier("http://127.0.0.1:9/nobody", timeout=1).deliver(_cue())


# -- email ----------------------------------------------------------------------------------




def _authenticator(password: str) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == b"cues" and (
            data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return check


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    with smtp_server_at(inbox, authenticator=_authenticator("pa55-word"),
                        auth_require_tls=False) as controller:
        yield controller, inbox


def _port(controller: Controller) -> int:
    return int(controller.port)


def test_email_is_sent_with_login_from_environment_and_stable_message_id(
    smtp_server: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp_server
    settings = SmtpSettings(
        host="127.0.0.1", port=_port(controller), sender="cues@imrf.example",
        starttls=False, user="cues",
    )
    notifier = EmailNotifier(settings, env={"ZOOMORCH_SMTP_PASSWORD": "pa55-word"})
    notifier.deliver(_cue())
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["ana@example.org"]
    mail = message_from_bytes(envelope.original_content or b"")
    assert "Quedan 5 minutos" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert mail["Message-ID"] == message_id_for(_cue().key, "cues@imrf.example")
    assert mail["X-Zoomorch-Cue-Kind"] == "warning"
    assert "pa55-word" not in repr(notifier)


def test_email_wrong_password_is_a_delivery_error_that_hides_the_password(
    smtp_server: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp_server
    settings = SmtpSettings(host="127.0.0.1", port=_port(controller), starttls=False, user="cues")
    notifier = EmailNotifier(settings, env={"ZOOMORCH_SMTP_PASSWORD": "wrong-one"})
    with pytest.raises(DeliveryError) as info:
        notifier.deliver(_cue())
    assert "wrong-one" not in str(info.value)
    assert "ZOOMORCH_SMTP_PASSWORD" in str(info.value)
    assert inbox.envelopes == []


def test_email_refuses_to_send_in_clear_when_starttls_is_not_offered(
    smtp_server: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp_server
    settings = SmtpSettings(host="127.0.0.1", port=_port(controller), starttls=True)
    with pytest.raises(DeliveryError):
        EmailNotifier(settings, env={}).deliver(_cue())
    assert inbox.envelopes == []


def test_email_without_recipient_address_names_the_fix() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=9, starttls=False)
    with pytest.raises(DeliveryError, match="no email address"):
        EmailNotifier(settings, env={}).deliver(_cue(recipient_email=None))
