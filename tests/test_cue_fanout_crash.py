"""kill -9 in the middle of a cue's fan-out (issue 16, item 1): nothing is lost, nothing is sent
twice, and `cues status` counts every (cue, channel, person) — also while the service is down.

The runner (tests/fanout_runner.py) sends each cue to 40 people on two channels and kills
itself with SIGKILL right after the delivery log's first commit of the opening's
`segment_start`. Before, that commit held the claims of part of the fan-out: the other people
had no row at all, were never sent the cue at the restart and `cues status` did not count them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fanout_runner import CHANNELS, PEOPLE, fanout_agenda
from zoomorch.cli.cues import status_json
from zoomorch.cues import plan_cues
from zoomorch.db.store import open_store
from zoomorch.delivery.log import FINAL, deliveries, delivery_key
from zoomorch.live.plan import live_plan

RUNNER = Path(__file__).resolve().parent / "fanout_runner.py"
KILL_AT = "segment_start/s0"


def _launch(url: str, start: datetime, sinks: Path, *kill: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, str(RUNNER), url, start.isoformat(), str(sinks),
                             *kill], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _counted(status: dict[str, object]) -> dict[str, int]:
    """cue id -> deliveries `cues status --json` counts for it (its per-cue summary)."""
    out: dict[str, int] = {}
    for cue in status["cues"]:  # type: ignore[attr-defined]
        text = cue["deliveries"]
        out[cue["id"]] = sum(int(part.split()[0]) for part in text.split(", ") if part)
    return out


@pytest.mark.slow
def test_kill_9_while_a_cue_fans_out_loses_nobody_and_status_counts_everyone(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    start = datetime.now(UTC) + timedelta(seconds=4)
    agenda = fanout_agenda(start)
    cues = {c.id: c for c in plan_cues(agenda)}
    targets = {c.id: {delivery_key(agenda.slug, c.id, ch, r.id) for ch in CHANNELS
                      for r in agenda.recipients_for(c)} for c in cues.values()}
    fanned = next(c for c in cues if c.startswith(KILL_AT))
    assert len(targets[fanned]) == len(CHANNELS) * PEOPLE

    first = _launch(url, start, tmp_path, KILL_AT)
    assert first.wait(timeout=30) == -9, "the runner was to kill itself at the fan-out"
    store = open_store(url)

    # Down: `cues status` counts every delivery of the cue caught in its fan-out, and names
    # the cues that fell due since with nothing recorded, with their people.
    time.sleep(2.5)  # the end of the opening falls due while the service is down
    down = live_plan(store, agenda)
    status = status_json(down)
    counted = _counted(status)
    assert counted[fanned] == len(targets[fanned]), (
        f"cues status counts {counted[fanned]} of the {len(targets[fanned])} deliveries of "
        f"{fanned}: the rest have no row")
    unrecorded = {u["id"]: u["recipients"] for u in status["unrecorded"]}
    due_since = {cid for cid, c in cues.items()
                 if c.due <= down.now and targets[cid] and cid not in down.deliveries}
    assert due_since, "nothing fell due while the service was down"
    assert set(unrecorded) == due_since
    assert all(unrecorded[cid] == len(targets[cid]) // len(CHANNELS) for cid in due_since)

    # Back: every delivery of every cue ends final; none reached a channel twice.
    second = _launch(url, start, tmp_path)
    last = max(c.due for c in cues.values())
    time.sleep(max(0.0, (last - datetime.now(UTC)).total_seconds()) + 1.5)
    second.terminate()
    assert second.wait(timeout=15) == 0
    received: Counter[str] = Counter()
    for channel in CHANNELS:
        sink = tmp_path / f"{channel}.jsonl"
        if sink.exists():
            received.update(json.loads(line)["key"] for line in sink.read_text().splitlines())
    assert not [k for k, n in received.items() if n > 1], "a delivery reached a channel twice"
    rows = {d.key: d for d in deliveries(store, agenda.slug)}
    expected = set().union(*targets.values())
    missing = expected - set(rows)
    assert not missing, f"{len(missing)} deliveries never recorded, e.g. {sorted(missing)[:3]}"
    assert all(rows[k].status in FINAL for k in expected), Counter(
        rows[k].status for k in expected)
    for key in expected:
        if rows[key].status == "delivered":
            assert received[key] == 1, key
        else:
            assert rows[key].status in ("interrupted", "missed"), (key, rows[key].status)
    after = status_json(live_plan(store, agenda))
    assert after["unrecorded"] == []
    assert _counted(after) == {cid: len(keys) for cid, keys in targets.items()}
    assert sum(sum(c.values()) - c.get("late", 0) for c in after["channels"].values()) == len(
        expected)
