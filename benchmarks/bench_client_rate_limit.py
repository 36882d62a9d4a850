"""How close to Zoom's rate limit our client runs, and how many 429s it provokes.

Starts a sandbox with rate limits on (``--plan``, Pro by default, for the sandbox and for
zoomorch's client alike), drives ``--calls`` Light calls (GET /webinars/{id}, 30/s on Pro)
through one shared ZoomClient from ``--threads`` threads, then the same number through the
naive baseline, what a user would really write: the third-party ``zoomus`` client
(``webinar.get``) from the same threads, each thread sleeping 1 s and sending again on HTTP 429.
Every call of both must succeed. Goal for ours: at least 95% of the limit and zero 429s.

Prints both runs, zoomorch's speed-up over the baseline, the machine's load, and as the last
line one JSON object of the figures (keys: docs/benchmarks.md).

    .venv-ci/bin/python benchmarks/bench_client_rate_limit.py [--calls 2000] [--threads 8]
    .venv-ci/bin/python benchmarks/bench_client_rate_limit.py --quick      # 300 calls
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from benchlib import (
    LoadWatch,
    Retry429,
    emit,
    expect,
    rounded,
    served_since,
    throttled,
    zoomus_client,
)

from zoomorch.rate_labels import PER_SECOND, Plan, RateLabel
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, load_settings


def run_threads(calls: int, threads: int, call: Callable[[], None]) -> float:
    """Make ``calls`` calls spread over ``threads`` threads; returns elapsed seconds."""
    remaining = [calls]
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            call()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started


def figures(calls: int, elapsed: float, limit: float, log: list[dict[str, Any]]) -> dict[str, Any]:
    rate = calls / elapsed
    return {"elapsed_s": rounded(elapsed), "rate_per_s": rounded(rate, 2),
            "fraction_of_limit": rounded(rate / limit, 4), "served": len(log),
            "status_429": throttled(log)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=None, help="default 2,000")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--plan", choices=[p.value for p in Plan], default="pro")
    parser.add_argument("--quick", action="store_true", help="300 calls")
    args = parser.parse_args()
    calls = args.calls or (300 if args.quick else 2000)
    plan = Plan(args.plan)
    limit = PER_SECOND[plan][RateLabel.LIGHT]

    with LoadWatch() as load, Sandbox(plan=plan, rate_limits=True) as sb:
        client = ZoomClient(load_settings(environ=sb.env()).credentials, plan)
        assert client.plan is sb.plan is plan
        webinar = client.create_webinar({"topic": "Benchmark", "type": 5})
        time.sleep(1.1)  # let the setup call leave the server's 1-second window

        mark = len(sb.requests_log())
        elapsed = run_threads(calls, args.threads, lambda: client.get_webinar(webinar.id))
        ours = figures(calls, elapsed, limit, served_since(sb, mark))
        print(f"zoomorch client: {calls} Light calls, {args.threads} threads, plan {plan} "
              f"(limit {limit:g}/s)")
        print(f"  elapsed {elapsed:.1f} s, achieved {ours['rate_per_s']:.2f}/s "
              f"({ours['fraction_of_limit']:.1%} of the limit); requests served "
              f"{ours['served']}, 429s {ours['status_429']}")
        met = ours["status_429"] == 0 and ours["fraction_of_limit"] >= 0.95
        print(f"  goal (>= 95% of the limit, zero 429s): {'met' if met else 'NOT met'}")

        zoom = zoomus_client(sb)
        retry = Retry429(pause=1.0)
        time.sleep(1.1)
        mark = len(sb.requests_log())

        def naive_call() -> None:
            expect(retry(lambda: zoom.webinar.get(id=webinar.id)), 200)

        elapsed = run_threads(calls, args.threads, naive_call)
        naive = figures(calls, elapsed, limit, served_since(sb, mark))
        naive["slept_s"] = rounded(retry.slept)
        print(f"naive zoomus client (sleep 1 s on 429): {calls} calls, {args.threads} threads")
        print(f"  elapsed {elapsed:.1f} s, achieved {naive['rate_per_s']:.2f}/s "
              f"({naive['fraction_of_limit']:.1%} of the limit); requests served "
              f"{naive['served']}, 429s {naive['status_429']}, slept {retry.slept:.0f} "
              "thread-seconds")
        speedup = ours["rate_per_s"] / naive["rate_per_s"]
        print(f"zoomorch {speedup:.2f}x the naive client's rate, with "
              f"{ours['status_429']} vs {naive['status_429']} 429s")
        print(load.line())
        emit({"benchmark": "client_rate_limit", "plan": plan.value, "label": "Light",
              "limit_per_s": limit, "calls": calls, "threads": args.threads,
              "zoomorch": ours, "naive": naive, "speedup_vs_naive": rounded(speedup, 2),
              "goal_met": met, **load.figures()})
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
