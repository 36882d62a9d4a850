"""Server-to-Server OAuth: tokens are HS256 JWTs signed with a per-sandbox random key."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

import jwt

from zoomorch.sandbox.clock import SandboxClock


class TokenInvalid(Exception):
    """The bearer token is missing, malformed or not ours."""


class TokenExpired(Exception):
    """The bearer token was ours but has expired (on the sandbox clock)."""


@dataclass
class Credentials:
    account_id: str
    client_id: str
    client_secret: str = field(repr=False)

    def check_basic(self, header: str | None) -> bool:
        """True if ``Authorization: Basic ...`` carries our client id and secret."""
        if not header or not header.lower().startswith("basic "):
            return False
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        cid, _, secret = raw.partition(":")
        return hmac.compare_digest(cid.encode(), self.client_id.encode()) and hmac.compare_digest(
            secret.encode(), self.client_secret.encode())


class TokenIssuer:
    """Issues and checks access tokens; the key never leaves memory."""

    def __init__(self, clock: SandboxClock, account_id: str, ttl_seconds: int = 3599) -> None:
        self._key = secrets.token_bytes(32)
        self._clock = clock
        self.account_id = account_id
        self.ttl_seconds = ttl_seconds

    def __repr__(self) -> str:
        return f"TokenIssuer(account_id={self.account_id!r}, ttl_seconds={self.ttl_seconds})"

    def issue(self, client_id: str, scopes: Iterable[str] = ()) -> str:
        """A token carrying ``scopes`` (as Zoom's do: later changes to the app's grant do not
        reach tokens already issued)."""
        now = int(self._clock.now().timestamp())
        claims = {"aud": "zoomorch-sandbox", "iss": "zoomorch-sandbox", "sub": client_id,
                  "aid": self.account_id, "iat": now, "exp": now + self.ttl_seconds,
                  "jti": secrets.token_hex(8), "scope": scope_string(scopes)}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, authorization: str | None) -> dict[str, object]:
        """Claims of a valid ``Bearer`` token; raises TokenInvalid / TokenExpired."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise TokenInvalid
        token = authorization[7:].strip()
        try:
            # PyJWT would judge iat/exp/nbf on the wall clock; tokens live on the sandbox clock
            # (which may run ahead or faster), so its time checks are off and exp is ours.
            claims: dict[str, object] = jwt.decode(
                token, self._key, algorithms=["HS256"], audience="zoomorch-sandbox",
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                         "require": ["exp", "iat"]})
        except jwt.PyJWTError as exc:
            raise TokenInvalid from exc
        exp = claims.get("exp")
        if not isinstance(exp, int) or claims.get("aid") != self.account_id:
            raise TokenInvalid
        if self._clock.now().timestamp() >= exp:
            raise TokenExpired
        return claims


def scope_string(scopes: Iterable[str]) -> str:
    """Scopes as OAuth writes them: space-separated (sorted, so the answer is stable)."""
    return " ".join(sorted(set(scopes)))


def granted_scopes(claims: dict[str, object]) -> frozenset[str]:
    """The scopes a verified token was issued with."""
    scope = claims.get("scope")
    return frozenset(scope.split()) if isinstance(scope, str) else frozenset()
