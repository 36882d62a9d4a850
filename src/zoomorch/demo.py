"""``zoomorch demo`` and ``zoomorch rehearse``: the whole life of an event, on the sandbox.

:func:`run_rehearsal` composes the real pieces, in process, on loopback:

1. the sandbox (Pro plan, rate limits on) whose clock runs *event time*, and the service
   (cue scheduler, signed-webhook receiver, cue board) whose cue plan runs on the same
   accelerated timeline (``CueAgenda.speed``: event time = start + (wall − start) × speed);
2. ``apply`` (webinar, ES/EN/FR interpretation, panelists) and the registrant sync;
3. the live event: the empty stretches of the pre-show are skipped (the event clock jumps to
   just before the next cue or the start: the sandbox's clock and every holder of the agenda
   together, :meth:`CueAgenda.skipping`); the sandbox's seeded attendance simulation starts
   the webinar a couple of minutes late; its signed ``webinar.started`` webhook reaches the
   service and re-anchors the cues; this module acts as the host (``next`` at the
   simulation's segment boundaries, with a deliberate overrun of the longest segment under
   manual advance; the end through the Zoom API at the hard stop);
4. the attendance report (HTML, XLSX, CSV) and a short summary next to the simulation's truth.

Everything is stopped on the way out, Ctrl-C included. The CLI (``zoomorch.cli.rehearsal``)
only parses.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from zoomorch.cues import Cue, CueAgenda, LiveState, agenda_from_event, plan_cues
from zoomorch.db.store import StateStore, open_store
from zoomorch.event import EventFileError, EventSpec, Role, language_name, load_event
from zoomorch.live.webhooks import AppliedEvent
from zoomorch.notify.base import CueMessage, Notifier
from zoomorch.outcome import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK
from zoomorch.outcome import EXIT_ZOOM as EXIT_FAILED  # 1: any failure of the run
from zoomorch.private_files import write_private_text

if TYPE_CHECKING:
    from zoomorch.live.record import RunOfShow
    from zoomorch.report.attendance import SegmentAttendance

SAMPLE_EVENT = "imrf-2022-latam.toml"
SAMPLE_REGISTRATIONS = "sample-registrations.csv"
DEFAULT_SPEED = 30.0  # rehearse: an hour of event in two minutes
DEMO_SPEED = 80.0  # the demo: an hour of event in 45 s (about 70 s in all, setup included)
PLACEHOLDER_DOMAINS = ("example.org", "example.com", "example.net")


DEMO_CHAT_CHANNEL = "imrf-side-event-cues"


class RehearsalError(RuntimeError):
    """The rehearsal cannot go on; the message says what went wrong and what to do."""


class _LateChatClient:
    """The Team Chat sender for the demo's channels: the service (and its notifiers) starts
    before the sandbox, which needs the service's webhook URL; the client is set then, and
    taken away before the sandbox stops (so deliveries still queued fail at once instead of
    retrying against a sandbox that is gone, which would hold up the shutdown)."""

    client: Any = None

    def close(self) -> None:
        self.client = None

    def send_chat_message(self, message: str, *, to_contact: str | None = None,
                          to_channel: str | None = None, user_id: str = "me") -> str:
        if self.client is None:
            raise RuntimeError("the demo's Zoom client is not available (starting or "
                               "stopping)")
        return str(self.client.send_chat_message(message, to_contact=to_contact,
                                                 to_channel=to_channel, user_id=user_id))


# --------------------------------------------------------------------------- bundled data


@contextlib.contextmanager
def bundled(name: str) -> Iterator[Path]:
    """A file shipped in ``zoomorch/data`` as a real path (works from a wheel too)."""
    parts = name.split("/")
    resource = resources.files("zoomorch").joinpath("data", *parts)
    with resources.as_file(resource) as path:
        yield path


# --------------------------------------------------------------------------- options, result


@dataclass(frozen=True)
class RehearsalOptions:
    """What to rehearse and how. ``event=None`` is the bundled seed event (the demo)."""

    event: Path | None = None
    registrations: Path | None = None
    use_sample_registrations: bool = True  # when ``registrations`` is None
    speed: float = DEFAULT_SPEED
    out_dir: Path | None = None
    state_dir: Path | None = None
    seed: int = 2022
    late_minutes: float = 2.0  # the host starts the webinar this late (event minutes)
    overrun_minutes: float = 1.5  # the longest segment runs this much over (manual advance)
    show_up_rate: float = 0.55
    walk_ins: int | None = None  # None: the model's share; a list-less rehearsal gets some
    setup_seconds: float | None = None  # real seconds for apply + sync; None: estimated
    show_timeline: bool = False  # print the cue timeline before the event (rehearse)
    checklist: bool = False  # print the rehearsal checklist (rehearse)
    rate_limits: bool = True
    # The demo's forum context on a strict account: someone on the list already registered
    # for three other side events today (Zoom defers them), and cues on Team Chat sent by the
    # technical host, which reach only their contacts and the event's channel.
    busy_registrant: bool = False
    team_chat: bool = False


@dataclass
class RehearsalResult:
    """What happened, for the summary, the tests and ``demo-summary.json``."""

    event_key: str
    webinar_id: int
    out_dir: Path
    files: list[Path]
    registered: int
    attended: int
    peak: int
    peak_at: datetime | None
    best_segment: str | None
    best_segment_share: float | None
    truth_attendees: int
    sync_adds_up: bool
    rejected_rows: int
    deferred_rows: int
    cues_delivered: int
    cues_printed: int
    host_actions: list[str] = field(default_factory=list)
    host_log: list[dict[str, str]] = field(default_factory=list)  # {action, at}: start/next/end
    actual_start: datetime | None = None
    ended_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)
    chat_fell_back: int = 0  # Team Chat deliveries that fell back (not the sender's contacts)
    run_of_show: list[dict[str, Any]] = field(default_factory=list)
    # Per held segment: the report's audience over its recorded boundaries beside the
    # simulation's truth counted over the same boundaries.
    segments_vs_truth: list[dict[str, Any]] = field(default_factory=list)
    run_of_show_basis: str = ""

    def as_json(self) -> dict[str, Any]:
        def iso(at: datetime | None) -> str | None:
            return at.isoformat() if at else None

        return {"event": self.event_key, "webinar_id": self.webinar_id,
                "out_dir": str(self.out_dir), "files": [str(p) for p in self.files],
                "registered": self.registered, "attended": self.attended, "peak": self.peak,
                "peak_at": iso(self.peak_at), "best_segment": self.best_segment,
                "best_segment_share": self.best_segment_share,
                "truth_attendees": self.truth_attendees, "sync_adds_up": self.sync_adds_up,
                "rejected_rows": self.rejected_rows, "deferred_rows": self.deferred_rows,
                "chat_fell_back": self.chat_fell_back, "cues_delivered": self.cues_delivered,
                "cues_printed": self.cues_printed, "host_actions": self.host_actions,
                "host_log": self.host_log, "segments_vs_truth": self.segments_vs_truth,
                "actual_start": iso(self.actual_start), "ended_at": iso(self.ended_at),
                "run_of_show": self.run_of_show, "run_of_show_basis": self.run_of_show_basis,
                "warnings": self.warnings}


# --------------------------------------------------------------------------- the timeline


def rehearsal_start(spec: EventSpec, speed: float, setup_seconds: float,
                    now: datetime | None = None) -> tuple[datetime, datetime]:
    """When the re-dated event starts: ``(wall instant, event start)``. The wall instant
    comes after the setup, far enough ahead that the tech-check cue is still to come; the
    event start is the next whole minute (real events start on the minute, so the cue texts
    read 01:32, not 01:31:31). The agenda's ``origin`` ties the two together: at the wall
    instant the event clock shows the event start."""
    now = now or datetime.now(UTC)
    lead = (spec.cues.tech_check_before + timedelta(seconds=30)) / speed
    wall = (now + timedelta(seconds=setup_seconds) + lead).replace(microsecond=0)
    whole = wall.replace(second=0)
    return wall, whole if whole == wall else whole + timedelta(minutes=1)


# A skip lands this long (or up to a minute more: skips are whole minutes) before the next
# thing of the pre-show, whose cue then goes out at its time, not rushed by the jump.
PRESHOW_LEAD = timedelta(seconds=30)


def preshow_skip(now: datetime, upcoming: Sequence[datetime],
                 lead: timedelta = PRESHOW_LEAD) -> timedelta:
    """How far the event clock may jump at ``now`` (event time) when nothing happens before
    the earliest of ``upcoming`` (event times: the next cue, the start): whole minutes, landing
    between ``lead`` and ``lead`` + 1 min before it; zero when that is less than a minute."""
    if not upcoming:
        return timedelta(0)
    room = min(upcoming) - lead - now
    return timedelta(minutes=max(0, int(room.total_seconds() // 60)))


def preshow_real_seconds(agenda: CueAgenda, lead: timedelta = PRESHOW_LEAD) -> float:
    """At most how many real seconds the pre-show takes once its empty stretches are skipped,
    from the end of the setup to the scheduled start: the wait before each pre-show cue and
    before the start is at most ``lead`` + 1 min of event time (skips are whole minutes)."""
    moments = sorted({agenda.to_event_time(c.due) for c in plan_cues(agenda)
                      if c.due < agenda.real_start and not c.projected}
                     | {agenda.scheduled_start})
    most = lead + timedelta(minutes=1)
    event = most  # from the end of the setup to the first cue
    for before, after in pairwise(moments):
        event += min(after - before, most)
    return event.total_seconds() / agenda.speed


def setup_estimate(registrations: Path | None) -> float:
    """Real seconds apply and the registrant sync take under Pro's rate limits: people with
    answers are added one call each (Zoom's batch endpoint takes names only), about 30 a
    second, then approved 30 a call."""
    rows = 0
    if registrations is not None and registrations.is_file():
        with registrations.open("rb") as fh:
            rows = max(0, sum(1 for _ in fh) - 1)
    return 2.0 + rows / 28


def simulated_segments(spec: EventSpec, overrun: timedelta,
                       late: timedelta = timedelta(0)) -> tuple[list[dict[str, Any]], int | None]:
    """The agenda as it will really run: the longest segment over by ``overrun`` (if there
    is more than one segment), and the last one carrying on well past the hard stop, so the
    host's end at the hard stop is what ends it. Returns the segments and the overrunning
    index."""
    placed = spec.schedule()
    longest = max(range(len(placed)), key=lambda i: placed[i].end - placed[i].start) \
        if len(placed) > 1 and overrun > timedelta(0) else None
    out = []
    for i, seg in enumerate(placed):
        minutes = (seg.end - seg.start).total_seconds() / 60
        if i == longest:
            minutes += overrun.total_seconds() / 60
        if i == len(placed) - 1:
            minutes += (late + overrun).total_seconds() / 60 + 5
        out.append({"title": seg.title[:200], "minutes": round(minutes, 3)})
    return out, longest


# --------------------------------------------------------------------------- console pieces


def _clock(at: datetime, agenda: CueAgenda) -> str:
    return f"{at.astimezone(agenda.zone):%H:%M:%S}"


def _booth(pair: str) -> str:
    """Zoom's ``"US,ES"`` as people say it: ``ES⇄EN``."""
    shown = {"US": "EN"}
    return "⇄".join(sorted(shown.get(c.strip(), c.strip()) for c in pair.split(",")))


def _mmss(seconds: float) -> str:
    whole = round(abs(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


class CueLines(Notifier):
    """The demo's console channel: each cue once per language, in event time, with who gets
    it (the scheduler still records one delivery per person)."""

    name = "console"

    def __init__(self, console: Console, agenda: CueAgenda) -> None:
        self.console = console
        self.agenda = agenda
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self.printed = 0

    def deliver(self, message: CueMessage) -> None:
        cue_id = message.extra.get("cue_id", message.key)
        language = message.extra.get("language", "en")
        with self._lock:
            if (cue_id, language) in self._seen:
                return
            self._seen.add((cue_id, language))
            self.printed += 1
        audience = set(message.extra.get("audience", "").split(","))
        names = [r.name for r in self.agenda.recipients
                 if r.language == language and r.audiences & audience]
        who = ", ".join(names[:2]) + (f" +{len(names) - 2}" if len(names) > 2 else "")
        at = self.agenda.to_event_time(message.due)
        style = {"warning": "yellow", "time_up": "bold red", "overrun": "bold white on red",
                 "not_started": "bold yellow", "behind": "bold yellow",
                 "hard_stop": "bold white on red", "segment_start": "bold green",
                 "event_start": "bold green", "handover": "magenta"}.get(message.kind, "cyan")
        late = " [dim](late)[/dim]" if message.late else ""
        self.console.print(
            f"[dim]{_clock(at, self.agenda)}[/dim] cue [{style}]{escape(message.kind)}[/{style}]"
            f" → {escape(who or message.recipient_name)} [dim]({language})[/dim]: "
            f"{escape(message.text)}{late}", soft_wrap=True, highlight=False)


def webhook_announcer(agenda: CueAgenda | Callable[[], CueAgenda],
                      say: Callable[[str], None]) -> Callable[[AppliedEvent], None]:
    """A listener for the service's webhook processor: tells the operator, once per kind, that
    Zoom's signed ``webinar.started`` / ``webinar.ended`` arrived (the service applies them
    through its normal path, reading the sandbox's event times on the agenda's timeline).
    ``agenda`` may be a callable giving the agenda in force (one whose clock has jumped)."""
    seen: set[str] = set()
    current = agenda

    def announce(applied: AppliedEvent) -> None:
        agenda = current() if callable(current) else current
        if applied.slug != agenda.slug or applied.event in seen:
            return
        seen.add(applied.event)
        moment = applied.stamped or agenda.to_event_time(applied.at)
        what = ("actual start; the cues follow it" if applied.event == "webinar.started"
                else "the end; the remaining cues are cancelled")
        say(f"[dim]{_clock(moment, agenda)}[/dim] Zoom → service: signed "
            f"[bold]{applied.event}[/bold] webhook verified — {what}")

    return announce


# --------------------------------------------------------------------------- checklist


def rehearsal_checklist(spec: EventSpec, registrations: Path | None) -> list[str]:
    """What a host should look at before the real day (the file itself is valid)."""
    notes: list[str] = []
    for person in spec.tbc_people():
        notes.append(f"{person.name}: TBC — not invited to Zoom until tbc = false and an "
                     "email is set")
    for person in spec.people:
        if person.email is None and not person.tbc and (
                person.has(Role.PANELIST) or person.has(Role.INTERPRETER)
                or person.has(Role.MODERATOR)):
            notes.append(f"{person.name}: no email — cannot be invited or sent cues by chat "
                         "or email")
    placeholders = [p for p in spec.people
                    if p.email and p.email.rsplit("@", 1)[-1] in PLACEHOLDER_DOMAINS]
    if placeholders:
        notes.append(f"{len(placeholders)} people have placeholder emails (example.org/com/net):"
                     " replace them before a real apply")
        if spec.notifications.zoom_chat:
            notes.append("notifications.zoom_chat is on while emails are placeholders: the "
                         "chat messages would go nowhere")
    total = sum(s.minutes for s in spec.agenda)
    if total < spec.webinar.duration_minutes:
        notes.append(f"the agenda fills {total} of {spec.webinar.duration_minutes} minutes: "
                     "the last minutes have no segment")
    if not spec.notifications.enabled():
        notes.append("[notifications] turns every channel off: nobody receives cues")
    if not spec.cues.end_webinar_at_hard_stop:
        notes.append("cues.end_webinar_at_hard_stop = false: a person ends the webinar at the "
                     "hard stop (the rehearsal's host does)")
    if spec.interpretation is None:
        notes.append("no [interpretation]: the webinar has no language channels")
    if registrations is None:
        notes.append("no registration list: the mock audience is walk-ins only "
                     "(give --registrations CSV)")
    return notes


def cue_timeline(agenda: CueAgenda, live: LiveState | None = None) -> Table:
    """The cue plan as a table, in event time (overrun runs folded to their first cue)."""
    table = Table(title="Cue timeline (event time; manual advance projects later segments)",
                  title_justify="left")
    for name in ("time", "T", "cue", "to", "text (en)"):
        table.add_column(name, overflow="fold")
    folded: set[int | None] = set()
    for cue in plan_cues(agenda, live):
        if cue.kind == "overrun":
            if cue.segment_index in folded:
                continue
            folded.add(cue.segment_index)
        at = agenda.to_event_time(cue.due)
        offset = (at - agenda.scheduled_start).total_seconds()
        sign = "−" if offset < 0 else "+"
        text = cue.text["en"] + (" (repeats each minute until `next`)"
                                 if cue.kind == "overrun" else "")
        table.add_row(_clock(at, agenda)[:5], f"T{sign}{_mmss(offset)}", cue.kind,
                      "/".join(cue.audience)[:28], text + (" ·projected" if cue.projected
                                                           else ""))
    return table


# --------------------------------------------------------------------------- the run


class _Stack(contextlib.ExitStack):
    """Cleanup that a second Ctrl-C cannot interrupt halfway."""

    def __exit__(self, *exc: Any) -> Literal[False]:
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            super().__exit__(*exc)  # our callbacks never swallow an exception
            return False
        finally:
            if main and previous is not None:
                signal.signal(signal.SIGINT, previous)


def run_rehearsal(options: RehearsalOptions, console: Console | None = None) -> RehearsalResult:
    """Run one event end to end on an in-process sandbox; see the module docstring.

    Raises :class:`EventFileError` for an invalid event file, :class:`RehearsalError` when a
    step fails, ``KeyboardInterrupt`` after a clean shutdown when interrupted.
    """
    out = console or Console(highlight=False, soft_wrap=True)
    with _Stack() as stack:
        event_path = options.event or stack.enter_context(bundled(f"events/{SAMPLE_EVENT}"))
        registrations = options.registrations
        if registrations is None and options.use_sample_registrations:
            registrations = stack.enter_context(bundled(SAMPLE_REGISTRATIONS))
        spec = load_event(event_path)
        if options.checklist:
            _print_checklist(out, spec, registrations)
        return _Rehearsal(options, spec, registrations, out, stack).run()


def _print_checklist(out: Console, spec: EventSpec, registrations: Path | None) -> None:
    out.print(f"[green]✓[/green] {spec.key}: the event file is valid")
    for note in rehearsal_checklist(spec, registrations):
        out.print(f"[yellow]![/yellow] {escape(note)}")


class _Rehearsal:
    """One run; every part it starts is registered on ``stack`` to be stopped."""

    def __init__(self, options: RehearsalOptions, spec: EventSpec, registrations: Path | None,
                 out: Console, stack: contextlib.ExitStack) -> None:
        self.o = options
        self.out = out
        self.stack = stack
        self.registrations = registrations
        setup = options.setup_seconds
        if setup is None:
            # Room for a slow setup on a busy machine: what is left is skipped with the
            # rest of the empty pre-show.
            setup = setup_estimate(registrations) * 1.5 + 5
        self.wall_start, self.start = rehearsal_start(spec, options.speed, setup)
        self.spec = spec.with_start(self.start)
        self.agenda = replace(agenda_from_event(self.spec, speed=options.speed),
                              origin=self.wall_start)
        self.slug = self.spec.key
        self.host_actions: list[str] = []
        self.host_log: list[dict[str, str]] = []
        self.warnings: list[str] = []
        self.chat = _LateChatClient()
        self.chat_fell_back = 0
        host = next(iter(self.spec.with_role(Role.HOST)), None)
        self.chat_sender = (host.email if host is not None and host.email
                            else "host@example.org")
        self.clock: Any = None  # the sandbox's clock (event time), once it runs

    # -- helpers ----------------------------------------------------------------------------

    def event_now(self) -> datetime:
        return self.agenda.to_event_time(datetime.now(UTC))

    def step(self, text: str) -> None:
        self.out.print(f"[bold cyan]›[/bold cyan] {text}")

    def host(self, text: str, at: datetime, action: str = "") -> None:
        """Say what the rehearsal's host does at ``at`` (event time); ``action`` (start,
        next, end) is kept with its moment for the summary's ``host_log``."""
        self.host_actions.append(text)
        if action:
            self.host_log.append({"action": action, "at": at.astimezone(self.agenda.zone)
                                  .isoformat()})
        self.out.print(f"[dim]{_clock(at, self.agenda)}[/dim] [bold]host[/bold]: {escape(text)}")

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> RehearsalResult:
        from zoomorch.sandbox import Sandbox, SandboxClock

        o, out = self.o, self.out
        out.rule(f"[bold]{escape(self.spec.webinar.title[:70])}[/bold]")
        zone = self.agenda.zone
        out.print(f"Rehearsal of [bold]{self.slug}[/bold] at {o.speed:g}× "
                  f"(an hour of event in {_mmss(3600 / o.speed)} min): re-dated to start "
                  f"{self.start.astimezone(zone):%Y-%m-%d %H:%M %Z}; the clock skips the "
                  "empty stretches of the pre-show")
        state_dir = o.state_dir or Path(self.stack.enter_context(
            tempfile.TemporaryDirectory(prefix="zoomorch-demo-")))
        state_dir.mkdir(parents=True, exist_ok=True)
        out_dir = o.out_dir or Path("zoomorch-demo")
        out_dir.mkdir(parents=True, exist_ok=True)

        # Every module with tables, before open_store creates them.

        store = open_store(f"sqlite:///{state_dir / 'zoomorch.sqlite3'}")
        self.stack.callback(store.close)
        self.step(f"state: {state_dir / 'zoomorch.sqlite3'}")

        # The service first: the sandbox must know where to send its webhooks.
        ctx, service, cue_lines = self._start_service(store)
        webhook_secret = ctx.webhook_secret or ""
        clock = self.clock = SandboxClock(speed=o.speed, start=self.event_now())
        sandbox = Sandbox(account_id="demo-account", client_id="demo-client",
                          client_secret=secrets.token_urlsafe(24), plan="pro",
                          webhook_url=f"{service.base_url}/zoom/webhook",
                          webhook_secret=webhook_secret, rate_limits=o.rate_limits,
                          clock=clock)
        sandbox.start()
        self.stack.callback(sandbox.stop)
        self.step(f"sandbox: {sandbox.origin} (Zoom API at {sandbox.base_url}; plan pro, rate "
                  f"limits {'on' if o.rate_limits else 'off'}; clock at {o.speed:g}× event time)")
        client = self._client(sandbox)
        self.stack.callback(client.close)
        if ctx.scheduler is not None:
            ctx.scheduler.zoom = client  # enforcement the event file may opt into
        if self.o.team_chat:
            # Its own client without transport retries: the scheduler retries deliveries
            # itself, and a stopping demo must not wait on calls to a sandbox that is gone.
            from zoomorch.zoom import RetryPolicy

            chat_client = self._client(sandbox, retry=RetryPolicy(attempts=1))
            self.stack.callback(chat_client.close)
            self.chat.client = chat_client
            self.stack.callback(self.chat.close)
        if self.o.team_chat:
            self._team_chat_account(sandbox)

        webinar_id = self._apply(client, store)
        if self.o.busy_registrant:
            self._busy_registrant(client)
        sync = self._sync(client, store, out_dir)
        if o.show_timeline:
            out.print(cue_timeline(self.agenda))
        board = service.board_url(self.slug, "controller")
        out.print(f"[bold]cue board[/bold] (controller link, works while this runs): {board}")
        sim, ended_at = self._live(sandbox, client, store, ctx, webinar_id, cue_lines)
        if self.o.team_chat:
            self._team_chat_summary(store, sandbox)
        return self._report(client, store, out_dir, webinar_id, sim, sync, cue_lines,
                            ended_at)

    # -- setup ------------------------------------------------------------------------------

    def _start_service(self, store: StateStore) -> tuple[Any, Any, CueLines]:
        from zoomorch.board.tokens import BoardTokens
        from zoomorch.runtime import LiveOptions, assemble
        from zoomorch.service.app import RunningService

        cue_lines = CueLines(self.out, self.agenda)
        notifiers: list[Any] = [cue_lines] if self.spec.notifications.console else []
        if self.o.team_chat:
            from zoomorch.notify.zoom_chat import ZoomChatChannelNotifier, ZoomChatNotifier

            sender = self.chat_sender
            notifiers += [ZoomChatNotifier(self.chat, sender=sender),
                          ZoomChatChannelNotifier(self.chat, sender=sender,
                                                  channel=DEMO_CHAT_CHANNEL)]
        # The rehearsal's own channels (its console lines, Team Chat through its client) and
        # agenda (tied to the sandbox's clock); the cue board is added as for any served event.
        runtime = assemble([(self.slug, self.spec)], LiveOptions(speed=self.o.speed, board=True),
                           store=store, channels={self.slug: notifiers},
                           agendas={self.slug: self.agenda})
        ctx = runtime.service_context(BoardTokens(secrets.token_urlsafe(48)),
                                      webhook_secret=secrets.token_urlsafe(24))
        assert ctx.events is not None
        ctx.events.add_listener(webhook_announcer(
            lambda: self.agenda, lambda text: self.out.print(text, soft_wrap=True)))
        service = RunningService(ctx).start()
        self.stack.callback(service.stop)
        self.step(f"service: {service.base_url} (cue scheduler, signed Zoom webhooks, cue "
                  f"board; channels: {runtime.channel_names(self.slug)})")
        return ctx, service, cue_lines

    @staticmethod
    def _client(sandbox: Any, **options: Any) -> Any:
        from zoomorch.zoom import ZoomClient
        from zoomorch.zoom.config import load_settings

        return ZoomClient(load_settings(environ=sandbox.env()).credentials, plan="pro",
                          **options)

    def _apply(self, client: Any, store: StateStore) -> int:
        from zoomorch.plan_view import render_plan
        from zoomorch.provision import apply

        self.step("plan + apply: the webinar as the event file describes it")
        result = apply(self.spec, client, store)
        render_plan(result.plan, self.out)
        webinar = client.get_webinar(result.webinar_id)
        self.out.print(f"  webinar id [bold]{result.webinar_id}[/bold] · join URL "
                       f"{webinar.join_url or '—'}")
        interpretation = webinar.settings.language_interpretation if webinar.settings else None
        if interpretation is not None and interpretation.enable:
            booths: dict[str, list[str]] = {}
            for interpreter in interpretation.interpreters:
                pair = interpreter.languages or interpreter.interpreter_languages or "?"
                booths.setdefault(pair, []).append(interpreter.email)
            names = [language_name(c) for c in self.spec.interpretation.languages] \
                if self.spec.interpretation else []
            self.out.print(f"  interpretation on: {', '.join(names)} — " + "; ".join(
                f"{_booth(pair)} booth: {len(emails)} interpreters"
                for pair, emails in booths.items()))
        else:
            self.out.print("  interpretation: off")
        panelists = client.list_panelists(result.webinar_id)
        self.out.print(f"  {len(panelists)} panelists invited in Zoom (interpreters included)")
        return int(result.webinar_id)

    def _team_chat_account(self, sandbox: Any) -> None:
        """The sandbox account as the forum's would be: the technical host is the sending
        user; the moderator and the speakers are of other organisations (not contacts); the
        event's Team Chat channel holds the hosts and the moderators."""
        members = [p.email for p in self.spec.people
                   if p.email and (p.has(Role.HOST) or p.has(Role.ALTERNATIVE_HOST)
                                   or p.has(Role.MODERATOR))]
        sandbox.store.put_user(self.chat_sender)
        sandbox.store.put_channel(DEMO_CHAT_CHANNEL, f"{self.spec.webinar.title[:60]} — cues",
                                  [self.chat_sender, *members])
        self.step(f"Team Chat: cues sent as {self.chat_sender} to each person (Zoom delivers "
                  f"to the sender's contacts only) and to the channel #{DEMO_CHAT_CHANNEL} "
                  f"({len(members)} members, other organisations included)")

    def _team_chat_summary(self, store: StateStore, sandbox: Any) -> None:
        from zoomorch.delivery.log import DeliveryStatus, deliveries

        rows = deliveries(store, self.slug)
        chat = [d for d in rows if d.channel == "zoom_chat"]
        channel = [d for d in rows if d.channel == "zoom_chat_channel"]
        fell = [d for d in chat if d.status == DeliveryStatus.FELL_BACK]
        self.chat_fell_back = len(fell)
        names = {r.id: r.name for r in self.agenda.recipients}
        who = sorted({names.get(d.recipient, d.recipient) for d in fell})
        reached = sum(1 for d in chat if d.status == DeliveryStatus.DELIVERED)
        posted = sum(1 for d in channel if d.status == DeliveryStatus.DELIVERED)
        self.step(f"Team Chat (as {self.chat_sender}): {posted} cues posted to "
                  f"#{DEMO_CHAT_CHANNEL}; to people: {reached} delivered, {len(fell)} fell "
                  f"back to the cue board ({len(who)} people not in the sender's contacts)")
        if who:
            shown = ", ".join(who[:4]) + (f" +{len(who) - 4}" if len(who) > 4 else "")
            self.out.print(f"  fell back: {escape(shown)} — other organisations, not in "
                           f"{escape(self.chat_sender)}'s Team Chat contacts; the board "
                           "showed them every cue")
        messages = len(sandbox.store.chat_messages)
        self.out.print(f"  Zoom accepted {messages} Team Chat messages "
                       "(`zoomorch cues status` lists every fallback with its reason)")

    def _busy_registrant(self, client: Any) -> None:
        """One person on the list already registered for three other side events of the
        forum today, on the same Zoom account: Zoom's per-person rule will defer them."""
        from zoomorch.registrants.command import load_list

        if self.registrations is None:
            return
        people = load_list(self.spec, self.registrations)[0].registrations
        if len(people) < 12:
            return
        person = people[11]
        for n in range(1, 4):
            other = client.create_webinar({
                "topic": f"IMRF 2022 side event {n} (another organiser)", "type": 5,
                "duration": 60, "settings": {"approval_type": 0}})
            client.add_registrant(other.id, {"email": person.email,
                                             "first_name": person.first_name or "Guest"})
        self.step(f"forum: {person.email} (row {person.row}) registered today for 3 other "
                  "side events on this Zoom account; Zoom allows 3 registrations of a person "
                  "a day")

    def _sync(self, client: Any, store: StateStore, out_dir: Path) -> Any:
        from zoomorch.registrants.command import RichProgress, sync_event_registrants
        from zoomorch.registrants.sync import SyncAborted

        if self.registrations is None:
            self.step("registrants: no list given; skipped")
            return None
        self.step(f"registrants sync: {self.registrations.name}")
        try:
            with RichProgress(self.out) as bar:
                report, files = sync_event_registrants(
                    self.spec, self.registrations, client, store,
                    out_dir=out_dir / "registrants", progress=bar)
        except SyncAborted as exc:
            raise RehearsalError(f"the registrant sync stopped: {exc}") from None
        source = report.source
        self.out.print(f"  {source.data_rows} rows read ({source.encoding})")
        for rejection in sorted(report.rejections, key=lambda r: r.row):
            self.out.print(f"  [yellow]rejected row {rejection.row}[/yellow]: "
                           f"{escape(rejection.reason)}")
        for merge in source.merges:
            self.out.print(f"  [yellow]merged[/yellow]: {escape(merge.message)}")
        for deferral in report.deferrals:
            self.out.print(f"  [yellow]deferred row {deferral.registration.row}[/yellow]: "
                           f"{escape(deferral.registration.email)}: "
                           f"{escape(deferral.describe())}")
        counts = report.counts
        mark = "[green]counts add up[/green]" if counts.adds_up else \
            "[red]counts do NOT add up[/red]"
        self.out.print("  " + escape(counts.summary()).replace("\n", "\n  ") + f"\n  {mark}")
        if files.registrants is not None:
            self.out.print(f"  wrote {files.registrants} and {files.rejects}")
        return report

    # -- the live event ---------------------------------------------------------------------

    def _live(self, sandbox: Any, client: Any, store: StateStore, ctx: Any,
              webinar_id: int, cue_lines: CueLines) -> tuple[Any, datetime | None]:
        from zoomorch.cues import current_segment
        from zoomorch.live.state import LiveSource, load_live, next_segment

        o = self.o
        manual = self.agenda.settings.advance == "manual"
        overrun = timedelta(minutes=o.overrun_minutes) if manual else timedelta(0)
        late = timedelta(minutes=o.late_minutes)
        segments, overrunning = simulated_segments(self.spec, overrun, late)
        start_at = self.spec.webinar.start_utc + late  # event time
        walk_ins = o.walk_ins
        if walk_ins is None and self.registrations is None:
            walk_ins = 40
        sim: Any = None
        boundaries: list[tuple[datetime, int]] = []  # (event time, index of the next segment)
        ended = False
        self.step("live: the event in accelerated time (cues, attendance, host actions)")

        def refresh() -> None:
            with contextlib.suppress(Exception):
                ctx.changed(self.slug)

        def agenda_line(live_state: LiveState) -> Text:
            now_real = datetime.now(UTC)
            now = self.agenda.to_event_time(now_real)
            index, _seg_start, seg_end = current_segment(self.agenda, live_state, now_real)
            in_room = _in_room(sim, now)
            line = Text()
            line.append(f"{_clock(now, self.agenda)} ", style="dim")
            if ended or live_state.ended_at is not None:
                line.append("ended", style="bold")
            elif index is None:
                target = self.spec.webinar.start_utc if sim is None else now
                left = (target - now).total_seconds()
                if sim is None and left < 0:
                    line.append("not started", style="bold yellow")
                    line.append(f" · +{_mmss(left)} late")
                else:
                    line.append("before the start" if sim is None else "between segments",
                                style="bold")
                    if sim is None:
                        line.append(f" · scheduled start in {_mmss(left)}")
            else:
                assert seg_end is not None
                left = (self.agenda.to_event_time(seg_end) - now).total_seconds()
                line.append(f"▶ {self.agenda.segments[index].title}", style="bold green")
                if left >= 0:
                    line.append(f" · {_mmss(left)} left")
                else:
                    line.append(f" · +{_mmss(left)} over", style="bold red")
            line.append(f" · {in_room} in the room")
            return line

        with Live(Text(""), console=self.out, refresh_per_second=8, transient=True) as live:
            while True:
                live_state = load_live(store, self.slug)
                live.update(agenda_line(live_state))
                now = self.event_now()
                if sim is None and now >= start_at:
                    sim = sandbox.simulate(
                        webinar_id, seed=o.seed, late_minutes=0.0,
                        show_up_rate=o.show_up_rate, segments=segments,
                        **({"walk_ins": walk_ins} if walk_ins is not None else {}))
                    boundaries = [(s.end, i + 1) for i, s in
                                  enumerate(sim.plan.segments[:-1])] if manual else []
                    self.host(f"starts the webinar, {o.late_minutes:g} min late "
                              f"({len([p for p in sim.plan.people if p.role == 'attendee'])} "
                              "attendees will come and go)", now, "start")
                    continue
                if sim is not None and boundaries and now >= boundaries[0][0]:
                    _, nxt = boundaries.pop(0)
                    ran = sim.plan.segments[nxt - 1]
                    over = (ran.end - ran.start) - (self.agenda.segments[nxt - 1].duration)
                    note = (f"; {self.agenda.segments[nxt - 1].title} ran "
                            f"{_mmss(over.total_seconds())} over") if nxt - 1 == overrunning \
                        and over > timedelta(0) else ""
                    self.host(f"`next` → {self.agenda.segments[nxt].title}{note} "
                              f"({_in_room(sim, now)} in the room)", now, "next")
                    # At the moment the host line shows: the record and the story agree.
                    next_segment(store, self.slug, self.agenda.to_real_time(now),
                                 agenda=self.agenda, by=LiveSource.REHEARSAL)
                    refresh()
                    continue
                if sim is not None and not ended:
                    stop = _hard_stop(self.agenda, live_state)
                    if stop is not None and datetime.now(UTC) >= stop and (
                            _delivered(store, self.slug, "hard_stop")
                            or datetime.now(UTC) >= stop + timedelta(seconds=min(1, 20 / o.speed))):
                        if not sim.done:
                            self.host("hard stop: ends the webinar through the Zoom API "
                                      f"({_in_room(sim, now)} still in the room)", now, "end")
                            client.end_webinar(webinar_id)
                        ended = True
                        continue
                    if sim.done:  # the simulation's own end came first
                        ended = True
                        continue
                if ended:
                    break
                if sim is None and self._skip_preshow(store, ctx, cue_lines, live_state,
                                                      start_at):
                    continue
                time.sleep(self._pause(now, start_at, boundaries, live_state, sim))
        if sim is not None and not sim.wait(timeout=10):
            self.warnings.append("the simulation did not finish within 10 s of the end")
        sandbox.wait_webhooks(timeout=5)
        if ctx.events is not None:
            ctx.events.drain(timeout=5)
        live_state = load_live(store, self.slug)
        if live_state.ended_at is None:
            self.warnings.append("no webinar.ended webhook reached the service")
        return sim, live_state.ended_at

    def _skip_preshow(self, store: StateStore, ctx: Any, cue_lines: CueLines,
                      live_state: LiveState, start_at: datetime) -> bool:
        """Jump the event clock over an empty stretch of the pre-show, if this is one: no
        start, adjustment or end recorded, every cue due so far out, and at least a minute
        of event time before the next cue or the start. Everything that reads the event
        clock jumps together: the sandbox's clock, and the agenda of the scheduler, the
        service (its reading of Zoom's webhook times, the board), the console and this host.
        Cues already out keep their times; the ones to come fire at their event time."""
        from zoomorch.delivery.log import FINAL, deliveries

        if (live_state.actual_start is not None or live_state.adjustments
                or live_state.ended_at is not None or self.clock is None):
            return False
        wall = datetime.now(UTC)
        now = self.agenda.to_event_time(wall)
        cues = [c for c in plan_cues(self.agenda, live_state) if not c.projected]
        ahead = [c for c in cues if c.due > wall]
        nxt = min([*(self.agenda.to_event_time(c.due) for c in ahead), start_at,
                   self.agenda.scheduled_start])
        gap = preshow_skip(now, [nxt])
        if gap <= timedelta(0):
            return False
        # Every cue due so far is out: its job has fired, a beat ago, and each of its
        # deliveries is settled (the jump would not change them, but the story reads in order).
        due = {c.id for c in cues if c.due <= wall}
        if any(c.due > wall - timedelta(seconds=0.3) for c in cues if c.id in due):
            return False
        if ctx.scheduler is not None and due & set(ctx.scheduler.scheduled(self.slug)):
            return False
        if any(d.status not in FINAL for d in deliveries(store, self.slug) if d.cue_id in due):
            return False
        names = {"tech_check": "the tech check", "doors_open": "doors open"}
        what = next((names.get(c.kind, c.kind) for c in ahead if c.kind in names
                     and self.agenda.to_event_time(c.due) == nxt), "the start")
        at = datetime.now(UTC)
        jumped = self.agenda.skipping(at, gap)
        self.clock.advance(gap)
        self.agenda = cue_lines.agenda = ctx.agendas[self.slug] = jumped
        if ctx.scheduler is not None:
            ctx.scheduler.reschedule(jumped)
        with contextlib.suppress(Exception):
            ctx.hub.poke(self.slug)
        minutes = round(gap.total_seconds() / 60)
        self.out.print(f"[dim]{_clock(self.agenda.to_event_time(at) - gap, self.agenda)}[/dim] "
                       f"… skipping {minutes} min of pre-show (nothing happens until "
                       f"{what} at {_clock(nxt, self.agenda)[:5]})")
        return True

    def _pause(self, now: datetime, start_at: datetime,
               boundaries: Sequence[tuple[datetime, int]], live_state: LiveState,
               sim: Any) -> float:
        """Sleep until the next host action is due, at most a tenth of a second."""
        upcoming = [start_at] if sim is None else [b for b, _ in boundaries[:1]]
        stop = _hard_stop(self.agenda, live_state)
        if stop is not None:
            upcoming.append(self.agenda.to_event_time(stop))
        ahead = [(t - now).total_seconds() / self.o.speed for t in upcoming if t > now]
        return max(0.005, min([0.1, *ahead]))

    # -- the report -------------------------------------------------------------------------

    def _report(self, client: Any, store: StateStore, out_dir: Path, webinar_id: int,
                sim: Any, sync: Any, cue_lines: CueLines,
                ended_at: datetime | None) -> RehearsalResult:
        from zoomorch.delivery.log import DeliveryStatus, deliveries
        from zoomorch.live.state import load_live
        from zoomorch.report.run import make_report

        self.step("report: attendance per person and per segment, absentees, Q&A, polls")
        # The agenda carries the rehearsal's clock: the live record reads in event time.
        outcome = make_report(self.spec, store, client, out_dir=out_dir / "report",
                              agenda=self.agenda)
        for warning in outcome.warnings:
            self.out.print(f"  note: {escape(warning)}")
        report = outcome.report
        t = report.totals
        zone = self.agenda.zone
        best = max(report.segments, key=lambda s: s.percent_present_for_most, default=None)
        truth = sim.truth() if sim is not None else {"people": []}
        # The truth's audience as "attended" counts it: attendees who were in the room at all.
        truth_attendees = sum(1 for p in truth["people"]
                              if p["role"] == "attendee" and p.get("seconds", 0) > 0)
        peak_at = f" at {t.peak_at.astimezone(zone):%H:%M}" if t.peak_at else ""
        table = Table(title="Summary", title_justify="left", show_header=False)
        table.add_column("what")
        table.add_column("value")
        table.add_row("registered", f"{t.registered} ({t.approved} approved)")
        table.add_row("attended", f"{t.attended} · {t.unidentified_connections} unidentified "
                                  f"connections (the simulation says {truth_attendees})")
        table.add_row("peak", f"{t.peak_concurrency} in the room{peak_at} ({zone.key})")
        from zoomorch.report.run_of_show import what_happened

        table.add_row(f"run of show ({outcome.run_of_show.basis})",
                      escape(what_happened(outcome.run_of_show)))
        if best is not None:
            table.add_row("held the room best",
                          f"{best.title}: {best.percent_present_for_most:.0f}% of its "
                          "audience stayed for most of it")
        self.out.print(table)
        html = [p for p in outcome.files if p.suffix == ".html"]
        xlsx = [p for p in outcome.files if p.suffix == ".xlsx"]
        csvs = [p for p in outcome.files if p.suffix == ".csv"]
        for label, paths in (("HTML", html), ("XLSX", xlsx)):
            for path in paths:
                self.out.print(f"  {label}: {path}")
        if csvs:
            self.out.print(f"  CSV:  {len(csvs)} files in {csvs[0].parent} "
                           f"({', '.join(p.name for p in csvs)})")
        delivered = sum(1 for d in deliveries(store, self.slug)
                        if d.status == DeliveryStatus.DELIVERED)
        vs_truth = segments_vs_truth(outcome.run_of_show, report.segments, truth)
        agrees = all(abs(row["present_for_most"] - row["truth_present_for_most"])
                     <= max(2, row["truth_present_for_most"] // 20) for row in vs_truth)
        self.out.print(f"  segment attendance over the recorded boundaries agrees with the "
                       f"simulation: {'yes' if agrees else 'no'} ("
                       + ", ".join(f"{r['segment']} {r['present_for_most']} vs "
                                   f"{r['truth_present_for_most']}" for r in vs_truth) + ")")
        result = RehearsalResult(
            event_key=self.slug, webinar_id=webinar_id, out_dir=out_dir,
            files=list(outcome.files), registered=t.registered, attended=t.attended,
            peak=t.peak_concurrency, peak_at=t.peak_at,
            best_segment=best.title if best else None,
            best_segment_share=round(best.percent_present_for_most, 1) if best else None,
            truth_attendees=truth_attendees,
            sync_adds_up=bool(sync.counts.adds_up) if sync is not None else True,
            rejected_rows=len(sync.rejections) if sync is not None else 0,
            deferred_rows=len(sync.deferrals) if sync is not None else 0,
            chat_fell_back=self.chat_fell_back,
            cues_delivered=delivered, cues_printed=cue_lines.printed,
            host_actions=list(self.host_actions), host_log=list(self.host_log),
            segments_vs_truth=vs_truth,
            actual_start=load_live(store, self.slug).actual_start, ended_at=ended_at,
            warnings=list(self.warnings) + list(outcome.warnings),
            run_of_show=outcome.run_of_show.segment_rows(),
            run_of_show_basis=outcome.run_of_show.basis)
        summary = out_dir / "demo-summary.json"
        write_private_text(summary,  # 0600, like the registrants and report next to it
                           json.dumps(result.as_json(), indent=2, ensure_ascii=False) + "\n")
        self.out.print(f"  summary: {summary}")
        return result


def segments_vs_truth(ros: RunOfShow, measured: Sequence[SegmentAttendance],
                      truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Each held segment's "present for most of it" in the report beside the simulation's
    truth counted over the same (recorded) boundaries: attendees in the room for more than
    half of the segment."""
    audience = [[(datetime.fromisoformat(s["join"]), datetime.fromisoformat(s["leave"])
                  if s["leave"] else None) for s in p["spans"]]
                for p in truth.get("people", []) if p["role"] == "attendee"]
    held = [s.run for s in ros.segments if s.run.held]
    rows = []
    for run, seen in zip(held, measured, strict=True):
        start, end = seen.start, seen.end
        half = (end - start) / 2
        most = 0
        for spans in audience:
            inside = sum(((min(b or end, end) - max(a, start)) for a, b in spans
                          if (b or end) > start and a < end), timedelta(0))
            if inside > half:
                most += 1
        rows.append({"segment": run.title, "start": start.isoformat(), "end": end.isoformat(),
                     "present_for_most": seen.present_for_most,
                     "truth_present_for_most": most})
    return rows


def _hard_stop(agenda: CueAgenda, live_state: LiveState) -> datetime | None:
    cue: Cue | None = next((c for c in plan_cues(agenda, live_state) if c.kind == "hard_stop"),
                           None)
    return cue.due if cue is not None else None


def _delivered(store: StateStore, slug: str, kind: str) -> bool:
    """Whether a cue of ``kind`` went out (or was settled) on every channel."""
    from zoomorch.delivery.log import FINAL, deliveries

    rows = [d for d in deliveries(store, slug) if d.kind == kind]
    return bool(rows) and all(d.status in FINAL for d in rows)


def _in_room(sim: Any, now: datetime) -> int:
    """Attendees in the room at ``now`` (event time) by the simulation's plan."""
    if sim is None:
        return 0
    cutoff = sim.ended_at or sim.cutoff
    count = 0
    for person in sim.plan.people:
        if person.role != "attendee":
            continue
        for a, b in person.spans:
            if a <= now < b and (cutoff is None or now < cutoff):
                count += 1
                break
    return count


# --------------------------------------------------------------------------- commands


def _guarded(options: RehearsalOptions, name: str) -> int:
    from zoomorch.registrants.source import SourceError
    from zoomorch.report.run import ReportError
    from zoomorch.zoom import ZoomError

    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)

    def _terminate(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main else None
    try:
        result = run_rehearsal(options, out)
    except KeyboardInterrupt:
        err.print(f"zoomorch {name}: interrupted — sandbox, service and cue scheduler stopped")
        return EXIT_INTERRUPTED
    except EventFileError as exc:
        err.print(str(exc), markup=False)
        return EXIT_INPUT
    except (SourceError, ValueError) as exc:
        err.print(f"zoomorch {name}: {exc}", markup=False)
        return EXIT_INPUT
    except (ZoomError, ReportError, RehearsalError) as exc:
        err.print(f"zoomorch {name}: {exc}", markup=False)
        return EXIT_FAILED
    finally:
        if main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
    for warning in result.warnings:
        err.print(f"note: {warning}", markup=False)
    return EXIT_OK if result.sync_adds_up and result.files else EXIT_FAILED


def demo_command(*, speed: float = DEMO_SPEED, out_dir: Path | None = None,
                 state_dir: Path | None = None, seed: int = 2022) -> int:
    """``zoomorch demo``: the seed event, the sample list, the whole life; exit code."""
    return _guarded(RehearsalOptions(speed=speed, out_dir=out_dir, state_dir=state_dir,
                                     seed=seed, busy_registrant=True, team_chat=True), "demo")


def rehearse_command(event: Path, *, speed: float = DEFAULT_SPEED, out_dir: Path | None = None,
                     registrations: Path | None = None, state_dir: Path | None = None,
                     seed: int = 2022) -> int:
    """``zoomorch rehearse EVENT``: any event file against the sandbox; exit code."""
    options = RehearsalOptions(
        event=event, registrations=registrations, use_sample_registrations=False, speed=speed,
        out_dir=out_dir or Path("zoomorch-rehearsal"), state_dir=state_dir, seed=seed,
        show_timeline=True, checklist=True)
    return _guarded(options, "rehearse")


__all__ = ["DEFAULT_SPEED", "DEMO_SPEED", "PRESHOW_LEAD", "CueLines", "RehearsalError",
           "RehearsalOptions", "RehearsalResult", "bundled", "cue_timeline", "demo_command",
           "preshow_real_seconds", "preshow_skip", "rehearsal_checklist", "rehearsal_start",
           "rehearse_command", "run_rehearsal", "simulated_segments", "webhook_announcer"]
