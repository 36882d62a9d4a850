"""``zoomorch serve``, ``board-link`` and ``overview-link``. Thin: parse, build, call, print."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import typer

from zoomorch.cli.common import exit_with, load_event_or_exit
from zoomorch.service import DEFAULT_PORT
from zoomorch.vocab.languages import cue_languages_accepted

_DEFAULT_BASE_URL = f"http://127.0.0.1:{DEFAULT_PORT}"


def _event_files(events: list[Path]) -> list[Path]:
    files: list[Path] = []
    for item in events:
        if item.is_dir():
            files.extend(sorted(item.glob("*.toml")))
        elif item.is_file():
            files.append(item)
        else:
            raise typer.BadParameter(f"{item}: no such event file or folder", param_hint="EVENTS")
    if not files:
        raise typer.BadParameter("no event files found; give EVENT.toml files or a folder",
                                 param_hint="EVENTS")
    return files


def serve_cmd(
    events: list[Path] = typer.Argument(
        None, help="Event files (TOML) or folders of them; default: ./config."),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="Interface to bind; keep loopback unless a proxy fronts it."),
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Port to serve on."),
    start_at: str | None = typer.Option(None, "--start-at",
                                        help="Re-date every event (rehearsals): ISO or now+10m."),
    speed: float = typer.Option(1.0, "--speed", min=0.001,
                                help="Run event time this many times faster (rehearsals)."),
    console: bool | None = typer.Option(
        None, "--console/--no-console",
        help="Print every cue on this terminal (default: notifications.console of each file)."),
    zoom_chat: bool | None = typer.Option(
        None, "--zoom-chat/--no-zoom-chat",
        help="Send cues as Zoom Team Chat messages (needs ZOOM_*; default: the file's)."),
    board: bool | None = typer.Option(
        None, "--board/--no-board", help="Push cues to open cue boards (default: the file's)."),
    webhook: list[str] = typer.Option(
        [], "--webhook",
        help="POST cues to this URL instead of the file's webhook (Slack-compatible JSON); "
             "repeatable. Prefer notifications.webhook.url_env in the event file."),
    smtp_host: str | None = typer.Option(None, "--smtp-host", envvar="ZOOMORCH_SMTP_HOST",
                                         help="Email cues through this SMTP server."),
    smtp_port: int | None = typer.Option(None, "--smtp-port", envvar="ZOOMORCH_SMTP_PORT"),
    smtp_from: str | None = typer.Option(None, "--smtp-from", envvar="ZOOMORCH_SMTP_FROM",
                                         help="Sender address."),
    smtp_user: str | None = typer.Option(
        None, "--smtp-user", envvar="ZOOMORCH_SMTP_USER",
        help="SMTP login; the password comes from ZOOMORCH_SMTP_PASSWORD only."),
    smtp_starttls: bool | None = typer.Option(None, "--smtp-starttls/--no-smtp-starttls",
                                              envvar="ZOOMORCH_SMTP_STARTTLS"),
    webhook_secret_file: Path | None = typer.Option(
        None, "--webhook-secret-file",
        help="A .env-style file with ZOOM_WEBHOOK_SECRET_TOKEN (if not in the environment)."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
    no_scheduler: bool = typer.Option(False, "--no-scheduler",
                                      help="Serve the board and webhooks only; fire no cues."),
) -> None:
    """Run the cue scheduler, the Zoom webhook receiver, the cue board and the JSON API."""
    from zoomorch.board.tokens import BoardTokens
    from zoomorch.notify.channels import ChannelOverrides
    from zoomorch.runtime import LiveOptions, SetupError, assemble
    from zoomorch.service.app import load_webhook_secret

    files = _event_files(events or [Path("config")])
    specs = [(f, load_event_or_exit(f, start_at)) for f in files]
    from zoomorch.board.tokens import load_board_key

    try:
        secret = load_webhook_secret(secrets_file=webhook_secret_file)
        key = load_board_key()
    except ValueError as exc:
        raise exit_with("serve", exc) from None
    tokens = BoardTokens(key.value)
    overrides = ChannelOverrides(
        console=console, zoom_chat=zoom_chat, board=board, webhooks=tuple(webhook),
        smtp_host=smtp_host, smtp_port=smtp_port, smtp_from=smtp_from, smtp_user=smtp_user,
        smtp_starttls=smtp_starttls)
    try:
        runtime = assemble(specs, LiveOptions(speed=speed, channels=overrides,
                                              env_file=env_file, board=True))
    except SetupError as exc:
        raise exit_with("serve", exc) from None
    from zoomorch.db.store import StoreInUse, serve_lock

    try:
        # SQLite is one process's store: a second serve on it stops here (replicas: PostgreSQL).
        lock = serve_lock(runtime.store)
    except StoreInUse as exc:
        raise exit_with("serve", exc) from None
    ctx = runtime.service_context(tokens, webhook_secret=secret, run_scheduler=not no_scheduler)
    typer.echo(f"# zoomorch serve on http://{host}:{port}: {len(runtime.agendas)} event(s); "
               f"Zoom webhooks {'on' if secret else 'off (set ZOOM_WEBHOOK_SECRET_TOKEN)'}",
               err=True)
    for line in runtime.channel_lines() + runtime.speed_lines():
        typer.echo(f"#   {line}", err=True)
    typer.echo("# board links: zoomorch board-link EVENT --role controller (board key "
               f"{key.id}, from {key.describe()})", err=True)
    from zoomorch.service.app import serve

    try:
        serve(ctx, host=host, port=port)
    finally:
        if lock is not None:
            lock.close()


def board_link_cmd(
    event: str = typer.Argument(..., help="The event file (TOML) or the event's key."),
    role: str = typer.Option("viewer", "--role", help="viewer or controller."),
    expires: str = typer.Option(
        "6h", "--expires",
        help="How long the link works: 6h, 90m, 2d (a bare number is minutes); at most 7d."),
    language: str = typer.Option("en", "--lang",
                                 help=f"Board language: {cue_languages_accepted()}."),
    view: str = typer.Option(
        "board", "--view",
        help="board, or speaker: a bare fullscreen countdown (second screen, OBS source)."),
    base_url: str = typer.Option(
        _DEFAULT_BASE_URL, "--base-url", envvar="ZOOMORCH_PUBLIC_URL",
        help="Where people reach the service (env ZOOMORCH_PUBLIC_URL)."),
    service: str | None = typer.Option(
        None, "--service",
        help="The running service to check the signing key with (its key id must be this "
             "link's); default: ZOOMORCH_PUBLIC_URL when set."),
) -> None:
    """Print a signed link to an event's cue board (anyone holding it has its role).

    Says on stderr which board key signed it and where that key came from; with --service
    (or ZOOMORCH_PUBLIC_URL) it asks that service for its key id and refuses a link the
    service would not take."""
    from zoomorch.board.tokens import ROLES, BoardTokens, check_lifetime, load_board_key
    from zoomorch.cues import LANGUAGES
    from zoomorch.vocab.durations import parse_duration

    if role not in ROLES:
        raise typer.BadParameter("use viewer or controller", param_hint="--role")
    if language not in LANGUAGES:
        raise typer.BadParameter(f"use {cue_languages_accepted()}", param_hint="--lang")
    if view not in ("board", "speaker"):
        raise typer.BadParameter("use board or speaker", param_hint="--view")
    try:
        lifetime: timedelta = parse_duration(expires, sign="positive")
        check_lifetime(lifetime)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires") from None
    path = Path(event)
    slug = load_event_or_exit(path, None).key if path.suffix == ".toml" or path.is_file() else event
    try:
        key = load_board_key()
    except ValueError as exc:
        raise exit_with("board-link", exc) from None
    typer.echo(f"# signed with board key {key.id}, from {key.describe()}", err=True)
    if key.created:
        typer.echo("# no service has used this state directory yet: the link works only with "
                   "a service started with the same ZOOMORCH_STATE_DIR (or give both "
                   "ZOOMORCH_BOARD_SECRET)", err=True)
    check = service or os.environ.get("ZOOMORCH_PUBLIC_URL", "").strip() or None
    if check:
        theirs, problem = _service_key_id(check)
        if theirs is None:
            typer.echo(f"# could not ask the service at {check} for its key id ({problem}); "
                       f"the link works only with a service using board key {key.id}",
                       err=True)
        elif theirs != key.id:
            if key.created and key.path is not None:
                key.path.unlink(missing_ok=True)  # made a moment ago, for nothing
            raise exit_with("board-link", ValueError(
                f"the service at {check} uses board key {theirs}, but this link would be "
                f"signed with board key {key.id} (from {key.describe()}), so the board would "
                "say it is not valid. Run zoomorch board-link where the service runs, with "
                "the same ZOOMORCH_STATE_DIR or ZOOMORCH_BOARD_SECRET as the service"))
        else:
            typer.echo(f"# the service at {check} uses the same board key", err=True)
    token = BoardTokens(key.value).issue(slug, role, lifetime, language=language)
    suffix = "&view=speaker" if view == "speaker" else ""
    typer.echo(f"{base_url.rstrip('/')}/board/{slug}?token={token}{suffix}")


def overview_link_cmd(
    events: list[Path] = typer.Argument(
        None, help="Only these event files or folders (a day, a track); default: every event "
                   "the service runs."),
    language: str = typer.Option("en", "--lang",
                                 help=f"Overview language: {cue_languages_accepted()}."),
    hours: float = typer.Option(12.0, "--hours", min=0.01, max=168.0,
                                help="How long the link works, in hours (at most 168: 7 days)."),
    base_url: str = typer.Option(
        _DEFAULT_BASE_URL, "--base-url", envvar="ZOOMORCH_PUBLIC_URL",
        help="Where people reach the service (env ZOOMORCH_PUBLIC_URL)."),
) -> None:
    """Print a signed link to the conference overview: every event on one page, live, with a
    link to each event's board (watch only). Anyone holding it can watch them all.

    Says on stderr which board key signed it and where that key came from."""
    from zoomorch.board.tokens import BoardTokens, check_lifetime, load_board_key
    from zoomorch.cues import LANGUAGES

    if language not in LANGUAGES:
        raise typer.BadParameter(f"use {cue_languages_accepted()}", param_hint="--lang")
    lifetime = timedelta(hours=hours)
    try:
        check_lifetime(lifetime)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--hours") from None
    slugs = ([load_event_or_exit(f, None).key for f in _event_files(events)]
             if events else None)
    try:
        key = load_board_key()
    except ValueError as exc:
        raise exit_with("overview-link", exc) from None
    scope = f"events {', '.join(slugs)}" if slugs else "every event the service runs"
    typer.echo(f"# overview of {scope}; signed with board key {key.id}, from "
               f"{key.describe()}", err=True)
    token = BoardTokens(key.value).issue_overview(lifetime, events=slugs, language=language)
    typer.echo(f"{base_url.rstrip('/')}/overview?token={token}")


def _service_key_id(url: str) -> tuple[str | None, str]:
    """The key id the service at ``url`` answers on ``GET /board-key-id``, or None and why."""
    import requests

    try:
        answer = requests.get(f"{url.rstrip('/')}/board-key-id", timeout=3)
    except requests.RequestException as exc:
        return None, type(exc).__name__
    if answer.status_code != 200:
        return None, f"HTTP {answer.status_code}: a zoomorch older than key ids, or not zoomorch"
    try:
        found = answer.json().get("key_id")
    except (ValueError, AttributeError):
        found = None
    if not isinstance(found, str) or not found:
        return None, "no key_id in its answer"
    return found, ""
