"""What the benchmarks share: the machine's load beside every figure, the one-JSON-object last
line, and the naive baseline's client (the third-party ``zoomus`` with a plain 429 retry).

The benchmarks are run as scripts (``python benchmarks/bench_x.py``), so this module is
imported by its bare name from the script's own directory.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import requests


class LoadWatch:
    """The load of the machine during a run: ``os.getloadavg()`` at the start, at the end,
    and the 1-minute figure sampled every ``every`` seconds in between (mean and max).

    A figure counts only if it holds while the machine is busy: these numbers go beside it.
    """

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self.start_avg: tuple[float, float, float] = os.getloadavg()
        self.end_avg: tuple[float, float, float] | None = None
        self.samples: list[float] = [self.start_avg[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="load-watch", daemon=True)

    def start(self) -> LoadWatch:
        self.start_avg = os.getloadavg()
        self.samples = [self.start_avg[0]]
        self._thread.start()
        return self

    def __enter__(self) -> LoadWatch:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> None:
        if self.end_avg is None:
            self._stop.set()
            if self._thread.is_alive():
                self._thread.join()
            self.end_avg = os.getloadavg()
            self.samples.append(self.end_avg[0])

    def figures(self) -> dict[str, Any]:
        """The load keys every benchmark's JSON carries (docs/benchmarks.md names them)."""
        self.stop()
        assert self.end_avg is not None
        return {
            "cpu_count": os.cpu_count(),
            "loadavg_start": [round(x, 2) for x in self.start_avg],
            "loadavg_end": [round(x, 2) for x in self.end_avg],
            "load1_mean": round(sum(self.samples) / len(self.samples), 2),
            "load1_max": round(max(self.samples), 2),
        }

    def line(self) -> str:
        f = self.figures()
        return (f"machine load during the run: 1-min load mean {f['load1_mean']:.2f}, "
                f"max {f['load1_max']:.2f} on {f['cpu_count']} CPUs "
                f"(loadavg at start {f['loadavg_start']}, at end {f['loadavg_end']})")


def emit(figures: dict[str, Any]) -> None:
    """Print the figures as one JSON object: the benchmark's last line of output."""
    print(json.dumps(figures, ensure_ascii=False, sort_keys=False), flush=True)


def rounded(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


# --- the naive baseline: what a user would really write --------------------------------------


def zoomus_client(sandbox: Any) -> Any:
    """The published ``zoomus`` client pointed at the sandbox, as
    tests/test_sandbox_third_party_client.py does (its own OAuth, its own requests calls)."""
    import zoomus

    env = sandbox.env()
    client = zoomus.ZoomClient(env["ZOOM_CLIENT_ID"], env["ZOOM_CLIENT_SECRET"],
                               env["ZOOM_ACCOUNT_ID"], base_uri=sandbox.base_url,
                               oauth_uri=sandbox.oauth_url)
    if not client.config.get("token"):
        raise RuntimeError("zoomus got no OAuth token from the sandbox")
    return client


class Retry429:
    """A user's rate-limit handling: on HTTP 429, sleep ``pause`` seconds and send again.

    Counts the 429s it saw and the seconds it slept. Any other status is returned as it is
    (the caller checks it).
    """

    def __init__(self, pause: float = 1.0) -> None:
        self.pause = pause
        self.throttled = 0
        self.slept = 0.0
        self._lock = threading.Lock()

    def __call__(self, send: Callable[[], requests.Response]) -> requests.Response:
        while True:
            response = send()
            if response.status_code != 429:
                return response
            with self._lock:
                self.throttled += 1
                self.slept += self.pause
            time.sleep(self.pause)


def expect(response: requests.Response, *statuses: int) -> requests.Response:
    """Stop the naive run on an answer it did not expect (a benchmark must not hide errors)."""
    if response.status_code not in statuses:
        raise RuntimeError(f"naive client: {response.request.method} {response.url} -> "
                           f"{response.status_code} {response.text[:300]}")
    return response


# --- what the sandbox served: the same count for zoomorch and for the baseline ---------------


def served_since(sandbox: Any, mark: int) -> list[dict[str, Any]]:
    """The sandbox's log of /v2 calls from index ``mark`` on (``len(requests_log())`` before)."""
    return list(sandbox.requests_log()[mark:])


def by_label(log: list[dict[str, Any]]) -> dict[str, int]:
    """Calls the sandbox accepted (not 429), counted by rate-limit label."""
    counts: dict[str, int] = {}
    for entry in log:
        if entry["status"] != 429:
            counts[entry["label"]] = counts.get(entry["label"], 0) + 1
    return dict(sorted(counts.items()))


def throttled(log: list[dict[str, Any]]) -> int:
    """429 answers in the log."""
    return sum(1 for entry in log if entry["status"] == 429)


def bound_seconds(plan: Any, labels: dict[str, int]) -> float:
    """The rate-limit lower bound of a set of calls: for each label, calls ÷ calls allowed per
    second on ``plan``; the slowest label bounds the run (labels have separate windows)."""
    from zoomorch.rate_labels import PER_SECOND, RateLabel

    return max((n / PER_SECOND[plan][RateLabel(label)] for label, n in labels.items()),
               default=0.0)


def phase(name: str, wall: float, log: list[dict[str, Any]], plan: Any,
          width: int = 42) -> dict[str, Any]:
    """One measured phase of a sync benchmark against ``plan``'s limits: print its line
    (wall time, calls per rate-limit label, 429s, the rate-limit lower bound and the ratio to
    it) and return its figures."""
    labels = by_label(log)
    bound = bound_seconds(plan, labels)
    ratio = wall / bound if bound else None
    shown = ", ".join(f"{label} {n}" for label, n in labels.items())
    print(f"{name:<{width}} wall {wall:8.2f} s | calls {sum(labels.values()):6d} ({shown}) | "
          f"429s {throttled(log):5d} | bound {bound:8.2f} s | "
          f"ratio {f'{ratio:.3f}x' if ratio else 'n/a'}")
    return {"wall_s": rounded(wall), "calls": sum(labels.values()), "calls_by_label": labels,
            "status_429": throttled(log), "bound_s": rounded(bound),
            "ratio_to_bound": rounded(ratio) if ratio else None}
