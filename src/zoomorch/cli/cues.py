"""``zoomorch cues …``: the cue plan and live control. Thin: parse, call a use case, print."""

from __future__ import annotations

import json
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from zoomorch.cli.common import exit_with, load_event_or_exit
from zoomorch.vocab.languages import cue_languages_accepted

if TYPE_CHECKING:
    from zoomorch.cues import Cue, CueAgenda, Language
    from zoomorch.live.plan import LivePlan
    from zoomorch.live.record import RunOfShow

cues_app = typer.Typer(
    name="cues",
    help="Live cues: the plan, the scheduler, shift / next / extend and messages to the "
         "presenter during the event.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, fast (see zoomorch.cli.main)
)

_EVENT = typer.Argument(..., exists=True, dir_okay=False, help="The event file (TOML).")
_START_AT = typer.Option(None, "--start-at",
                         help="Re-date the whole event: an ISO datetime or now+10m.")
_SPEED = typer.Option(1.0, "--speed", min=0.001,
                      help="Run event time this many times faster (rehearsals).")
_AT = typer.Option(None, "--at", help="When it happened (ISO datetime; default: now).")
_LANG = typer.Option("en", "--lang",
                     help=f"Language of the texts: {cue_languages_accepted()}.")


def _agenda(event: Path, start_at: str | None, speed: float = 1.0) -> CueAgenda:
    from zoomorch.cues import agenda_from_event

    return agenda_from_event(load_event_or_exit(event, start_at), speed=speed)


def _when(value: str | None, agenda: CueAgenda) -> datetime | None:
    if value is None:
        return None
    from zoomorch.event import parse_start_at

    try:
        return parse_start_at(value, zone=agenda.zone)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--at") from None


def _amount(value: str) -> timedelta:
    from zoomorch.cues import parse_amount

    try:
        return parse_amount(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="AMOUNT") from None


def _offset(cue: Cue, agenda: CueAgenda) -> str:
    seconds = round((agenda.to_event_time(cue.due) - agenda.scheduled_start).total_seconds())
    sign = "−" if seconds < 0 else "+"
    minutes, rest = divmod(abs(seconds), 60)
    return f"T{sign}{minutes}m" + (f"{rest:02d}s" if rest else "")


def _lines(cues: list[Cue], agenda: CueAgenda, language: Language,
           status: dict[str, str] | None = None) -> list[str]:
    """One line per cue; a segment's overrun cues (and the host's "not started yet" cues)
    read as the first one plus a summary."""
    repeating = ("overrun", "not_started")
    overruns: dict[tuple[str, int | None], list[Cue]] = {}
    for cue in cues:
        if cue.kind in repeating:
            overruns.setdefault((cue.kind, cue.segment_index), []).append(cue)
    out: list[str] = []
    for cue in cues:
        run = overruns.get((cue.kind, cue.segment_index), []) if cue.kind in repeating else []
        if run and cue is not run[0]:
            continue
        local = cue.due.astimezone(agenda.zone)
        mark = (" (projected: waits for the start or `cues next`)" if cue.projected
                else " (quiet: this segment was already announced)" if cue.quiet else "")
        state = f"  [{status[cue.id]}]" if status and cue.id in status else ""
        out.append(f"{local:%H:%M:%S} {_offset(cue, agenda):>9}  {cue.kind:<13} "
                   f"{'/'.join(cue.audience):<40} {cue.text[language]}{mark}{state}")
        if len(run) > 1:
            last = run[-1].due.astimezone(agenda.zone)
            every = agenda.settings.overrun_every.total_seconds() / 60
            until = ("unless `zoomorch cues next` ends the segment" if cue.kind == "overrun"
                     else "unless the webinar starts (webinar.started, `zoomorch cues start` "
                          "or `next`)")
            out.append(f"{'':>19}  … {len(run) - 1} more, every {every:g} min until "
                       f"{last:%H:%M:%S}, {until}")
    return out


