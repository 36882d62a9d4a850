"""``zoomorch doctor``: one preflight before a real event, against the configured Zoom.

Each check ends in a :class:`Status` — ✓ ok, ✗ fail (with the fix), ! worth a look (Zoom's API
cannot tell, or a default is in use), – not needed — and the command exits non-zero when any
check fails. Nothing is written to Zoom; the state store gets a write that is rolled back.

The checks, in order: the event files load; the Zoom settings are complete and the rate plan
is named; the credentials get a token; the token's scopes cover every feature the events use
(docs/zoom-app.md); the host user exists, has the webinar feature and the capacity for the
expected registrants, and language interpretation where an event needs it; the Team Chat
sender is a user of the account and which recipients Zoom can reach; Zoom's webhook secret and
the cue board's key are set; the SMTP server answers; the state store takes writes.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from zoomorch.event import EventFileError, EventSpec, load_event
from zoomorch.scopes import Feature, missing, rules


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"

    @property
    def mark(self) -> str:
        return {"ok": "✓", "fail": "✗", "warn": "!", "skip": "–"}[self.value]


@dataclass(frozen=True)
class Check:
    """One line of the checklist."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status.value, "detail": self.detail,
                "fix": self.fix}


@dataclass
class Checklist:
    """Every check, in order; ``ok`` when none failed."""

    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, status: Status, detail: str, fix: str = "") -> None:
        self.checks.append(Check(name, status, detail, fix))

    @property
    def ok(self) -> bool:
        return all(c.status is not Status.FAIL for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.as_json() for c in self.checks],
                "failed": sum(1 for c in self.checks if c.status is Status.FAIL),
                "warnings": sum(1 for c in self.checks if c.status is Status.WARN)}


def event_files(paths: Iterable[Path]) -> list[Path]:
    """The event files named, folders expanded to their ``*.toml`` files (sorted)."""
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(path.glob("*.toml")) if path.is_dir() else [path])
    return out


def features_of(spec: EventSpec, chat: bool) -> list[Feature]:
    """The zoomorch features an event uses (and so the scopes it needs)."""
    features = [Feature.SETUP, Feature.SYNC, Feature.REPORT, Feature.DOCTOR]
    if chat:
        features.append(Feature.CHAT_CUES)
    if spec.cues.end_webinar_at_hard_stop:
        features.append(Feature.ENFORCEMENT)
    return features


def run_doctor(paths: Sequence[Path], *, env_file: Path | None = None,
               environ: Mapping[str, str] | None = None,
               client_factory: Callable[[Any], Any] | None = None) -> Checklist:
    """Run every check; ``client_factory(settings)`` makes the Zoom client (tests pass one).
    Events on several account profiles get the account checks once per profile."""
    from zoomorch.zoom.config import DEFAULT_PROFILE

    env = os.environ if environ is None else environ
    out = Checklist()
    specs: list[tuple[Path, EventSpec]] = []
    for path in event_files(paths):
        try:
            specs.append((path, load_event(path)))
            out.add(f"event {path.name}", Status.OK, "valid")
        except (EventFileError, OSError) as exc:
            out.add(f"event {path.name}", Status.FAIL, str(exc).splitlines()[0],
                    "fix the event file as the message says (`zoomorch plan` shows all)")

    # Each account profile the events name (none, or no events: the default profile).
    profiles = sorted({spec.account or DEFAULT_PROFILE for _, spec in specs}
                      or {DEFAULT_PROFILE}, key=lambda p: (p != DEFAULT_PROFILE, p))
    for profile in profiles:
        mine = [(path, spec) for path, spec in specs
                if (spec.account or DEFAULT_PROFILE) == profile]
        _account_checks(out, profile, mine if specs else [], env, env_file, client_factory,
                        label="" if profiles == [DEFAULT_PROFILE] else f"account {profile}: ")
    _local_checks(out, specs, env, env_file)
    return out


