"""The one entry point: ``zoomorch``. It only assembles the command groups of ``zoomorch.cli``;
each group parses its options and calls a use case, importing it when the command runs, so that
``zoomorch --help`` loads typer and nothing else of weight."""

from __future__ import annotations

import typer

from zoomorch import __version__
from zoomorch.cli import cues, registrants, rehearsal, report, sandbox, service, setup, status

app = typer.Typer(
    name="zoomorch",
    help="Runs multilingual Zoom webinars end to end, on Zoom or on the local sandbox.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    # Plain help, as click writes it: rich's boxes would double the start-up time of `--help`.
    rich_markup_mode=None,
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


# In the order a technical host meets them: the sandbox, setup, the list, the live event, after.
app.command("sandbox")(sandbox.sandbox_command)
app.command("plan")(setup.plan_cmd)
app.command("apply")(setup.apply_cmd)
app.command("doctor")(setup.doctor_cmd)
app.command("agenda")(setup.agenda_cmd)
app.command("report")(report.report_cmd)
app.add_typer(registrants.registrants_app, name="registrants")
app.command("demo")(rehearsal.demo_cmd)
app.command("rehearse")(rehearsal.rehearse_cmd)
app.add_typer(cues.cues_app, name="cues")
app.command("serve")(service.serve_cmd)
app.command("board-link")(service.board_link_cmd)
app.command("overview-link")(service.overview_link_cmd)
app.command("status")(status.status_cmd)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
