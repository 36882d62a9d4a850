"""Reports on ended webinars: ``/v2/report/webinars/{webinarId}`` (the webinar, participants,
Q&A, polls) and ``/v2/past_webinars/{webinarUUID}/absentees``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from fastapi import APIRouter, Request

from zoomorch.sandbox.app.params import page_size_param, page_token_param

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()
    store = sb.store

    @api.get("/v2/report/webinars/{webinar_id}")
    async def report_webinar(webinar_id: str) -> dict[str, Any]:
        return store.report_webinar(webinar_id)

    @api.get("/v2/report/webinars/{webinar_id}/participants")
    async def report_participants(webinar_id: str, request: Request) -> dict[str, Any]:
        page_size = page_size_param(request)
        include = "registrant_id" in (request.query_params.get("include_fields") or "")
        return store.report_participants(webinar_id, page_size, page_token_param(request),
                                         include)

    @api.get("/v2/report/webinars/{webinar_id}/qa")
    async def report_qa(webinar_id: str) -> dict[str, Any]:
        return store.report_qa(webinar_id)

    @api.get("/v2/report/webinars/{webinar_id}/polls")
    async def report_polls(webinar_id: str) -> dict[str, Any]:
        return store.report_polls(webinar_id)

    @api.get("/v2/past_webinars/{webinar_uuid}/absentees")
    async def absentees(webinar_uuid: str, request: Request) -> dict[str, Any]:
        # Zoom asks for uuids with '/' to be double-encoded; the router decoded once.
        uuid = unquote(webinar_uuid) if "%" in webinar_uuid else webinar_uuid
        page_size = page_size_param(request)
        return store.absentees(uuid, page_size, page_token_param(request))

    return api
