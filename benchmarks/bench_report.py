"""Benchmark: 50,000 participant rows from the sandbox -> the full attendance report.

    .venv-ci/bin/python benchmarks/bench_report.py [--rows 50000] [--people 20000] [--plan pro]
    .venv-ci/bin/python benchmarks/bench_report.py --quick      # 5,000 rows of 2,000 people

``--plan`` (Zoom Pro by default, zoomorch's own default ZOOM_PLAN) is the plan of both sides:
zoomorch's client paces every call for it and the sandbox enforces its rate limits (a 429 would
show). Prints the fetch time (HTTP + storing raw pages, paced for that plan) beside its
rate-limit lower bound, our own processing time (reading pages back, analysis, CSV + XLSX +
HTML), and peak memory (tracemalloc) of the processing. To show that memory does not grow with
the number of pages, it also streams the first fifth of the stored participant pages and then
all of them, and prints both peaks: they stay about one page apart, not five times apart.
Target: processing <= 10 s. No naive baseline: the figures are against the rate-limit bound and
the 10 s target. The machine's load follows, and as the last line one JSON object of the
figures (keys: docs/benchmarks.md).
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

from benchlib import LoadWatch, bound_seconds, by_label, emit, rounded, served_since, throttled

from zoomorch.db.store import open_store
from zoomorch.event import load_event
from zoomorch.rate_labels import Plan
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
    parser.add_argument("--rows", type=int, default=None, help="default 50,000")
    parser.add_argument("--people", type=int, default=None, help="default 20,000")
    parser.add_argument("--plan", choices=[p.value for p in Plan], default=Plan.PRO.value,
                        help="Zoom plan of the client's pacing and of the sandbox's limits")
    parser.add_argument("--quick", action="store_true", help="5,000 rows of 2,000 people")
    args = parser.parse_args()
    rows_wanted = args.rows or (5_000 if args.quick else 50_000)
    people = args.people or (2_000 if args.quick else 20_000)
    plan = Plan(args.plan)
    spec = load_event(SEED)
    with LoadWatch() as load, tempfile.TemporaryDirectory() as tmp, Sandbox(
            plan=plan, rate_limits=True, client_secret="bench-secret") as sb:
        began = time.perf_counter()
        wid, key = populate(sb, rows_wanted, people)
        populate_s = time.perf_counter() - began
        print(f"sandbox populated: {rows_wanted:,} join rows of {people:,} registrants "
              f"in {populate_s:.1f} s")
        store = open_store(f"sqlite:///{Path(tmp) / 'state.db'}")
        settings = load_settings(environ=sb.env())
        with ZoomClient(settings.credentials, plan) as client:
            # The label says what really happened: the plan the client paced for, and the
            # one the sandbox enforced.
            assert client.plan is sb.plan is plan and sb.rate_limits
            mark = len(sb.requests_log())
            began = time.perf_counter()
            stats = fetch_reports(client, store, key, wid)
            fetch_s = time.perf_counter() - began
        log = served_since(sb, mark)
        labels = by_label(log)
        bound = bound_seconds(plan, labels)
        print(f"fetch: {fetch_s:.1f} s  ({sum(stats.pages.values())} pages: {stats.pages})")
        print(f"  paced by zoomorch's client for plan {client.plan.value}; the sandbox "
              f"enforced plan {sb.plan.value}: calls {labels}, 429s {throttled(log)}; "
              f"rate-limit bound {bound:.1f} s, ratio {fetch_s / bound:.2f}x")

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
        streamed = []
        for count in (max(1, pages // 5), pages):
            tracemalloc.start()
            rows = 0
            for i, page in enumerate(stored.pages(PARTICIPANTS)):
                if i >= count:
                    break
                rows += len(page.get("participants") or [])
            _, stream_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peaks.append(stream_peak)
            streamed.append({"pages": count, "rows": rows,
                             "peak_mib": rounded(stream_peak / 2**20)})
            print(f"streaming {count} participant pages ({rows:,} rows): peak "
                  f"{stream_peak / 2**20:.2f} MiB")
        flat = peaks[1] < peaks[0] * 2
        print(f"memory flat in the number of pages: {'yes' if flat else 'NO'}")
        store.close()
        print(load.line())
        emit({"benchmark": "report", "plan": plan.value, "client_plan": client.plan.value,
              "sandbox_plan": sb.plan.value, "sandbox_rate_limits": sb.rate_limits,
              "rows": rows_wanted, "people": people, "populate_s": rounded(populate_s),
              "fetch_s": rounded(fetch_s), "fetch_pages": stats.pages,
              "fetch_calls_by_label": labels, "fetch_429s": throttled(log),
              "fetch_bound_s": rounded(bound), "fetch_ratio_to_bound": rounded(fetch_s / bound),
              "analysis_s": rounded(analyse_s), "export_s": rounded(export_s),
              "processing_s": rounded(total), "processing_target_s": 10,
              "processing_target_met": total <= 10, "report_people": len(report.people),
              "files": len(files), "processing_peak_mib": rounded(peak / 2**20),
              "streaming": streamed, "memory_flat": flat, **load.figures()})
        return 0 if total <= 10 and flat else 1


if __name__ == "__main__":
    sys.exit(main())
