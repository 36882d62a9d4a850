"""The cue board under load: 1,000 open boards of one event while its cues fall due.

`zoomorch serve`'s app (the cue scheduler running, the board channel on) runs in a process of
its own; this process opens `--boards` (1,000) server-sent event streams of one event, as the
board page does, then leaves them idle for `--idle` seconds, then lets the event's cues fall
due (a short agenda at `--speed`). Meanwhile a thread asks `/healthz` every 50 ms.

Measured:
- cue-to-board: for every (board, cue), the time from the cue's due time until that board
  received a snapshot listing the cue (what the moderator sees), and until it received the
  cue itself (the toast) — p50 / p99 / max, and how many (board, cue) never arrived;
- `/healthz` answer time, p50 / p99 / max;
- the service's CPU (its process's user + system time) while idle and while the cues ran.

The clients share the machine with the service (2 cores here): every latency is measured on a
loaded client too, so it is an upper bound. Targets: cue-to-board p99 <= 250 ms and `/healthz`
p99 <= 50 ms with every (board, cue) arrived. Prints the figures, the machine's load, and as
its last line one JSON object (keys: docs/benchmarks.md).

    .venv-ci/bin/python benchmarks/bench_board_fanout.py [--boards 1000] [--idle 5] [--speed 20]

Exit status 0 when the targets hold, 1 when they do not.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchlib import LoadWatch, emit, rounded

M = timedelta(minutes=1)
SLUG = "fanout"
BOARD_KEY = "bench-board-fanout-key-0123456789-abcdefghij"


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --------------------------------------------------------------------------- the service


def _agenda(start: datetime, speed: float) -> Any:
    """Three 2-minute segments (auto advance), a warning 1 minute before each end, two
    people: about a dozen cues, one every event minute."""
    from zoomorch.cues import Booth, CueAgenda, CueSettings, Recipient, SegmentPlan

    segments = tuple(SegmentPlan(i, f"Segment {i}", i * 2 * M, 2 * M, speakers=(f"S{i}",))
                     for i in range(3))
    people = tuple(Recipient(f"mod-{n}", f"Moderator {n}", "en", ZoneInfo("UTC"),
                             frozenset({"moderator", "host"})) for n in range(2))
    settings = CueSettings(tech_check_before=2 * M, doors_open_before=M, advance="auto",
                           handover_every=timedelta(0), late_grace=timedelta(seconds=30),
                           warnings={i: (M,) for i in range(3)})
    return CueAgenda(SLUG, "Board fan-out", ZoneInfo("UTC"), start, 6 * M, segments, people,
                     (Booth("ES-US", "ES⇄EN", ("A", "B")),), settings, speed)


def serve(start: datetime, speed: float) -> None:
    """The service, in this process, until stdin closes."""
    _raise_fd_limit()
    from zoomorch.board.tokens import BoardTokens
    from zoomorch.db.store import open_store
    from zoomorch.runtime import LiveRuntime
    from zoomorch.service.app import RunningService

    directory = Path(tempfile.mkdtemp(prefix="bench-board-"))
    store = open_store(f"sqlite:///{directory / 'state.sqlite3'}")
    tokens = BoardTokens(BOARD_KEY)
    runtime = LiveRuntime.of_agendas(store, [_agenda(start, speed)])
    ctx = runtime.service_context(tokens, webhook_secret=None, run_scheduler=True)
    with RunningService(ctx) as service:
        print(json.dumps({"base_url": service.base_url,
                          "token": tokens.issue(SLUG, "viewer", timedelta(hours=1))}),
              flush=True)
        sys.stdin.read()


# --------------------------------------------------------------------------- the boards


class Board:
    """One open board: when each cue reached it, as a snapshot listing it and as a toast."""

    def __init__(self, cue_ids: list[str]) -> None:
        self.waiting = set(cue_ids)
        self.listed: dict[str, float] = {}
        self.toasted: dict[str, float] = {}
        self.states = 0
        self.ready = asyncio.Event()
        self.error: str | None = None

    def on_event(self, name: str, data: str, at: float) -> None:
        if name == "state":
            self.states += 1
            self.ready.set()
            for cue_id in [c for c in self.waiting if c in data]:
                self.listed[cue_id] = at
                self.waiting.discard(cue_id)
        elif name == "cue":
            cue_id = json.loads(data).get("cue_id")
            self.toasted.setdefault(cue_id, at)


async def open_board(host: str, port: int, token: str, board: Board) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
        # HTTP/1.0: the body ends with the connection, no chunked framing to undo.
        writer.write(f"GET /board/{SLUG}/stream?token={token} HTTP/1.0\r\nHost: bench\r\n"
                     "Accept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            board.error = status.decode(errors="replace").strip()
            board.ready.set()
            return
        while (await reader.readline()).strip():
            pass  # headers
        name, data = "message", []
        while True:
            line = await reader.readline()
            if not line:
                return
            text = line.decode().rstrip("\r\n")
            if text.startswith("event:"):
                name = text[6:].strip()
            elif text.startswith("data:"):
                data.append(text[5:].strip())
            elif not text:
                if data:
                    board.on_event(name, "".join(data), time.time())
                name, data = "message", []
    except (ConnectionError, OSError) as exc:
        board.error = repr(exc)
        board.ready.set()


def probe_healthz(host: str, port: int, stop: threading.Event, out: list[float]) -> None:
    """GET /healthz every 50 ms on one kept-alive connection; answer times in ms."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    while not stop.wait(0.05):
        began = time.perf_counter()
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
            continue
        out.append((time.perf_counter() - began) * 1000)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"p50": rounded(percentile(values, 50), 1), "p99": rounded(percentile(values, 99), 1),
            "max": rounded(max(values), 1), "mean": rounded(statistics.fmean(values), 1)}


