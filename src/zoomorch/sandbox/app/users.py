"""``/v2/users/{userId}`` and its ``/settings``: the account's users as Zoom shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()
    store = sb.store

    @api.get("/v2/users/{user_id}")
    async def get_user(user_id: str) -> dict[str, Any]:
        return store.user(user_id)

    @api.get("/v2/users/{user_id}/settings")
    async def get_user_settings(user_id: str) -> dict[str, Any]:
        return store.user_settings(user_id)

    return api