@cues_app.command("plan")
def plan_cmd(
    event: Path = _EVENT,
    start_at: str | None = _START_AT,
    as_json: bool = typer.Option(False, "--json", help="Print the cues as a JSON list."),
    language: str = _LANG,
    speed: float = _SPEED,
) -> None:
    """The cue plan of an event as written (no live adjustments). Writes nothing."""
    from zoomorch.cues import LANGUAGES, agenda_from_event, plan_cues
    from zoomorch.event import event_warnings

    if language not in LANGUAGES:
        raise typer.BadParameter(f"use {cue_languages_accepted()}", param_hint="--lang")
    spec = load_event_or_exit(event, start_at)
    for warning in event_warnings(spec):
        typer.echo(f"warning: {warning.render(str(event))}", err=True)
    agenda = agenda_from_event(spec, speed=speed)
    cues = plan_cues(agenda)
    if as_json:
        typer.echo(json.dumps([c.as_json() for c in cues], ensure_ascii=False, indent=2))
        return
    starts = agenda.scheduled_start.astimezone(agenda.zone)
    typer.echo(f"{agenda.title}\nstarts {starts:%Y-%m-%d %H:%M %Z} · advance: "
               f"{agenda.settings.advance} · {len(cues)} cues")
    for fallback in agenda.language_fallbacks():
        typer.echo(f"cue language: {fallback}")
    for line in _lines(cues, agenda, language):  # type: ignore[arg-type,unused-ignore]
        typer.echo(line)


def _store() -> Any:
    from zoomorch.db.store import open_store

    return open_store()


@cues_app.command("start")
def start_cmd(event: Path = _EVENT, start_at: str | None = _START_AT,
              at: str | None = _AT,
              replace: bool = typer.Option(
                  False, "--replace",
                  help="Correct a start already recorded (the first one stands otherwise).")
              ) -> None:
    """Fix the actual start of the webinar (default: now); every agenda cue follows it."""
    from zoomorch.live.state import LiveSource, load_live, record_actual_start

    agenda = _agenda(event, start_at)
    store = _store()
    when = _when(at, agenda)
    before = load_live(store, agenda.slug).actual_start
    live = record_actual_start(store, agenda.slug, when, replace=replace, by=LiveSource.CLI)
    assert live.actual_start is not None
    shown = f"{live.actual_start.astimezone(agenda.zone):%H:%M:%S %Z}"
    if before is not None and not replace:
        typer.echo(f"{agenda.slug}: already started at {shown}; unchanged "
                   "(--replace corrects it)")
        return
    typer.echo(f"{agenda.slug}: started at {shown}")


@cues_app.command("shift")
def shift_cmd(event: Path = _EVENT,
              amount: str = typer.Argument(..., help="e.g. +3m or -2m (write -- -2m)."),
              at: str | None = _AT) -> None:
    """Move every cue still to come by AMOUNT."""
    from zoomorch.live.state import LiveSource, shift

    agenda = _agenda(event, None)
    shift(_store(), agenda.slug, _amount(amount), _when(at, agenda), by=LiveSource.CLI)
    typer.echo(f"{agenda.slug}: shifted by {amount}")


@cues_app.command("next")
def next_cmd(event: Path = _EVENT, start_at: str | None = _START_AT,
             at: str | None = _AT) -> None:
    """End the current segment now; the next one starts. Before the webinar has started
    (no start recorded, no segment in progress) it records the start instead."""
    from zoomorch.live.state import LiveSource, load_live, next_segment

    agenda = _agenda(event, start_at)
    store = _store()
    before = load_live(store, agenda.slug).actual_start
    live = next_segment(store, agenda.slug, _when(at, agenda), agenda=agenda,
                        by=LiveSource.CLI)
    if before is None and live.actual_start is not None:
        typer.echo(f"{agenda.slug}: started at "
                   f"{live.actual_start.astimezone(agenda.zone):%H:%M:%S %Z} (`next` before "
                   "the start); the first segment begins now")
        return
    typer.echo(f"{agenda.slug}: next segment")


