"""Benchmark: many live webinars at once on one sandbox, in accelerated time.

    .venv-ci/bin/python benchmarks/bench_sandbox_live.py [--webinars 20] [--registrants 2000]
        [--speed 60] [--duration 60] [--no-webhooks]
    .venv-ci/bin/python benchmarks/bench_sandbox_live.py --quick  # 4 x 500, 20 min at speed 60

Each webinar gets ``--registrants`` approved registrants, three panelists and two interpreters,
then all are simulated at once (seeded) on the sandbox clock running ``--speed`` times real
time: the default hour takes a real minute. Signed webhooks go to a small keep-alive receiver
on loopback that checks every signature. Prints the worst lag of the simulation behind the
clock (sandbox seconds and real seconds), the webhook delivery lag (real seconds from the
moment the clock passed an event to the receiver's 2xx), and checks that one webinar's
participants report agrees with its ground truth. No naive baseline (the sandbox is ours:
the figures are its lag behind its own clock). The machine's load follows, and as the last line
one JSON object of the figures (keys: docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import statistics
import sys
import time
from typing import Any

import requests
from benchlib import LoadWatch, emit, rounded

from zoomorch.sandbox import Sandbox

SECRET = "bench-webhook-secret"


class FastReceiver:
    """An asyncio HTTP/1.1 keep-alive endpoint: answers url_validation, verifies signatures.

    Runs in its own process (as a real receiver would), so it does not share the sandbox's GIL.
    """

    def __init__(self, events: Any, bad: Any) -> None:
        self.counters = (events, bad)

    @classmethod
    def spawn(cls) -> tuple[multiprocessing.Process, str, Any, Any]:
        events, bad = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
        parent, child = multiprocessing.Pipe()
        process = multiprocessing.Process(target=cls._serve, args=(child, events, bad),
                                          daemon=True)
        process.start()
        port = parent.recv()
        return process, f"http://127.0.0.1:{port}/zoom/webhook", events, bad

    @classmethod
    def _serve(cls, pipe: Any, events: Any, bad: Any) -> None:
        receiver = cls(events, bad)
        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(receiver._client, "127.0.0.1", 0))
        pipe.send(server.sockets[0].getsockname()[1])
        loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode().split("\r\n")[1:]:
                    if ":" in line:
                        key, _, value = line.partition(":")
                        headers[key.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                expected = "v0=" + hmac.new(
                    SECRET.encode(), b"v0:" + headers["x-zm-request-timestamp"].encode() + b":"
                    + body, hashlib.sha256).hexdigest()
                answer = b""
                if not hmac.compare_digest(expected, headers.get("x-zm-signature", "")):
                    self.counters[1].value += 1
                    status = b"401 Unauthorized"
                else:
                    status = b"200 OK"
                    event = json.loads(body)
                    if event["event"] == "endpoint.url_validation":
                        plain = event["payload"]["plainToken"]
                        answer = json.dumps({"plainToken": plain, "encryptedToken": hmac.new(
                            SECRET.encode(), plain.encode(), hashlib.sha256).hexdigest()
                        }).encode()
                    else:
                        self.counters[0].value += 1
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                             b"Content-Length: " + str(len(answer)).encode() + b"\r\n\r\n"
                             + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def populate(sb: Sandbox, webinars: int, registrants: int, duration: int) -> list[int]:
    """Webinars with approved registrants, panelists and interpreters (straight into the
    store, without registration webhooks: setup is not what is measured)."""
    store = sb.store
    sink, store.on_event = store.on_event, None
    ids = []
    try:
        for w in range(webinars):
            created = store.create_webinar("me", {
                "topic": f"Live benchmark {w}", "type": 5, "duration": duration,
                "settings": {"approval_type": 0, "language_interpretation": {
                    "enable": True, "interpreters": [
                        {"email": f"interp.es.{w}@example.org", "languages": "US,ES"},
                        {"email": f"interp.fr.{w}@example.org", "languages": "US,FR"}]}}})
            wid = int(created["id"])
            store.add_panelists(wid, [{"name": f"Panelist {i}",
                                       "email": f"panelist{i}.{w}@example.org"}
                                      for i in range(3)])
            for start in range(0, registrants, 30):
                store.batch_add_registrants(wid, [
                    {"email": f"p{i}.w{w}@example.org", "first_name": f"Person{i}",
                     "last_name": f"W{w}"} for i in range(start, min(start + 30, registrants))],
                    auto_approve=True)
            ids.append(wid)
    finally:
        store.on_event = sink
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webinars", type=int, default=20)
    parser.add_argument("--registrants", type=int, default=2000)
    parser.add_argument("--speed", type=float, default=60)
    parser.add_argument("--duration", type=int, default=60, help="minutes of agenda")
    parser.add_argument("--no-webhooks", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="4 webinars x 500 registrants, 20 minutes of agenda")
    args = parser.parse_args(argv)
    if args.quick:
        args.webinars, args.registrants, args.duration = 4, 500, 20
    figures: dict[str, Any] = {
        "benchmark": "sandbox_live", "webinars": args.webinars,
        "registrants": args.registrants, "speed": args.speed, "duration_min": args.duration,
        "webhooks": not args.no_webhooks}
    load = LoadWatch().start()

    receiver = None if args.no_webhooks else FastReceiver.spawn()
    hooks: dict[str, Any] = ({"webhook_url": receiver[1], "webhook_secret": SECRET}
                             if receiver else {})
    with Sandbox(client_secret="bench", rate_limits=False, **hooks) as sb:
        t = time.perf_counter()
        webinars = populate(sb, args.webinars, args.registrants, args.duration)
        figures["setup_s"] = rounded(time.perf_counter() - t)
        print(f"setup: {args.webinars} webinars x {args.registrants} registrants in "
              f"{figures['setup_s']:.1f} s")
        sb.store.clock.set_speed(args.speed)
        started = time.perf_counter()
        sims = [sb.simulate(wid, seed=i, late_minutes=2) for i, wid in enumerate(webinars)]
        events = sum(len(s.plan.events) for s in sims)
        people = sum(len(s.plan.people) for s in sims)
        print(f"simulating {people} people, {events} events, at speed {args.speed:g} "
              f"(~{(args.duration + 2) * 60 / args.speed:.0f} s real)")
        # Sample how far behind the clock the simulations are while they run.
        samples: list[float] = []
        while not all(s.done for s in sims):
            now = sb.store.clock.now()
            behind = [max(0.0, (now - m).total_seconds()) for s in sims
                      if (m := s.next_moment()) is not None]
            samples.append(max(behind, default=0.0))
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        worst_sim = max(sims, key=lambda s: s.max_lag_seconds)
        worst, worst_real = worst_sim.max_lag_seconds, worst_sim.max_lag_real_seconds
        where = ((worst_sim.max_lag_at - worst_sim.plan.started_at).total_seconds()
                 if worst_sim.max_lag_at else 0.0)
        print(f"played in {elapsed:.1f} s real; events applied: "
              f"{sum(s.events_applied for s in sims)}")
        print(f"worst lag behind the clock: {worst:.2f} sandbox s = {worst_real * 1000:.1f} ms "
              f"real (at +{where:.0f} sandbox s); sampled backlog p50 "
              f"{statistics.median(samples):.2f} s, max {max(samples):.2f} sandbox s")
        figures.update({
            "people": people, "events": events, "events_applied":
            sum(s.events_applied for s in sims), "played_s": rounded(elapsed),
            "expected_real_s": rounded((args.duration + 2) * 60 / args.speed),
            "worst_lag_sandbox_s": rounded(worst),
            "worst_lag_real_ms": rounded(worst_real * 1000, 1),
            "worst_lag_at_sandbox_s": rounded(where, 0),
            "backlog_p50_sandbox_s": rounded(statistics.median(samples)),
            "backlog_max_sandbox_s": rounded(max(samples))})
        if receiver:
            drained = time.perf_counter()
            sb.wait_webhooks(120)
            stats = sb.webhook_stats()
            lags = sorted(d.lag_seconds for d in sb._webhooks.log  # type: ignore[union-attr]
                          if d.lag_seconds is not None)
            p99 = lags[int(len(lags) * 0.99)] if lags else 0.0
            print(f"webhooks: {stats['by_status']} received {receiver[2].value} "
                  f"(bad signatures {receiver[3].value}); drained "
                  f"{time.perf_counter() - drained:.1f} s after the last webinar ended")
            print(f"webhook delivery lag: p50 {statistics.median(lags) * 1000:.0f} ms, "
                  f"p99 {p99 * 1000:.0f} ms, worst {stats['max_lag_seconds'] * 1000:.0f} ms")
            figures.update({
                "webhooks_by_status": stats["by_status"], "webhooks_received":
                receiver[2].value, "webhook_bad_signatures": receiver[3].value,
                "webhook_drain_s": rounded(time.perf_counter() - drained),
                "webhook_lag_p50_ms": rounded(statistics.median(lags) * 1000, 1),
                "webhook_lag_p99_ms": rounded(p99 * 1000, 1),
                "webhook_lag_max_ms": rounded(stats["max_lag_seconds"] * 1000, 1)})
            # All webinars end at once: everyone still in the room leaves in one burst.
            first_end = min(s.plan.scheduled_end for s in sims).timestamp() * 1000
            during = sorted(d.lag_seconds for d in sb._webhooks.log  # type: ignore[union-attr]
                            if d.lag_seconds is not None and d.event_ts < first_end)
            if during:
                print(f"  before the end burst ({len(during)} events): p99 "
                      f"{during[int(len(during) * 0.99)] * 1000:.0f} ms, worst "
                      f"{during[-1] * 1000:.0f} ms; the end burst is "
                      f"{len(lags) - len(during)} events at one moment")
                figures.update({
                    "webhook_lag_before_end_p99_ms":
                    rounded(during[int(len(during) * 0.99)] * 1000, 1),
                    "webhook_lag_before_end_max_ms": rounded(during[-1] * 1000, 1),
                    "end_burst_events": len(lags) - len(during)})
        # One webinar's report against its ground truth.
        token = requests.post(sb.oauth_url, params={
            "grant_type": "account_credentials", "account_id": sb.credentials.account_id},
            auth=(sb.credentials.client_id, "bench"), timeout=10).json()["access_token"]
        # One report row per connection, traced by its user_id to the truth (Zoom shows no id
        # for people not signed in, so the person is not a usable key).
        rows: dict[str, tuple[str, str, str]] = {}
        count = 0
        next_token = ""
        while True:
            page = requests.get(f"{sb.base_url}/report/webinars/{webinars[0]}/participants",
                                params={"page_size": "300", "next_page_token": next_token},
                                headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
            for row in page["participants"]:
                rows[row["user_id"]] = (row["join_time"], row["leave_time"], row["name"])
                count += 1
            next_token = page["next_page_token"]
            if not next_token:
                break
        people_truth = sims[0].truth()["people"]
        truth = {s["user_id"]: (s["join"], s["leave"], s["name"])
                 for p in people_truth for s in p["spans"]}
        agree = count == len(rows) and rows == truth
        print(f"webinar 1: {count} report rows, {len(people_truth)} people, {len(truth)} "
              f"connections; report agrees with truth (each row's connection, times and "
              f"name): {agree}")
        figures.update({"report_rows": count, "truth_connections": len(truth),
                        "truth_people": len(people_truth), "report_agrees_with_truth": agree})
    if receiver:
        receiver[0].terminate()
    print(load.line())
    emit({**figures, **load.figures()})
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
