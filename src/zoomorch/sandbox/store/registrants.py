"""Registrants: registration as Zoom does it (one at a time or in batches of 30, the
per-person 3-a-day rule across the account, a denied person registering again goes back in
line), approvals and their 10-a-day rule per registrant, and the registration questions."""

from __future__ import annotations

import copy
from typing import Any

from zoomorch.sandbox import ids
from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.store.context import StoreContext
from zoomorch.sandbox.store.daily import (
    REGISTRANT_ADD,
    REGISTRANT_BATCH,
    REGISTRANT_STATUS,
    DailyCounts,
    DailyRule,
)
from zoomorch.sandbox.store.paging import Pager, page_count
from zoomorch.sandbox.store.webinar_state import WebinarState
from zoomorch.sandbox.store.webinars import WebinarCatalog

# What each status action files a registrant under: the sandbox files cancelled ones as denied.
STATUS_AFTER = {"approve": "approved", "deny": "denied", "cancel": "denied"}
# Request fields that steer the registration and are not kept on the registrant.
NOT_KEPT = ("language", "source_id", "auto_approve")


def blank_registrant(registrant_id: str, email: str, status: str,
                     create_time: str) -> dict[str, Any]:
    """A registrant as Zoom shows one, before the fields the request sets."""
    return {
        "id": registrant_id, "email": email, "first_name": "", "last_name": "", "address": "",
        "city": "", "country": "", "zip": "", "state": "", "phone": "",
        "industry": "", "org": "", "job_title": "", "purchasing_time_frame": "",
        "role_in_purchase_process": "", "no_of_employees": "", "comments": "",
        "custom_questions": [], "status": status, "create_time": create_time,
    }


