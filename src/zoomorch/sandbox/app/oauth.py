"""``POST /oauth/token``: Server-to-Server OAuth (``grant_type=account_credentials``, Basic
auth), answering Zoom's token shape or its ``{"reason", "error"}`` refusals."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from zoomorch.sandbox.auth import scope_string

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()

    @api.post("/oauth/token")
    async def oauth_token(request: Request) -> JSONResponse:
        params = dict(request.query_params)
        raw = await request.body()
        if raw:
            for key, values in parse_qs(raw.decode("utf-8", "replace")).items():
                params.setdefault(key, values[0])
        if not sb.credentials.check_basic(request.headers.get("authorization")):
            return JSONResponse({"reason": "Invalid client_id or client_secret",
                                 "error": "invalid_client"}, status_code=400)
        if params.get("grant_type") != "account_credentials":
            return JSONResponse({"reason": "Unsupported grant type",
                                 "error": "unsupported_grant_type"}, status_code=400)
        if params.get("account_id") != sb.credentials.account_id:
            return JSONResponse({"reason": "Invalid request : Account ID is invalid.",
                                 "error": "invalid_request"}, status_code=400)
        granted = sb.scopes
        token = sb.tokens.issue(sb.credentials.client_id, granted)
        return JSONResponse({"access_token": token, "token_type": "bearer",
                             "expires_in": sb.tokens.ttl_seconds,
                             "scope": scope_string(granted), "api_url": sb.origin})

    return api
