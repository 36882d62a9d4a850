"""``GET /w/{webinarId}``: the landing page behind a join URL (``?tk=`` for a personal one)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()
    store = sb.store

    @api.get("/w/{webinar_id}", response_class=HTMLResponse)
    async def join_page(webinar_id: str, request: Request) -> HTMLResponse:
        state = store.webinar(webinar_id)
        who = "attendee"
        token = request.query_params.get("tk")
        if token:
            found = store.token_index.get(token)
            if found is None or found[0] != state.id:
                return HTMLResponse("<h1>Invalid join link</h1>", status_code=404)
            person = state.registrants.get(found[1]) or state.panelists.get(found[1])
            who = person["email"] if person else "panelist"
        topic = state.data["topic"]
        return HTMLResponse(f"<h1>{html.escape(topic)}</h1><p>Sandbox join page for "
                            f"{html.escape(who)}.</p>")

    return api
