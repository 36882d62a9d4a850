"""The ``/_sandbox`` admin API (not part of Zoom; no auth; loopback clients only, see
``ZoomGate``):

- ``GET  /_sandbox/state`` — dump of the whole state (no secrets).
- ``POST /_sandbox/reset`` — drop all state (credentials stay).
- ``GET  /_sandbox/faults`` / ``PUT /_sandbox/faults`` — read / change fault injection
  (``error_rate``, ``rate_limit_burst``, ``latency_ms``, ``drop_after_processing_rate``, ``seed``).
- ``GET  /_sandbox/scopes`` / ``PUT /_sandbox/scopes`` ``{"scopes": [...]}`` — the app's granted
  scopes; tokens issued afterwards carry the new grant.
- ``GET  /_sandbox/requests`` — log of /v2 requests served ``[{method, path, status, label, at}]``.
- ``GET  /_sandbox/webhooks`` — webhook delivery log.
- ``GET  /_sandbox/chat`` — Team Chat messages sent through the API.
- ``GET  /_sandbox/account`` / ``PUT /_sandbox/account`` — the account's licences, users and
  channels / change the licences (``webinar``, ``webinar_capacity``,
  ``language_interpretation``).
- ``PUT  /_sandbox/users/{email}`` ``{first_name?, last_name?}`` — add a user to the account;
  ``PUT /_sandbox/users/{email}/contacts`` ``{"contacts": [...]}`` — their Team Chat contacts.
- ``PUT  /_sandbox/channels/{id}`` ``{"name", "members": [...]}`` — a Team Chat channel.
- ``GET  /_sandbox/clock`` / ``POST /_sandbox/clock`` — read the clock / change it
  (``{"advance_seconds": n}``, ``{"set": "2025-05-01T09:00:00Z"}``, ``{"speed": 60}``).
- ``POST /_sandbox/webinars/{id}/start`` and ``/end`` — the host starts / ends the webinar.
- ``POST /_sandbox/webinars/{id}/simulate`` ``{seed, late_minutes, show_up_rate, segments, …}``
  — start the webinar now and play the attendance model (``simulation.py``);
  ``GET /_sandbox/webinars/{id}/truth`` — its ground truth; ``GET /_sandbox/simulations``.
- ``POST /_sandbox/webinars/{id}/join`` ``{name, email, registrant_id?, role?, signed_in?,
  phone_number?}`` → ``{participant_id}`` and ``/leave`` ``{participant_id | email | name}``
  — attendance recorded by hand.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from zoomorch.sandbox import models
from zoomorch.sandbox.app.params import json_object, validation_error
from zoomorch.sandbox.clock import zoom_time
from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.simulation import SimulationSettings

if TYPE_CHECKING:
    from zoomorch.sandbox.server import Sandbox


def _emails(data: dict[str, Any], key: str, shape: str) -> list[str]:
    """An admin body's list of emails, or 400 / 300 showing the expected body."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ZoomApiError(400, 300, f"Body must be {shape}.")
    return value