@cues_app.command("extend")
def extend_cmd(event: Path = _EVENT,
               amount: str = typer.Argument(..., help="e.g. 2m."),
               at: str | None = _AT) -> None:
    """Give the current segment AMOUNT more time; later segments follow, the hard stop stays."""
    from zoomorch.live.state import LiveSource, extend

    agenda = _agenda(event, None)
    try:
        extend(_store(), agenda.slug, _amount(amount), _when(at, agenda), by=LiveSource.CLI)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="AMOUNT") from None
    typer.echo(f"{agenda.slug}: current segment extended by {amount}")


@cues_app.command("end")
def end_cmd(event: Path = _EVENT, at: str | None = _AT) -> None:
    """Record that the webinar ended (default: now); every cue still to come is cancelled."""
    from zoomorch.live.state import LiveSource, record_end

    agenda = _agenda(event, None)
    live = record_end(_store(), agenda.slug, _when(at, agenda), by=LiveSource.CLI)
    assert live.ended_at is not None
    typer.echo(f"{agenda.slug}: ended at {live.ended_at.astimezone(agenda.zone):%H:%M:%S %Z}; "
               "remaining cues cancelled")


@cues_app.command("message")
def message_cmd(event: Path = _EVENT,
                text: str = typer.Argument(..., help='What the presenter reads, e.g. "wrap '
                                                     'up" (at most 280 characters).'),
                notify: bool = typer.Option(
                    False, "--notify",
                    help="Also send it once to the host and the moderator on their channels "
                         "(by the running service or `cues run`)."),
                at: str | None = _AT) -> None:
    """Post a message to the presenter: every board of the event shows it at once,
    highlighted until someone acknowledges it (on a board, or `cues ack`)."""
    from zoomorch.live.state import LiveSource, post_message

    agenda = _agenda(event, None)
    try:
        message_id = post_message(_store(), agenda.slug, text, at=_when(at, agenda),
                                  by=LiveSource.CLI, notify=notify)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="TEXT") from None
    typer.echo(f"{agenda.slug}: message {message_id} posted; every board shows it until it "
               f"is acknowledged (zoomorch cues ack EVENT {message_id})")
    if notify:
        typer.echo("notify: the running `zoomorch serve` or `zoomorch cues run` of this event "
                   "sends it once to the host and the moderator on their channels; with none "
                   "running, one started within cues.late_grace sends it, else it is recorded "
                   "missed (the boards show it either way)")


@cues_app.command("ack")
def ack_cmd(event: Path = _EVENT,
            message_id: str = typer.Argument(..., metavar="ID",
                                             help="The message's id (cues status lists them)."),
            at: str | None = _AT) -> None:
    """Acknowledge a message to the presenter: the boards stop highlighting it."""
    from zoomorch.live.state import LiveSource, UnknownMessage, acknowledge_message

    agenda = _agenda(event, None)
    try:
        message = acknowledge_message(_store(), agenda.slug, message_id,
                                      at=_when(at, agenda), by=LiveSource.CLI)
    except UnknownMessage as exc:
        raise typer.BadParameter(str(exc), param_hint="ID") from None
    assert message.acknowledged_at is not None
    typer.echo(f"{agenda.slug}: message {message.id} acknowledged at "
               f"{message.acknowledged_at.astimezone(agenda.zone):%H:%M:%S %Z} "
               f"({message.acknowledged_by})")


