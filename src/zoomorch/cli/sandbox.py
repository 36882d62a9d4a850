"""``zoomorch sandbox``: serve the local Zoom API."""

from __future__ import annotations

import typer

from zoomorch.outcome import EXIT_ZOOM


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
        # The local Zoom could not be reached by its clients: the code of an unreachable Zoom.
        typer.echo(f"zoomorch sandbox: cannot start: {exc}", err=True)
        raise typer.Exit(EXIT_ZOOM) from None
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
