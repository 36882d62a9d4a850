"""``PATCH /v2/live_meetings/{meetingId}/events``: in-meeting controls, which Zoom documents
for meetings only; the sandbox holds no meetings, so a webinar id gets 404 / 3001."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import Response

from zoomorch.sandbox import models
from zoomorch.sandbox.app.params import read_body

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()
    store = sb.store

    @api.patch("/v2/live_meetings/{meeting_id}/events", status_code=202)
    async def live_events(meeting_id: str, request: Request) -> Response:
        body = await read_body(request, models.InMeetingControl)
        store.live_event(meeting_id, body.method, body.params or {})
        return Response(status_code=202)

    return api