def message_lines(ros: RunOfShow, summary: dict[str, str]) -> list[str]:
    """One line per message to the presenter, oldest first: when, who, acknowledged or not,
    what its notification became."""
    from zoomorch.cues.model import MESSAGE_CUE_PREFIX

    lines = [f"messages to the presenter: {len(ros.messages)}"]
    for m in ros.messages:
        seen = (f"acknowledged {m.acknowledged_at.astimezone(ros.zone):%H:%M:%S} "
                f"({m.acknowledged_by})" if m.acknowledged_at is not None
                else "NOT acknowledged")
        sent = ""
        if m.notify:
            sent = f" · notify: {summary.get(MESSAGE_CUE_PREFIX + m.id) or 'nothing sent yet'}"
        lines.append(f"  {m.at.astimezone(ros.zone):%H:%M:%S} [{m.id}] by {m.by}: {m.text!r} · "
                     f"{seen}{sent}")
    return lines


def _delivery_summary(plan: LivePlan) -> dict[str, str]:
    """cue id -> its deliveries counted by status, e.g. ``2 delivered, 1 failed``."""
    summary: dict[str, str] = {}
    for cue_id, rows in plan.deliveries.items():
        counts: dict[str, int] = {}
        for row in rows:
            label = f"{row.status}{' late' if row.late else ''}"
            counts[label] = counts.get(label, 0) + 1
        summary[cue_id] = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return summary


def _unrecorded(plan: LivePlan) -> list[tuple[Cue, int]]:
    """Cues due by now, for someone, with no delivery recorded on any channel — (cue, its
    people). Nothing recorded them: the service was down when they fell due (its next start
    sends them late within ``cues.late_grace``, else records them missed), or none of their
    people's channels is on. A cue's fan-out is recorded whole, so a cue with any row has a
    row for every delivery it needs."""
    out: list[tuple[Cue, int]] = []
    for cue in plan.cues:
        if cue.projected or cue.quiet or cue.due > plan.now or cue.id in plan.deliveries:
            continue
        people = len(plan.agenda.recipients_for(cue))
        if people:
            out.append((cue, people))
    return out


def _mmss(delta: timedelta | None, sign: bool = False) -> str:
    if delta is None:
        return ""
    seconds = round(delta.total_seconds())
    minutes, rest = divmod(abs(seconds), 60)
    prefix = ("-" if seconds < 0 else "+") if sign else ("-" if seconds < 0 else "")
    return f"{prefix}{minutes}:{rest:02d}"


def run_of_show_lines(ros: RunOfShow) -> list[str]:
    """The run-of-show record so far, one line per segment and per change."""
    zone = ros.zone

    def clock(at: datetime | None) -> str:
        return f"{at.astimezone(zone):%H:%M:%S}" if at is not None else "--:--:--"

    head = f"run of show ({ros.basis}"
    if ros.start_delay is not None:
        head += f"; started {_mmss(ros.start_delay, sign=True)} vs schedule"
    lines = [head + f"; hard stop {clock(ros.hard_stop)}; times {zone.key}):"]
    for seg in ros.segments:
        run = seg.run
        over = f" ({_mmss(run.over, sign=True)})" if run.over is not None else ""
        lines.append(f"  {run.title}: planned {clock(run.planned_start)}–"
                     f"{clock(run.planned_end)}, actual {clock(run.actual_start)}–"
                     f"{clock(run.actual_end)} {_mmss(run.actual_length)}{over} · "
                     f"{seg.ended_by}")
    for change in ros.changes:
        amount = "" if change.kind == "next" else f" {_mmss(change.amount, sign=True)}"
        lines.append(f"  {clock(change.at)} {change.kind}{amount} by {change.by}"
                     + (f" during {change.segment}" if change.segment else ""))
    if ros.end is not None:
        lines.append(f"  ended {clock(ros.end)} ({ros.end_source})")
    return lines


