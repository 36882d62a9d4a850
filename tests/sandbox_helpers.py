"""Helpers for sandbox tests: an authorized session against a running Sandbox."""

from __future__ import annotations

from typing import Any

import requests

from zoomorch.sandbox import Sandbox


def access_token(sb: Sandbox) -> str:
    creds = sb.credentials
    response = requests.post(sb.oauth_url, params={"grant_type": "account_credentials",
                                                   "account_id": creds.account_id},
                             auth=(creds.client_id, creds.client_secret), timeout=5)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


class ZoomSession(requests.Session):
    """requests.Session with a bearer token whose paths are relative to ``/v2``."""

    def __init__(self, sb: Sandbox) -> None:
        super().__init__()
        self.base = sb.base_url
        self.headers["Authorization"] = f"Bearer {access_token(sb)}"

    def request(self, method: str | bytes, url: str | bytes, *args: Any,  # type: ignore[override]
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        target = url.decode() if isinstance(url, bytes) else url
        if target.startswith("/"):
            target = self.base + target
        return super().request(method, target, *args, **kwargs)


def create_webinar(s: ZoomSession, approval_type: int = 0, **extra: Any) -> dict[str, Any]:
    body = {"topic": "Rehearsal", "type": 5, "start_time": "2030-05-17T12:30:00Z",
            "duration": 60, "settings": {"approval_type": approval_type}, **extra}
    response = s.post("/users/me/webinars", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())