class Registrants:
    """Registrants of the catalog's webinars (they live in each ``WebinarState``)."""

    def __init__(self, ctx: StoreContext, catalog: WebinarCatalog, daily: DailyCounts,
                 pager: Pager) -> None:
        self.ctx = ctx
        self.catalog = catalog
        self.daily = daily
        self.pager = pager

    def check_registration(self, state: WebinarState) -> None:
        """Zoom's 400 / 3000 for a webinar that takes no registration (approval_type 2)."""
        if state.data["settings"].get("approval_type", 2) == 2:
            raise ZoomApiError(
                400, 3000, f"This webinar does not have registration as required: {state.id}.")

    def render_registrant(self, state: WebinarState,
                          registrant: dict[str, Any]) -> dict[str, Any]:
        row = dict(registrant)
        row["join_url"] = self.catalog.join_url(state.id, registrant["id"], state)
        return row

    def _upsert(self, state: WebinarState, fields: dict[str, Any], status: str,
                rule: DailyRule = REGISTRANT_ADD) -> tuple[dict[str, Any], bool]:
        """Register one person (counted against ``rule`` even when already registered, as
        Zoom answers that with the same registrant); returns (registrant, created)."""
        email = fields["email"]
        self.daily.count(rule, email.strip().lower(), who=email)
        rid = state.registrant_by_email.get(email.lower())
        created = rid is None
        if rid is None:
            rid = ids.opaque_id()
            state.registrants[rid] = blank_registrant(rid, email, status,
                                                      zoom_time(self.ctx.now()))
            state.registrant_by_email[email.lower()] = rid
            state.by_status[status][rid] = None
            self.catalog.new_join_token(state, rid)
        registrant = state.registrants[rid]
        for key, value in fields.items():
            if key in NOT_KEPT:
                continue
            if value is not None:
                registrant[key] = copy.deepcopy(value)
        if not created and registrant["status"] == "denied":
            # Registering again after a denial/cancel puts the person back in line.
            state.set_registrant_status(rid, status)
        return registrant, created

    def _registration_event(self, state: WebinarState, registrant: dict[str, Any]) -> tuple[
            str, dict[str, Any]]:
        obj = self.catalog.webinar_event_object(state)
        obj["registrant"] = self.render_registrant(state, registrant)
        return "webinar.registration_created", obj

    def add_registrant(self, webinar_id: int | str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            self.check_registration(state)
            status = "approved" if state.data["settings"].get("approval_type") == 0 else "pending"
            registrant, created = self._upsert(state, fields, status)
            event = self._registration_event(state, registrant) if created else None
            self.ctx.mark_changed()
            result = {"id": state.id, "registrant_id": registrant["id"],
                      "join_url": self.catalog.join_url(state.id, registrant["id"], state),
                      "start_time": state.data.get("start_time", ""),
                      "topic": state.data["topic"], "occurrences": []}
        if event:
            self.ctx.emit(*event)
        return result

    def batch_add_registrants(self, webinar_id: int | str, registrants: list[dict[str, Any]],
                              auto_approve: bool) -> dict[str, Any]:
        events = []
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            if state.data["type"] != 5:
                raise ZoomApiError(400, 3000, "Batch registration is only supported for "
                                              "webinars of type 5 (scheduled, not recurring).")
            self.check_registration(state)
            if auto_approve or state.data["settings"].get("approval_type") == 0:
                status = "approved"
            else:
                status = "pending"
            out = []
            refused: ZoomApiError | None = None
            for fields in registrants:
                try:
                    registrant, created = self._upsert(state, fields, status, REGISTRANT_BATCH)
                except ZoomApiError as exc:
                    # Those before the refused person stay registered (docs/sandbox.md).
                    refused = exc
                    break
                if created:
                    events.append(self._registration_event(state, registrant))
                out.append({"email": registrant["email"], "registrant_id": registrant["id"],
                            "join_url": self.catalog.join_url(state.id, registrant["id"],
                                                              state)})
            self.ctx.mark_changed()
        for event in events:
            self.ctx.emit(*event)
        if refused is not None:
            raise refused
        return {"registrants": out}

    def list_registrants(self, webinar_id: int | str, status: str, page_size: int,
                         token: str | None) -> dict[str, Any]:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            ids_by_status = state.by_status[status]
            total = len(ids_by_status)
            chunk, next_token = self.pager.page("registrants", f"{state.id}|{status}",
                                                iter(ids_by_status), total, page_size, token)
            rows = [self.render_registrant(state, state.registrants[rid]) for rid in chunk]
            return {"page_size": page_size, "total_records": total,
                    "page_count": page_count(total, page_size),
                    "page_number": 1, "next_page_token": next_token, "registrants": rows}

    def get_registrant(self, webinar_id: int | str, registrant_id: str) -> dict[str, Any]:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            registrant = state.registrants.get(registrant_id)
            if registrant is None:
                raise ZoomApiError(404, 3043, f"Registrant does not exist: {registrant_id}.")
            return self.render_registrant(state, registrant)

    def delete_registrant(self, webinar_id: int | str, registrant_id: str) -> None:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            registrant = state.registrants.pop(registrant_id, None)
            if registrant is None:
                raise ZoomApiError(400, 3043, f"Registrant does not exist: {registrant_id}.")
            state.registrant_by_email.pop(registrant["email"].lower(), None)
            state.by_status[registrant["status"]].pop(registrant_id, None)
            self.catalog.drop_join_token(state, registrant_id)
            self.ctx.mark_changed()

    def update_registrant_status(self, webinar_id: int | str, action: str,
                                 people: list[dict[str, Any]]) -> None:
        """approve | deny | cancel for up to 30 registrants named by id or email.

        ``cancel`` takes back an approval; the sandbox files cancelled registrants as denied.
        """
        target = STATUS_AFTER[action]
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            self.check_registration(state)
            resolved = []
            for person in people:
                rid = person.get("id")
                if not rid and person.get("email"):
                    rid = state.registrant_by_email.get(str(person["email"]).lower())
                if not rid or rid not in state.registrants:
                    who = person.get("id") or person.get("email")
                    raise ZoomApiError(400, 3000, f"Registrant not found: {who}.")
                resolved.append(rid)
            for rid in resolved:
                self.daily.count(REGISTRANT_STATUS, f"{state.id}|{rid}",
                                 who=state.registrants[rid]["email"])
                state.set_registrant_status(rid, target)
            self.ctx.mark_changed()

    def get_registration_questions(self, webinar_id: int | str) -> dict[str, Any]:
        with self.ctx.lock:
            return copy.deepcopy(self.catalog.webinar(webinar_id).questions)

    def update_registration_questions(self, webinar_id: int | str,
                                      questions: dict[str, Any]) -> None:
        with self.ctx.lock:
            state = self.catalog.webinar(webinar_id)
            for key in ("questions", "custom_questions"):
                if key in questions:
                    state.questions[key] = copy.deepcopy(questions[key])
            self.ctx.mark_changed()
