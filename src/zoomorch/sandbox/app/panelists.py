"""``/v2/webinars/{webinarId}/panelists``: list (interpreters included), add, remove."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from zoomorch.sandbox import models
from zoomorch.sandbox.app.params import fields_of, read_body

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()
    store = sb.store

    @api.get("/v2/webinars/{webinar_id}/panelists")
    async def list_panelists(webinar_id: str) -> dict[str, Any]:
        return store.list_panelists(webinar_id)

    @api.post("/v2/webinars/{webinar_id}/panelists", status_code=201)
    async def add_panelists(webinar_id: str, request: Request) -> dict[str, Any]:
        store.webinar(webinar_id)
        body = await read_body(request, models.PanelistsAdd)
        return store.add_panelists(webinar_id, [fields_of(p) for p in body.panelists])

    @api.delete("/v2/webinars/{webinar_id}/panelists", status_code=204)
    async def remove_panelists(webinar_id: str) -> Response:
        store.remove_all_panelists(webinar_id)
        return Response(status_code=204)

    @api.delete("/v2/webinars/{webinar_id}/panelists/{panelist_id}", status_code=204)
    async def remove_panelist(webinar_id: str, panelist_id: str) -> Response:
        store.remove_panelist(webinar_id, panelist_id)
        return Response(status_code=204)

    return api
