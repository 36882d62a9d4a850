"""Replicas of `zoomorch serve` on one PostgreSQL database, with one killed -9 mid-run.

`--events` (300) accelerated copies of config/imrf-2022-latam.toml (distinct keys, `advance =
"auto"`, 2 + 20 event minutes, `--cues` (20) cues each: the seed's ten plus warnings) run on
`--replicas` (3) real `zoomorch serve` processes sharing one fresh PostgreSQL schema. Every cue
falls due within `--window` seconds (default: one per event, at least 30): staggered, each
event lasts a third of the window and their starts are spread evenly over the rest, as a
conference day's sessions overlap (`--together`: every event on one schedule, every cue of
every event due at the same instant). Each replica gets `--webhook` to a loopback receiver
that counts deliveries. One board stream per event is opened (spread across the replicas, as
tests/test_replicas.py reads one); a board whose replica dies reconnects to a live one, as a
browser behind a load balancer would. Halfway through the window one replica is killed -9
(`--no-kill`: none). Meanwhile `--controls` (30) `shift`/`extend` controls go to random live
replicas' API with a controller link, each to an event that has a board open on every
replica.

Measured:
- cue lateness at the receiver (arrival minus the cue's due time): p50/p99/max, all cues,
  those due after the kill, and those due from 5 s after it;
- duplicates at the receiver (must be 0);
- webhook cues neither delivered nor recorded lost (interrupted/missed) in the delivery log
  (must be 0);
- cues missing from a board: a cue delivered to the board channel that a board of its event
  neither got pushed nor saw listed in a snapshot (must be 0; cues recorded lost with the killed
  replica are not expected);
- control-to-all-boards latency: from sending the control until every board of that event (on
  every live replica) shows the revision it answered with: p50/p99/max (target p99 <= 1 s);
- tracebacks in any replica's log (must be 0);
- the machine's load; as the last line one JSON object (keys: docs/benchmarks.md).

The naive baseline, in the same run (`--no-baseline`: skipped): the same scenario again with
`ZOOMORCH_LISTEN=0`, the service without LISTEN/NOTIFY: boards learn of other replicas'
changes by polling alone, and every replica fires every cue at its due time and races for the
claims. The ratios are the baseline's figure over ours.

Needs a PostgreSQL server: ZOOMORCH_TEST_POSTGRES_URL (`export "$(scripts/ci-postgres.sh
start)"`); a fresh schema is created and dropped for each run.

    .venv-ci/bin/python benchmarks/bench_replicas.py [--events 300] [--cues 20] [--replicas 3]

Exit status 0 when the checks hold (0 duplicates, 0 unaccounted, 0 missing from boards,
0 tracebacks, control p99 <= 1 s), 1 when they do not, 2 without a PostgreSQL server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from benchlib import LoadWatch, emit, rounded

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from postgres_support import POSTGRES_URL_ENV, fresh_schema  # noqa: E402
from replica_support import Replica, start_replica  # noqa: E402
from service_support import BOARD_KEY, read_sse  # noqa: E402

SEED = ROOT / "config" / "imrf-2022-latam.toml"
BEFORE_MINUTES = 2  # tech check 2 event minutes before the start, doors open 1
EVENT_MINUTES = 20  # segments of 5 + 10 + 5
SPAN_MINUTES = BEFORE_MINUTES + EVENT_MINUTES
BASE_CUES = 10  # tech check, doors open, start, 3 segment starts, 3 time-ups, hard stop
WARNING_ROOM = (4, 9, 4)  # warnings fit 1..n minutes before each segment's end
RECOVERY = 5.0  # seconds after the kill after which lateness is reported apart as well


# --------------------------------------------------------------------------- the events


def _warnings(cues: int) -> list[list[int]]:
    extra = cues - BASE_CUES
    if not 0 <= extra <= sum(WARNING_ROOM):
        raise SystemExit(f"--cues must be {BASE_CUES}..{BASE_CUES + sum(WARNING_ROOM)}")
    out: list[list[int]] = [[], [], []]
    while extra:
        for i, room in enumerate(WARNING_ROOM):
            if extra and len(out[i]) < room:
                out[i].append(len(out[i]) + 1)
                extra -= 1
    return [sorted(w, reverse=True) for w in out]


def event_text(key: str, cues: int, start: datetime) -> str:
    text = SEED.read_text(encoding="utf-8")
    warnings = iter(_warnings(cues))
    subs = [(r'(?m)^key = ".*"$', f'key = "{key}"', 1),
            (r"(?m)^start = .*$", f"start = {start.isoformat()}", 1),
            (r"(?m)^duration_minutes = 60$", f"duration_minutes = {EVENT_MINUTES}", 1),
            (r"(?m)^minutes = 50$", "minutes = 10", 1),
            (r'(?m)^advance = "manual"$', 'advance = "auto"', 1),
            (r"(?m)^tech_check_before = 30", f"tech_check_before = {BEFORE_MINUTES}", 1),
            (r"(?m)^doors_open_before = 10", "doors_open_before = 1", 1),
            (r"(?m)^handover_every = 30", "handover_every = 0", 1),
            (r"(?m)^late_grace = 2", "late_grace = 5", 1),
            (r"(?m)^console = true", "console = false", 1)]
    for pattern, new, count in subs:
        text, n = re.subn(pattern, new, text, count=count)
        assert n == count, pattern
    text, n = re.subn(r"(?m)^warnings = \[[^\]]*\]",
                      lambda _m: f"warnings = {next(warnings)}", text)
    assert n == 3
    return text


def write_events(directory: Path, cues: int, starts: list[datetime]) -> list[Path]:
    paths = []
    for i, start in enumerate(starts):
        path = directory / f"ev{i:04d}.toml"
        path.write_text(event_text(f"ev{i:04d}", cues, start), encoding="utf-8")
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- the receiver


class Receiver:
    """Counts webhook deliveries: (arrival time, body) for every POST, answered 200."""

    def __init__(self) -> None:
        self.got: list[tuple[float, dict[str, Any]]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                at = time.time()
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    data = json.loads(body)
                except ValueError:
                    data = {"unreadable": body.decode(errors="replace")}
                with outer.lock:
                    outer.got.append((at, data))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                outer.resets += 1  # a killed replica's connection reset mid-request

        self.resets = 0
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cues"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- the boards


class Board:
    """One board stream of one event; reconnects to the next live replica when its own ends.

    Keeps the cue ids it was pushed or saw listed, and when each revision first showed."""

    def __init__(self, slug: str, replicas: list[Replica], home: int, alive: list[bool],
                 token: str) -> None:
        self.slug, self.replicas, self.at, self.alive = slug, replicas, home, alive
        self.token = token
        self.seen: set[str] = set()
        self.revision = -1
        self.revision_at: dict[int, float] = {}
        self.connected = threading.Event()
        self.reconnects = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self.changed = threading.Condition()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.is_set():
            replica = self.replicas[self.at]
            url = f"{replica.base}/board/{self.slug}/stream?token={self.token}"
            try:
                with httpx.stream("GET", url, timeout=httpx.Timeout(10, read=None)) as resp:
                    resp.raise_for_status()
                    for name, data in read_sse(resp):
                        if self._stop.is_set():
                            return
                        self._on(name, data)
            except Exception as exc:
                if self._stop.is_set():
                    return
                if self.alive[self.at]:
                    self.errors.append(f"{replica.name}: {type(exc).__name__}: {exc}")
            self.connected.clear()
            if self._stop.is_set():
                return
            live = [i for i, ok in enumerate(self.alive) if ok]
            if not live:
                return
            self.at = live[(live.index(self.at) + 1) % len(live)] if self.at in live else \
                live[hash(self.slug) % len(live)]
            self.reconnects += 1
            time.sleep(0.05)

    def _on(self, name: str, data: dict[str, Any]) -> None:
        now = time.time()
        if name == "cue":
            self.seen.add(str(data.get("cue_id")))
        elif name == "state":
            self.seen.update(str(c.get("id")) for c in data.get("latest") or ())
            revision = int(data.get("revision") or 0)
            with self.changed:
                if revision > self.revision:
                    self.revision = revision
                self.revision_at.setdefault(revision, now)
                self.connected.set()
                self.changed.notify_all()

    def stop(self) -> None:
        self._stop.set()


def wait_revision(boards: list[Board], revision: int, timeout: float) -> float | None:
    """The time the last of ``boards`` first showed ``revision`` or later; None on timeout."""
    deadline = time.time() + timeout
    for board in boards:
        with board.changed:
            while board.revision < revision:
                left = deadline - time.time()
                if left <= 0:
                    return None
                board.changed.wait(left)
    return max(min(t for r, t in b.revision_at.items() if r >= revision) for b in boards)


# --------------------------------------------------------------------------- figures


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spread_ms(values: list[float]) -> dict[str, Any]:
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50": rounded(pct(ms, 0.5), 1) if ms else None,
            "p99": rounded(pct(ms, 0.99), 1) if ms else None,
            "max": rounded(max(ms), 1) if ms else None,
            "mean": rounded(statistics.fmean(ms), 1) if ms else None}


def show(name: str, s: dict[str, Any]) -> str:
    if not s["n"]:
        return f"{name}: none"
    return (f"{name}: n {s['n']}, p50 {s['p50']:.0f} ms, p99 {s['p99']:.0f} ms, "
            f"max {s['max']:.0f} ms, mean {s['mean']:.0f} ms")


# --------------------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--cues", type=int, default=20, help="cues per event (10..27)")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--window", type=float, default=None,
                        help="real seconds in which every cue falls due (default: one per "
                             "event, at least 30)")
    parser.add_argument("--together", action="store_true",
                        help="every event on one schedule (each cue of every event due at "
                             "the same instant); default: staggered starts")
    parser.add_argument("--lead", type=float, default=None,
                        help="seconds from launch to the first cue (default: by size)")
    parser.add_argument("--controls", type=int, default=30)
    parser.add_argument("--lease", type=float, default=10.0,
                        help="ZOOMORCH_CLAIM_LEASE_SECONDS of every replica")
    parser.add_argument("--no-kill", dest="kill", action="store_false")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false",
                        help="skip the second run without LISTEN/NOTIFY (the naive baseline)")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    server = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not server:
        print(f"{POSTGRES_URL_ENV} is not set: start a server with "
              'export "$(scripts/ci-postgres.sh start)"', file=sys.stderr)
        return 2
    if args.replicas < (2 if args.kill else 1):
        raise SystemExit("a kill needs at least 2 replicas")
    if args.window is None:
        args.window = max(30.0, float(args.events))
    figures, ok = scenario(args, {})
    if args.baseline:
        # The naive design, same run, same shape: no LISTEN (ZOOMORCH_LISTEN=0), so the boards
        # learn of the other replicas' changes by polling alone and every replica fires every
        # cue at its due time, racing for the claims.
        print(f"\nnaive baseline ({LISTEN_OFF}=0: polling only, every replica fires every "
              "cue):", flush=True)
        base, _ = scenario(args, {LISTEN_OFF: "0"})
        keep = ("lateness_ms", "lateness_after_kill_ms", "lateness_from_5s_after_kill_ms",
                "control_to_all_boards_ms", "duplicates", "missing_from_boards", "unaccounted",
                "controls_unseen", "tracebacks", "load1_mean", "load1_max")
        figures["naive_baseline"] = {k: base.get(k) for k in keep}
        figures["ratios"] = {
            "control_p99_baseline_over_ours": _ratio(base["control_to_all_boards_ms"]["p99"],
                                                     figures["control_to_all_boards_ms"]["p99"]),
            "control_p50_baseline_over_ours": _ratio(base["control_to_all_boards_ms"]["p50"],
                                                     figures["control_to_all_boards_ms"]["p50"]),
            "lateness_p99_baseline_over_ours": _ratio(base["lateness_ms"]["p99"],
                                                      figures["lateness_ms"]["p99"]),
            "lateness_p50_baseline_over_ours": _ratio(base["lateness_ms"]["p50"],
                                                      figures["lateness_ms"]["p50"])}
        r = figures["ratios"]
        print(f"\nours vs the naive baseline: control to all boards p99 "
              f"{figures['control_to_all_boards_ms']['p99']:.0f} vs "
              f"{base['control_to_all_boards_ms']['p99']:.0f} ms "
              f"({r['control_p99_baseline_over_ours']}x), cue lateness p50/p99 "
              f"{figures['lateness_ms']['p50']:.0f}/{figures['lateness_ms']['p99']:.0f} vs "
              f"{base['lateness_ms']['p50']:.0f}/{base['lateness_ms']['p99']:.0f} ms")
    print(f"checks hold: {'yes' if ok else 'no'}")
    emit(figures)
    return 0 if ok else 1


LISTEN_OFF = "ZOOMORCH_LISTEN"


def _ratio(baseline: float | None, ours: float | None) -> float | None:
    if baseline is None or not ours:
        return None
    return round(baseline / ours, 2)


def scenario(args: argparse.Namespace, extra_env: dict[str, str]
             ) -> tuple[dict[str, Any], bool]:
    """One run of the replicas (fresh schema, fresh processes): its figures, and whether the
    checks hold."""
    rng = random.Random(args.seed)
    # Staggered: each event lasts a third of the window, their starts spread evenly over
    # the rest (as a conference day's sessions overlap). Together: each lasts the window.
    span = args.window if args.together else args.window / 3
    speed = SPAN_MINUTES * 60 / span
    lead = args.lead if args.lead is not None else 6 + 0.08 * args.events * args.replicas
    tmp = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    launched = time.time()
    first_due = launched + lead
    step = 0.0 if args.together else (args.window - span) / max(1, args.events - 1)
    starts = [datetime.fromtimestamp(first_due + i * step + BEFORE_MINUTES * 60 / speed, UTC)
              for i in range(args.events)]
    paths = write_events(tmp, args.cues, starts)
    slugs = [p.stem for p in paths]
    from zoomorch.board.tokens import BoardTokens
    from zoomorch.db.store import open_store
    from zoomorch.delivery.log import DeliveryStatus, deliveries

    tokens = BoardTokens(BOARD_KEY)
    end_due = first_due + args.window
    env = {"ZOOMORCH_CLAIM_LEASE_SECONDS": str(args.lease), **extra_env}
    shape = ("together (every event's cues due at the same instants)" if args.together else
             f"staggered (each event {span:.0f} s, one starting every {step:.2f} s)")
    print(f"{args.events} events x {args.cues} cues on {args.replicas} replicas, speed "
          f"{speed:.1f}x, {shape}, cues due within {args.window:.0f} s "
          f"({args.events * args.cues / args.window:.1f} cues/s on average), first cue in "
          f"{lead:.0f} s, lease {args.lease:g} s, kill: {'yes' if args.kill else 'no'}",
          flush=True)

    load = LoadWatch().start()
    receiver = Receiver()
    replicas: list[Replica] = []
    boards: list[Board] = []
    controls: list[dict[str, Any]] = []
    killed_at: float | None = None
    killed_name: str | None = None
    with fresh_schema(os.environ[POSTGRES_URL_ENV].strip()) as url:
        try:
            common = {"webhook": receiver.url, "start_at": None, "speed": speed,
                      "extra_env": env}
            open_store(url).close()  # the schema migrated once, before the replicas race
            replicas += [start_replica(f"replica-{i}", url, paths, tmp, wait=False, **common)
                         for i in range(args.replicas)]
            for r in replicas:
                r.wait_up(120)
            up = time.time()
            alive = [True] * len(replicas)
            viewer = {s: tokens.issue(s, "viewer", timedelta(hours=2)) for s in slugs}
            boards = [Board(s, replicas, i % len(replicas), alive, viewer[s])
                      for i, s in enumerate(slugs)]
            # The events controlled get a board on every replica.
            controlled = rng.sample(slugs, min(args.controls, len(slugs)))
            for s in set(controlled):
                home = slugs.index(s) % len(replicas)
                boards += [Board(s, replicas, i, alive, viewer[s])
                           for i in range(len(replicas)) if i != home]
            by_slug: dict[str, list[Board]] = {}
            for b in boards:
                by_slug.setdefault(b.slug, []).append(b)
            for b in boards:
                b.connected.wait(max(1.0, first_due - time.time()))
            ready = time.time()
            print(f"replicas up after {up - launched:.1f} s, {len(boards)} boards connected "
                  f"after {ready - launched:.1f} s (first cue due at {lead:.1f} s)", flush=True)

            controllers = {s: tokens.issue(s, "controller", timedelta(hours=2))
                           for s in set(controlled)}
            kill_at = first_due + args.window / 2
            killed: list[tuple[float, str]] = []

            def kill() -> None:  # on time, whatever the controls are waiting for
                victim = replicas[0]
                os.kill(victim.process.pid, signal.SIGKILL)
                killed.append((time.time(), victim.name))
                alive[0] = False
                victim.process.wait()
                print(f"killed {victim.name} (-9) at {killed[0][0] - first_due:.1f} s into the "
                      "window", flush=True)

            timer = threading.Timer(max(0.0, kill_at - time.time()), kill)
            if args.kill:
                timer.start()
            # Controls spread over the window, around the kill.
            times = sorted(first_due + args.window * (k + 0.5) / max(1, len(controlled))
                           for k in range(len(controlled)))
            for k, (slug, when) in enumerate(zip(controlled, times, strict=True)):
                pause = when - time.time()
                if pause > 0:
                    time.sleep(pause)
                controls.append(control(slug, k, replicas, alive, controllers[slug],
                                        by_slug[slug], rng))
            if args.kill:
                timer.join()
                killed_at, killed_name = killed[0]
            # Until the last cue is due, its lease (for a dead claim) and a little more.
            hard_stops = set(slugs)
            deadline = end_due + args.lease + 6
            while time.time() < deadline:
                with receiver.lock:
                    done = {d.get("event") for _, d in receiver.got if d.get("kind") ==
                            "hard_stop"}
                if hard_stops <= done:
                    break
                time.sleep(0.2)
            store = open_store(url)
            settle = time.time() + args.lease + 3
            while True:
                rows = {s: deliveries(store, s) for s in slugs}
                sending = sum(1 for rs in rows.values() for r in rs
                              if r.status is DeliveryStatus.SENDING)
                if not sending or time.time() > settle:
                    break
                time.sleep(0.5)
            time.sleep(0.5)  # the last pushes reach the boards
            rows = {s: deliveries(store, s) for s in slugs}
            store.close()
        finally:
            for b in boards:
                b.stop()
            for r in replicas:
                r.stop()
            receiver.close()
    load.stop()
    return report(args, speed, lead, rows, receiver, boards, controls, replicas, killed_at,
                  killed_name, sending, load, DeliveryStatus, span, first_due)


def control(slug: str, k: int, replicas: list[Replica], alive: list[bool], token: str,
            boards: list[Board], rng: random.Random) -> dict[str, Any]:
    live = [i for i, ok in enumerate(alive) if ok]
    at = rng.choice(live)
    action = "shift" if k % 2 == 0 else "extend"
    watching = [b for b in boards if b.connected.is_set()]
    sent = time.time()
    try:
        answer = httpx.post(f"{replicas[at].base}/api/events/{slug}/{action}",
                            json={"amount": "30s"},
                            headers={"authorization": f"Bearer {token}"}, timeout=10)
    except httpx.HTTPError as exc:
        return {"slug": slug, "action": action, "error": f"{type(exc).__name__}: {exc}"}
    if answer.status_code != 200:
        return {"slug": slug, "action": action, "error": f"{answer.status_code} "
                f"{answer.text[:200]}"}
    revision = int(answer.json().get("revision") or 0)
    seen = wait_revision(watching, revision, timeout=10)
    return {"slug": slug, "action": action, "replica": replicas[at].name,
            "boards": len(watching), "latency": None if seen is None else max(0.0, seen - sent)}


def report(args: argparse.Namespace, speed: float, lead: float, rows: dict[str, list[Any]],
           receiver: Receiver, boards: list[Board], controls: list[dict[str, Any]],
           replicas: list[Replica], killed_at: float | None, killed_name: str | None,
           sending: int, load: LoadWatch, status: Any, span: float, window_start: float
           ) -> tuple[dict[str, Any], bool]:
    # A POST cut short (its replica killed mid-send) has no readable body: counted apart.
    unreadable = sum(1 for _, d in receiver.got if "key" not in d or "due" not in d)
    got = [(at, d) for at, d in receiver.got if "key" in d and "due" in d]
    keys = Counter(str(d.get("key")) for _, d in got)
    duplicates = sum(n - 1 for n in keys.values() if n > 1)
    first_arrival: dict[str, tuple[float, dict[str, Any]]] = {}
    for at, d in got:
        first_arrival.setdefault(str(d.get("key")), (at, d))
    lateness = []
    by_tenth: dict[int, list[float]] = {}  # tenth of the window the cue was due in
    after_kill = []
    settled_after_kill = []  # due more than RECOVERY seconds after the kill
    for at, d in first_arrival.values():
        due = datetime.fromisoformat(d["due"]).timestamp()
        lateness.append(at - due)
        by_tenth.setdefault(min(9, max(0, int(10 * (due - window_start) / args.window))),
                            []).append(at - due)
        if killed_at is not None and due > killed_at:
            after_kill.append(at - due)
            if due > killed_at + RECOVERY:
                settled_after_kill.append(at - due)
    # Webhook deliveries are one per (cue, recipient): keys "slug|cue id|webhook|person".
    webhook = [r for rs in rows.values() for r in rs if r.channel == "webhook"]
    statuses = Counter(r.status.value for r in webhook)
    lost_status = {status.INTERRUPTED, status.MISSED}
    lost = {r.key for r in webhook if r.status in lost_status}
    delivered = {r.key for r in webhook if r.status is status.DELIVERED} | set(keys)
    unaccounted = len(({r.key for r in webhook} | set(keys)) - delivered - lost)
    # Received, yet logged interrupted/missed: a live replica's slow send outlived its lease.
    logged_lost_but_received = len(lost & set(keys))
    # A control can re-plan an event's cues (new ids): counted on the events left alone.
    touched = {c["slug"] for c in controls}
    covered = {(r.key.split("|")[0], r.cue_id) for r in webhook} | {
        tuple(k.split("|")[:2]) for k in keys}
    expected = args.events * args.cues
    cues_unseen = (args.events - len(touched)) * args.cues - len(
        {c for c in covered if c[0] not in touched})
    # Boards: every cue the board channel delivered, on every board of its event.
    missing = 0
    board_lost = 0
    for slug, rs in rows.items():
        board_rows = [r for r in rs if r.channel == "board"]
        want = {r.cue_id for r in board_rows if r.status is status.DELIVERED}
        board_lost += sum(1 for r in board_rows if r.status in lost_status)
        for b in boards:
            if b.slug == slug:
                missing += len(want - b.seen)
    board_errors = sum(len(b.errors) for b in boards)
    reconnects = sum(b.reconnects for b in boards)
    latencies = [c["latency"] for c in controls if c.get("latency") is not None]
    control_failed = [c for c in controls if c.get("latency") is None]
    tracebacks = {r.name: r.log().count("Traceback") for r in replicas}
    deadlocks = sum(r.log().count("DeadlockDetected") for r in replicas)
    control_ms = spread_ms(latencies)
    # The offered load: distinct cues due per second, on average and in the busiest second.
    due_cues = {(r.key.split("|")[0], r.cue_id): r.due.timestamp() for rs in rows.values()
                for r in rs}
    per_second = Counter(int(t) for t in due_cues.values())
    figures: dict[str, Any] = {
        "benchmark": "replicas",
        "events": args.events, "cues_per_event": args.cues, "replicas": args.replicas,
        "schedule": "together" if args.together else "staggered",
        "event_span_s": rounded(span, 1),
        "offered_cues_per_s": rounded(args.events * args.cues / args.window, 1),
        "peak_cues_due_in_1s": max(per_second.values(), default=0),
        "speed": rounded(speed, 2), "window_s": args.window, "lead_s": rounded(lead, 1),
        "lease_s": args.lease, "killed": killed_name,
        "cues": expected, "cues_without_webhook_delivery": cues_unseen,
        "webhook_deliveries": len({r.key for r in webhook} | set(keys)),
        "received": len(got), "unreadable_posts": unreadable, "duplicates": duplicates,
        "webhook_statuses": dict(sorted(statuses.items())),
        "lost_recorded": len(lost), "logged_lost_but_received": logged_lost_but_received,
        "unaccounted": unaccounted, "still_sending": sending,
        "lateness_ms": spread_ms(lateness), "lateness_after_kill_ms": spread_ms(after_kill),
        "lateness_from_5s_after_kill_ms": spread_ms(settled_after_kill),
        "lateness_p99_ms_by_tenth_of_window": [
            rounded(pct([v * 1000 for v in by_tenth.get(t, [])], 0.99), 0)
            if by_tenth.get(t) else None for t in range(10)],
        "boards": len(boards), "board_reconnects": reconnects, "board_errors": board_errors,
        "board_lost_recorded": board_lost, "missing_from_boards": missing,
        "controls": len(controls), "controls_unseen": len(control_failed),
        "control_to_all_boards_ms": control_ms,
        "tracebacks": sum(tracebacks.values()), "deadlocks_logged": deadlocks,
        "naive_baseline": None,
    }
    ok = (duplicates == 0 and unaccounted == 0 and cues_unseen == 0 and missing == 0
          and not control_failed and figures["tracebacks"] == 0 and control_ms["n"] > 0
          and control_ms["p99"] <= 1000)
    figures["checks_hold"] = ok
    print(f"webhook: {len(got)} received, one per (cue, recipient), of {expected} cues "
          f"({cues_unseen} cues without any), {duplicates} duplicates, statuses "
          f"{dict(sorted(statuses.items()))}, {len(lost)} recorded lost (interrupted/missed), "
          f"{unaccounted} unaccounted, {logged_lost_but_received} logged lost yet received")
    print(f"offered: {figures['offered_cues_per_s']} cues/s on average, "
          f"{figures['peak_cues_due_in_1s']} cues due in the busiest second "
          f"({figures['schedule']})")
    print(show("lateness, all cues", figures["lateness_ms"]))
    print(show("lateness, cues due after the kill", figures["lateness_after_kill_ms"]))
    print(show(f"lateness, cues due from {RECOVERY:g} s after the kill",
               figures["lateness_from_5s_after_kill_ms"]))
    print("lateness p99 by tenth of the window (ms): "
          + ", ".join("-" if v is None else f"{v:.0f}"
                      for v in figures["lateness_p99_ms_by_tenth_of_window"]))
    print(f"boards: {len(boards)} streams, {reconnects} reconnects, {board_errors} errors, "
          f"{missing} (board, cue) missing, {board_lost} board cues recorded lost")
    print(show("control to all boards", control_ms)
          + f" ({len(control_failed)} never seen: {control_failed[:3]})")
    print(f"tracebacks in replica logs: {tracebacks} ({deadlocks} DeadlockDetected)")
    print(load.line(), flush=True)
    return {**figures, **load.figures()}, ok


if __name__ == "__main__":
    sys.exit(main())
