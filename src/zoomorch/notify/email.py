"""Email channel over SMTP (smtplib).

Settings come from the event file's ``[notifications.email]`` (host, port, sender, STARTTLS,
user), each replaceable on the command line (``--smtp-host`` alone turns email on); the password
only ever comes from the environment (``password_env``, default ``ZOOMORCH_SMTP_PASSWORD``), so
an event file can be shared without leaking it.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from zoomorch.notify.base import (
    BuildContext,
    CueMessage,
    DeliveryError,
    Notifier,
    ReadContext,
    choose,
)

NAME = "email"
SMTP_PASSWORD_ENV = "ZOOMORCH_SMTP_PASSWORD"  # noqa: S105 - a variable name, not a secret


class EmailSection(Protocol):
    """What this channel reads of the event file's ``[notifications.email]``."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def sender(self) -> str: ...
    @property
    def starttls(self) -> bool: ...
    @property
    def user(self) -> str | None: ...


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send cue emails. Holds no password, by design."""

    host: str
    port: int = 587
    sender: str = "zoomorch@localhost"
    starttls: bool = True
    user: str | None = None
    password_env: str = SMTP_PASSWORD_ENV
    timeout: float = 10.0

    @classmethod
    def from_file(cls, section: EmailSection | None,
                  context: ReadContext) -> SmtpSettings | None:
        """The file's settings with the command line's ``smtp_*`` over them; None when
        neither names a host."""
        o = context.overrides
        host = o.smtp_host or (section.host if section else None)
        if not host:
            return None
        return cls(
            host=host,
            port=o.smtp_port or (section.port if section else 587),
            sender=o.smtp_from or (section.sender if section else "zoomorch@localhost"),
            starttls=choose(o.smtp_starttls, section.starttls if section else True),
            user=o.smtp_user or (section.user if section else None),
            password_env=SMTP_PASSWORD_ENV,
        )

    def names(self) -> list[str]:
        return [NAME]


def message_id_for(key: str, sender: str) -> str:
    """A stable Message-ID per delivery key: mail systems drop a retried duplicate."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = sender.rsplit("@", 1)[-1] or "zoomorch"
    return f"<{digest}@{domain}>"


def build_email(message: CueMessage, sender: str, recipient: str) -> EmailMessage:
    """The email for one cue: short subject a phone shows in full, text body."""
    mail = EmailMessage()
    subject_where = f" · {message.segment}" if message.segment else ""
    late = " (late)" if message.late else ""
    mail["Subject"] = f"[{message.event_slug}]{subject_where}: {message.text}{late}"[:200]
    mail["From"] = sender
    mail["To"] = recipient
    mail["Date"] = formatdate(message.due.timestamp(), localtime=False)
    mail["Message-ID"] = message_id_for(message.key, sender)
    mail["X-Zoomorch-Cue-Key"] = message.key
    mail["X-Zoomorch-Cue-Kind"] = message.kind
    mail.set_content(
        f"{message.text}\n\n"
        f"{message.event_slug} · {message.kind}{subject_where}\n"
        f"due {message.due.isoformat()}{late}\n"
    )
    return mail


class EmailNotifier(Notifier):
    """Sends each cue as one email to the recipient's address."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        name: str = NAME,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self._env = env

    def __repr__(self) -> str:
        s = self.settings
        return f"EmailNotifier(name={self.name!r}, host={s.host!r}, port={s.port})"

    def _password(self) -> str | None:
        env = os.environ if self._env is None else self._env
        return env.get(self.settings.password_env) or None

    def deliver(self, message: CueMessage) -> None:
        if not message.recipient_email:
            raise DeliveryError(
                f"{self.name}: {message.recipient_name!r} has no email address; "
                "add one to the recipient in the event file"
            )
        s = self.settings
        mail = build_email(message, s.sender, message.recipient_email)
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.user:
                    password = self._password()
                    if password is None:
                        raise DeliveryError(
                            f"{self.name}: SMTP user {s.user!r} is set but {s.password_env} "
                            "is empty; export the password in that variable"
                        )
                    smtp.login(s.user, password)
                smtp.send_message(mail)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{self.name}: {s.host}:{s.port} refused the login of {s.user!r} "
                f"(SMTP {exc.smtp_code}); check {s.password_env}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Only the class and SMTP code: the server's text could echo credentials back.
            code = getattr(exc, "smtp_code", None)
            detail = f"SMTP {code}" if code else exc.__class__.__name__
            raise DeliveryError(
                f"{self.name}: sending via {s.host}:{s.port} failed: {detail}"
            ) from None


def build(config: SmtpSettings, parts: BuildContext) -> list[Notifier]:
    """The email notifier."""
    return [EmailNotifier(config)]
