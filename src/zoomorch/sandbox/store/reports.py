"""Reports on ended webinars, as Zoom's report and past-webinar endpoints answer them: the
webinar, its participants (one row per join), absentees, Q&A and polls. Emails are shown
under the same rules as at the join (``Attendance.shown_email``)."""

from __future__ import annotations

from typing import Any

from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.store.accounts import HOST_EMAIL, HOST_ID
from zoomorch.sandbox.store.attendance import Attendance
from zoomorch.sandbox.store.context import StoreContext
from zoomorch.sandbox.store.paging import Pager, page_count
from zoomorch.sandbox.store.registrants import Registrants
from zoomorch.sandbox.store.webinar_state import WebinarState
from zoomorch.sandbox.store.webinars import WebinarCatalog


class Reports:
    """Read-only views of the catalog's ended webinars."""

    def __init__(self, ctx: StoreContext, catalog: WebinarCatalog, registrants: Registrants,
                 attendance: Attendance, pager: Pager) -> None:
        self.ctx = ctx
        self.catalog = catalog
        self.registrants = registrants
        self.attendance = attendance
        self.pager = pager

    def _past(self, webinar_id: int | str) -> WebinarState:
        state = self.catalog.webinar(webinar_id)
        if state.status != "ended":
            raise ZoomApiError(404, 3001, f"Webinar {webinar_id} not found or has expired.")
        return state

    def past_by_uuid(self, uuid: str) -> WebinarState:
        """An ended webinar named by uuid (or, as Zoom accepts, by id)."""
        catalog = self.catalog
        wid = catalog.uuid_index.get(uuid)
        if wid is None and uuid.isdigit():
            wid = int(uuid)
        if wid is None or wid not in catalog.webinars or catalog.webinars[wid].status != "ended":
            raise ZoomApiError(404, 3001, "Meeting ID is invalid or not end.")
        return catalog.webinars[wid]

    def report_webinar(self, webinar_id: int | str) -> dict[str, Any]:
        with self.ctx.lock:
            state = self._past(webinar_id)
            start = state.started_at or self.ctx.now()
            end = state.ended_at or start
            people = {s.participant_id for s in state.sessions}
            return {
                "uuid": state.data["uuid"], "id": state.id, "host_id": HOST_ID, "type": 5,
                "topic": state.data["topic"], "user_name": "Sandbox Host",
                "user_email": HOST_EMAIL, "start_time": zoom_time(start),
                "end_time": zoom_time(end),
                "duration": max(0, round((end - start).total_seconds() / 60)),
                "total_minutes": round(sum(
                    ((s.leave_time or end) - s.join_time).total_seconds()
                    for s in state.sessions) / 60),
                "participants_count": len(people), "dept": "",
                "tracking_fields": state.data.get("tracking_fields", []),
                "custom_keys": [],
            }

    def report_participants(self, webinar_id: int | str, page_size: int, token: str | None,
                            include_registrant_id: bool) -> dict[str, Any]:
        with self.ctx.lock:
            state = self._past(webinar_id)
            total = len(state.sessions)
            chunk, next_token = self.pager.page("participants", str(state.id),
                                                iter(state.sessions), total, page_size, token)
            rows = []
            for session in chunk:
                leave = session.leave_time or state.ended_at or session.join_time
                row: dict[str, Any] = {
                    "id": session.shown_id, "user_id": session.session_id,
                    "name": session.name, "user_email": session.email,
                    "join_time": zoom_time(session.join_time), "leave_time": zoom_time(leave),
                    "duration": int((leave - session.join_time).total_seconds()),
                    "status": "in_meeting", "failover": False, "customer_key": "",
                    "participant_user_id": session.shown_id,
                }
                if include_registrant_id:
                    row["registrant_id"] = session.registrant_id or ""
                rows.append(row)
            return {"page_count": page_count(total, page_size),
                    "page_size": page_size, "total_records": total,
                    "next_page_token": next_token, "participants": rows}

    def absentees(self, webinar_uuid: str, page_size: int, token: str | None) -> dict[str, Any]:
        with self.ctx.lock:
            state = self.past_by_uuid(webinar_uuid)
            self.registrants.check_registration(state)
            joined_ids = {s.registrant_id for s in state.sessions if s.registrant_id}
            joined_emails = {s.email.lower() for s in state.sessions if s.email}
            absent = [rid for rid in state.by_status["approved"]
                      if rid not in joined_ids
                      and state.registrants[rid]["email"].lower() not in joined_emails]
            chunk, next_token = self.pager.page("absentees", state.data["uuid"], iter(absent),
                                                len(absent), page_size, token)
            rows = [self.registrants.render_registrant(state, state.registrants[rid])
                    for rid in chunk]
            total = len(absent)
            return {"page_count": page_count(total, page_size),
                    "page_size": page_size, "total_records": total,
                    "next_page_token": next_token, "registrants": rows}

    def report_qa(self, webinar_id: int | str) -> dict[str, Any]:
        with self.ctx.lock:
            state = self._past(webinar_id)
            grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for item in state.qa:
                details = {"question": item["question"], "answer": item["answer"]}
                # Zoom's rules, as the participants report's
                email = self.attendance.shown_email(state, item["email"])
                grouped.setdefault((item["name"], email), []).append(details)
            return {"id": state.id, "uuid": state.data["uuid"],
                    "start_time": zoom_time(state.started_at or self.ctx.now()),
                    "questions": [{"name": n, "email": e, "question_details": d}
                                  for (n, e), d in grouped.items()]}

    def report_polls(self, webinar_id: int | str) -> dict[str, Any]:
        with self.ctx.lock:
            state = self._past(webinar_id)
            grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for answer in state.poll_answers:
                details = {"question": answer["question"], "answer": answer["answer"],
                           "polling_id": answer["poll_id"], "date_time": answer["date_time"]}
                email = self.attendance.shown_email(state, answer["email"])
                grouped.setdefault((answer["name"], email), []).append(details)
            # The polls report's email is `format: email`: a hidden one is left out, not "".
            return {"id": state.id, "uuid": state.data["uuid"],
                    "start_time": zoom_time(state.started_at or self.ctx.now()),
                    "questions": [{"name": n, **({"email": e} if e else {}),
                                   "question_details": d}
                                  for (n, e), d in grouped.items()]}