def router(sb: Sandbox) -> APIRouter:
    api = APIRouter()
    store = sb.store

    # ----- state, faults, scopes, logs --------------------------------------------------------

    @api.get("/_sandbox/state")
    async def admin_state() -> Response:
        return Response(store.dump_json(), media_type="application/json")

    @api.post("/_sandbox/reset")
    async def admin_reset() -> dict[str, Any]:
        sb.reset()
        return {"reset": True}

    @api.get("/_sandbox/faults")
    async def admin_faults() -> dict[str, Any]:
        return sb.faults.to_dict()

    @api.put("/_sandbox/faults")
    async def admin_set_faults(request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            settings = models.FaultSettings.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            raise validation_error(exc) from None
        sb.faults.update(settings.model_dump(exclude_unset=True))
        return sb.faults.to_dict()

    @api.get("/_sandbox/scopes")
    async def admin_scopes() -> dict[str, Any]:
        return {"scopes": sorted(sb.scopes)}

    @api.put("/_sandbox/scopes")
    async def admin_set_scopes(request: Request) -> dict[str, Any]:
        granted = (await json_object(request)).get("scopes")
        if not isinstance(granted, list) or not all(isinstance(s, str) for s in granted):
            raise ZoomApiError(400, 300, "Invalid field: scopes.", [
                {"field": "scopes", "message": "scopes must be a list of scope names."}])
        sb.scopes = granted
        return {"scopes": sorted(sb.scopes)}

    @api.get("/_sandbox/requests")
    async def admin_requests() -> dict[str, Any]:
        return {"requests": sb.requests_log()}

    @api.get("/_sandbox/webhooks")
    async def admin_webhooks() -> dict[str, Any]:
        return {"url": sb.webhook_url, "deliveries": sb.webhook_deliveries()}

    # ----- the account, its users, Team Chat --------------------------------------------------

    @api.get("/_sandbox/chat")
    async def admin_chat() -> dict[str, Any]:
        with store.lock:
            return {"messages": list(store.chat_messages)}

    @api.get("/_sandbox/account")
    async def admin_account() -> dict[str, Any]:
        with store.lock:
            return {**store.account.to_json(),
                    "users": [u.to_json() for u in store.users.values()],
                    "channels": [c.to_json() for c in store.channels.values()]}

    @api.put("/_sandbox/account")
    async def admin_set_account(request: Request) -> dict[str, Any]:
        data = await json_object(request)
        try:
            return store.set_account(data)
        except ValueError as exc:
            raise ZoomApiError(400, 300, str(exc)) from None

    @api.put("/_sandbox/users/{email}")
    async def admin_put_user(email: str, request: Request) -> dict[str, Any]:
        data = await json_object(request)
        try:
            user = store.put_user(email, str(data.get("first_name", "")),
                                  str(data.get("last_name", "")))
        except ValueError as exc:
            raise ZoomApiError(400, 300, str(exc)) from None
        return user.to_json()

    @api.put("/_sandbox/users/{email}/contacts")
    async def admin_put_contacts(email: str, request: Request) -> dict[str, Any]:
        data = await json_object(request)
        contacts = _emails(data, "contacts", '{"contacts": ["email", …]}')
        return store.set_contacts(email, contacts).to_json()

    @api.put("/_sandbox/channels/{channel_id}")
    async def admin_put_channel(channel_id: str, request: Request) -> dict[str, Any]:
        data = await json_object(request)
        members = _emails(data, "members", '{"name": "…", "members": ["email", …]}')
        return store.put_channel(channel_id, str(data.get("name", "")), members).to_json()

    # ----- the clock --------------------------------------------------------------------------

    @api.get("/_sandbox/clock")
    async def admin_clock() -> dict[str, Any]:
        return {"now": zoom_time(store.now()), "speed": store.clock.speed}

    @api.post("/_sandbox/clock")
    async def admin_set_clock(request: Request) -> dict[str, Any]:
        data = await json_object(request)
        try:
            if "set" in data:
                store.clock.set(datetime.fromisoformat(str(data["set"]).replace("Z", "+00:00")))
            if "advance_seconds" in data:
                store.clock.advance(float(data["advance_seconds"]))
            if "speed" in data:
                store.clock.set_speed(float(data["speed"]))
        except (TypeError, ValueError) as exc:
            raise ZoomApiError(400, 300, f"Invalid clock change: {exc}") from None
        return {"now": zoom_time(store.now()), "speed": store.clock.speed}

    # ----- the live webinar -------------------------------------------------------------------

    @api.post("/_sandbox/webinars/{webinar_id}/start")
    async def admin_start(webinar_id: str) -> dict[str, Any]:
        store.start_webinar(webinar_id)
        return {"status": store.webinar(webinar_id).status}

    @api.post("/_sandbox/webinars/{webinar_id}/end")
    async def admin_end(webinar_id: str) -> dict[str, Any]:
        store.end_webinar(webinar_id)
        return {"status": store.webinar(webinar_id).status}

    @api.post("/_sandbox/webinars/{webinar_id}/simulate")
    async def admin_simulate(webinar_id: str, request: Request) -> dict[str, Any]:
        data = await json_object(request)
        instant = bool(data.pop("instant", False))
        try:
            settings = SimulationSettings.model_validate(data)
        except ValidationError as exc:
            raise validation_error(exc) from None
        simulation = sb.simulations.simulate(webinar_id, settings)
        if instant:
            simulation.run()
        return simulation.summary()

    @api.get("/_sandbox/webinars/{webinar_id}/truth")
    async def admin_truth(webinar_id: str) -> dict[str, Any]:
        return sb.simulation(webinar_id).truth()

    @api.get("/_sandbox/simulations")
    async def admin_simulations() -> dict[str, Any]:
        running = sb.simulations.all()
        return {"clock": {"now": zoom_time(store.now()), "speed": store.clock.speed},
                "simulations": [s.summary() for s in running],
                "webhooks": sb.webhook_stats()}

    @api.post("/_sandbox/webinars/{webinar_id}/join")
    async def admin_join(webinar_id: str, request: Request) -> dict[str, Any]:
        data = await json_object(request)
        try:
            signed_in = data.get("signed_in")
            if signed_in is not None and not isinstance(signed_in, bool):
                raise ValueError("signed_in must be true or false")
            pid = store.record_join(webinar_id, name=str(data.get("name", "")),
                                    email=str(data.get("email", "")),
                                    registrant_id=data.get("registrant_id"),
                                    role=str(data.get("role", "attendee")),
                                    signed_in=signed_in,
                                    phone_number=str(data.get("phone_number", "")))
        except ValueError as exc:
            raise ZoomApiError(400, 300, str(exc)) from None
        return {"participant_id": pid}

    @api.post("/_sandbox/webinars/{webinar_id}/leave")
    async def admin_leave(webinar_id: str, request: Request) -> dict[str, Any]:
        data = await json_object(request)
        try:
            store.record_leave(webinar_id, participant_id=data.get("participant_id"),
                               email=data.get("email"), name=data.get("name"))
        except ValueError as exc:
            raise ZoomApiError(400, 300, str(exc)) from None
        return {"left": True}

    return api
