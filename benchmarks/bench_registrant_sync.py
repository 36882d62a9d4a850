"""Benchmark: registrant sync of N new people against the sandbox with Zoom Pro's rate limits.

The same generated list (email, first name, last name; automatic approval) goes three ways, on
one sandbox, in one run:

- zoomorch's sync (``RegistrantSync``: batched, 30 people a call, paced by its client),
- the same sync again with nothing changed (what a re-run costs),
- the naive baseline, what a user would really write: the third-party ``zoomus`` client in a
  plain loop, one ``webinar.register`` call per row, and on HTTP 429 ``sleep(1)`` and send
  again.

For each: wall time (from the list's bytes to the last answer), the calls the sandbox accepted
by rate-limit label, the 429s it answered, the rate-limit lower bound (for each label, calls ÷
calls allowed per second; the slowest label bounds the run) and the ratio to that bound. Then
zoomorch's speed-up over the baseline (people per second), the machine's load, and, as the last
line, one JSON object of the figures (keys: docs/benchmarks.md).

    .venv-ci/bin/python benchmarks/bench_registrant_sync.py            # 10,000 people
    .venv-ci/bin/python benchmarks/bench_registrant_sync.py --quick    # 1,000 people
    .venv-ci/bin/python benchmarks/bench_registrant_sync.py --people 2000 --naive-people 500
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import (
    LoadWatch,
    Retry429,
    emit,
    expect,
    phase,
    rounded,
    served_since,
    zoomus_client,
)

from zoomorch.db.store import open_store
from zoomorch.rate_labels import PER_SECOND, Plan, RateLabel
from zoomorch.registrants.ledger import SyncLedger
from zoomorch.registrants.normalise import normalise_table
from zoomorch.registrants.source import decode_source, parse_table
from zoomorch.registrants.sync import RegistrantSync
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, load_settings

PLAN = Plan.PRO
TARGET_RATIO = 1.15  # zoomorch's sync within 15% of the rate-limit lower bound


def registration_csv(people: int) -> bytes:
    lines = ["email,first name,last name"]
    lines += [f"p{i}@bench.example.org,Persona{i},Sáenz" for i in range(people)]
    return ("\n".join(lines) + "\n").encode()


def new_webinar(client: ZoomClient) -> int:
    start = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    webinar = client.create_webinar({"topic": "Benchmark", "type": 5, "start_time": start,
                                     "duration": 60, "settings": {"approval_type": 0}})
    return int(webinar.id or 0)


def naive_loop(zoom: Any, webinar_id: int, data: bytes, retry: Retry429) -> int:
    """What a user writes with zoomus: read the CSV, register each row, sleep on 429."""
    added = 0
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        response = retry(lambda row=row: zoom.webinar.register(
            id=webinar_id, email=row["email"], first_name=row["first name"],
            last_name=row["last name"]))
        expect(response, 201)
        added += 1
    return added


def registrants_in(client: ZoomClient, webinar_id: int, status: str) -> int:
    return sum(1 for _ in client.iter_registrants(webinar_id, status))



def measured(name: str, wall: float, log: list[dict[str, Any]]) -> dict[str, Any]:
    return phase(name, wall, log, PLAN, width=36)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=None, help="default 10,000")
    parser.add_argument("--naive-people", type=int, default=None,
                        help="people for the zoomus loop (default: --people)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="1,000 people (a short run)")
    args = parser.parse_args()
    people = args.people or (1_000 if args.quick else 10_000)
    naive_people = args.naive_people or people

    with LoadWatch() as load, Sandbox(plan=PLAN.value, rate_limits=True) as sandbox, \
            tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(environ=sandbox.env())
        client = ZoomClient(settings.credentials, PLAN)
        assert client.plan is sandbox.plan is PLAN
        limits = PER_SECOND[PLAN]
        print(f"plan {PLAN.value} on both sides (zoomorch's client paces for it, the sandbox "
              f"enforces it): Heavy {limits[RateLabel.HEAVY]:g}/s, "
              f"Medium {limits[RateLabel.MEDIUM]:g}/s, Light {limits[RateLabel.LIGHT]:g}/s")
        store = open_store(f"sqlite:///{Path(tmp) / 'state.sqlite3'}")
        webinar_id, naive_webinar = new_webinar(client), new_webinar(client)
        data, naive_data = registration_csv(people), registration_csv(naive_people)
        sync = RegistrantSync(client, webinar_id, ledger=SyncLedger(store, "bench", webinar_id),
                              automatic_approval=True, workers=args.workers)

        def sync_from_bytes() -> Any:
            source = normalise_table(parse_table(decode_source(data), "bench.csv"))
            return sync.run(source)

        time.sleep(1.1)  # setup calls leave the sandbox's 1-second windows
        mark = len(sandbox.requests_log())
        began = time.perf_counter()
        report = sync_from_bytes()
        wall = time.perf_counter() - began
        assert report.counts.adds_up and report.counts.by_outcome, report.counts.summary()
        ours = measured(f"zoomorch sync, {people} new (batched)", wall,
                     served_since(sandbox, mark))

        mark = len(sandbox.requests_log())
        began = time.perf_counter()
        again = sync_from_bytes()
        wall = time.perf_counter() - began
        assert again.write_calls == 0, again.calls
        resync = measured(f"zoomorch re-sync, {people} unchanged", wall,
                       served_since(sandbox, mark))

        zoom = zoomus_client(sandbox)
        retry = Retry429(pause=1.0)
        time.sleep(1.1)
        mark = len(sandbox.requests_log())
        began = time.perf_counter()
        added = naive_loop(zoom, naive_webinar, naive_data, retry)
        wall = time.perf_counter() - began
        naive = measured(f"naive zoomus loop, {naive_people} new", wall,
                      served_since(sandbox, mark))
        naive["slept_s"] = rounded(retry.slept)

        # Both webinars hold everyone, approved: the two did the same work.
        held = registrants_in(client, webinar_id, "approved")
        naive_held = registrants_in(client, naive_webinar, "approved")
        assert held == people and naive_held == naive_people == added, (held, naive_held)
        ours_rate = people / ours["wall_s"]
        naive_rate = naive_people / naive["wall_s"]
        speedup = ours_rate / naive_rate
        print(f"zoomorch {ours_rate:.1f} people/s vs naive zoomus loop {naive_rate:.1f} "
              f"people/s: {speedup:.1f}x faster (naive slept {retry.slept:.0f} s on "
              f"{retry.throttled} 429s)")
        met = ours["ratio_to_bound"] is not None and ours["ratio_to_bound"] <= TARGET_RATIO
        print(f"target: zoomorch's sync within {TARGET_RATIO}x of the bound -> "
              f"{'met' if met else 'NOT met'} ({ours['ratio_to_bound']}x)")
        print(load.line())
        emit({"benchmark": "registrant_sync", "plan": PLAN.value, "people": people,
              "naive_people": naive_people, "workers": args.workers,
              "sync": ours, "resync": resync, "naive": naive,
              "sync_people_per_s": rounded(ours_rate, 1),
              "naive_people_per_s": rounded(naive_rate, 1),
              "speedup_vs_naive": rounded(speedup, 2),
              "target_ratio_to_bound": TARGET_RATIO, "target_met": met, **load.figures()})
        store.close()
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
