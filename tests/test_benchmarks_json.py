"""The benchmarks' contract (docs/benchmarks.md): each prints its figures and, as its last line,
one JSON object of them, with the machine's load beside them. Run here at toy sizes, as
scripts, the way docs/benchmarks.md runs them; the figures themselves are not judged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("zoomus")

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
LOAD_KEYS = {"cpu_count", "loadavg_start", "loadavg_end", "load1_mean", "load1_max"}


def last_json(script: str, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args],
                          capture_output=True, text=True, timeout=110, check=False)
    # Exit 1 is a missed target (toy sizes are noisy); a crash is anything else.
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) > 1, "the figures are printed before the JSON line"
    figures = json.loads(lines[-1])
    assert isinstance(figures, dict)
    assert LOAD_KEYS <= figures.keys()
    assert figures["cpu_count"] >= 1 and len(figures["loadavg_start"]) == 3
    return figures


def phase_ok(phase: dict[str, Any]) -> None:
    assert {"wall_s", "calls", "calls_by_label", "status_429", "bound_s",
            "ratio_to_bound"} <= phase.keys()
    assert phase["calls"] == sum(phase["calls_by_label"].values()) > 0


@pytest.mark.slow
def test_client_rate_limit_json() -> None:
    figures = last_json("bench_client_rate_limit.py", "--calls", "40", "--threads", "4")
    assert figures["benchmark"] == "client_rate_limit" and figures["plan"] == "pro"
    assert figures["zoomorch"]["status_429"] == 0
    # The naive client's 429s are retried: every one of its calls got through in the end.
    assert figures["naive"]["served"] == 40 + figures["naive"]["status_429"]
    assert figures["speedup_vs_naive"] > 0


@pytest.mark.slow
def test_registrant_sync_json() -> None:
    figures = last_json("bench_registrant_sync.py", "--people", "90", "--naive-people", "30")
    assert figures["benchmark"] == "registrant_sync" and figures["plan"] == "pro"
    for phase in ("sync", "resync", "naive"):
        phase_ok(figures[phase])
    assert figures["sync"]["calls_by_label"].get("Heavy") == 3  # 90 people, 30 a batch
    assert figures["naive"]["calls_by_label"] == {"Light": 30}  # one register a person
    assert figures["speedup_vs_naive"] > 0


@pytest.mark.slow
def test_registrant_sync_seed_json() -> None:
    figures = last_json("bench_registrant_sync_seed.py", "--people", "40")
    assert figures["benchmark"] == "registrant_sync_seed"
    assert figures["zoom_state_as_listed"] is True
    phase_ok(figures["sync"])
    phase_ok(figures["naive"])
    assert figures["sync"]["calls_by_label"]["Light"] == 40  # answers: one add a person
    assert sum(figures["statuses_wanted"].values()) == 40


@pytest.mark.slow
def test_report_json_labels_the_plan_both_sides_use() -> None:
    figures = last_json("bench_report.py", "--rows", "600", "--people", "200")
    assert figures["benchmark"] == "report"
    assert figures["plan"] == figures["client_plan"] == figures["sandbox_plan"] == "pro"
    assert figures["sandbox_rate_limits"] is True and figures["fetch_429s"] == 0
    assert figures["fetch_pages"]["participants"] == 2  # 600 rows, 300 a page


@pytest.mark.slow
def test_sandbox_live_json() -> None:
    figures = last_json("bench_sandbox_live.py", "--webinars", "1", "--registrants", "40",
                        "--duration", "5", "--speed", "300")
    assert figures["benchmark"] == "sandbox_live"
    assert figures["report_agrees_with_truth"] is True
    assert figures["webhook_bad_signatures"] == 0


@pytest.mark.slow
def test_cue_lateness_json() -> None:
    figures = last_json("bench_cue_lateness.py", "--events", "20", "--window", "2")
    assert figures["benchmark"] == "cue_lateness" and figures["job_store"] == "memory"
    assert figures["cues"] == 400 and figures["delivered"] == 400
    assert figures["early"] == 0 and figures["duplicates"] == 0
    assert {"p50", "p99", "max", "mean"} <= figures["lateness_ms"].keys()


@pytest.mark.slow
def test_cue_restart_json() -> None:
    figures = last_json("bench_cue_restart.py", "--trials", "1", "--kills", "1")
    assert figures["benchmark"] == "cue_restart" and figures["trials"] == 1
    # The point of the benchmark holds at any size: every cue once, or its outcome recorded.
    assert figures["every_cue_once_or_recorded"] and figures["bad"] == 0
    assert sum(figures["outcomes"].values()) == figures["deliveries"] > 0


@pytest.mark.slow
def test_board_fanout_json() -> None:
    figures = last_json("bench_board_fanout.py", "--boards", "20", "--idle", "1",
                        "--speed", "600", "--settle", "1")
    assert figures["benchmark"] == "board_fanout" and figures["connected"] == 20
    assert figures["missing"] == 0  # every board saw every cue
    assert {"p50", "p99", "max", "mean"} <= figures["cue_to_board_ms"].keys()
    assert {"p50", "p99", "max", "mean"} <= figures["healthz_ms"].keys()


@pytest.mark.slow
def test_replicas_json() -> None:
    from postgres_support import postgres_server_url

    postgres_server_url()  # skips without a server (fails under CI)
    figures = last_json("bench_replicas.py", "--events", "4", "--cues", "10", "--replicas",
                        "2", "--window", "2", "--lead", "4", "--controls", "2", "--no-kill")
    assert figures["benchmark"] == "replicas" and figures["replicas"] == 2
    assert figures["duplicates"] == 0  # every (cue, recipient) at most once across replicas
    assert figures["received"] > 0 and figures["cues"] == 40
    for key in ("lateness_ms", "lateness_after_kill_ms", "control_to_all_boards_ms"):
        assert {"n", "p50", "p99", "max", "mean"} <= figures[key].keys()
    assert figures["control_to_all_boards_ms"]["n"] == 2
    assert {"unaccounted", "cues_without_webhook_delivery", "missing_from_boards",
            "tracebacks", "lost_recorded", "naive_baseline"} <= figures.keys()
