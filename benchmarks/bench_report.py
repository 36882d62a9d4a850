"""Benchmark: 50,000 participant rows from the sandbox -> the full attendance report.

    /work/venv/bin/python benchmarks/bench_report.py [--rows 50000] [--people 20000]

Prints the fetch time (HTTP + storing raw pages; paced by the client's rate limiter for the
chosen plan), our own processing time (reading pages back, analysis, CSV + XLSX + HTML), and
peak memory (tracemalloc) of the processing. To show that memory does not grow with the
number of pages, it also streams the first fifth of the stored participant pages and then all
of them, and prints both peaks: they stay about one page apart, not five times apart.
Target: processing <= 10 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from zoomorch.db.store import open_store
from zoomorch.event import load_event
from zoomorch.report.fetch import PARTICIPANTS, StoredReport, fetch_reports
from zoomorch.report.run import analyse, export
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient
from zoomorch.zoom.config import load_settings

SEED = Path(__file__).resolve().parent.parent / "config" / "imrf-2022-latam.toml"
COUNTRIES = ["MX", "CO", "VE", "AR", "PE", "CL", "BR", "US", "ES", "FR", "GT", "HN", "EC"]
LANGUAGES = ["Español", "English", "Français"]


def populate(sb: Sandbox, rows: int, people: int, seed: int = 7) -> tuple[int, str]:
    """A webinar with ``people`` registrants who together make ``rows`` join rows."""
    rng = random.Random(seed)
    spec = load_event(SEED)
    planned = spec.webinar.start_utc
    sb.store.clock.set(planned - timedelta(days=2))
    body = {"topic": spec.webinar.title, "type": 5, "duration": 60,
            "timezone": spec.webinar.timezone,
            "start_time": planned.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "settings": {"approval_type": 0}}
    wid = int(sb.store.create_webinar("me", body)["id"])
    for i in range(people):
        sb.store.add_registrant(wid, {
            "email": f"p{i}@example.org", "first_name": f"Person{i}", "last_name": "Test",
            "country": rng.choice(COUNTRIES), "org": f"Org {i % 500}",
            "custom_questions": [{"title": "Preferred language",
                                  "value": rng.choice(LANGUAGES)}]})
    start = planned + timedelta(minutes=3)
    sb.store.start_webinar(wid, at=start)
    made = 0
    person = 0
    while made < rows:
        # Each person joins 1-4 times at random moments of the 60 minutes.
        joins = min(rows - made, rng.randint(1, 4))
        cursor = rng.uniform(-5, 40)
        for _ in range(joins):
            leave = cursor + rng.uniform(1, 20)
            email = f"p{person % people}@example.org"
            sb.store.record_join(wid, name=f"Person{person % people} Test", email=email,
                                 at=start + timedelta(minutes=cursor))
            sb.store.record_leave(wid, email=email, at=start + timedelta(minutes=leave))
            cursor = leave + rng.uniform(0.5, 5)
            made += 1
        person += 1
    sb.store.end_webinar(wid, at=start + timedelta(minutes=62))
    sb.store.clock.set(start + timedelta(hours=3))
    return wid, spec.key


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--plan", default="business", help="rate-limit plan of the client")
    args = parser.parse_args()
    spec = load_event(SEED)
    with tempfile.TemporaryDirectory() as tmp, Sandbox(
            plan=args.plan, rate_limits=False, client_secret="bench-secret") as sb:
        began = time.perf_counter()
        wid, key = populate(sb, args.rows, args.people)
        print(f"sandbox populated: {args.rows:,} join rows of {args.people:,} registrants "
              f"in {time.perf_counter() - began:.1f} s")
        store = open_store(f"sqlite:///{Path(tmp) / 'state.db'}")
        settings = load_settings(environ=sb.env())
        with ZoomClient(settings.credentials, settings.plan) as client:
            began = time.perf_counter()
            stats = fetch_reports(client, store, key, wid)
            fetch_s = time.perf_counter() - began
        print(f"fetch: {fetch_s:.1f} s  ({sum(stats.pages.values())} pages: "
              f"{stats.pages}; paced for plan {args.plan})")

        stored = StoredReport.latest(store, key)
        began = time.perf_counter()
        report = analyse(spec, stored)
        analyse_s = time.perf_counter() - began
        began = time.perf_counter()
        files = export(report, spec, Path(tmp) / "out", ["csv", "xlsx", "html"])
        export_s = time.perf_counter() - began
        total = analyse_s + export_s
        print(f"processing: {total:.2f} s  (analysis {analyse_s:.2f} s, "
              f"export {export_s:.2f} s; {len(report.people):,} people, "
              f"{len(files)} files)  target <= 10 s: {'OK' if total <= 10 else 'MISSED'}")

        tracemalloc.start()
        report = analyse(spec, stored)
        export(report, spec, Path(tmp) / "out2", ["csv", "xlsx", "html"])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak memory of processing (tracemalloc): {peak / 2**20:.1f} MiB")

        pages = stats.pages[PARTICIPANTS]
        peaks = []
        for count in (max(1, pages // 5), pages):
            tracemalloc.start()
            rows = 0
            for i, page in enumerate(stored.pages(PARTICIPANTS)):
                if i >= count:
                    break
                rows += len(page.get("participants") or [])
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peaks.append(peak)
            print(f"streaming {count} participant pages ({rows:,} rows): peak "
                  f"{peak / 2**20:.2f} MiB")
        flat = peaks[1] < peaks[0] * 2
        print(f"memory flat in the number of pages: {'yes' if flat else 'NO'}")
        store.close()
        return 0 if total <= 10 and flat else 1


if __name__ == "__main__":
    sys.exit(main())
