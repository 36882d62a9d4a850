"""plan / apply against the sandbox over HTTP: create, no-op re-runs, renames, drift, deletion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zoomorch.db.store import StateStore, open_store
from zoomorch.event import EventSpec, load_event
from zoomorch.provision import apply, plan
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, load_settings

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"
START = "2030-05-17T08:30:00-04:00"
INTERPRETERS = {"interpreter.es-en.a@example.org", "interpreter.es-en.b@example.org",
                "interpreter.en-fr.a@example.org", "interpreter.en-fr.b@example.org"}
INVITED = {"johanna.saenz@example.org", "ana.maria.diez@example.org",
           "lucas.gomez@example.org", "walker.sizemore@example.org",
           "hernan.ruggirello@example.org", "noortje.denkers@example.org"}


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[ZoomClient]:
    with ZoomClient(load_settings(environ=sandbox.env()).credentials) as zoom:
        yield zoom


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return open_store(f"sqlite:///{tmp_path / 'state.db'}")


@pytest.fixture
def spec() -> EventSpec:
    return load_event(SEED, start_at=START)


def edited(tmp_path: Path, old: str, new: str) -> EventSpec:
    text = SEED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "imrf-2022-latam.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_event(path, start_at=START)


def writes_since(sandbox: Sandbox, mark: int) -> list[dict[str, Any]]:
    return [e for e in sandbox.requests_log()[mark:] if e["method"] != "GET"]


def test_first_apply_creates_the_webinar_as_described(
    sandbox: Sandbox, client: ZoomClient, store: StateStore, spec: EventSpec
) -> None:
    first = plan(spec, client, store)
    assert first.webinar == "create"
    assert {p.email for p in first.panelists if p.action == "add"} == INVITED
    assert [p.name for p in first.tbc] == ["Mexico representative (TBC)"]

    result = apply(spec, client, store)
    webinar = client.get_webinar(result.webinar_id)
    assert webinar.topic == spec.webinar.title
    assert webinar.type == 5 and webinar.duration == 60
    assert webinar.start_time is not None
    assert webinar.start_time.isoformat() == "2030-05-17T12:30:00+00:00"
    assert webinar.settings is not None and webinar.settings.approval_type == 1
    interp = webinar.settings.language_interpretation
    assert interp is not None and interp.enable
    assert {(i.email, i.languages) for i in interp.interpreters} == {
        ("interpreter.es-en.a@example.org", "ES,US"), ("interpreter.es-en.b@example.org", "ES,US"),
        ("interpreter.en-fr.a@example.org", "US,FR"), ("interpreter.en-fr.b@example.org", "US,FR")}
    assert set((webinar.settings.alternative_hosts or "").split(",")) == {
        "alt-host.undp@example.org", "alt-host.cve@example.org"}
    panelists = client.list_panelists(result.webinar_id)
    emails = [p.email for p in panelists]
    assert len(emails) == len(set(emails))  # interpreters listed once, not added twice
    assert set(emails) == INVITED | INTERPRETERS
    questions = client.get_registration_questions(result.webinar_id)
    assert {q.field_name for q in questions.questions} == {"country", "org"}
    assert [q.title for q in questions.custom_questions] == ["Preferred language"]
    assert result.join_url and result.registration_url
    assert store.webinar_id_for("imrf-2022-latam") == result.webinar_id
    sandbox_webinars = list(client.iter_webinars())
    assert len(sandbox_webinars) == 1


def test_second_apply_makes_no_write_call(
    sandbox: Sandbox, client: ZoomClient, store: StateStore, spec: EventSpec
) -> None:
    first = apply(spec, client, store)
    mark = len(sandbox.requests_log())
    again = plan(spec, client, store)
    assert again.in_sync and again.webinar == "unchanged" and not again.drift
    second = apply(spec, client, store)
    assert second.webinar_id == first.webinar_id
    assert writes_since(sandbox, mark) == []


def test_renaming_a_panelist_updates_only_that_panelist(
    sandbox: Sandbox, client: ZoomClient, store: StateStore, spec: EventSpec, tmp_path: Path
) -> None:
    result = apply(spec, client, store)
    renamed = edited(tmp_path, 'name = "Walker Sizemore"', 'name = "Walker A. Sizemore"')
    the_plan = plan(renamed, client, store)
    assert [(p.action, p.email, p.before_name, p.name) for p in the_plan.panelists] == [
        ("update", "walker.sizemore@example.org", "Walker Sizemore", "Walker A. Sizemore")]
    assert the_plan.changes == []
    mark = len(sandbox.requests_log())
    apply(renamed, client, store)
    writes = writes_since(sandbox, mark)
    assert [w["method"] for w in writes] == ["DELETE", "POST"]
    names = {p.email: p.name for p in client.list_panelists(result.webinar_id)}
    assert names["walker.sizemore@example.org"] == "Walker A. Sizemore"
    assert names["lucas.gomez@example.org"] == "Lucas Gómez"
    assert plan(renamed, client, store).in_sync


def test_deleted_webinar_shows_as_gone_and_is_recreated(
    client: ZoomClient, store: StateStore, spec: EventSpec
) -> None:
    first = apply(spec, client, store)
    client.delete_webinar(first.webinar_id)
    the_plan = plan(spec, client, store)
    assert the_plan.webinar == "recreate"
    assert f"webinar {first.webinar_id} is gone from Zoom" in the_plan.reason
    second = apply(spec, client, store)
    assert second.webinar_id != first.webinar_id
    assert [w.id for w in client.iter_webinars()] == [second.webinar_id]
    assert plan(spec, client, store).in_sync


def test_drift_in_topic_and_interpretation_is_shown_and_corrected(
    sandbox: Sandbox, client: ZoomClient, store: StateStore, spec: EventSpec
) -> None:
    result = apply(spec, client, store)
    # Someone edits the webinar in the Zoom web portal.
    client.update_webinar(result.webinar_id, {
        "topic": "Renamed in the portal",
        "settings": {"language_interpretation": {"enable": True, "interpreters": [
            {"email": "interpreter.es-en.a@example.org", "languages": "ES,US"}]}}})
    the_plan = plan(spec, client, store)
    drifted = {d.field: d for d in the_plan.drift}
    assert set(drifted) >= {"topic", "settings.language_interpretation"}
    assert drifted["topic"].now == "Renamed in the portal"
    assert drifted["topic"].applied == spec.webinar.title
    assert {c.field for c in the_plan.changes} >= {"topic", "settings.language_interpretation"}

    mark = len(sandbox.requests_log())
    apply(spec, client, store)
    assert [w["method"] for w in writes_since(sandbox, mark)] == ["PATCH"]
    fixed = plan(spec, client, store)
    assert fixed.in_sync and fixed.drift == []
    assert client.get_webinar(result.webinar_id).topic == spec.webinar.title


def test_only_prune_removes_panelists_missing_from_the_file(
    client: ZoomClient, store: StateStore, spec: EventSpec
) -> None:
    result = apply(spec, client, store)
    client.add_panelists(result.webinar_id, [{"name": "Guest", "email": "guest@example.org"}])
    kept = plan(spec, client, store)
    assert [(p.action, p.email) for p in kept.panelists] == [("keep-extra", "guest@example.org")]
    assert kept.in_sync  # keeping an extra panelist needs no write
    apply(spec, client, store)
    assert "guest@example.org" in {p.email for p in client.list_panelists(result.webinar_id)}
    apply(spec, client, store, prune=True)
    emails = {p.email for p in client.list_panelists(result.webinar_id)}
    assert emails == INVITED | INTERPRETERS


def test_re_dating_updates_start_time_of_the_same_webinar(
    client: ZoomClient, store: StateStore, spec: EventSpec
) -> None:
    first = apply(spec, client, store)
    later = load_event(SEED, start_at="2030-05-18T10:00:00-04:00")
    the_plan = plan(later, client, store)
    assert [c.field for c in the_plan.changes] == ["start_time"]
    assert apply(later, client, store).webinar_id == first.webinar_id
    webinar = client.get_webinar(first.webinar_id)
    assert webinar.start_time is not None
    assert webinar.start_time.isoformat() == "2030-05-18T14:00:00+00:00"


def test_confirming_the_tbc_panelist_invites_them(
    client: ZoomClient, store: StateStore, spec: EventSpec, tmp_path: Path
) -> None:
    result = apply(spec, client, store)
    confirmed = edited(tmp_path, 'tbc = true ', 'email = "mexico.rep@example.org"\ntbc = false ')
    the_plan = plan(confirmed, client, store)
    assert [(p.action, p.email) for p in the_plan.panelists] == [
        ("add", "mexico.rep@example.org")]
    assert the_plan.tbc == []
    apply(confirmed, client, store)
    assert "mexico.rep@example.org" in {p.email for p in client.list_panelists(result.webinar_id)}