def _account_checks(out: Checklist, profile: str, specs: Sequence[tuple[Path, EventSpec]],
                    env: Mapping[str, str], env_file: Path | None,
                    client_factory: Callable[[Any], Any] | None, *, label: str) -> None:
    """One account profile's checks: settings, plan, token, scopes, host user, Team Chat. With
    several profiles each check's name starts with ``label`` (``account ilo: ``)."""
    from zoomorch.zoom import ZoomClient, ZoomConfigError, ZoomError
    from zoomorch.zoom.config import load_settings, read_environment, variable_name

    names = ", ".join(variable_name(n, profile) for n in
                      ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"))
    plan_var = variable_name("ZOOM_PLAN", profile)
    start = len(out.checks)
    try:
        settings = load_settings(env_file, environ=env, profile=profile)
    except ZoomConfigError as exc:
        out.add("Zoom settings", Status.FAIL, str(exc), f"export {names}, or pass --env-file")
        _prefix(out, start, label)
        return
    out.add("Zoom settings", Status.OK, f"API {settings.credentials.api_base_url}")
    if read_environment(env_file, env).get(plan_var, "").strip():
        out.add("rate plan", Status.OK, f"{plan_var}={settings.plan.value}: calls are paced "
                "under that plan's limits")
    else:
        out.add("rate plan", Status.FAIL, f"{plan_var} is not set (pro is assumed)",
                f"export {plan_var}=free|pro|business as the account's plan: too high a plan "
                "means Zoom's 429s, too low a slow sync")

    make = client_factory or (lambda s: ZoomClient(s.credentials, s.plan))
    client = make(settings)
    try:
        try:
            granted = client.granted_scopes()
        except ZoomError as exc:
            out.add("credentials", Status.FAIL, f"no access token: {exc.message}",
                    f"check {names} and that the Server-to-Server OAuth app is activated")
            return
        out.add("credentials", Status.OK, "Zoom issued an access token")
        _scopes(out, specs, granted)
        _host(out, specs, client)
        _team_chat(out, specs, client, env)
    finally:
        client.close()
        _prefix(out, start, label)


def _prefix(out: Checklist, start: int, label: str) -> None:
    """Name the checks from ``start`` on after their account profile."""
    if label:
        out.checks[start:] = [Check(label + c.name, c.status, c.detail, c.fix)
                              for c in out.checks[start:]]


def _chat_of(spec: EventSpec, path: Path, env: Mapping[str, str]) -> Any:
    """The event's Team Chat plan, or None (raises ChannelSetupError if it has no sender)."""
    from zoomorch.notify.channels import resolve_channels

    return resolve_channels(spec.notifications, source=path, env=env).zoom_chat


def _scopes(out: Checklist, specs: Sequence[tuple[Path, EventSpec]],
            granted: frozenset[str]) -> None:
    needed: dict[Feature, list[str]] = {}
    for _, spec in specs:
        chat = bool(spec.notifications.zoom_chat)
        for feature in features_of(spec, chat):
            needed.setdefault(feature, []).append(spec.key)
    if not specs:  # no event named: everything zoomorch can do
        needed = {feature: [] for feature in Feature}
    if not granted:
        out.add("scopes", Status.WARN, "the token answer lists no scopes, so they cannot be "
                "checked here", "compare the app's scopes with docs/zoom-app.md")
        return
    for feature, events in needed.items():
        lacking = missing(granted, feature)
        users = f" (used by {', '.join(events)})" if events else ""
        if not lacking:
            out.add(f"scopes: {feature.value}", Status.OK, f"granted{users}")
            continue
        first = lacking[0]
        accepted = ", ".join(rules()[first].accepted) if first in rules() else "?"
        out.add(f"scopes: {feature.value}", Status.FAIL,
                f"{len(lacking)} call(s) not allowed{users}, e.g. {first} needs one of: "
                f"{accepted}",
                "add the scopes listed for this feature in docs/zoom-app.md to the "
                "Server-to-Server OAuth app (Zoom App Marketplace > Manage > Scopes)")


def _host(out: Checklist, specs: Sequence[tuple[Path, EventSpec]], client: Any) -> None:
    from zoomorch.zoom import ZoomError

    try:
        user = client.get_user("me")
        settings = client.get_user_settings("me")
    except ZoomError as exc:
        out.add("host user", Status.FAIL, f"Zoom refused: {exc}",
                "the app's owner ('me') must be an active user of the account")
        return
    out.add("host user", Status.OK, f"{user.get('email', '?')} (webinars are created as the "
            "app's owner)")
    feature = settings.get("feature") or {}
    capacity = int(feature.get("webinar_capacity") or 0)
    if not feature.get("webinar"):
        out.add("webinar feature", Status.FAIL, "the host user has no webinar license",
                "assign a Webinar license to this user in the Zoom web portal "
                "(User Management > Users > Edit)")
    else:
        out.add("webinar feature", Status.OK, f"licensed, capacity {capacity}")
    for path, spec in specs:
        _capacity(out, spec, path, capacity)
    interpretation = ((settings.get("in_meeting") or {}).get("language_interpretation")
                      or {})
    for _, spec in specs:
        if spec.interpretation is None or not spec.interpretation.interpreters:
            continue
        if interpretation.get("enable"):
            out.add(f"interpretation {spec.key}", Status.OK, "enabled for the host user")
        else:
            out.add(f"interpretation {spec.key}", Status.FAIL,
                    "language interpretation is off: Zoom would silently drop the "
                    "interpreters",
                    "turn on Account Settings > Meeting > In Meeting (Advanced) > Language "
                    "interpretation in the Zoom web portal")


def _capacity(out: Checklist, spec: EventSpec, path: Path, capacity: int) -> None:
    """The event's registration list, read as the sync reads it, against the capacity."""
    from zoomorch.registrants.command import load_list, source_path_for
    from zoomorch.registrants.source import SourceError

    if not spec.registrants.source:
        out.add(f"capacity {spec.key}", Status.SKIP,
                f"no registrants.source to compare with the capacity ({capacity})")
        return
    try:
        expected = load_list(spec, source_path_for(spec, path, None))[0].data_rows
    except SourceError as exc:
        out.add(f"capacity {spec.key}", Status.FAIL, str(exc).splitlines()[0],
                "fix the registration list (`zoomorch registrants sync --dry-run` shows more)")
        return
    if capacity and expected > capacity:
        out.add(f"capacity {spec.key}", Status.FAIL,
                f"{expected} rows in the registration list, capacity {capacity}",
                "raise the webinar capacity of the host's license, or close registration "
                "earlier")
    else:
        out.add(f"capacity {spec.key}", Status.OK,
                f"{expected} rows in the registration list, capacity {capacity}")


def _team_chat(out: Checklist, specs: Sequence[tuple[Path, EventSpec]], client: Any,
               env: Mapping[str, str]) -> None:
    from zoomorch.notify.channels import ChannelSetupError
    from zoomorch.zoom import ZoomError, ZoomNotFound

    known: dict[str, bool] = {}

    def is_user(email: str) -> bool:
        key = email.strip().lower()
        if key not in known:
            try:
                client.get_user(email)
                known[key] = True
            except ZoomNotFound:
                known[key] = False
        return known[key]

    for path, spec in specs:
        if not spec.notifications.zoom_chat:
            out.add(f"Team Chat {spec.key}", Status.SKIP, "not used by this event")
            continue
        try:
            chat = _chat_of(spec, path, env)
        except ChannelSetupError as exc:
            out.add(f"Team Chat {spec.key}", Status.FAIL, str(exc),
                    "name the sending user (see the message)")
            continue
        try:
            sender_ok = is_user(chat.sender)
        except ZoomError as exc:
            out.add(f"Team Chat {spec.key}", Status.FAIL, f"cannot look up {chat.sender}: {exc}",
                    "check the user:read scope and the sender's email")
            continue
        if not sender_ok:
            out.add(f"Team Chat {spec.key}", Status.FAIL,
                    f"the sender {chat.sender} is not a user of this Zoom account",
                    "set notifications.zoom_chat.sender (or ZOOMORCH_CHAT_SENDER) to a user "
                    "of the account")
            continue
        out.add(f"Team Chat {spec.key}", Status.OK, f"sent as {chat.sender}")
        if chat.people:
            people = [p for p in spec.people if p.email]
            outside = [p.name for p in people if not is_user(p.email or "")]
            inside = len(people) - len(outside)
            if outside:
                shown = ", ".join(outside[:5]) + (f" +{len(outside) - 5}"
                                                  if len(outside) > 5 else "")
                out.add(f"Team Chat reach {spec.key}", Status.WARN,
                        f"{inside} of {len(people)} people are users of the account (company "
                        f"contacts, reachable); {len(outside)} are not: {shown} — Zoom "
                        f"delivers to them only if they are in {chat.sender}'s contacts, "
                        "which the API does not show to a Server-to-Server app",
                        "add them to the sender's contacts, or reach them through a Team "
                        "Chat channel (notifications.zoom_chat.channel); otherwise their cues "
                        "fall back to email, else the cue board")
            else:
                out.add(f"Team Chat reach {spec.key}", Status.OK,
                        f"all {len(people)} people are users of the account")
        if chat.channel:
            out.add(f"Team Chat channel {spec.key}", Status.WARN,
                    f"channel {chat.channel}: its members cannot be read with this app",
                    f"make sure {chat.sender} and the moderators are members of it")


def _local_checks(out: Checklist, specs: Sequence[tuple[Path, EventSpec]],
                  env: Mapping[str, str], env_file: Path | None) -> None:
    _webhook_secret(out, env, env_file)
    _board_secret(out, env)
    _smtp(out, specs, env)
    _state_store(out, env)


def _webhook_secret(out: Checklist, env: Mapping[str, str], env_file: Path | None) -> None:
    from zoomorch.service.app import WEBHOOK_SECRET_ENV, load_webhook_secret

    try:
        secret = load_webhook_secret(env, env_file)
    except ValueError:
        secret = None
    if secret:
        out.add("webhook secret", Status.OK, f"{WEBHOOK_SECRET_ENV} is set: Zoom's webhooks "
                "(the actual start and end) are verified")
    else:
        out.add("webhook secret", Status.FAIL, f"{WEBHOOK_SECRET_ENV} is not set: the service "
                "would refuse Zoom's webhooks, and cues would not follow the real start",
                f"export {WEBHOOK_SECRET_ENV} with the Secret Token of the app's Event "
                "Subscription (Zoom App Marketplace > Feature)")


def _board_secret(out: Checklist, env: Mapping[str, str]) -> None:
    from zoomorch.board.tokens import BOARD_SECRET_ENV, KEY_FILE_NAME, state_dir

    value = env.get(BOARD_SECRET_ENV, "").strip()
    if value:
        if len(value) < 32:
            out.add("board secret", Status.FAIL, f"{BOARD_SECRET_ENV} is too short",
                    "use at least 32 random characters (e.g. `openssl rand -base64 48`)")
        else:
            out.add("board secret", Status.OK, f"{BOARD_SECRET_ENV} is set")
        return
    path = state_dir(env) / KEY_FILE_NAME
    if path.is_file():
        out.add("board secret", Status.OK, f"key file {path}")
    else:
        out.add("board secret", Status.WARN, f"no key yet: one will be made in {path} on "
                "first use", f"for several machines, export {BOARD_SECRET_ENV} on each (the "
                "board links must verify wherever they are opened)")


def _smtp(out: Checklist, specs: Sequence[tuple[Path, EventSpec]],
          env: Mapping[str, str]) -> None:
    from zoomorch.notify.channels import ChannelSetupError, resolve_channels

    seen: set[tuple[str, int]] = set()
    for path, spec in specs:
        try:
            email = resolve_channels(spec.notifications, source=path, env=env).email
        except ChannelSetupError:
            continue  # reported by the Team Chat check or the event's own channels
        if email is None or (email.host, email.port) in seen:
            continue
        seen.add((email.host, email.port))
        name = f"SMTP {email.host}:{email.port}"
        password = env.get(email.password_env, "")
        try:
            with smtplib.SMTP(email.host, email.port, timeout=min(email.timeout, 10)) as smtp:
                smtp.ehlo()
                if email.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if email.user:
                    if not password:
                        out.add(name, Status.FAIL, f"answers, but {email.password_env} is not "
                                "set for the login", f"export {email.password_env}")
                        continue
                    smtp.login(email.user, password)
        except (OSError, smtplib.SMTPException) as exc:
            out.add(name, Status.FAIL, f"{type(exc).__name__}: {exc}",
                    "check notifications.email (host, port, starttls, user) and the password "
                    f"in {email.password_env}")
            continue
        out.add(name, Status.OK, "answers" + (" and accepts the login" if email.user else ""))
    if not seen:
        out.add("SMTP", Status.SKIP, "no event sends cues by email")


def _state_store(out: Checklist, env: Mapping[str, str]) -> None:
    from sqlalchemy import insert

    from zoomorch.db.store import StateStore, WebinarBinding, default_state_url

    url = default_state_url(env)
    try:
        store = StateStore(url)
        try:
            store.upgrade()
            with store.engine.connect() as conn:
                transaction = conn.begin()
                # A row (not a table: SQLite commits DDL at once) written, then undone.
                conn.execute(insert(WebinarBinding).values(event_key="zoomorch-doctor-probe"))
                transaction.rollback()
            shown = store.engine.url.render_as_string(hide_password=True)
        finally:
            store.close()
    except Exception as exc:
        out.add("state store", Status.FAIL, f"cannot write: {type(exc).__name__}: {exc}"[:300],
                "set ZOOMORCH_STATE_DIR to a writable folder, or ZOOMORCH_STATE_URL to a "
                "database this user can write")
        return
    out.add("state store", Status.OK, f"writable: {shown}")


def doctor_command(paths: Sequence[Path], *, as_json: bool = False,
                   env_file: Path | None = None) -> int:
    """``zoomorch doctor``: print the checklist; exit 1 if any check failed."""
    import json

    from rich.console import Console
    from rich.markup import escape

    from zoomorch.outcome import EXIT_OK, EXIT_ZOOM

    checklist = run_doctor(paths, env_file=env_file)
    if as_json:
        print(json.dumps(checklist.as_json(), ensure_ascii=False, indent=2))
        return EXIT_OK if checklist.ok else EXIT_ZOOM
    out = Console(highlight=False, soft_wrap=True)
    colour = {Status.OK: "green", Status.FAIL: "bold red", Status.WARN: "yellow",
              Status.SKIP: "dim"}
    for check in checklist.checks:
        style = colour[check.status]
        out.print(f"[{style}]{check.status.mark}[/{style}] {escape(check.name)}: "
                  f"{escape(check.detail)}")
        if check.fix and check.status in (Status.FAIL, Status.WARN):
            out.print(f"    [dim]fix:[/dim] {escape(check.fix)}")
    summary = checklist.as_json()
    verdict = ("[green]ready[/green]" if checklist.ok
               else f"[bold red]{summary['failed']} to fix[/bold red]")
    out.print(f"\n{verdict}, {summary['warnings']} to look at")
    return EXIT_OK if checklist.ok else EXIT_ZOOM
