"""``POST /v2/chat/users/{userId}/messages``: a Team Chat message to a contact or a channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request

from zoomorch.sandbox import models
from zoomorch.sandbox.app.params import read_body
from zoomorch.sandbox.errors import ZoomApiError

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()
    store = sb.store

    @api.post("/v2/chat/users/{user_id}/messages", status_code=201)
    async def send_chat(user_id: str, request: Request) -> dict[str, Any]:
        body = await read_body(request, models.ChatMessage)
        if not body.to_contact and not body.to_channel:
            raise ZoomApiError(400, 300, "Validation Failed.", [
                {"field": "to_contact", "message": "Either to_contact or to_channel is required."}])
        return {"id": store.send_chat(user_id, body.message, body.to_contact, body.to_channel)}

    return api
