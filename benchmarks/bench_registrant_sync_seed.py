"""Benchmark: a registrant sync shaped like the seed event, against the sandbox on Zoom Pro.

The seed event (config/imrf-2022-latam.toml, the IMRF 2022 side event) asks every registrant
for country and organisation (required) and a required custom question, "Preferred language"
(Español / English / Français), and approves registrants by hand (approval = "manual", Zoom's
approval_type 1). The organisers' list says who is approved, left pending or denied. So each
person must reach Zoom through the one-by-one endpoint (the batch endpoint carries only email
and names), and the approved and denied ones need a status call afterwards.

One run, one sandbox, the same generated list (status mix as in the bundled sample list: about
84% approved, 11% pending, 5% denied):

- zoomorch: ``provision.apply`` makes the webinar from the event file, then
  ``sync_event_registrants`` (what ``zoomorch registrants sync`` runs): single adds with every
  answer, approvals and denials in batches of 30, paced by its client, 4 workers;
- the naive baseline, what a user would really write: the third-party ``zoomus`` client, a
  plain loop over the CSV rows: ``webinar.register`` with the answers, then (approved or denied
  rows) one ``PUT /webinars/{id}/registrants/status`` for that person through zoomus's own
  request helper (zoomus has no method for it); on HTTP 429, ``sleep(1)`` and send again.

Both webinars are then checked to hold the same thing: every person, with country,
organisation and preferred language, in the status the list asks for.

Prints wall time, calls by label, 429s, the rate-limit lower bound and the ratio to it for both,
zoomorch's speed-up, the machine's load, and as the last line one JSON object of the figures
(keys: docs/benchmarks.md).

    .venv-ci/bin/python benchmarks/bench_registrant_sync_seed.py             # 2,000 people
    .venv-ci/bin/python benchmarks/bench_registrant_sync_seed.py --quick     # 307 (the seed's)
    .venv-ci/bin/python benchmarks/bench_registrant_sync_seed.py --people 500
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchlib import (
    LoadWatch,
    Retry429,
    emit,
    expect,
    phase,
    rounded,
    served_since,
    zoomus_client,
)

from zoomorch.db.store import open_store
from zoomorch.event import load_event
from zoomorch.provision import apply, desired_body, desired_questions
from zoomorch.rate_labels import PER_SECOND, Plan, RateLabel
from zoomorch.registrants.command import sync_event_registrants
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient, load_settings

PLAN = Plan.PRO
SEED = Path(__file__).resolve().parent.parent / "config" / "imrf-2022-latam.toml"
COUNTRIES = ["MX", "CO", "VE", "AR", "PE", "CL", "BR", "GT", "HN", "EC", "PA", "US", "ES",
             "FR", "BE", "CH", "CA"]
STATUS_MIX = (("approved", 0.84), ("pending", 0.11), ("denied", 0.05))
STATUS_HEADER = "Status"


def registration_csv(spec: Any, people: int, seed: int = 2022) -> tuple[bytes, Counter[str]]:
    """The list as the organisers would keep it, with the event file's own column headers."""
    rng = random.Random(seed)
    columns = spec.registrants.columns
    (question,) = [q for q in spec.registration.custom_questions if q.required]
    header = [columns["email"], columns["first_name"], columns["last_name"],
              columns["country"], columns["org"], columns[question.title], STATUS_HEADER]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    wanted: Counter[str] = Counter()
    statuses, weights = zip(*STATUS_MIX, strict=True)
    for i in range(people):
        status = rng.choices(statuses, weights)[0]
        wanted[status] += 1
        writer.writerow([f"persona{i}@bench.example.org", f"Persona{i}", "Sáenz",
                         rng.choice(COUNTRIES), f"Organización {i % 400}",
                         rng.choice(question.answers), status])
    return out.getvalue().encode(), wanted


def naive_loop(zoom: Any, webinar_id: int, data: bytes, question: str,
               retry: Retry429) -> int:
    """What a user writes with zoomus: each row registered with its answers, then approved or
    denied on its own; sleep on 429."""
    done = 0
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        registered = expect(retry(lambda row=row: zoom.webinar.register(
            id=webinar_id, email=row["Email"], first_name=row["First name"],
            last_name=row["Last name"], country=row["Country"], org=row["Organisation"],
            custom_questions=[{"title": question, "value": row[question]}])), 201)
        action = {"approved": "approve", "denied": "deny"}.get(row[STATUS_HEADER])
        if action is not None:
            person = {"id": registered.json()["registrant_id"], "email": row["Email"]}
            expect(retry(lambda action=action, person=person: zoom.webinar.put_request(
                f"/webinars/{webinar_id}/registrants/status",
                data={"action": action, "registrants": [person]})), 204)
        done += 1
    return done


