"""OAuth scopes end to end: the extracted table, the sandbox's 400/4711 refusals like Zoom's,
the client's ZoomScopeError, and docs/zoom-app.md kept in step with the generator."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import requests

from sandbox_helpers import ZoomSession, access_token, create_webinar
from zoomorch import scopes
from zoomorch.sandbox import Sandbox
from zoomorch.scopes import DEFAULT_GRANTED, FEATURE_OPERATIONS, Feature, Operation
from zoomorch.zoom import ZoomAuthError, ZoomClient, ZoomScopeError, load_settings

ROOT = Path(__file__).resolve().parents[1]
SPEC = Path(os.environ.get("ZOOM_OPENAPI_SPEC",
                           ROOT.parent / "shared" / "zoom-api" / "ZoomMeetingAPISpec.json"))
REPORT_REFUSAL = "Invalid access token, does not contain scopes:[report:read:admin]."


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_scopes",
                                                  ROOT / "scripts" / "extract_scopes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _client_operations() -> set[Operation]:
    """Every (method, template) the client and the report fetcher name in their source."""
    found: set[Operation] = set()
    for source in ("src/zoomorch/zoom/client.py", "src/zoomorch/report/fetch.py"):
        text = (ROOT / source).read_text(encoding="utf-8")
        for method, template in re.findall(
                r'"(GET|POST|PUT|PATCH|DELETE)",\s*"(/[^"]+)"', text):
            found.add(Operation(method, template))
        for template in re.findall(r'_items\(\s*"(/[^"]+)"', text):
            found.add(Operation("GET", template))
    return found


def _without(*names: str) -> set[str]:
    return set(DEFAULT_GRANTED) - set(names)


# ----- the table and the feature map (no HTTP) --------------------------------------------------


def test_every_operation_a_feature_calls_has_a_scope_rule() -> None:
    for feature, operations in FEATURE_OPERATIONS.items():
        for operation in operations:
            assert scopes.scopes_for(*operation) is not None, (feature, operation)


def test_every_operation_named_in_the_client_has_a_scope_rule() -> None:
    operations = _client_operations()
    assert Operation("GET", "/report/webinars/{webinarId}/qa") in operations
    assert [op for op in operations if scopes.scopes_for(*op) is None] == []


def test_default_grant_is_the_smallest_classic_set_covering_every_feature() -> None:
    assert all(scopes.missing(DEFAULT_GRANTED, f) == [] for f in Feature)
    for name in DEFAULT_GRANTED:
        assert any(scopes.missing(_without(name), f) for f in Feature), name
    every_classic = {s for ops in FEATURE_OPERATIONS.values() for op in ops
                     for s in scopes.rules()[op].classic}
    assert DEFAULT_GRANTED <= every_classic


def test_granular_alternative_covers_every_feature_without_classic_webinar_scopes() -> None:
    granular, classic_only = scopes.granular_grant()
    grant = set(granular) | {scope for _, scope in classic_only}
    assert all(scopes.missing(grant, f) == [] for f in Feature)
    assert not grant & {"webinar:read:admin", "webinar:write:admin", "chat_message:write:admin"}


def test_concrete_paths_resolve_to_their_operation() -> None:
    rule = scopes.scopes_for("get", "/webinars/81234567890/registrants/questions?x=1")
    assert rule == scopes.scopes_for("GET", "/webinars/{webinarId}/registrants/questions")
    assert rule is not None and rule.granular[-1] == (
        "webinar:read:list_registration_questions:admin")
    assert scopes.features_for("GET", "/webinars/1/registrants") == (Feature.SYNC,
                                                                     Feature.REPORT)
    assert scopes.scopes_for("GET", "/no/such/thing") is None


def test_a_rule_is_met_by_a_classic_or_a_granular_scope() -> None:
    rule = scopes.scopes_for("GET", "/webinars/{webinarId}/registrants")
    assert rule is not None
    assert rule.accepted[:2] == ("webinar:read:admin", "webinar:read")  # Zoom's order
    assert rule.satisfied_by({"webinar:read"})
    assert rule.satisfied_by({"webinar:read:list_registrants:admin"})
    assert not rule.satisfied_by({"webinar:write:admin", "report:read:admin"})
    assert scopes.missing({"webinar:read:admin"}, Feature.REPORT) == [
        Operation("GET", "/report/webinars/{webinarId}"),
        Operation("GET", "/report/webinars/{webinarId}/participants"),
        Operation("GET", "/report/webinars/{webinarId}/qa"),
        Operation("GET", "/report/webinars/{webinarId}/polls"),
    ]


def test_refusal_message_round_trips_zoom_format() -> None:
    rule = scopes.ScopeRule(("webinar:read:admin", "webinar:read"))
    message = scopes.refusal_message(rule)
    assert message == ("Invalid access token, does not contain scopes:"
                       "[webinar:read:admin, webinar:read].")
    assert scopes.scopes_in_refusal(message) == rule.accepted
    assert scopes.scopes_in_refusal("Invalid access token.") == ()


def test_team_chat_send_has_its_extra_rule() -> None:
    rule = scopes.scopes_for("POST", "/chat/users/me/messages")
    assert rule is not None
    assert rule.classic == ("chat_message:write", "chat_message:write:admin")


@pytest.mark.skipif(not SPEC.exists(), reason="Zoom's OpenAPI description is not here")
def test_packaged_json_is_what_the_extractor_makes_from_the_spec() -> None:
    generator = _generator()
    table = generator.extract(json.loads(SPEC.read_text(encoding="utf-8")))
    packaged = ROOT / "src" / "zoomorch" / "data" / "operation_scopes.json"
    assert packaged.read_text(encoding="utf-8") == generator.dump(table)


def test_docs_zoom_app_is_what_the_generator_makes() -> None:
    committed = (ROOT / "docs" / "zoom-app.md").read_text(encoding="utf-8")
    assert committed == _generator().render_docs(), (
        "docs/zoom-app.md is stale: run python scripts/extract_scopes.py --docs")


# ----- the sandbox over HTTP ------------------------------------------------------------------


def test_sandbox_without_report_scope_refuses_reports_like_zoom(sandbox: Sandbox) -> None:
    sandbox.scopes = _without("report:read:admin")
    session = ZoomSession(sandbox)
    webinar = create_webinar(session)
    refused = session.get(f"/report/webinars/{webinar['id']}/participants")
    assert refused.status_code == 400
    assert refused.json() == {"code": 4711, "message": REPORT_REFUSAL}
    assert session.get(f"/webinars/{webinar['id']}/registrants").status_code == 200
    assert sandbox.requests_log()[-2]["status"] == 400


def test_granular_only_grant_allows_just_its_operations(sandbox: Sandbox) -> None:
    sandbox.scopes = {"webinar:write:webinar:admin", "webinar:read:list_registrants:admin"}
    session = ZoomSession(sandbox)
    webinar = create_webinar(session)
    assert session.get(f"/webinars/{webinar['id']}/registrants").status_code == 200
    refused = session.get(f"/webinars/{webinar['id']}")
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Invalid access token, does not contain scopes:[webinar:read:admin, webinar:read, "
        "webinar:read:webinar, webinar:read:webinar:admin].")


def test_token_answer_scope_is_the_grant_and_changes_reach_only_new_tokens(
        sandbox: Sandbox) -> None:
    creds = sandbox.credentials

    def token() -> dict[str, str]:
        answer = requests.post(sandbox.oauth_url, auth=(creds.client_id, creds.client_secret),
                               params={"grant_type": "account_credentials",
                                       "account_id": creds.account_id}, timeout=5)
        return dict(answer.json())

    assert token()["scope"] == " ".join(sorted(DEFAULT_GRANTED))
    old = ZoomSession(sandbox)
    admin = sandbox.admin_url + "/scopes"
    changed = requests.put(admin, json={"scopes": ["user:read:admin"]}, timeout=5)
    assert changed.json() == {"scopes": ["user:read:admin"]}
    assert requests.get(admin, timeout=5).json() == {"scopes": ["user:read:admin"]}
    assert token()["scope"] == "user:read:admin"
    assert old.post("/users/me/webinars", json={"topic": "Old token"}).status_code == 201
    new = requests.post(sandbox.base_url + "/users/me/webinars", json={"topic": "New"},
                        headers={"Authorization": f"Bearer {access_token(sandbox)}"},
                        timeout=5)
    assert (new.status_code, new.json()["code"]) == (400, 4711)
    bad = requests.put(admin, json={"scopes": "user:read:admin"}, timeout=5)
    assert (bad.status_code, bad.json()["code"]) == (400, 300)


# ----- the client -----------------------------------------------------------------------------


def test_client_raises_scope_error_naming_scope_feature_and_fix(sandbox: Sandbox) -> None:
    sandbox.scopes = _without("report:read:admin")
    client = ZoomClient(load_settings(environ=sandbox.env()).credentials)
    with pytest.raises(ZoomScopeError) as caught:
        client.get_qa_report(81234567890)
    error = caught.value
    assert isinstance(error, ZoomAuthError)
    assert (error.status, error.code) == (400, 4711)
    assert error.missing == ("report:read:admin",)
    assert error.features == ("report",)
    text = str(error)
    assert "report:read:admin" in text and "report feature" in text
    assert "Server-to-Server OAuth app in the Zoom App Marketplace" in text
    assert "docs/zoom-app.md" in text


def test_client_scope_error_lists_every_feature_of_a_shared_call(sandbox: Sandbox) -> None:
    sandbox.scopes = _without("webinar:read:admin")
    client = ZoomClient(load_settings(environ=sandbox.env()).credentials)
    with pytest.raises(ZoomScopeError) as caught:
        list(client.iter_registrants(81234567890))
    assert caught.value.features == ("sync", "report")
    assert caught.value.missing[:2] == ("webinar:read:admin", "webinar:read")


# ----- the CLI ----------------------------------------------------------------------------------


def test_sandbox_command_grants_the_scopes_it_is_given() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoomorch", "sandbox", "--port", "0",
         "--client-secret", "x", "--scopes", "webinar:read:admin, report:read:admin"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(5))
        notes = [proc.stderr.readline().strip() for _ in range(2)]
        assert "# granted scopes: report:read:admin webinar:read:admin" in notes
        answer = requests.post(lines["ZOOM_OAUTH_URL"], params={
            "grant_type": "account_credentials", "account_id": lines["ZOOM_ACCOUNT_ID"]},
            auth=(lines["ZOOM_CLIENT_ID"], "x"), timeout=5).json()
        assert answer["scope"] == "report:read:admin webinar:read:admin"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
