"""The one entry point: ``zoomorch``. Thin: parses, calls a use-case function, prints."""

from __future__ import annotations

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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