async def run_boards(args: argparse.Namespace, server: subprocess.Popen[str],
                     info: dict[str, Any], start: datetime) -> dict[str, Any]:
    from urllib.parse import urlsplit

    import httpx

    url = urlsplit(info["base_url"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    plan = httpx.get(f"{info['base_url']}/api/events/{SLUG}/plan",
                     params={"token": info["token"]}, timeout=10).json()
    dues = {c["id"]: datetime.fromisoformat(c["due"]).timestamp() for c in plan["cues"]
            if not c["projected"] and not c.get("quiet")}
    boards = [Board(list(dues)) for _ in range(args.boards)]
    healthz: list[float] = []
    stop = threading.Event()
    prober = threading.Thread(target=probe_healthz, args=(host, port, stop, healthz),
                              daemon=True)
    began = time.monotonic()
    tasks = []
    for i, board in enumerate(boards):
        tasks.append(asyncio.create_task(open_board(host, port, info["token"], board)))
        if i % 50 == 49:
            await asyncio.sleep(0.01)  # a crowd arriving, not one SYN flood
    await asyncio.wait_for(asyncio.gather(*(b.ready.wait() for b in boards)), timeout=120)
    connect_s = time.monotonic() - began
    connected = sum(1 for b in boards if b.error is None)
    first_due = min(dues.values())
    if first_due - time.time() < args.idle + 1:
        print(f"WARNING: the first cue falls due {first_due - time.time():.1f} s after the "
              f"boards were open, less than --idle {args.idle:g} s: give a longer --lead")
    prober.start()
    cpu0 = cpu_seconds(server.pid)
    await asyncio.sleep(args.idle)
    idle_cpu = (cpu_seconds(server.pid) - cpu0) / args.idle * 100
    states_before = sum(b.states for b in boards)
    healthz_idle = len(healthz)
    last_due = max(dues.values())
    await asyncio.sleep(max(0.0, first_due - time.time()))
    cpu1, t1 = cpu_seconds(server.pid), time.time()
    await asyncio.sleep(max(0.0, last_due - time.time()) + args.settle)
    cues_cpu = (cpu_seconds(server.pid) - cpu1) / (time.time() - t1) * 100
    stop.set()
    prober.join(timeout=5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    listed = [(b.listed[c] - due) * 1000 for b in boards if b.error is None
              for c, due in dues.items() if c in b.listed]
    toasts = [(b.toasted[c] - due) * 1000 for b in boards if b.error is None
              for c, due in dues.items() if c in b.toasted]
    missing = sum(len(b.waiting) for b in boards if b.error is None)
    return {"connected": connected, "connect_s": connect_s, "cues": len(dues),
            "listed": listed, "toasts": toasts, "missing": missing,
            "healthz": healthz, "healthz_idle": healthz[:healthz_idle],
            "healthz_cues": healthz[healthz_idle:], "idle_cpu": idle_cpu,
            "cues_cpu": cues_cpu, "idle_states": states_before - connected,
            "states_per_board": statistics.fmean(b.states for b in boards),
            "errors": sorted({b.error for b in boards if b.error})[:3],
            "window_s": last_due - first_due}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=5.0,
                        help="seconds with every board open and nothing due")
    parser.add_argument("--speed", type=float, default=20.0,
                        help="event time runs this many times faster (cue every 60/speed s)")
    parser.add_argument("--lead", type=float, default=0.0,
                        help="seconds from the start to the first cue (default: enough to "
                             "open the boards and idle)")
    parser.add_argument("--settle", type=float, default=2.0,
                        help="seconds to wait after the last cue's due time")
    parser.add_argument("--target-board-p99-ms", type=float, default=250.0)
    parser.add_argument("--target-healthz-p99-ms", type=float, default=50.0)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the service's process
    args = parser.parse_args()
    if args.serve:
        serve(datetime.fromisoformat(args.serve), args.speed)
        return
    _raise_fd_limit()
    load = LoadWatch().__enter__()
    lead = args.lead or 8.0 + args.boards * 0.01 + args.idle
    # The tech check is 2 event-minutes before the start: the first cue at `lead`.
    start = datetime.now(UTC) + timedelta(seconds=lead) + 2 * M / args.speed
    server = subprocess.Popen([sys.executable, __file__, "--serve", start.isoformat(),
                               "--speed", str(args.speed)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        r = asyncio.run(run_boards(args, server, info, start))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    listed, toasts, healthz = r["listed"], r["toasts"], r["healthz"]
    print(f"{r['connected']} of {args.boards} boards open in {r['connect_s']:.1f} s"
          + (f"; errors: {r['errors']}" if r["errors"] else ""))
    print(f"idle {args.idle:g} s: service CPU {r['idle_cpu']:.1f}% of a core, "
          f"{r['idle_states']} snapshots sent to all boards together")
    print(f"{r['cues']} cues over {r['window_s']:.1f} s: service CPU {r['cues_cpu']:.1f}% of "
          f"a core; {r['states_per_board']:.1f} snapshots a board in all")
    for label, values in (("cue-to-board (snapshot listing it)", listed),
                          ("cue-to-board (the cue itself)", toasts),
                          ("/healthz", healthz)):
        s = spread(values)
        if s:
            print(f"{label} ms: p50 {s['p50']:.1f}  p99 {s['p99']:.1f}  max {s['max']:.1f}  "
                  f"({len(values)} samples)")
    print(f"(board, cue) pairs never arrived: {r['missing']}")
    board_p99 = percentile(listed, 99) if listed else None
    healthz_p99 = percentile(healthz, 99) if healthz else None
    ok = (r["connected"] == args.boards and r["missing"] == 0 and board_p99 is not None
          and healthz_p99 is not None and board_p99 <= args.target_board_p99_ms
          and healthz_p99 <= args.target_healthz_p99_ms)
    print(f"targets: cue-to-board p99 <= {args.target_board_p99_ms:g} ms, /healthz p99 <= "
          f"{args.target_healthz_p99_ms:g} ms, every board every cue:",
          "met" if ok else "NOT met")
    print(load.line())
    emit({"benchmark": "board_fanout", "boards": args.boards, "connected": r["connected"],
          "connect_s": rounded(r["connect_s"], 2), "cues": r["cues"], "speed": args.speed,
          "idle_s": args.idle, "cue_window_s": rounded(r["window_s"], 1),
          "cue_to_board_ms": spread(listed), "cue_event_ms": spread(toasts),
          "missing": r["missing"], "healthz_ms": spread(healthz),
          "healthz_idle_ms": spread(r["healthz_idle"]),
          "healthz_cues_ms": spread(r["healthz_cues"]), "healthz_samples": len(healthz),
          "service_cpu_idle_pct": rounded(r["idle_cpu"], 1),
          "service_cpu_cues_pct": rounded(r["cues_cpu"], 1),
          "idle_snapshots": r["idle_states"],
          "snapshots_per_board": rounded(r["states_per_board"], 1),
          "target_board_p99_ms": args.target_board_p99_ms,
          "target_healthz_p99_ms": args.target_healthz_p99_ms, "target_met": ok,
          **load.figures()})
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
