"""plan / apply: make the webinar in Zoom match the event file, safely and repeatably.

The comparison works on a *snapshot*: a flat mapping of the fields we manage (``topic``,
``settings.approval_type``, ``settings.language_interpretation``, ``registration.questions``,
``panelists`` …) normalised so that what we send and what Zoom echoes compare equal. The
snapshot of the last successful apply is kept in the state store; drift is Zoom differing from
it.

Crash safety: before creating a webinar we record an *intent* (topic and start time). If the
process dies after Zoom created the webinar but before its id was stored, the next run finds the
webinar by that intent and adopts it instead of creating a second one. Every other step is a
comparison with what Zoom has now, so re-running after a crash simply finishes the job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zoomorch.db.store import StateStore, WebinarBinding, utcnow
from zoomorch.event import EventSpec, Person, Role
from zoomorch.outcome import EXIT_DEFERRED, EXIT_INPUT, EXIT_OK, EXIT_ZOOM
from zoomorch.zoom import Panelist, Webinar, ZoomClient, ZoomNotFound
from zoomorch.zoom.client import ClientPool

Snapshot = dict[str, Any]
Checkpoint = Callable[[str], None]

# Webinar fields and settings we own; everything else in Zoom is left alone.
_TOP_FIELDS = ("topic", "agenda", "type", "start_time", "duration", "timezone")
_SETTINGS = ("approval_type", "practice_session", "panelists_video", "hd_video", "host_video",
             "auto_recording", "on_demand", "alternative_hosts", "language_interpretation")
QUESTION_KEYS = ("registration.questions", "registration.custom_questions")
PANELISTS_KEY = "panelists"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FieldChange:
    """One managed field: what Zoom has and what the file wants."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Drift:
    """A field changed in Zoom since our last apply (e.g. in the Zoom web portal)."""

    field: str
    applied: Any
    now: Any


@dataclass(frozen=True)
class PanelistChange:
    action: Literal["add", "update", "remove", "keep-extra"]
    email: str
    name: str
    before_name: str | None = None
    panelist_id: str | None = None


@dataclass
class Plan:
    """What ``apply`` would do, and what changed behind our back. Built without writing."""

    event_key: str
    webinar_id: int | None
    webinar: Literal["create", "recreate", "adopt", "update", "unchanged"]
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    panelists: list[PanelistChange] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    tbc: list[Person] = field(default_factory=list)
    prune: bool = False
    join_url: str | None = None
    registration_url: str | None = None

    @property
    def webinar_changes(self) -> list[FieldChange]:
        return [c for c in self.changes if c.field not in QUESTION_KEYS]

    @property
    def question_changes(self) -> list[FieldChange]:
        return [c for c in self.changes if c.field in QUESTION_KEYS]

    @property
    def panelist_writes(self) -> list[PanelistChange]:
        return [p for p in self.panelists
                if p.action in ("add", "update") or (p.action == "remove" and self.prune)]

    @property
    def in_sync(self) -> bool:
        """True when apply would make no write call."""
        return (self.webinar in ("unchanged", "adopt") and not self.changes
                and not self.panelist_writes)


@dataclass(frozen=True)
class NotKept:
    """A field Zoom accepted without error but did not keep (read back after the write)."""

    field: str
    wanted: Any
    got: Any
    fix: str


