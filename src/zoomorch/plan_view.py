"""The ``plan``, ``apply`` and ``agenda`` commands: load, call the use case, print with rich."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from rich.table import Table

from zoomorch.event import EventSpec, load_event
from zoomorch.event.run_of_show import agenda_table, run_of_show, to_ics, to_json
from zoomorch.outcome import EXIT_OK, EXIT_ZOOM, run_guarded

if TYPE_CHECKING:  # loaded by the commands that talk to Zoom, not by `agenda`
    from zoomorch.db.store import StateStore
    from zoomorch.provision import ApplyResult, Plan
    from zoomorch.zoom import ZoomClient

T = TypeVar("T")


def _short(value: Any, limit: int = 70) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict) and "interpreters" in value:
        pairs = ", ".join(f"{email} {langs}" for email, langs in value["interpreters"])
        return f"{'on' if value.get('enable') else 'off'}: {pairs or 'no interpreters'}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        value = "; ".join(str(q.get("title")) for q in value)
    elif isinstance(value, list):
        value = ", ".join(":".join(map(str, v)) if isinstance(v, list) else str(v)
                          for v in value) or "—"
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mapping_drift(applied: dict[str, Any], now: dict[str, Any]) -> tuple[str, str]:
    """Only the entries that differ (e.g. panelists by email), one per line."""
    gone = [f"{key} ({applied[key]})" for key in sorted(applied) if key not in now]
    new = [f"{key} ({now[key]})" for key in sorted(now) if key not in applied]
    renamed = [key for key in sorted(applied) if key in now and applied[key] != now[key]]
    before = gone + [f"{key} ({applied[key]})" for key in renamed]
    after = new + [f"{key} ({now[key]})" for key in renamed]
    return "\n".join(before) or "—", "\n".join(after) or "—"


def render_plan(plan_: Plan, console: Console) -> None:
    """Print a plan: the webinar action, field changes, panelists, drift and TBC people."""
    headline = {
        "create": "[green]+ create webinar[/]",
        "recreate": "[yellow]! recreate webinar[/]",
        "adopt": "[cyan]~ adopt webinar[/]",
        "update": "[yellow]~ update webinar[/]",
        "unchanged": "[green]= webinar in sync[/]",
    }[plan_.webinar]
    wid = f" {plan_.webinar_id}" if plan_.webinar_id else ""
    console.print(f"{headline}{wid} for event [bold]{plan_.event_key}[/]")
    if plan_.reason:
        console.print(f"  {plan_.reason}")
    if plan_.drift:
        table = Table(title="Drift: changed in Zoom since the last apply", title_justify="left")
        for name in ("field", "applied", "Zoom now"):
            table.add_column(name)
        for d in plan_.drift:
            if isinstance(d.applied, dict) and isinstance(d.now, dict):
                table.add_row(d.field, *_mapping_drift(d.applied, d.now))
            else:
                table.add_row(d.field, _short(d.applied), _short(d.now))
        console.print(table)
    if plan_.changes:
        table = Table(title="Settings apply will change", title_justify="left")
        for name in ("field", "from", "to"):
            table.add_column(name)
        for c in plan_.changes:
            table.add_row(c.field, _short(c.before), _short(c.after))
        console.print(table)
    if plan_.panelists:
        table = Table(title="Panelists", title_justify="left")
        for name in ("action", "name", "email"):
            table.add_column(name)
        labels = {"add": "+ add", "update": "~ rename", "remove": "- remove",
                  "keep-extra": "? not in file (kept; --prune removes)"}
        for p in plan_.panelists:
            name = f"{p.before_name} → {p.name}" if p.action == "update" else p.name
            table.add_row(labels[p.action], name, p.email)
        console.print(table)
    for person in plan_.tbc:
        console.print(f"[yellow]TBC[/]: {person.name} ({person.organisation}) is not confirmed "
                      "and will not be invited until tbc = false and an email is set")
    if plan_.in_sync:
        console.print("Nothing to do: apply would make no write call.")


def render_result(result: ApplyResult, console: Console) -> None:
    console.print(f"webinar id:       {result.webinar_id}")
    console.print(f"join URL:         {result.join_url or '—'}")
    console.print(f"registration URL: {result.registration_url or '—'}")


def _context(event: Path, start_at: str | None, env_file: Path | None
             ) -> tuple[EventSpec, ZoomClient, StateStore]:
    spec = load_event(event, start_at=start_at)
    from zoomorch.db.store import open_store
    from zoomorch.zoom import ZoomClient

    client = ZoomClient.from_env(env_file, profile=spec.account)
    return spec, client, open_store()


def _paths(events: Path | Sequence[Path]) -> list[Path]:
    return [events] if isinstance(events, Path) else list(events)


def plan_command(events: Path | Sequence[Path], *, start_at: str | None = None,
                 prune: bool = False, env_file: Path | None = None,
                 console: Console | None = None) -> int:
    """``zoomorch plan``: print what apply would do and any drift; writes nothing. Over a
    folder or several files: each event's plan, then the per-event table."""
    out = console or Console()
    err = Console(stderr=True, soft_wrap=True)
    from zoomorch.provision import is_many

    paths = _paths(events)
    if is_many(paths):
        return _plan_many(paths, start_at=start_at, prune=prune, env_file=env_file, out=out,
                          err=err)
    event = paths[0]

    def work() -> int:
        from rich.markup import escape

        from zoomorch.event import event_warnings
        from zoomorch.provision import plan

        spec, client, store = _context(event, start_at, env_file)
        for warning in event_warnings(spec):
            out.print(f"[yellow]warning[/]: {escape(warning.render(str(event)))}", soft_wrap=True)
        with client:
            render_plan(plan(spec, client, store, prune=prune), out)
        return EXIT_OK

    return run_guarded(err, work)


