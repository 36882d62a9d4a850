"""The one entry point: ``zoomorch``. Thin: parses, calls a use-case function, prints."""

from __future__ import annotations

from pathlib import Path

import typer

from zoomorch import __version__

app = typer.Typer(
    name="zoomorch",
    help="Runs multilingual Zoom webinars end to end, on Zoom or on the local sandbox.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


@app.command("sandbox")
def sandbox_command(
    port: int = typer.Option(8765, "--port", help="Port to serve on (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="Interface to bind; keep loopback unless you mean it."),
    account_id: str = typer.Option("sandbox-account", "--account-id",
                                   envvar="ZOOMORCH_SANDBOX_ACCOUNT_ID",
                                   help="Account id clients must send to /oauth/token."),
    client_id: str = typer.Option("sandbox-client", "--client-id",
                                  envvar="ZOOMORCH_SANDBOX_CLIENT_ID",
                                  help="OAuth client id clients must use."),
    client_secret: str | None = typer.Option(
        None, "--client-secret", envvar="ZOOMORCH_SANDBOX_CLIENT_SECRET",
        help="OAuth client secret; if not given, a random one is generated and printed once."),
    plan: str = typer.Option("pro", "--plan", envvar="ZOOMORCH_SANDBOX_PLAN",
                             help="Zoom plan whose rate limits apply: free, pro or business."),
    webhook_url: str | None = typer.Option(
        None, "--webhook-url", envvar="ZOOMORCH_SANDBOX_WEBHOOK_URL",
        help="Where to send signed webhook events (validated first, as Zoom does)."),
    webhook_secret: str | None = typer.Option(
        None, "--webhook-secret", envvar="ZOOMORCH_SANDBOX_WEBHOOK_SECRET",
        help="Zoom's 'secret token' used to sign webhook events."),
    state_file: str | None = typer.Option(
        None, "--state-file", envvar="ZOOMORCH_SANDBOX_STATE_FILE",
        help="JSON file keeping the sandbox's state across restarts (no secrets stored)."),
    no_rate_limits: bool = typer.Option(False, "--no-rate-limits",
                                        help="Never answer 429 (functional rehearsals)."),
    speed: float = typer.Option(
        1.0, "--speed", envvar="ZOOMORCH_SANDBOX_SPEED",
        help="Sandbox clock speed (60: a simulated hour takes a real minute)."),
    scopes: str | None = typer.Option(
        None, "--scopes", envvar="ZOOMORCH_SANDBOX_SCOPES",
        help="OAuth scopes the app is granted, space- or comma-separated (default: the classic "
             "scopes every zoomorch feature needs). Calls outside them get Zoom's 400/4711."),
) -> None:
    """Serve a local Zoom API (webinars part) for rehearsals, demos and tests.

    Prints the ZOOM_* environment a client needs (including the client secret), then serves
    until Ctrl-C. Options can also come from ZOOMORCH_SANDBOX_* environment variables.
    Admin API (state, faults, request and webhook logs, clock): http://HOST:PORT/_sandbox/.
    """
    import secrets
    import signal
    import time
    from types import FrameType

    from zoomorch.sandbox import Sandbox
    from zoomorch.scopes import parse_scopes

    if plan not in ("free", "pro", "business"):
        raise typer.BadParameter("use free, pro or business", param_hint="--plan")
    if webhook_url and not webhook_secret:
        raise typer.BadParameter("--webhook-url needs --webhook-secret (Zoom's secret token)",
                                 param_hint="--webhook-secret")
    if speed < 0:
        raise typer.BadParameter("the clock speed must be 0 or more", param_hint="--speed")
    secret = client_secret or secrets.token_urlsafe(24)
    try:
        sb = Sandbox(account_id=account_id, client_id=client_id, client_secret=secret, plan=plan,
                     webhook_url=webhook_url, webhook_secret=webhook_secret,
                     state_file=state_file, rate_limits=not no_rate_limits, speed=speed,
                     scopes=None if scopes is None else parse_scopes(scopes))
        sb.start(host=host, port=port)
    except (OSError, ValueError) as exc:
        typer.echo(f"zoomorch sandbox: cannot start: {exc}", err=True)
        raise typer.Exit(1) from None
    for key, value in sb.env().items():
        typer.echo(f"{key}={value}")
    typer.echo(f"# admin API: {sb.admin_url}/  (plan {plan}; clock speed {speed:g}; "
               "Ctrl-C stops)", err=True)
    typer.echo(f"# granted scopes: {' '.join(sorted(sb.scopes)) or '(none)'}", err=True)

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # stop cleanly: flush the state file and pending webhooks

    signal.signal(signal.SIGTERM, _terminate)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()


# --- event setup: plan / apply / agenda (use cases in zoomorch.plan_view) ---------------

_EVENT_ARG = typer.Argument(..., exists=True, dir_okay=False, help="The event file (TOML).")
_START_AT = typer.Option(None, "--start-at",
                         help="Re-date the whole event: an ISO datetime or now+10m.")


@app.command("plan")
def plan_cmd(
    event: Path = _EVENT_ARG,
    start_at: str | None = _START_AT,
    prune: bool = typer.Option(False, "--prune", help="Show extra panelists as removals."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Show what apply would change in Zoom, and any drift since the last apply. Writes nothing."""
    from zoomorch.plan_view import plan_command

    raise typer.Exit(plan_command(event, start_at=start_at, prune=prune, env_file=env_file))


@app.command("apply")
def apply_cmd(
    event: Path = _EVENT_ARG,
    start_at: str | None = _START_AT,
    prune: bool = typer.Option(False, "--prune", help="Remove panelists that are not in the file."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Make the webinar in Zoom match the event file (safe to re-run)."""
    from zoomorch.plan_view import apply_command

    raise typer.Exit(apply_command(event, start_at=start_at, prune=prune, env_file=env_file))


@app.command("doctor")
def doctor_cmd(
    events: list[Path] = typer.Argument(
        None, exists=True, help="Event files or folders of them (default: check the account "
        "for every feature)."),
    as_json: bool = typer.Option(False, "--json", help="Print the checklist as JSON."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Preflight before a real event: credentials, scopes, licenses, Team Chat, secrets, SMTP,
    state store — each ✓ or ✗ with the fix. Exits 1 if anything must be fixed."""
    from zoomorch.doctor import doctor_command

    raise typer.Exit(doctor_command(events or [], as_json=as_json, env_file=env_file))


@app.command("agenda")
def agenda_cmd(
    event: Path = _EVENT_ARG,
    start_at: str | None = _START_AT,
    as_json: bool = typer.Option(False, "--json", help="Print the run-of-show as JSON."),
    ics: Path | None = typer.Option(None, "--ics", help="Write one calendar event per segment."),
    join_url: str | None = typer.Option(
        None, "--join-url",
        help="Link to put in each calendar event (e.g. the registration URL apply printed)."),
) -> None:
    """The run-of-show: every segment in the event's and each participant's time zone."""
    from zoomorch.plan_view import agenda_command

    raise typer.Exit(agenda_command(event, start_at=start_at, as_json=as_json, ics=ics,
                                    join_url=join_url))


# --- after the event: report (use case in zoomorch.report.command) ----------------------


@app.command("report")
def report_cmd(
    event: Path = typer.Argument(..., exists=True, dir_okay=False, help="The event file (TOML)."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default reports/KEY)."),
    formats: str = typer.Option("csv,xlsx,html", "--format", help="Any of csv,xlsx,html."),
    offline: bool = typer.Option(False, "--offline",
                                 help="Use the reports stored by an earlier run; no Zoom calls."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Attendance per person and per agenda segment, absentees, Q&A, polls, charts."""
    from zoomorch.report.command import report_command

    raise typer.Exit(report_command(event, out=out, formats=formats, offline=offline,
                                    env_file=env_file))


# --- registrant sync (use case in zoomorch.registrants.command) --------------------------
registrants_app = typer.Typer(help="Zoom's registrants, kept in step with the organisers' list.",
                              no_args_is_help=True)


@registrants_app.command("sync")
def registrants_sync_cmd(
    event: Path = typer.Argument(..., exists=True, dir_okay=False, help="The event file (TOML)."),
    source: Path | None = typer.Option(
        None, "--source", help="The registration list (CSV/TSV; UTF-8, UTF-16 or Windows-1252). "
        "Default: registrants.source in the event file."),
    prune: bool = typer.Option(False, "--prune",
                               help="Cancel registrants who are no longer on the list."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; write nothing."),
    out: Path = typer.Option(Path("."), "--out",
                             help="Folder for registrants-KEY.csv and the rejects CSV."),
    workers: int = typer.Option(4, "--workers", min=1, max=16,
                                help="Calls in flight at once (paced within Zoom's limits)."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Add, approve, deny or cancel Zoom registrants so they follow the list; safe to re-run."""
    from zoomorch.registrants.command import sync_command

    raise typer.Exit(sync_command(event, source=source, prune=prune, dry_run=dry_run,
                                  out_dir=out, env_file=env_file, workers=workers))


app.add_typer(registrants_app, name="registrants")


# --- the whole life of an event on the sandbox (use cases in zoomorch.demo) ------------

_SPEED_DEMO = typer.Option(30.0, "--speed", min=1.0, max=3600.0,
                           help="Event time runs this many times faster (30: the hour in 2 min).")
_STATE_DIR = typer.Option(None, "--state-dir",
                          help="Keep the state database here (default: a temporary folder).")


@app.command("demo")
def demo_cmd(
    speed: float = _SPEED_DEMO,
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the report and CSVs (default ./zoomorch-demo)."),
    state_dir: Path | None = _STATE_DIR,
    seed: int = typer.Option(2022, "--seed", help="Seed of the simulated attendance."),
) -> None:
    """The seed event's whole life on the built-in sandbox: apply, sync, live cues, report."""
    from zoomorch.demo import demo_command

    raise typer.Exit(demo_command(speed=speed, out_dir=out, state_dir=state_dir, seed=seed))


@app.command("rehearse")
def rehearse_cmd(
    event: Path = typer.Argument(..., exists=True, dir_okay=False, help="The event file (TOML)."),
    speed: float = _SPEED_DEMO,
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the mock report (default ./zoomorch-rehearsal)."),
    registrations: Path | None = typer.Option(
        None, "--registrations", exists=True, dir_okay=False,
        help="A registration list to sync (CSV/TSV); without it the audience is walk-ins."),
    state_dir: Path | None = _STATE_DIR,
    seed: int = typer.Option(2022, "--seed", help="Seed of the simulated attendance."),
) -> None:
    """Dry-run any event file on the sandbox: checklist, cue timeline, live run, mock report."""
    from zoomorch.demo import rehearse_command

    raise typer.Exit(rehearse_command(event, speed=speed, out_dir=out,
                                      registrations=registrations, state_dir=state_dir,
                                      seed=seed))


# --- live cues (zoomorch.cli.cues) ------------------------------------------------------
from zoomorch.cli.cues import cues_app  # noqa: E402

app.add_typer(cues_app, name="cues")

# --- the service and the cue board (zoomorch.cli.service) -------------------------------
from zoomorch.cli.service import board_link_cmd, serve_cmd  # noqa: E402

app.command("serve")(serve_cmd)
app.command("board-link")(board_link_cmd)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