def held(client: ZoomClient, webinar_id: int, question: str) -> tuple[Counter[str], int]:
    """Registrants by status, and how many carry country, organisation and the answer."""
    statuses: Counter[str] = Counter()
    complete = 0
    for status in ("approved", "pending", "denied"):
        for registrant in client.iter_registrants(webinar_id, status):
            statuses[status] += 1
            answers = {a.title: a.value for a in registrant.custom_questions}
            if registrant.country and registrant.org and answers.get(question):
                complete += 1
    return statuses, complete



def measured(name: str, wall: float, log: list[dict[str, Any]]) -> dict[str, Any]:
    return phase(name, wall, log, PLAN, width=42)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=None, help="default 2,000")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--quick", action="store_true",
                        help="307 people, the size of the seed event's sample list")
    args = parser.parse_args()
    people = args.people or (307 if args.quick else 2_000)
    spec = load_event(SEED)
    question = next(q.title for q in spec.registration.custom_questions if q.required)
    assert spec.registration.approval == "manual"
    data, wanted = registration_csv(spec, people)

    with LoadWatch() as load, Sandbox(plan=PLAN.value, rate_limits=True) as sandbox, \
            tempfile.TemporaryDirectory() as tmp:
        # The seed event is dated 2022: the sandbox's clock goes to two days before it.
        sandbox.store.clock.set(spec.webinar.start_utc - timedelta(days=2))
        settings = load_settings(environ=sandbox.env())
        client = ZoomClient(settings.credentials, PLAN)
        assert client.plan is sandbox.plan is PLAN
        limits = PER_SECOND[PLAN]
        print(f"plan {PLAN.value} on both sides (zoomorch's client paces for it, the sandbox "
              f"enforces it): Heavy {limits[RateLabel.HEAVY]:g}/s, "
              f"Medium {limits[RateLabel.MEDIUM]:g}/s, Light {limits[RateLabel.LIGHT]:g}/s")
        store = open_store(f"sqlite:///{Path(tmp) / 'state.sqlite3'}")
        webinar_id = int(apply(spec, client, store).webinar_id)
        naive_webinar = int(client.create_webinar(desired_body(spec)).id or 0)
        client.update_registration_questions(naive_webinar, desired_questions(spec))
        for wid in (webinar_id, naive_webinar):
            settings_now = client.get_webinar(wid).settings
            assert settings_now is not None and settings_now.approval_type == 1, wid
        source = Path(tmp) / "registrations.csv"
        source.write_bytes(data)
        print(f"seed event {spec.key}: approval manual; required: "
              f"{', '.join(q.field for q in spec.registration.questions if q.required)}, "
              f"'{question}'; list of {people} people: {dict(wanted)}")

        time.sleep(1.1)  # setup calls leave the sandbox's 1-second windows
        mark = len(sandbox.requests_log())
        began = time.perf_counter()
        report, _ = sync_event_registrants(spec, source, client, store,
                                           out_dir=Path(tmp) / "out", workers=args.workers)
        wall = time.perf_counter() - began
        assert report.counts.adds_up, report.counts.summary()
        ours = measured(f"zoomorch sync, {people} (answers, manual)", wall,
                     served_since(sandbox, mark))

        zoom = zoomus_client(sandbox)
        retry = Retry429(pause=1.0)
        time.sleep(1.1)
        mark = len(sandbox.requests_log())
        began = time.perf_counter()
        done = naive_loop(zoom, naive_webinar, data, question, retry)
        wall = time.perf_counter() - began
        naive = measured(f"naive zoomus loop, {people}", wall, served_since(sandbox, mark))
        naive["slept_s"] = rounded(retry.slept)
        assert done == people

        ours_held, ours_complete = held(client, webinar_id, question)
        naive_held, naive_complete = held(client, naive_webinar, question)
        same = (ours_held == naive_held == wanted and ours_complete == naive_complete == people)
        print(f"Zoom holds, zoomorch: {dict(ours_held)} ({ours_complete} with every answer); "
              f"naive: {dict(naive_held)} ({naive_complete} with every answer); as the list "
              f"asks: {'yes' if same else 'NO'}")
        speedup = naive["wall_s"] / ours["wall_s"]
        print(f"zoomorch {people / ours['wall_s']:.1f} people/s vs naive zoomus loop "
              f"{people / naive['wall_s']:.1f} people/s: {speedup:.2f}x faster (naive slept "
              f"{retry.slept:.0f} s on {retry.throttled} 429s)")
        print(load.line())
        emit({"benchmark": "registrant_sync_seed", "plan": PLAN.value, "event": spec.key,
              "people": people, "workers": args.workers, "statuses_wanted": dict(wanted),
              "sync": ours, "naive": naive,
              "sync_people_per_s": rounded(people / ours["wall_s"], 1),
              "naive_people_per_s": rounded(people / naive["wall_s"], 1),
              "speedup_vs_naive": rounded(speedup, 2), "zoom_state_as_listed": same,
              **load.figures()})
        store.close()
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
