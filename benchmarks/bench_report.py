"""Benchmark: 50,000 participant rows from the sandbox -> the full attendance report.

    .venv-ci/bin/python benchmarks/bench_report.py [--rows 50000] [--people 20000] [--plan pro]
    .venv-ci/bin/python benchmarks/bench_report.py --quick      # 5,000 rows of 2,000 people

``--plan`` (Zoom Pro by default, zoomorch's own default ZOOM_PLAN) is the plan of both sides:
zoomorch's client paces every call for it and the sandbox enforces its rate limits (a 429 would
show). Prints the fetch time (HTTP + storing raw pages, paced for that plan) beside its
rate-limit lower bound, our own processing time (reading pages back, analysis, CSV + XLSX +
HTML) and its split (each part timed on its own in a second pass), and peak memory
(tracemalloc) of the processing. To show that memory does not grow with the number of pages,
it also streams the first fifth of the stored participant pages and then all of them, and
prints both peaks: they stay about one page apart, not five times apart.

The naive baseline, measured in the same run on the same tables: the XLSX writer zoomorch had
before (openpyxl's write-only mode, kept below as ``naive_write_xlsx``), against today's
(xlsxwriter, constant_memory); both workbooks are read back and compared cell for cell over
their first rows. Then ``zoomorch report EVENT --offline`` runs as a user runs it, in a
subprocess on the same stored report: its wall time and peak RSS.
Targets: processing <= 1.5 s, ``zoomorch report --offline`` <= 3 s. The machine's load follows,
and as the last line one JSON object of the figures (keys: docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from benchlib import LoadWatch, bound_seconds, by_label, emit, rounded, served_since, throttled

from zoomorch.db.store import open_store
from zoomorch.event import load_event
from zoomorch.rate_labels import Plan
from zoomorch.report.export_csv import write_csv_tables
from zoomorch.report.export_html import write_html
from zoomorch.report.export_xlsx import write_xlsx
from zoomorch.report.fetch import PARTICIPANTS, StoredReport, fetch_reports
from zoomorch.report.run import analyse, export
from zoomorch.report.tables import Kind, Table, TypedValue, cell, report_tables
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient
from zoomorch.zoom.config import load_settings

SEED = Path(__file__).resolve().parent.parent / "config" / "imrf-2022-latam.toml"
COUNTRIES = ["MX", "CO", "VE", "AR", "PE", "CL", "BR", "US", "ES", "FR", "GT", "HN", "EC"]
LANGUAGES = ["Español", "English", "Français"]
PROCESSING_TARGET_S = 1.5
CLI_TARGET_S = 3.0
COMPARED_ROWS = 500  # rows of every sheet compared between the baseline's workbook and ours


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


# --- the naive baseline: the XLSX writer zoomorch had before (openpyxl, write-only) ---------


def naive_write_xlsx(tables: Sequence[Table], path: Path) -> Path:
    """zoomorch's XLSX export before xlsxwriter: openpyxl's write-only workbook, one
    WriteOnlyCell per styled cell (the same typed cells, formats and frozen bold header)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from zoomorch.private_files import open_private
    from zoomorch.safe_csv import neutralise

    formats = {Kind.FLOAT: "0.0", Kind.PERCENT: "0.0"}

    def typed(sheet: Any, raw: Any, column_kind: Kind) -> Any:
        value, kind = cell(raw, column_kind)
        if value == "":
            return None
        if isinstance(value, str):
            return neutralise(value)
        if isinstance(raw, TypedValue) and kind in formats:
            out = WriteOnlyCell(sheet, value=value)
            out.number_format = formats[kind]
            return out
        return value

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31].replace("/", "-"))
        sheet.freeze_panes = "A2"
        widths = [len(c.title) for c in table.columns]
        for row in table.rows[:200]:
            for i, value in enumerate(row):
                widths[i] = max(widths[i], min(60, len(str(value)) if value is not None
                                               else 0))
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(8, width + 2)
        header = []
        for column in table.columns:
            head = WriteOnlyCell(sheet, value=neutralise(column.title))
            head.font = bold
            header.append(head)
        sheet.append(header)
        kinds = [c.kind for c in table.columns]
        for row in table.rows:
            sheet.append([typed(sheet, value, kind)
                          for value, kind in zip(row, kinds, strict=True)])
    with open_private(path, "wb") as stream:
        book.save(stream)
    return path


