"""Signed board links: a JWT (HS256) carrying the event, a role and an expiry.

The key comes from ``ZOOMORCH_BOARD_SECRET`` or, failing that, from ``board.key`` in the state
directory, generated on first use with mode 0600. Rotating the key revokes every link.

A link lives at most :data:`MAX_LINK_LIFETIME` (7 days): :meth:`BoardTokens.issue` refuses
more, and :meth:`BoardTokens.verify` refuses any signed link whose lifetime is longer (one
from an older zoomorch, or one issued "in the future"), so a leaked link stops working within
a week even when nobody rotates the key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import jwt
import platformdirs

BOARD_SECRET_ENV = "ZOOMORCH_BOARD_SECRET"  # noqa: S105 - a variable name, not a secret
KEY_FILE_NAME = "board.key"
AUDIENCE = "zoomorch-board"
ALGORITHM = "HS256"

Role = Literal["viewer", "controller"]
ROLES: tuple[Role, ...] = ("viewer", "controller")

MAX_LINK_LIFETIME = timedelta(days=7)
_CLOCK_SKEW = timedelta(minutes=1)  # between the host that issues and the one that verifies


class LinkLifetimeError(ValueError):
    """A board link asked to live longer than :data:`MAX_LINK_LIFETIME`."""


def check_lifetime(expires_in: timedelta) -> None:
    """Raise :class:`LinkLifetimeError` when a link may not live that long."""
    if expires_in > MAX_LINK_LIFETIME:
        raise LinkLifetimeError(
            f"a board link lives at most 7 days, not {_days(expires_in)}; issue a new link "
            "when it runs out (e.g. the day before the event)")


class BoardAuthError(Exception):
    """A board link that is missing, forged, expired, for another event, or lacks the role."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class BoardGrant:
    """What a verified link allows."""

    event: str
    role: Role
    expires: datetime
    language: str = "en"

    @property
    def can_control(self) -> bool:
        return self.role == "controller"


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    raw = env.get("ZOOMORCH_STATE_DIR", "").strip()
    return Path(raw).expanduser() if raw else Path(platformdirs.user_state_dir("zoomorch"))


def board_key(env: Mapping[str, str] | None = None) -> str:
    """The signing key: from the environment, else the state directory (created 0600)."""
    env = os.environ if env is None else env
    from_env = env.get(BOARD_SECRET_ENV, "").strip()
    if from_env:
        if len(from_env) < 32:
            raise ValueError(f"{BOARD_SECRET_ENV} is too short; use at least 32 random characters")
        return from_env
    path = state_dir(env) / KEY_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting together must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise ValueError(
                f"{path} holds no usable key; delete it to generate a new one"
            ) from None
        return key
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


class BoardTokens:
    """Issues and verifies board links with one key."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "BoardTokens(key=***)"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BoardTokens:
        return cls(board_key(env))

    def issue(self, event: str, role: Role = "viewer", expires_in: timedelta = timedelta(hours=6),
              *, language: str = "en", now: datetime | None = None) -> str:
        if role not in ROLES:
            raise ValueError(f"role must be viewer or controller, not {role!r}")
        check_lifetime(expires_in)
        issued = now or datetime.now(UTC)
        claims = {"aud": AUDIENCE, "event": event, "role": role, "lang": language,
                  "iat": int(issued.timestamp()),
                  "exp": int((issued + expires_in).timestamp())}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str | None, event: str | None = None,
               need: Role = "viewer") -> BoardGrant:
        """The grant of ``token``; raises BoardAuthError (401 bad/expired, 403 wrong role)."""
        if not token:
            raise BoardAuthError("this page needs a board link; ask the host for one "
                                 "(zoomorch board-link EVENT)")
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE,
                                options={"require": ["exp", "iat", "aud", "event", "role"]})
        except jwt.ExpiredSignatureError:
            raise BoardAuthError(
                "this board link has expired; ask the host for a new one"
            ) from None
        except jwt.PyJWTError:
            raise BoardAuthError("this board link is not valid") from None
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
        issued = datetime.fromtimestamp(int(claims["iat"]), UTC)
        if expires - issued > MAX_LINK_LIFETIME or \
                expires - datetime.now(UTC) > MAX_LINK_LIFETIME + _CLOCK_SKEW:
            # Signed with our key, but for longer than zoomorch issues links (an older one did).
            raise BoardAuthError("this board link lives longer than 7 days, which is no longer "
                                 "allowed; ask the host for a new one")
        role = claims.get("role")
        if role not in ROLES:
            raise BoardAuthError("this board link is not valid")
        if event is not None and claims["event"] != event:
            raise BoardAuthError("this board link is for another event", status=403)
        if need == "controller" and role != "controller":
            raise BoardAuthError("this board link can watch but not control", status=403)
        return BoardGrant(event=str(claims["event"]), role=role, expires=expires,
                          language=str(claims.get("lang") or "en"))


def _days(amount: timedelta) -> str:
    days, rest = divmod(amount, timedelta(days=1))
    hours = rest / timedelta(hours=1)
    return f"{days} days" + (f" {hours:.4g} h" if hours else "")
