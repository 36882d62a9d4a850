"""How close to Zoom's rate limit our client runs, and how many 429s it provokes.

Starts a sandbox with rate limits on, drives ``--calls`` Light calls (GET /webinars/{id},
30/s on Pro) through one shared ZoomClient from several threads, then the same number
through a naive client (plain requests, same threads, no limiter) for comparison.
Goal: within 5% of the limit and zero 429s for ours.

    /work/venv/bin/python benchmarks/bench_client_rate_limit.py [--calls 2000] [--threads 8]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable

import requests

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


def count_429(sb: Sandbox, since: int) -> tuple[int, int]:
    log = sb.requests_log()[since:]
    return len(log), sum(1 for entry in log if entry["status"] == 429)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--plan", choices=[p.value for p in Plan], default="pro")
    args = parser.parse_args()
    plan = Plan(args.plan)
    limit = PER_SECOND[plan][RateLabel.LIGHT]

    with Sandbox(plan=plan, rate_limits=True) as sb:
        client = ZoomClient(load_settings(environ=sb.env()).credentials, plan)
        webinar = client.create_webinar({"topic": "Benchmark", "type": 5})
        time.sleep(1.1)  # let the setup call leave the server's 1-second window

        mark = len(sb.requests_log())
        elapsed = run_threads(args.calls, args.threads, lambda: client.get_webinar(webinar.id))
        served, refused = count_429(sb, mark)
        rate = args.calls / elapsed
        print(f"zoomorch client: {args.calls} Light calls, {args.threads} threads, plan {plan}")
        print(f"  elapsed {elapsed:.1f} s, achieved {rate:.2f}/s vs limit {limit:g}/s "
              f"({rate / limit:.1%} of the limit)")
        print(f"  requests served {served}, 429s seen by the server {refused}")
        ok = refused == 0 and rate >= 0.95 * limit
        print(f"  goal (>= 95% of the limit, zero 429s): {'met' if ok else 'NOT met'}")

        time.sleep(1.1)
        token = client.transport.auth.token()
        session = requests.Session()
        url = f"{sb.base_url}/webinars/{webinar.id}"
        statuses: list[int] = []

        def naive_call() -> None:
            response = session.get(url, headers={"Authorization": f"Bearer {token}"})
            statuses.append(response.status_code)

        mark = len(sb.requests_log())
        elapsed = run_threads(args.calls, args.threads, naive_call)
        served, refused = count_429(sb, mark)
        succeeded = statuses.count(200)
        print(f"naive client (no limiter): {args.calls} calls, {args.threads} threads")
        print(f"  elapsed {elapsed:.1f} s, {succeeded} succeeded "
              f"({succeeded / elapsed:.2f}/s), 429s seen by the server {refused} of {served}")


if __name__ == "__main__":
    main()
