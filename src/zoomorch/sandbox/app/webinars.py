"""Webinars: ``/v2/users/{userId}/webinars`` (create, list) and ``/v2/webinars/{webinarId}``
(get, update, delete, end through ``/status``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from zoomorch.sandbox import models
from zoomorch.sandbox.app.params import (
    fields_of,
    int_param,
    page_size_param,
    page_token_param,
    read_body,
)

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()
    store = sb.store

    @api.post("/v2/users/{user_id}/webinars", status_code=201)
    async def create_webinar(user_id: str, request: Request) -> dict[str, Any]:
        body = await read_body(request, models.WebinarCreate)
        return store.create_webinar(user_id, fields_of(body))

    @api.get("/v2/users/{user_id}/webinars")
    async def list_webinars(user_id: str, request: Request) -> dict[str, Any]:
        page_size = page_size_param(request)
        page_number = (int_param(request, "page_number", 1)
                       if "page_number" in request.query_params else None)
        return store.list_webinars(user_id, page_size, page_number, page_token_param(request))

    @api.get("/v2/webinars/{webinar_id}")
    async def get_webinar(webinar_id: str) -> dict[str, Any]:
        return store.get_webinar(webinar_id)

    @api.patch("/v2/webinars/{webinar_id}", status_code=204)
    async def update_webinar(webinar_id: str, request: Request) -> Response:
        store.webinar(webinar_id)  # 404 before 400, as Zoom
        body = await read_body(request, models.WebinarUpdate)
        store.update_webinar(webinar_id, fields_of(body))
        return Response(status_code=204)

    @api.delete("/v2/webinars/{webinar_id}", status_code=204)
    async def delete_webinar(webinar_id: str) -> Response:
        store.delete_webinar(webinar_id)
        return Response(status_code=204)

    @api.put("/v2/webinars/{webinar_id}/status", status_code=204)
    async def webinar_status(webinar_id: str, request: Request) -> Response:
        # Zoom answers 204 (facts.md); the OpenAPI description lists 200 with no body.
        store.webinar(webinar_id)
        await read_body(request, models.WebinarStatus)
        store.end_webinar(webinar_id)
        return Response(status_code=204)

    return api
