"""Benchmark: registrant sync of N new people against the sandbox with Zoom Pro's rate limits.

Prints, for the batched sync, an unchanged re-sync and a naive one-registrant-per-call loop:
wall time, calls made by label, the rate-limit lower bound (for each label, calls needed ÷
allowed calls per second; the slowest label bounds the run) and our ratio to that bound.

    /work/venv/bin/python benchmarks/bench_registrant_sync.py            # 10,000 people
    /work/venv/bin/python benchmarks/bench_registrant_sync.py --people 2000 --naive-people 500
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from zoomorch.db.store import open_store
from zoomorch.rate_labels import PER_SECOND, Plan, RateLabel, label_for
from zoomorch.registrants.ledger import SyncLedger
from zoomorch.registrants.normalise import RegistrationList, normalise_table
from zoomorch.registrants.source import decode_source, parse_table
from zoomorch.registrants.sync import RegistrantSync
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, ZoomCredentials

PLAN = Plan.PRO


def client_for(sandbox: Sandbox) -> ZoomClient:
    env = sandbox.env()
    return ZoomClient(ZoomCredentials(
        account_id=env["ZOOM_ACCOUNT_ID"], client_id=env["ZOOM_CLIENT_ID"],
        client_secret=env["ZOOM_CLIENT_SECRET"], api_base_url=env["ZOOM_API_BASE_URL"],
        oauth_url=env["ZOOM_OAUTH_URL"],
    ), plan=PLAN)


def new_webinar(client: ZoomClient) -> int:
    start = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    webinar = client.create_webinar({"topic": "Benchmark", "type": 5, "start_time": start,
                                     "duration": 60, "settings": {"approval_type": 0}})
    return int(webinar.id or 0)


def registration_list(people: int, prefix: str) -> RegistrationList:
    lines = ["email,first name,last name"]
    lines += [f"{prefix}{i}@bench.example.org,Persona{i},Sáenz" for i in range(people)]
    data = ("\n".join(lines) + "\n").encode()
    return normalise_table(parse_table(decode_source(data), "bench.csv"))


def bound_seconds(calls: Counter[str]) -> tuple[float, Counter[str]]:
    """The rate-limit lower bound of a set of calls, and the calls counted by label."""
    by_label: Counter[str] = Counter()
    for key, count in calls.items():
        method, path = key.split(" ", 1)
        by_label[label_for(method, path).value] += count
    per_label = [count / PER_SECOND[PLAN][RateLabel(label)] for label, count in by_label.items()]
    return max(per_label, default=0.0), by_label


def measure(name: str, action: Callable[[], Counter[str]]) -> float:
    started = time.perf_counter()
    calls = action()
    wall = time.perf_counter() - started
    bound, by_label = bound_seconds(calls)
    labels = ", ".join(f"{label} {count}" for label, count in sorted(by_label.items()))
    ratio = f"{wall / bound:.3f}x" if bound else "n/a"
    print(f"{name:<34} wall {wall:8.2f} s | calls {sum(calls.values()):6d} ({labels}) | "
          f"bound {bound:8.2f} s | ratio {ratio}")
    return wall / bound if bound else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--naive-people", type=int, default=None,
                        help="people for the naive loop (default: --people)")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    naive_people = args.naive_people or args.people

    with Sandbox(plan=PLAN.value, rate_limits=True) as sandbox, \
            tempfile.TemporaryDirectory() as tmp:
        client = client_for(sandbox)
        webinar_id = new_webinar(client)
        store = open_store(f"sqlite:///{Path(tmp) / 'state.sqlite3'}")
        source = registration_list(args.people, "p")
        sync = RegistrantSync(client, webinar_id, ledger=SyncLedger(store, "bench", webinar_id),
                              automatic_approval=True, workers=args.workers)
        print(f"sandbox plan {PLAN.value}: Heavy {PER_SECOND[PLAN][RateLabel.HEAVY]:g}/s, "
              f"Medium {PER_SECOND[PLAN][RateLabel.MEDIUM]:g}/s, "
              f"Light {PER_SECOND[PLAN][RateLabel.LIGHT]:g}/s")

        def first_sync() -> Counter[str]:
            report = sync.run(source)
            assert report.counts.adds_up, report.counts.summary()
            return report.calls

        def resync() -> Counter[str]:
            report = sync.run(source)
            assert report.write_calls == 0
            return report.calls

        naive_webinar = new_webinar(client)
        naive_source = registration_list(naive_people, "n")

        def naive_loop() -> Counter[str]:
            before = Counter(client.calls)
            for registration in naive_source.registrations:
                client.add_registrant(naive_webinar, registration.zoom_fields())
            return Counter(client.calls) - before

        ratio = measure(f"sync, {args.people} new (batched)", first_sync)
        measure(f"re-sync, {args.people} unchanged", resync)
        measure(f"naive loop, {naive_people} new", naive_loop)
        throttled = sum(1 for r in sandbox.requests_log() if r["status"] == 429)
        print(f"429 answers from the sandbox during the run: {throttled}")
        print(f"target: batched sync within 1.15x of the bound -> "
              f"{'met' if ratio <= 1.15 else 'NOT met'} ({ratio:.3f}x)")


if __name__ == "__main__":
    main()