# Zoom silently ignores a setting the account is not licensed or enabled for (for
# interpretation the spec says the setting "will not be applied"); where to turn each on.
_ACCOUNT_SETTING_FIX = {
    "settings.language_interpretation": (
        "the account does not have Language interpretation: in the Zoom web portal, turn on "
        "Account Management > Account Settings > Meeting > In Meeting (Advanced) > Language "
        "interpretation (the host user's own setting too, if it is locked off there), then run "
        "`zoomorch apply` again"),
    "settings.auto_recording": (
        "the host user cannot record to the cloud: turn on Cloud recording in the Zoom web "
        "portal (Account Settings > Recording), then run `zoomorch apply` again"),
}


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    webinar_id: int
    join_url: str | None
    registration_url: str | None
    # What Zoom silently did not keep; apply is not complete while this is not empty.
    not_kept: tuple[NotKept, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.not_kept


# --------------------------------------------------------------------------- snapshots


def zoom_time(moment: datetime) -> str:
    """Zoom's UTC form ``yyyy-MM-ddTHH:mm:ssZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _emails(value: str | None) -> list[str]:
    return sorted({e.strip().lower() for e in re.split(r"[,;]", value or "") if e.strip()})


def _interpretation(value: Mapping[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    interpreters = []
    for item in value.get("interpreters") or []:
        languages = item.get("languages") or ""
        pair = sorted(code.strip().upper() for code in str(languages).split(",") if code.strip())
        interpreters.append([str(item.get("email", "")).lower(), ",".join(pair)])
    return {"enable": bool(value.get("enable")), "interpreters": sorted(interpreters)}


def _questions(value: Any) -> list[list[Any]]:
    return sorted([str(q.get("field_name")), bool(q.get("required"))] for q in value or [])


def _custom_questions(value: Any) -> list[dict[str, Any]]:
    return [{"title": str(q.get("title", "")).strip(), "type": q.get("type", "short"),
             "required": bool(q.get("required")), "answers": list(q.get("answers") or [])}
            for q in value or []]


def _text(value: Any) -> str:
    # Zoom trims and normalises line endings of free text.
    return "\n".join(line.rstrip() for line in str(value or "").replace("\r\n", "\n")
                     .split("\n")).strip()


def panelist_people(spec: EventSpec) -> list[Person]:
    """People Zoom should list as panelists we invite: panelists and moderators with an email,
    not still to be confirmed. Interpreters are left out: Zoom makes them panelists itself."""
    return [p for p in spec.people
            if (p.has(Role.PANELIST) or p.has(Role.MODERATOR)) and not p.has(Role.INTERPRETER)
            and not p.tbc and p.email]


def _interpreter_emails(spec: EventSpec) -> set[str]:
    if spec.interpretation is None:
        return set()
    return {spec.person(a.person).email or "" for a in spec.interpretation.interpreters}


def desired_body(spec: EventSpec) -> dict[str, Any]:
    """The POST /users/me/webinars body the event file describes."""
    settings = spec.webinar.settings
    interpretation: dict[str, Any] = {"enable": False, "interpreters": []}
    if spec.interpretation is not None and spec.interpretation.interpreters:
        interpretation = {
            "enable": True,
            "interpreters": [{"email": spec.person(a.person).email,
                              "languages": a.zoom_languages}
                             for a in spec.interpretation.interpreters],
        }
    return {
        "topic": spec.webinar.title,
        "agenda": spec.webinar.description,
        "type": 5,
        "start_time": zoom_time(spec.webinar.start),
        "duration": spec.webinar.duration_minutes,
        "timezone": spec.webinar.timezone,
        "settings": {
            "approval_type": spec.registration.approval_type,
            "practice_session": settings.practice_session,
            "panelists_video": settings.panelists_video,
            "hd_video": settings.hd_video,
            "host_video": settings.host_video,
            "auto_recording": settings.auto_recording,
            "on_demand": settings.on_demand,
            "alternative_hosts": ",".join(p.email or "" for p in
                                          spec.with_role(Role.ALTERNATIVE_HOST) if p.email),
            "language_interpretation": interpretation,
        },
    }


def desired_questions(spec: EventSpec) -> dict[str, Any]:
    """The PATCH …/registrants/questions body the event file describes."""
    registration = spec.registration
    return {
        "questions": [{"field_name": q.field, "required": q.required}
                      for q in registration.questions],
        "custom_questions": [
            {"title": q.title, "type": q.type, "required": q.required,
             **({"answers": list(q.answers)} if q.answers else {})}
            for q in registration.custom_questions
        ],
    }


def webinar_snapshot(body: Mapping[str, Any]) -> Snapshot:
    """The comparable form of a webinar (as we send it or as Zoom returns it)."""
    snapshot: Snapshot = {}
    for name in _TOP_FIELDS:
        value = body.get(name)
        if name == "start_time" and value:
            value = zoom_time(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
        elif name in ("topic", "agenda"):
            value = _text(value)
        snapshot[name] = value
    settings = body.get("settings") or {}
    for name in _SETTINGS:
        value = settings.get(name)
        if name == "alternative_hosts":
            value = _emails(value)
        elif name == "language_interpretation":
            value = _interpretation(value)
        snapshot[f"settings.{name}"] = value
    return snapshot


def questions_snapshot(body: Mapping[str, Any]) -> Snapshot:
    return {"registration.questions": _questions(body.get("questions")),
            "registration.custom_questions": _custom_questions(body.get("custom_questions"))}


def desired_snapshot(spec: EventSpec) -> Snapshot:
    return {
        **webinar_snapshot(desired_body(spec)),
        **questions_snapshot(desired_questions(spec)),
        PANELISTS_KEY: {p.email or "": p.name for p in panelist_people(spec)},
    }


def _panelists_snapshot(panelists: list[Panelist], skip: set[str]) -> dict[str, str]:
    return {p.email.lower(): p.name for p in panelists if p.email.lower() not in skip}


# --------------------------------------------------------------------------- reading Zoom


@dataclass
class _Actual:
    webinar: Webinar | None
    how: Literal["bound", "adopted", "gone", "new"]
    panelists: list[Panelist]
    snapshot: Snapshot
    binding: WebinarBinding | None  # as read from the store for this comparison


def _find_intended(client: ZoomClient, topic: str, start: datetime | None) -> Webinar | None:
    """A webinar created by an apply that died before storing its id."""
    matches = [w for w in client.iter_webinars()
               if _text(w.topic) == _text(topic)
               and (start is None or (w.start_time is not None
                                      and abs((w.start_time - start).total_seconds()) < 1))]
    if not matches:
        return None
    return max(matches, key=lambda w: (w.created_at or datetime.min.replace(tzinfo=UTC), w.id))


def _read_actual(spec: EventSpec, client: ZoomClient, store: StateStore) -> _Actual:
    binding = store.binding(spec.key)
    webinar: Webinar | None = None
    how: Literal["bound", "adopted", "gone", "new"] = "new"
    if binding is not None and binding.webinar_id is not None:
        try:
            webinar = client.get_webinar(binding.webinar_id)
            how = "bound"
        except ZoomNotFound:
            how = "gone"
    elif binding is not None and binding.intent_topic is not None:
        found = _find_intended(client, binding.intent_topic, binding.intent_start_time)
        if found is not None:
            webinar = client.get_webinar(found.id)
            how = "adopted"
    if webinar is None:
        return _Actual(None, how, [], {}, binding)
    snapshot = webinar_snapshot(webinar.model_dump(mode="json"))
    questions = client.get_registration_questions(webinar.id)
    snapshot.update(questions_snapshot(questions.model_dump(mode="json")))
    panelists = client.list_panelists(webinar.id)
    skip = {e[0] for e in snapshot["settings.language_interpretation"]["interpreters"]}
    snapshot[PANELISTS_KEY] = _panelists_snapshot(panelists, skip)
    return _Actual(webinar, how, panelists, snapshot, binding)


# --------------------------------------------------------------------------- plan


def _registration_url(webinar: Webinar | None) -> str | None:
    if webinar is None:
        return None
    extra = webinar.model_extra or {}
    settings_extra = (webinar.settings.model_extra or {}) if webinar.settings else {}
    return extra.get("registration_url") or settings_extra.get("registration_url")


def _plan_from(spec: EventSpec, actual: _Actual, prune: bool) -> Plan:
    binding = actual.binding
    desired = desired_snapshot(spec)
    webinar_id = actual.webinar.id if actual.webinar else None
    reason = ""
    if actual.how == "gone":
        kind: Literal["create", "recreate", "adopt", "update", "unchanged"] = "recreate"
        reason = (f"webinar {binding.webinar_id if binding else '?'} is gone from Zoom "
                  "(deleted or expired); apply creates it again")
    elif actual.how == "new":
        kind = "create"
        reason = "no webinar yet for this event"
    elif actual.how == "adopted":
        kind = "adopt"
        reason = (f"webinar {webinar_id} was created by an interrupted apply; apply adopts it "
                  "instead of creating another")
    else:
        kind = "update"

    before = actual.snapshot
    changes = [FieldChange(name, before.get(name), value) for name, value in desired.items()
               if name != PANELISTS_KEY and before.get(name) != value]

    panelists: list[PanelistChange] = []
    present = {p.email.lower(): p for p in actual.panelists}
    interpreter_emails = {e.lower() for e in _interpreter_emails(spec)}
    for person in panelist_people(spec):
        email = (person.email or "").lower()
        current = present.get(email)
        if current is None:
            panelists.append(PanelistChange("add", email, person.name))
        elif current.name != person.name:
            panelists.append(PanelistChange("update", email, person.name, current.name,
                                            current.id))
    wanted = set(desired[PANELISTS_KEY]) | interpreter_emails
    for email, current in present.items():
        if email not in wanted:
            panelists.append(PanelistChange("remove" if prune else "keep-extra", email,
                                            current.name, panelist_id=current.id))

    drift: list[Drift] = []
    if binding is not None and binding.last_applied and actual.webinar is not None:
        for name, applied in binding.last_applied.items():
            if name in before and before[name] != applied:
                drift.append(Drift(name, applied, before[name]))

    result = Plan(
        event_key=spec.key, webinar_id=webinar_id, webinar=kind, reason=reason,
        changes=changes, panelists=panelists, drift=drift, tbc=spec.tbc_people(), prune=prune,
        join_url=actual.webinar.join_url if actual.webinar else None,
        registration_url=_registration_url(actual.webinar),
    )
    if kind == "update" and not result.changes and not result.panelist_writes:
        result.webinar = "unchanged"
    return result


def plan(spec: EventSpec, client: ZoomClient, store: StateStore, *, prune: bool = False) -> Plan:
    """What apply would do, and any drift; reads Zoom and the store, writes nothing."""
    return _plan_from(spec, _read_actual(spec, client, store), prune)


# --------------------------------------------------------------------------- apply


def _patch_body(changes: list[FieldChange], body: Mapping[str, Any]) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    for change in changes:
        if change.field.startswith("settings."):
            name = change.field.removeprefix("settings.")
            patch.setdefault("settings", {})[name] = body["settings"][name]
        elif change.field in _TOP_FIELDS:
            patch[change.field] = body[change.field]
    if "start_time" in patch or "timezone" in patch:
        # Zoom reads start_time together with timezone; send both.
        patch["start_time"], patch["timezone"] = body["start_time"], body["timezone"]
    return patch


def _noop(_step: str) -> None:
    return None


def apply(spec: EventSpec, client: ZoomClient, store: StateStore, *, prune: bool = False,
          checkpoint: Checkpoint | None = None) -> ApplyResult:
    """Make Zoom match the event file; a re-run converges and an in-sync run writes nothing.

    ``checkpoint(step)`` is called after each durable step (tests use it to crash there).
    """
    step = checkpoint or _noop
    actual = _read_actual(spec, client, store)
    the_plan = _plan_from(spec, actual, prune)
    body = desired_body(spec)
    webinar = actual.webinar

    if webinar is None:
        store.save_binding(spec.key, webinar_id=None, intent_topic=body["topic"],
                           intent_start_time=spec.webinar.start_utc, intent_at=utcnow())
        step("intent-recorded")
        webinar = client.create_webinar(body)
        step("webinar-created")
        store.save_binding(spec.key, webinar_id=webinar.id)
        step("webinar-recorded")
        # Zoom may not take every setting at creation; compare again with what it has.
        todo = _plan_from(spec, _read_actual(spec, client, store), prune)
    else:
        if actual.how == "adopted":
            store.save_binding(spec.key, webinar_id=webinar.id)
            step("webinar-recorded")
        todo = the_plan
    panelist_changes = todo.panelists
    webinar_id = webinar.id

    patch = _patch_body(todo.webinar_changes, body)
    if patch:
        client.update_webinar(webinar_id, patch)
        step("webinar-updated")
    if todo.question_changes:
        client.update_registration_questions(webinar_id, desired_questions(spec))
        step("questions-updated")

    # A renamed panelist is removed then invited again under the new name; a crash in
    # between leaves them missing, which the next run sees and adds.
    for change in panelist_changes:
        if change.action == "update" and change.panelist_id:
            client.remove_panelist(webinar_id, change.panelist_id)
            step("panelist-removed")
    invite = [{"name": c.name, "email": c.email} for c in panelist_changes
              if c.action in ("add", "update")]
    if invite:
        client.add_panelists(webinar_id, invite)
        step("panelists-added")
    if prune:
        for change in panelist_changes:
            if change.action == "remove" and change.panelist_id:
                client.remove_panelist(webinar_id, change.panelist_id)
                step("panelist-pruned")

    # Remember what Zoom looks like now, as the baseline for drift, and check that it kept
    # what was written: Zoom drops settings the account lacks without saying so.
    final = _read_actual(spec, client, store)
    store.save_binding(spec.key, last_applied=final.snapshot, applied_at=utcnow(),
                       intent_topic=None, intent_start_time=None, intent_at=None)
    step("applied")
    return ApplyResult(plan=the_plan, webinar_id=webinar_id,
                       join_url=final.webinar.join_url if final.webinar else webinar.join_url,
                       registration_url=_registration_url(final.webinar),
                       not_kept=_not_kept(spec, final.snapshot))


def _not_kept(spec: EventSpec, actual: Snapshot) -> tuple[NotKept, ...]:
    desired = desired_snapshot(spec)
    out = []
    for name, wanted in desired.items():
        if name == PANELISTS_KEY or actual.get(name) == wanted:
            continue
        fix = _ACCOUNT_SETTING_FIX.get(name, "Zoom accepted the change but did not keep it; "
                                       "check the account's and host user's settings for it "
                                       "in the Zoom web portal, then run `zoomorch apply` again")
        out.append(NotKept(name, wanted, actual.get(name), fix))
    return tuple(out)


# --------------------------------------------------------------------------- many events


class DuplicateEventKey(ValueError):
    """Two event files in one run share a key (they would share one webinar)."""


def event_paths(paths: Sequence[Path]) -> list[Path]:
    """The event files named, each folder expanded to its ``*.toml`` files (sorted)."""
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(path.glob("*.toml")) if path.is_dir() else [path])
    return out


def is_many(paths: Sequence[Path]) -> bool:
    """A run over a folder or several files (a table at the end), not one file as before."""
    return len(paths) != 1 or paths[0].is_dir()


@dataclass
class EventRun:
    """One event's line of a run over many: what it did, or why it failed."""

    path: Path
    event: str = ""  # the key, once the file is read
    account: str = "—"
    code: int = EXIT_OK
    changes: str = ""
    error: str = ""

    @property
    def result(self) -> str:
        return {EXIT_OK: "ok", EXIT_DEFERRED: "deferred"}.get(self.code, "failed")

    @property
    def name(self) -> str:
        return self.event or self.path.name


def overall_exit(runs: Sequence[EventRun]) -> int:
    """2 if any event had bad input (its file, list or credentials), else 1 if Zoom failed
    any, else 3 if any has rows waiting for a later run, else 0."""
    codes = {run.code for run in runs}
    for code in (EXIT_INPUT, EXIT_ZOOM, EXIT_DEFERRED):
        if code in codes:
            return code
    return EXIT_OK if not codes - {EXIT_OK} else EXIT_ZOOM


def results_table(runs: Sequence[EventRun], title: str) -> Table:
    """The per-event table a run over many events ends with."""
    table = Table(title=title, title_justify="left")
    for column in ("event", "account", "result", "changes", "error"):
        table.add_column(column, overflow="fold")
    for run in runs:
        style = {"ok": "green", "deferred": "yellow"}.get(run.result, "bold red")
        table.add_row(run.name, run.account, f"[{style}]{run.result}[/]",
                      escape(run.changes or "—"), escape(run.error or "—"))
    return table


def plan_summary(the_plan: Plan) -> str:
    """The changes column for one event: the webinar action and what it touches."""
    parts: list[str] = [the_plan.webinar]
    if the_plan.changes:
        parts.append(f"{len(the_plan.changes)} settings")
    if the_plan.panelist_writes:
        parts.append(f"{len(the_plan.panelist_writes)} panelists")
    if the_plan.drift:
        parts.append(f"{len(the_plan.drift)} drifted")
    return ", ".join(parts)


EventWork = Callable[[EventSpec, Path, ZoomClient, StateStore, EventRun], int]


def run_many(paths: Sequence[Path], work: EventWork, *, title: str, out: Console,
             err: Console, start_at: str | None = None, env_file: Path | None = None,
             input_errors: tuple[type[Exception], ...] = (),
             pool: ClientPool | None = None, store: StateStore | None = None) -> int:
    """Run ``work`` for each event file in turn, past any event's failure; print the table.

    Every event of one account profile uses the same client, and every profile of one Zoom
    account the same pacer (:class:`ClientPool`). Returns :func:`overall_exit`.
    """
    import io

    from zoomorch.db.store import open_store
    from zoomorch.event import load_event
    from zoomorch.outcome import run_guarded

    files = event_paths(paths)
    runs: list[EventRun] = []
    seen: dict[str, Path] = {}
    own_pool = pool is None
    clients = pool if pool is not None else ClientPool.from_env(env_file)
    the_store = store if store is not None else open_store()
    try:
        for path in files:
            run = EventRun(path)
            runs.append(run)

            def one(path: Path = path, run: EventRun = run) -> int:
                spec = load_event(path, start_at=start_at)
                run.event, run.account = spec.key, spec.account or "default"
                if spec.key in seen:
                    raise DuplicateEventKey(
                        f"{path}: key {spec.key!r} is also the key of {seen[spec.key]}; each "
                        "event file needs its own key (it names the event's webinar)")
                seen[spec.key] = path
                return work(spec, path, clients.client(spec.account), the_store, run)

            box = Console(file=io.StringIO(), width=200, soft_wrap=True)
            run.code = run_guarded(box, one, input_errors=(DuplicateEventKey, *input_errors))
            said = box.file.getvalue().strip()  # type: ignore[attr-defined]
            if said:
                err.print(f"{run.name}: {said}", markup=False, highlight=False)
                if run.code != EXIT_OK and not run.error:
                    run.error = said.splitlines()[0]
    finally:
        if own_pool:
            clients.close()
    if not files:
        err.print("no event files (*.toml) in " + ", ".join(map(str, paths)), markup=False)
        return EXIT_INPUT
    out.print(results_table(runs, title))
    failed = [run.name for run in runs if run.result == "failed"]
    code = overall_exit(runs)
    if failed:
        err.print(f"{len(failed)} of {len(runs)} events failed: {', '.join(failed)} "
                  f"(exit code {code})", markup=False, highlight=False)
    return code