def same_cells(ours: Path, baseline: Path, rows: int = COMPARED_ROWS) -> bool:
    """The two workbooks have the same sheets and, over the first ``rows`` rows of each, the
    same cells: value, type and number format (a timeline's hidden helper columns aside)."""
    import openpyxl

    a = openpyxl.load_workbook(ours, read_only=True)
    b = openpyxl.load_workbook(baseline, read_only=True)
    try:
        if a.sheetnames != b.sheetnames:
            return False
        for name in a.sheetnames:
            width = b[name].max_column
            for x, y in zip(islice(a[name].iter_rows(max_col=width), rows),
                            islice(b[name].iter_rows(max_col=width), rows), strict=False):
                seen = [(c.value, type(c.value), c.number_format) for c in x]
                wanted = [(c.value, type(c.value), c.number_format) for c in y]
                if seen != wanted:
                    print(f"  differs in {name!r}: {seen} != {wanted}")
                    return False
        return True
    finally:
        a.close()
        b.close()


# --- the parts of the processing, each on its own -------------------------------------------


def read_every_page(stored: StoredReport) -> int:
    """Read every stored page of the snapshot back (decoded JSON); returns the pages read."""
    from zoomorch.report.fetch import (
        ABSENTEES,
        PANELISTS,
        POLLS,
        QA,
        WEBINAR,
        registrants_kind,
    )
    from zoomorch.zoom.client import REGISTRANT_STATUSES

    kinds = [WEBINAR, PARTICIPANTS, *(registrants_kind(s) for s in REGISTRANT_STATUSES),
             ABSENTEES, PANELISTS, QA, POLLS]
    return sum(1 for kind in kinds for _ in stored.pages(kind))


def timed(action: Any) -> tuple[Any, float]:
    began = time.perf_counter()
    result = action()
    return result, time.perf_counter() - began


def processing_split(spec: Any, stored: StoredReport, out: Path) -> dict[str, Any]:
    """Each part of the processing timed on its own (seconds): reading the pages back,
    the analysis (which reads them again as it streams), the tables, CSV, XLSX and HTML; and
    the naive baseline's XLSX of the same tables."""
    pages, read_s = timed(lambda: read_every_page(stored))
    report, analysis_s = timed(lambda: analyse(spec, stored))
    zone = spec.webinar.zone
    tables, tables_s = timed(lambda: report_tables(report, zone))
    _, csv_s = timed(lambda: write_csv_tables(tables, out, spec.key))
    ours, xlsx_s = timed(lambda: write_xlsx(tables, out / "ours.xlsx"))
    _, html_s = timed(lambda: write_html(report, tables, zone, out / "report.html"))
    naive, naive_s = timed(lambda: naive_write_xlsx(tables, out / "naive.xlsx"))
    return {"pages": pages, "read_s": read_s, "analysis_s": analysis_s, "tables_s": tables_s,
            "csv_s": csv_s, "xlsx_s": xlsx_s, "html_s": html_s, "naive_xlsx_s": naive_s,
            "xlsx_matches_naive": same_cells(ours, naive),
            "xlsx_bytes": ours.stat().st_size, "naive_xlsx_bytes": naive.stat().st_size}


# --- `zoomorch report EVENT --offline`, as a user runs it -------------------------------------