def apply_command(events: Path | Sequence[Path], *, start_at: str | None = None,
                  prune: bool = False, env_file: Path | None = None,
                  console: Console | None = None) -> int:
    """``zoomorch apply``: make Zoom match the file; print the webinar id and URLs. Over a
    folder or several files: every event in turn, past failures, then the per-event table."""
    out = console or Console()
    err = Console(stderr=True, soft_wrap=True)
    from zoomorch.provision import is_many

    paths = _paths(events)
    if is_many(paths):
        return _apply_many(paths, start_at=start_at, prune=prune, env_file=env_file, out=out,
                           err=err)
    event = paths[0]

    def work() -> int:
        from zoomorch.provision import apply

        spec, client, store = _context(event, start_at, env_file)
        with client:
            result = apply(spec, client, store, prune=prune)
        render_plan(result.plan, out)
        render_result(result, out)
        for missing in result.not_kept:
            err.print(f"Zoom did not keep {missing.field} on webinar {result.webinar_id}: "
                      f"{missing.fix}.", markup=False, highlight=False)
        return EXIT_OK if result.complete else EXIT_ZOOM

    return run_guarded(err, work)


def _plan_many(paths: list[Path], *, start_at: str | None, prune: bool,
               env_file: Path | None, out: Console, err: Console) -> int:
    from zoomorch.provision import EventRun, plan, plan_summary, run_many

    def one(spec: EventSpec, path: Path, client: ZoomClient, store: StateStore,
            run: EventRun) -> int:
        the_plan = plan(spec, client, store, prune=prune)
        render_plan(the_plan, out)
        run.changes = plan_summary(the_plan)
        return EXIT_OK

    return run_many(paths, one, title="plan: per event", out=out, err=err, start_at=start_at,
                    env_file=env_file)


def _apply_many(paths: list[Path], *, start_at: str | None, prune: bool,
                env_file: Path | None, out: Console, err: Console) -> int:
    from zoomorch.provision import EventRun, apply, plan_summary, run_many

    def one(spec: EventSpec, path: Path, client: ZoomClient, store: StateStore,
            run: EventRun) -> int:
        result = apply(spec, client, store, prune=prune)
        render_plan(result.plan, out)
        render_result(result, out)
        run.changes = plan_summary(result.plan) + f" (webinar {result.webinar_id})"
        if result.not_kept:
            run.error = "; ".join(f"Zoom did not keep {m.field}: {m.fix}"
                                  for m in result.not_kept)
            return EXIT_ZOOM
        return EXIT_OK

    return run_many(paths, one, title="apply: per event", out=out, err=err, start_at=start_at,
                    env_file=env_file)


def agenda_command(event: Path, *, start_at: str | None = None, as_json: bool = False,
                   ics: Path | None = None, join_url: str | None = None,
                   console: Console | None = None) -> int:
    """``zoomorch agenda``: the run-of-show as a table, JSON, and/or an iCalendar file."""
    out = console or Console()
    err = Console(stderr=True, soft_wrap=True)

    def work() -> int:
        spec = load_event(event, start_at=start_at)
        rows = run_of_show(spec)
        if ics is not None:
            ics.write_bytes(to_ics(spec, rows, join_url=join_url))
        if as_json:
            # Plain print: rich would re-wrap and colour the JSON.
            out.file.write(to_json(spec, rows) + "\n")
        else:
            out.print(agenda_table(spec, rows))
            if ics is not None:
                out.print(f"wrote {len(rows)} calendar events to {ics}")
        return EXIT_OK

    return run_guarded(err, work)

