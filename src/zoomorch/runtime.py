"""The one composition root of a live event: event files plus overrides become the state store,
the Zoom client (only when something needs it), the channels of each event, the cue scheduler
and the service's context.

``zoomorch serve``, ``zoomorch cues run``, ``zoomorch demo`` and ``zoomorch rehearse`` all
assemble their parts here, so the answers to "which channels does this event use?" and "do we
need a Zoom client?" are written once. Heavy parts (FastAPI, APScheduler) are imported only by
the methods that build them, so a command pays only for what it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from zoomorch.cues import CueAgenda, agenda_from_event
from zoomorch.db.store import StateStore, open_store
from zoomorch.notify.base import Notifier
from zoomorch.notify.channels import (
    ChannelOverrides,
    ChannelPlan,
    ChannelSetupError,
    build_notifiers,
    channel_names,
    resolve_channels,
)

if TYPE_CHECKING:
    from zoomorch.board.hub import BoardHub
    from zoomorch.board.tokens import BoardTokens
    from zoomorch.delivery.scheduler import CueScheduler
    from zoomorch.event import EventSpec
    from zoomorch.notify.console import ConsoleNotifier
    from zoomorch.service.app import ServiceContext


CLAIM_LEASE_ENV = "ZOOMORCH_CLAIM_LEASE_SECONDS"


def claim_lease(env: Mapping[str, str] | None = None) -> float:
    """How long a replica's claim on a delivery holds before another replica records it
    interrupted (PostgreSQL replicas; longer than any channel's timeout). Default 30 s."""
    import os

    raw = (os.environ if env is None else env).get(CLAIM_LEASE_ENV, "").strip()
    try:
        value = float(raw) if raw else 30.0
    except ValueError:
        raise SetupError(f"{CLAIM_LEASE_ENV}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise SetupError(f"{CLAIM_LEASE_ENV} must be more than 0 seconds")
    return value


class SetupError(ValueError):
    """The live run cannot be put together; the message names the file or setting and the fix."""


@dataclass(frozen=True)
class LiveOptions:
    """What the command line may override for every event of a run."""

    speed: float = 1.0
    advance: Literal["manual", "auto"] | None = None
    end_at_hard_stop: bool | None = None
    channels: ChannelOverrides = field(default_factory=ChannelOverrides)
    env_file: Path | None = None
    # The cue board is served (``serve``, the demo): board channels get the hub.
    board: bool = False


def needs_zoom(plans: Mapping[str, ChannelPlan], agendas: Sequence[CueAgenda]) -> bool:
    """Whether a run needs a Zoom API client: Team Chat cues, or ending the webinar at the
    hard stop."""
    return any(p.zoom_chat is not None for p in plans.values()) or any(
        a.settings.end_webinar_at_hard_stop for a in agendas)


def event_agenda(spec: EventSpec, options: LiveOptions) -> CueAgenda:
    """An event's cue agenda with the command line's overrides applied."""
    agenda = agenda_from_event(spec, speed=options.speed)
    s = agenda.settings
    if options.advance is None and options.end_at_hard_stop is None:
        return agenda
    return replace(agenda, settings=replace(
        s, advance=options.advance or s.advance,
        end_webinar_at_hard_stop=s.end_webinar_at_hard_stop if options.end_at_hard_stop is None
        else options.end_at_hard_stop))


@dataclass
class LiveRuntime:
    """The assembled parts of a live run. Build it with :func:`assemble`."""

    store: StateStore
    agendas: dict[str, CueAgenda]
    channels: dict[str, list[Notifier]]  # event key -> the channels its cues go out on
    zoom: Any = None  # a ZoomClient (or what enforcement and Team Chat need of one)
    hub: BoardHub | None = None
    _scheduler: CueScheduler | None = field(default=None, repr=False)

    @classmethod
    def of_agendas(cls, store: StateStore, agendas: Sequence[CueAgenda],
                   channels: Sequence[Notifier] = (), *, zoom: Any = None) -> LiveRuntime:
        """A served run of ready-made agendas (tests, embedding): every event gets
        ``channels`` plus its cue board."""
        from zoomorch.board.hub import BoardHub
        from zoomorch.notify.board import BoardNotifier

        hub = BoardHub()
        board = BoardNotifier(hub)
        return cls(store=store, agendas={a.slug: a for a in agendas},
                   channels={a.slug: [*channels, board] for a in agendas}, zoom=zoom, hub=hub)

    def scheduler(self) -> CueScheduler:
        """The cue scheduler of every event (built once; started by the caller or the
        service)."""
        if self._scheduler is None:
            from datetime import timedelta

            from zoomorch.db.notify import LISTED_ID
            from zoomorch.delivery.scheduler import CueScheduler

            self._scheduler = CueScheduler(self.store, [], list(self.agendas.values()),
                                           zoom=self.zoom, event_notifiers=self.channels,
                                           claim_lease=timedelta(seconds=claim_lease()),
                                           replica=LISTED_ID)
        return self._scheduler

    def service_context(self, tokens: BoardTokens, *, webhook_secret: str | None,
                        run_scheduler: bool = True) -> ServiceContext:
        """The service's context: board, webhooks and API over this run's events."""
        from zoomorch.board.hub import BoardHub
        from zoomorch.service.app import ServiceContext

        return ServiceContext(store=self.store, agendas=dict(self.agendas), tokens=tokens,
                              hub=self.hub or BoardHub(), webhook_secret=webhook_secret,
                              scheduler=self.scheduler() if run_scheduler else None)

    def channel_names(self, slug: str) -> str:
        """The channels one event's cues go out on, for people to read."""
        return channel_names(self.channels[slug])

    def channel_lines(self) -> list[str]:
        """One line per event: its channels."""
        return [f"{slug}: channels {self.channel_names(slug)}" for slug in self.channels]

    def speed_lines(self) -> list[str]:
        """How Zoom's webhook times are read for events run faster than real time."""
        out: list[str] = []
        for agenda in self.agendas.values():
            if agenda.speed == 1:
                continue
            anchor = agenda.scheduled_start.strftime("%Y-%m-%dT%H:%M:%SZ")
            out.append(f"{agenda.slug}: at {agenda.speed:g}x, Zoom webhook times are read as "
                       f"event time = {anchor} + (wall - {anchor}) x {agenda.speed:g}; a "
                       "sandbox's clock must show the same (POST /_sandbox/clock {\"set\": "
                       f"..., \"speed\": {agenda.speed:g}}})")
        return out


def assemble(events: Sequence[tuple[str | Path, EventSpec]], options: LiveOptions | None = None,
             *, store: StateStore | None = None, zoom: Any = None,
             console: ConsoleNotifier | None = None,
             channels: Mapping[str, Sequence[Notifier]] | None = None,
             agendas: Mapping[str, CueAgenda] | None = None) -> LiveRuntime:
    """Put a live run together from its event files (``(source, spec)`` pairs).

    Each event's channels come from its ``[notifications]`` with ``options.channels``
    applied, unless ``channels`` gives an event's complete list (the demo's own console
    lines); ``agendas`` may give an event's agenda ready-made (a rehearsal's, tied to its
    own clock). A Zoom client is made from the environment (``options.env_file``) only when a
    channel or the hard stop needs one and ``zoom`` is not given. Raises :class:`SetupError`.
    """
    options = options or LiveOptions()
    made = dict(agendas or {})
    ready = [made.get(spec.key) or event_agenda(spec, options) for _, spec in events]
    keys = [a.slug for a in ready]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise SetupError(f"two event files share the key {', '.join(duplicated)}; give each "
                         "event its own key")
    given = dict(channels or {})
    try:
        plans = {spec.key: resolve_channels(spec.notifications, source=source,
                                            overrides=options.channels)
                 for source, spec in events if spec.key not in given}
    except ChannelSetupError as exc:
        raise SetupError(str(exc)) from None
    if zoom is None and needs_zoom(plans, [a for a in ready if a.slug not in given]):
        from zoomorch.zoom import ZoomClient, ZoomConfigError

        try:
            zoom = ZoomClient.from_env(options.env_file)
        except ZoomConfigError as exc:
            raise SetupError(f"Zoom credentials (needed for Team Chat cues or ending the "
                             f"webinar at the hard stop): {exc}") from None
    hub = None
    if options.board:
        from zoomorch.board.hub import BoardHub

        hub = BoardHub()
    if console is None and any(p.console for p in plans.values()):
        from zoomorch.notify.console import ConsoleNotifier

        console = ConsoleNotifier()  # one for all events: their lines do not interleave
    per_event: dict[str, list[Notifier]] = {k: list(v) for k, v in given.items()}
    try:
        for key, plan in plans.items():
            per_event[key] = build_notifiers(plan, zoom=zoom, console=console, hub=hub)
    except ChannelSetupError as exc:
        raise SetupError(str(exc)) from None
    if hub is not None:
        from zoomorch.notify.board import BoardNotifier

        for key in given:  # the board of a served event always shows its cues
            if not any(n.name == "board" for n in per_event[key]):
                per_event[key].append(BoardNotifier(hub))
    return LiveRuntime(store=store or open_store(), agendas={a.slug: a for a in ready},
                       channels=per_event, zoom=zoom, hub=hub)
