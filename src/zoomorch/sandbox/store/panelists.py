"""A webinar's panelists, and its interpreters, whom Zoom makes panelists too: each gets a
personal join link."""

from __future__ import annotations

from typing import Any

from zoomorch.sandbox import ids
from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.store.context import StoreContext
from zoomorch.sandbox.store.webinar_state import WebinarState
from zoomorch.sandbox.store.webinars import WebinarCatalog


def blank_panelist(panelist_id: str, email: str, name: str) -> dict[str, Any]:
    """A panelist as Zoom lists one, before the fields the request sets."""
    return {"id": panelist_id, "email": email, "name": name, "virtual_background_id": "",
            "name_tag_id": "", "name_tag_name": "", "name_tag_pronouns": "",
            "name_tag_description": ""}


class Panelists:
    """Panelists of the catalog's webinars (they live in each ``WebinarState``)."""

    def __init__(self, ctx: StoreContext, catalog: WebinarCatalog) -> None:
        self.ctx = ctx
        self.catalog = catalog

    def list_panelists(self, webinar_id: int | str) -> dict[str, Any]:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            rows = [self.render_panelist(state, p) for p in state.panelists.values()]
            # Zoom makes a webinar's interpreters panelists; list them as such.
            for interpreter in state.interpreters():
                email = str(interpreter.get("email", "")).lower()
                if not email or email in state.panelist_by_email:
                    continue
                pid = state.interpreter_ids.get(email)
                if pid is None:
                    pid = ids.opaque_id()
                    state.interpreter_ids[email] = pid
                    self.catalog.new_join_token(state, pid)
                    self.ctx.mark_changed()
                rows.append(self.render_panelist(state, blank_panelist(
                    pid, interpreter["email"], interpreter["email"].split("@")[0])))
            return {"total_records": len(rows), "panelists": rows}

    def render_panelist(self, state: WebinarState, panelist: dict[str, Any]) -> dict[str, Any]:
        row = dict(panelist)
        row["join_url"] = self.catalog.join_url(state.id, panelist["id"], state)
        return row

    def add_panelists(self, webinar_id: int | str,
                      panelists: list[dict[str, Any]]) -> dict[str, Any]:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            for item in panelists:
                email = item["email"]
                pid = state.panelist_by_email.get(email.lower())
                if pid is None:
                    # An interpreter made a panelist keeps the id (and link) already shown.
                    pid = state.interpreter_ids.get(email.lower()) or ids.opaque_id()
                    if pid not in state.join_tokens:
                        self.catalog.new_join_token(state, pid)
                    state.panelist_by_email[email.lower()] = pid
                    state.panelists[pid] = blank_panelist(pid, email, "")
                state.panelists[pid].update({k: v for k, v in item.items() if v is not None})
            state.panelists_updated_at = self.ctx.now()
            self.ctx.mark_changed()
            return {"id": str(state.id), "updated_at": zoom_time(state.panelists_updated_at)}

    def remove_panelist(self, webinar_id: int | str, panelist_id: str) -> None:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            panelist = state.panelists.pop(panelist_id, None)
            if panelist is None:
                raise ZoomApiError(404, 3001, f"Panelist does not exist: {panelist_id}.")
            state.panelist_by_email.pop(panelist["email"].lower(), None)
            self.ctx.mark_changed()

    def remove_all_panelists(self, webinar_id: int | str) -> None:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            state.panelists.clear()
            state.panelist_by_email.clear()
            self.ctx.mark_changed()