def run_cli(state_db: Path, out: Path) -> dict[str, Any]:
    """``zoomorch report SEED --offline`` in a subprocess: wall seconds and peak RSS (MiB),
    by /usr/bin/time where there is one, else by getrusage(RUSAGE_CHILDREN)."""
    script = Path(sys.executable).with_name("zoomorch")
    command = ([str(script)] if script.exists()
               else [sys.executable, "-m", "zoomorch.cli.main"])
    command += ["report", str(SEED), "--offline", "--out", str(out)]
    env = {**os.environ, "ZOOMORCH_STATE_URL": f"sqlite:///{state_db}"}
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    stats = out.parent / f"{out.name}.time"
    if gnu_time:
        command = [gnu_time, "-f", "%e %M", "-o", str(stats), *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"zoomorch report --offline failed ({done.returncode}): "
                           f"{done.stderr[-2000:]}")
    if gnu_time:
        elapsed, peak_kib = stats.read_text().split()[-2:]
        wall, rss_mib, how = float(elapsed), int(peak_kib) / 1024, "/usr/bin/time"
    else:
        # ru_maxrss (KiB on Linux) of the largest child so far: this one, if it grew most.
        rss_mib, how = after.ru_maxrss / 1024, "getrusage"
    files = sum(1 for line in done.stdout.splitlines() if line.startswith("wrote "))
    return {"wall_s": wall, "peak_rss_mib": rss_mib, "files": files, "measured_by": how,
            "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)}


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
        met = total <= PROCESSING_TARGET_S
        print(f"processing: {total:.2f} s  (analysis {analyse_s:.2f} s, "
              f"export {export_s:.2f} s; {len(report.people):,} people, "
              f"{len(files)} files)  target <= {PROCESSING_TARGET_S} s: "
              f"{'OK' if met else 'MISSED'}")

        split = processing_split(spec, stored, Path(tmp) / "split")
        parts = {"read": split["read_s"],
                 "analysis": max(0.0, split["analysis_s"] - split["read_s"]),
                 "tables": split["tables_s"], "csv": split["csv_s"], "xlsx": split["xlsx_s"],
                 "html": split["html_s"]}
        print(f"split (each part on its own): read {split['read_s']:.2f} s "
              f"({split['pages']} pages), analysis {split['analysis_s']:.2f} s (reading "
              f"included), tables {split['tables_s']:.2f} s, CSV {split['csv_s']:.2f} s, "
              f"XLSX {split['xlsx_s']:.2f} s, HTML {split['html_s']:.2f} s")
        xlsx_ratio = split["naive_xlsx_s"] / split["xlsx_s"]
        print(f"XLSX: xlsxwriter (constant_memory) {split['xlsx_s']:.2f} s vs the naive "
              f"baseline (openpyxl write-only, as zoomorch had it) {split['naive_xlsx_s']:.2f} s"
              f": {xlsx_ratio:.2f}x faster; same cells over the first {COMPARED_ROWS} rows of "
              f"every sheet: {'yes' if split['xlsx_matches_naive'] else 'NO'}")

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

        runs = [run_cli(Path(tmp) / "state.db", Path(tmp) / f"cli{i}") for i in range(2)]
        best = min(runs, key=lambda r: r["wall_s"])
        cli_met = best["wall_s"] <= CLI_TARGET_S
        for i, run in enumerate(runs, start=1):
            print(f"`zoomorch report --offline` run {i}: wall {run['wall_s']:.2f} s, CPU "
                  f"{run['cpu_s']:.2f} s, peak RSS {run['peak_rss_mib']:.0f} MiB "
                  f"({run['files']} files; {run['measured_by']})")
        print(f"`zoomorch report --offline`: best wall {best['wall_s']:.2f} s  target <= "
              f"{CLI_TARGET_S} s: {'OK' if cli_met else 'MISSED'}")
        print(load.line())
        emit({"benchmark": "report", "plan": plan.value, "client_plan": client.plan.value,
              "sandbox_plan": sb.plan.value, "sandbox_rate_limits": sb.rate_limits,
              "rows": rows_wanted, "people": people, "populate_s": rounded(populate_s),
              "fetch_s": rounded(fetch_s), "fetch_pages": stats.pages,
              "fetch_calls_by_label": labels, "fetch_429s": throttled(log),
              "fetch_bound_s": rounded(bound), "fetch_ratio_to_bound": rounded(fetch_s / bound),
              "analysis_s": rounded(analyse_s), "export_s": rounded(export_s),
              "processing_s": rounded(total), "processing_target_s": PROCESSING_TARGET_S,
              "processing_target_met": met, "report_people": len(report.people),
              "files": len(files), "processing_peak_mib": rounded(peak / 2**20),
              "streaming": streamed, "memory_flat": flat,
              "processing_split_s": {k: rounded(v) for k, v in parts.items()},
              "split_analysis_with_read_s": rounded(split["analysis_s"]),
              "split_pages_read": split["pages"],
              "xlsx_s": rounded(split["xlsx_s"]), "naive_xlsx_s": rounded(split["naive_xlsx_s"]),
              "xlsx_speedup_vs_naive": rounded(xlsx_ratio),
              "xlsx_matches_naive": split["xlsx_matches_naive"],
              "xlsx_compared_rows": COMPARED_ROWS,
              "xlsx_bytes": split["xlsx_bytes"], "naive_xlsx_bytes": split["naive_xlsx_bytes"],
              "cli_wall_s": rounded(best["wall_s"]),
              "cli_runs": [{k: rounded(v) if isinstance(v, float) else v for k, v in r.items()}
                           for r in runs],
              "cli_peak_rss_mib": rounded(max(r["peak_rss_mib"] for r in runs), 1),
              "cli_target_s": CLI_TARGET_S, "cli_target_met": cli_met,
              **load.figures()})
        return 0 if met and cli_met and flat and split["xlsx_matches_naive"] else 1


if __name__ == "__main__":
    sys.exit(main())
