"""apply survives crashes (even kill -9) and a flaky Zoom: re-runs converge, nothing doubles."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from zoomorch.db.store import open_store
from zoomorch.event import load_event
from zoomorch.provision import apply, plan
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import RetryPolicy, ZoomClient, load_settings

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"
START = "2030-05-17T08:30:00-04:00"
STEPS = ["intent-recorded", "webinar-created", "webinar-recorded", "questions-updated",
         "panelists-added", "applied"]


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no cleanup is polite."""


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[ZoomClient]:
    with ZoomClient(load_settings(environ=sandbox.env()).credentials) as zoom:
        yield zoom


def assert_converged(client: ZoomClient, state_url: str) -> None:
    spec = load_event(SEED, start_at=START)
    store = open_store(state_url)
    result = apply(spec, client, store)
    webinars = list(client.iter_webinars())
    assert [w.id for w in webinars] == [result.webinar_id]
    emails = [p.email for p in client.list_panelists(result.webinar_id)]
    assert len(emails) == len(set(emails)) == 10
    assert plan(spec, client, store).in_sync


@pytest.mark.parametrize("step", STEPS)
def test_crash_after_any_step_converges_without_duplicates(
    client: ZoomClient, tmp_path: Path, step: str
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"

    def die(at: str) -> None:
        if at == step:
            raise Crash(at)

    with pytest.raises(Crash):
        apply(load_event(SEED, start_at=START), client, open_store(url), checkpoint=die)
    assert_converged(client, url)


def test_crash_between_removing_and_re_adding_a_renamed_panelist(
    client: ZoomClient, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    apply(load_event(SEED, start_at=START), client, open_store(url))
    path = tmp_path / "imrf-2022-latam.toml"
    path.write_text(SEED.read_text(encoding="utf-8").replace(
        'name = "Lucas Gómez"', 'name = "Lucas Gómez Q."'), encoding="utf-8")

    def die(at: str) -> None:
        if at == "panelist-removed":
            raise Crash(at)

    renamed = load_event(path, start_at=START)
    with pytest.raises(Crash):
        apply(renamed, client, open_store(url), checkpoint=die)
    result = apply(renamed, client, open_store(url))
    names = [p.name for p in client.list_panelists(result.webinar_id)
             if p.email == "lucas.gomez@example.org"]
    assert names == ["Lucas Gómez Q."]


KILLER = """
import os, signal, sys
from zoomorch.event import load_event
from zoomorch.provision import apply
from zoomorch.db.store import open_store
from zoomorch.zoom import ZoomClient

def die(step):
    if step == sys.argv[3]:
        os.kill(os.getpid(), signal.SIGKILL)

apply(load_event(sys.argv[1], start_at=sys.argv[2]), ZoomClient.from_env(), open_store(),
      checkpoint=die)
"""


@pytest.mark.parametrize("step", ["webinar-created", "panelists-added"])
def test_kill_9_during_apply_then_rerun_converges(
    sandbox: Sandbox, client: ZoomClient, tmp_path: Path, step: str
) -> None:
    env = {**os.environ, **sandbox.env(), "ZOOMORCH_STATE_DIR": str(tmp_path)}
    env.pop("ZOOMORCH_STATE_URL", None)
    done = subprocess.run([sys.executable, "-c", KILLER, str(SEED), START, step], env=env,
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == -9, done.stderr.decode()
    assert len(list(client.iter_webinars())) == 1  # Zoom has it; our store lacks its id
    assert_converged(client, f"sqlite:///{tmp_path / 'zoomorch.sqlite3'}")


def test_apply_converges_on_a_flaky_zoom(
    sandbox: Sandbox, client: ZoomClient, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    fast = RetryPolicy(initial_wait=0.01, max_wait=0.05, jitter=0.01)
    flaky_client = ZoomClient(load_settings(environ=sandbox.env()).credentials, retry=fast)
    sandbox.faults.update({"error_rate": 0.2, "drop_after_processing_rate": 0.2, "seed": 11})
    spec = load_event(SEED, start_at=START)
    for _ in range(5):  # a run may give up on a stubborn fault; re-running must finish
        try:
            apply(spec, flaky_client, open_store(url))
            break
        except Exception:  # any failure is retried by re-running
            continue
    sandbox.faults.clear()
    assert any(e["status"] >= 500 for e in sandbox.requests_log())  # faults did happen
    flaky_client.close()
    assert_converged(client, url)