def status_json(plan: LivePlan, ros: RunOfShow | None = None) -> dict[str, Any]:
    """What ``cues status --json`` prints."""
    summary = _delivery_summary(plan)
    unrecorded = _unrecorded(plan)
    for cue, _people in unrecorded:
        summary[cue.id] = ""
    return {
        "event": plan.agenda.slug,
        "now": plan.now.isoformat(),
        "state": plan.state,
        "actual_start": plan.live.actual_start.isoformat() if plan.live.actual_start
        else None,
        "ended_at": plan.live.ended_at.isoformat() if plan.live.ended_at else None,
        "adjustments": [{"kind": a.kind, "at": a.at.isoformat(),
                         "seconds": a.amount.total_seconds()} for a in plan.live.adjustments],
        "current_segment": plan.current_segment,
        "current_end": plan.current_end.isoformat() if plan.current_end else None,
        "next_segment": plan.next_segment,
        "run_of_show": ros.as_json() if ros is not None else None,
        "cues": [{**c.as_json(), "deliveries": summary.get(c.id, "")} for c in plan.cues],
        "channels": plan.per_channel(),
        "failures": [{"key": f.key, "status": f.status, "attempts": f.attempts,
                      "error": f.last_error} for f in plan.failures()],
        "cancelled": [{"key": c.key, "kind": c.kind, "due": c.due.isoformat(),
                       "channel": c.channel, "recipient": c.recipient,
                       "attempts": c.attempts, "reason": c.last_error}
                      for c in plan.cancelled()],
        "fell_back": [{"key": f.key, "kind": f.kind, "due": f.due.isoformat(),
                       "channel": f.channel, "recipient": f.recipient,
                       "reason": f.last_error} for f in plan.fell_back()],
        "unrecorded": [{"id": c.id, "kind": c.kind, "due": c.due.isoformat(),
                        "recipients": people} for c, people in unrecorded],
    }


