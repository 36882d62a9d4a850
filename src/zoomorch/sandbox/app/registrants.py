"""``/v2/webinars/{webinarId}/registrants``: list, add (one or a batch), approve / deny /
cancel, get, delete, and the registration questions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from zoomorch.sandbox import models
from zoomorch.sandbox.app.params import (
    choice_param,
    fields_of,
    page_size_param,
    page_token_param,
    read_body,
)

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()
    store = sb.store

    @api.get("/v2/webinars/{webinar_id}/registrants")
    async def list_registrants(webinar_id: str, request: Request) -> dict[str, Any]:
        status = choice_param(request, "status", "approved", ("pending", "approved", "denied"))
        page_size = page_size_param(request)
        return store.list_registrants(webinar_id, status, page_size, page_token_param(request))

    @api.post("/v2/webinars/{webinar_id}/registrants", status_code=201)
    async def add_registrant(webinar_id: str, request: Request) -> dict[str, Any]:
        store.webinar(webinar_id)
        body = await read_body(request, models.RegistrantCreate)
        return store.add_registrant(webinar_id, fields_of(body))

    @api.post("/v2/webinars/{webinar_id}/batch_registrants", status_code=201)
    async def batch_registrants(webinar_id: str, request: Request) -> dict[str, Any]:
        store.webinar(webinar_id)
        body = await read_body(request, models.BatchRegistrants)
        return store.batch_add_registrants(
            webinar_id, [fields_of(r) for r in body.registrants], bool(body.auto_approve))

    @api.put("/v2/webinars/{webinar_id}/registrants/status", status_code=204)
    async def registrant_status(webinar_id: str, request: Request) -> Response:
        store.webinar(webinar_id)
        body = await read_body(request, models.RegistrantStatus)
        store.update_registrant_status(webinar_id, body.action,
                                       [fields_of(r) for r in body.registrants or []])
        return Response(status_code=204)

    # The questions routes come before /registrants/{registrant_id}, which would take them.
    @api.get("/v2/webinars/{webinar_id}/registrants/questions")
    async def get_questions(webinar_id: str) -> dict[str, Any]:
        return store.get_registration_questions(webinar_id)

    @api.patch("/v2/webinars/{webinar_id}/registrants/questions", status_code=204)
    async def update_questions(webinar_id: str, request: Request) -> Response:
        store.webinar(webinar_id)
        body = await read_body(request, models.RegistrationQuestions)
        store.update_registration_questions(webinar_id, fields_of(body))
        return Response(status_code=204)

    @api.get("/v2/webinars/{webinar_id}/registrants/{registrant_id}")
    async def get_registrant(webinar_id: str, registrant_id: str) -> dict[str, Any]:
        return store.get_registrant(webinar_id, registrant_id)

    @api.delete("/v2/webinars/{webinar_id}/registrants/{registrant_id}", status_code=204)
    async def delete_registrant(webinar_id: str, registrant_id: str) -> Response:
        store.delete_registrant(webinar_id, registrant_id)
        return Response(status_code=204)

    return api