@cues_app.command("status")
def status_cmd(
    event: Path = _EVENT,
    start_at: str | None = _START_AT,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
    language: str = _LANG,
) -> None:
    """The live plan, what was delivered on which channel, and failures."""
    from zoomorch.delivery.log import deliveries
    from zoomorch.live.plan import plan_under
    from zoomorch.live.record import from_record
    from zoomorch.live.state import aware_or_now, load_live_record

    agenda = _agenda(event, start_at)
    store = _store()
    # One read of the live state for the plan and the record: they tell the same story.
    record = load_live_record(store, agenda.slug)
    plan = plan_under(agenda, record.live, record.revision, deliveries(store, agenda.slug),
                      aware_or_now(None))
    ros = from_record(record, agenda, plan.now)
    summary = _delivery_summary(plan)
    unrecorded = _unrecorded(plan)
    for cue, _people in unrecorded:
        summary[cue.id] = "not recorded yet"
    if as_json:
        typer.echo(json.dumps(status_json(plan, ros), ensure_ascii=False, indent=2))
        return
    start = plan.live.actual_start
    typer.echo(f"{agenda.title}")
    typer.echo(f"actual start: {start.astimezone(agenda.zone):%H:%M:%S %Z}" if start
               else "actual start: not recorded (planning from the scheduled start)")
    if plan.live.ended_at is not None:
        typer.echo(f"ended: {plan.live.ended_at.astimezone(agenda.zone):%H:%M:%S %Z} "
                   "(cues from then on cancelled)")
    typer.echo(f"state: {plan.state}")
    if plan.current_segment:
        end = plan.current_end.astimezone(agenda.zone) if plan.current_end else None
        typer.echo(f"now: {plan.current_segment}" + (f" until {end:%H:%M:%S}" if end else ""))
    if plan.started or plan.live.ended_at is not None:
        for line in run_of_show_lines(ros):
            typer.echo(line)
    if ros.messages:
        for line in message_lines(ros, summary):
            typer.echo(line)
    typer.echo("")
    for line in _lines(plan.cues, agenda, language, summary):  # type: ignore[arg-type]
        typer.echo(line)
    typer.echo("\ndeliveries per channel:")
    for channel, counts in sorted(plan.per_channel().items()):
        typer.echo(f"  {channel}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    failures = plan.failures()
    typer.echo(f"\nfailures: {len(failures)}")
    for failure in failures[:50]:
        typer.echo(f"  {failure.key}: {failure.status} after {failure.attempts} attempt(s): "
                   f"{failure.last_error}")
    fell_back = plan.fell_back()
    if fell_back:
        # One line per person and channel: the reason is the same for each of their cues.
        by_person: dict[tuple[str, str], list[str]] = {}
        for row in fell_back:
            by_person.setdefault((row.recipient, row.channel), []).append(row.last_error or "")
        typer.echo(f"\nfell back to another channel: {len(fell_back)} deliveries, "
                   f"{len(by_person)} people")
        for (recipient, channel), reasons in sorted(by_person.items()):
            typer.echo(f"  {recipient} on {channel} ({len(reasons)} cues): {reasons[-1]}")
    if unrecorded:
        typer.echo(f"\ndue with no delivery recorded yet: {len(unrecorded)} cue(s), "
                   f"{sum(p for _, p in unrecorded)} person-cues (the service was not running "
                   "when they fell due, or no channel of theirs is on; a start sends them "
                   "late within cues.late_grace, else records them missed)")
        for cue, people in unrecorded[:50]:
            typer.echo(f"  {cue.due.astimezone(agenda.zone):%H:%M:%S} {cue.kind} → "
                       f"{people} people")
    cancelled = plan.cancelled()
    if cancelled:
        # Their cues left the plan, so the cue list above no longer shows them.
        typer.echo(f"\ncancelled before delivery (cue planned away): {len(cancelled)}")
        for row in cancelled[:50]:
            due = row.due.astimezone(agenda.zone)
            typer.echo(f"  {due:%H:%M:%S} {row.kind} → {row.recipient} on {row.channel}: "
                       f"cancelled after {row.attempts} attempt(s): {row.last_error}")


@cues_app.command("run")
def run_cmd(
    event: Path = _EVENT,
    start_at: str | None = _START_AT,
    speed: float = _SPEED,
    advance: str | None = typer.Option(
        None, "--advance",
        help="manual: segments change on `cues next`; auto: on time (default: cues.advance)."),
    end_at_hard_stop: bool | None = typer.Option(
        None, "--end-at-hard-stop/--no-end-at-hard-stop",
        help="End the webinar in Zoom at the hard stop (default: the file's)."),
    console: bool | None = typer.Option(
        None, "--console/--no-console", help="Print cues here (default: the file's)."),
    zoom_chat: bool | None = typer.Option(
        None, "--zoom-chat/--no-zoom-chat",
        help="Send cues as Zoom Team Chat messages (default: the file's)."),
    webhook: list[str] = typer.Option(
        [], "--webhook", help="POST cues to this URL instead of the file's webhook."),
    env_file: Path | None = typer.Option(None, "--env-file", help="A .env file with ZOOM_*."),
) -> None:
    """Run the cue scheduler in the foreground until Ctrl-C, on the channels named in the
    event file's notifications section (the cue board needs `zoomorch serve`)."""
    from zoomorch.notify.channels import ChannelOverrides
    from zoomorch.runtime import LiveOptions, SetupError, assemble

    if advance not in (None, "manual", "auto"):
        raise typer.BadParameter("use manual or auto", param_hint="--advance")
    spec = load_event_or_exit(event, start_at)
    options = LiveOptions(
        speed=speed, advance=advance,  # type: ignore[arg-type]
        end_at_hard_stop=end_at_hard_stop, env_file=env_file,
        channels=ChannelOverrides(console=console, zoom_chat=zoom_chat, webhooks=tuple(webhook)))
    try:
        runtime = assemble([(event, spec)], options)
    except SetupError as exc:
        raise exit_with("cues run", exc) from None
    agenda = runtime.agendas[spec.key]
    stop = threading.Event()

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _terminate)
    scheduler = runtime.scheduler()
    scheduler.start()
    typer.echo(f"# running the cues of {agenda.slug} (advance: {agenda.settings.advance}; "
               f"channels: {runtime.channel_names(agenda.slug)}); Ctrl-C stops (a restart resumes "
               "from the delivery log)",
               err=True)
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
