"""The sync executor against the sandbox over HTTP: adds, statuses, prune, ledger, outputs."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from registrants_support import client_for, emails_by_status, load, make_webinar, store_at
from zoomorch.db.store import StateStore
from zoomorch.rate_labels import DAILY, Plan, RateLabel
from zoomorch.registrants.ledger import SyncLedger
from zoomorch.registrants.normalise import (
    QuestionRule,
    RegistrationList,
    RegistrationRules,
)
from zoomorch.registrants.output import write_registrants
from zoomorch.registrants.plan import DeferralReason, Outcome
from zoomorch.registrants.sync import RegistrantSync, SyncAborted, SyncReport
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import ZoomClient


class Rig:
    """One webinar in the sandbox, a client, a state store, and a way to run the sync."""

    def __init__(self, sandbox: Sandbox, tmp_path: Path, *, automatic: bool = True) -> None:
        self.sandbox = sandbox
        self.client: ZoomClient = client_for(sandbox)
        self.webinar_id = make_webinar(self.client, automatic=automatic)
        self.store: StateStore = store_at(tmp_path)
        self.ledger = SyncLedger(self.store, "ev", self.webinar_id)
        self.automatic = automatic

    def sync(self, source: RegistrationList, **options: bool) -> SyncReport:
        sync = RegistrantSync(self.client, self.webinar_id, ledger=self.ledger,
                              automatic_approval=self.automatic)
        return sync.run(source, **options)

    def requests(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.sandbox.requests_log()]

    def status(self) -> dict[str, list[str]]:
        return emails_by_status(self.client, self.webinar_id)


PEOPLE = "".join(f"p{i}@example.org,Person{i},Sáenz{i}\n" for i in range(65))
LIST = "email,first name,last name\n" + PEOPLE


def test_new_people_are_registered_in_batches_of_30_with_join_links(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path, automatic=False)
    report = rig.sync(load(LIST))
    batch_posts = [r for r in rig.requests() if r[0] == "POST" and "batch_registrants" in r[1]]
    assert len(batch_posts) == 3  # 30 + 30 + 5
    assert report.counts[Outcome.ADDED] == 65 and report.counts.adds_up
    assert len(rig.status()["pending"]) == 65  # the event approves manually
    assert all(line.join_url and line.registrant_id for line in report.lines)
    assert [line.last_name for line in report.lines[:2]] == ["Sáenz0", "Sáenz1"]


def test_rerun_with_an_unchanged_list_makes_only_list_calls(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path)
    rig.sync(load(LIST))
    before = len(rig.requests())
    report = rig.sync(load(LIST))
    again = rig.requests()[before:]
    assert {method for method, _ in again} == {"GET"}
    assert report.write_calls == 0 and report.list_calls == len(again) == 3
    assert report.counts[Outcome.UNCHANGED] == 65 and report.counts.adds_up


def test_answers_and_custom_questions_reach_zoom(sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path)
    rules = RegistrationRules(
        required_fields=frozenset({"country", "org"}),
        questions=(QuestionRule("Preferred language", True, ("Español", "English", "Français")),),
    )
    source = load("Correo,Nombre,Apellido,País,Organización,Preferred language\n"
                  "ana@x.org,Ana,Gómez,Colombia,OIM,ES\n"
                  "zoe@x.org,Zoé,Denkers,France,OIT,français\n", rules)
    rig.sync(source)
    ana = next(r for r in rig.client.iter_registrants(rig.webinar_id, "approved")
               if r.email == "ana@x.org")
    assert (ana.first_name, ana.last_name, ana.country, ana.org) == ("Ana", "Gómez", "CO", "OIM")
    assert [(q.title, q.value) for q in ana.custom_questions] == [
        ("Preferred language", "Español")]


def test_status_column_approves_denies_and_cancels(sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path, automatic=False)
    rig.sync(load("email,first name\na@x.org,A\nb@x.org,B\nc@x.org,C\nd@x.org,D\n"))
    report = rig.sync(load("email,first name,estado\na@x.org,A,aprobado\nb@x.org,B,refusé\n"
                           "c@x.org,C,\nd@x.org,D,approved\ne@x.org,E,denied\n"))
    status = rig.status()
    assert status["approved"] == ["a@x.org", "d@x.org"]
    assert status["denied"] == ["b@x.org", "e@x.org"]
    assert status["pending"] == ["c@x.org"]
    assert (report.counts[Outcome.STATUS_CHANGED], report.counts[Outcome.ADDED]) == (3, 1)
    cancel = rig.sync(load("email,first name,status\na@x.org,A,cancelled\n"))
    assert cancel.counts[Outcome.CANCELLED] == 1
    assert "a@x.org" not in rig.status()["approved"]


def test_prune_cancels_registrants_off_the_list_but_never_deletes(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path)
    rig.sync(load("email,first name\na@x.org,A\nb@x.org,B\nc@x.org,C\n"))
    shorter = load("email,first name\na@x.org,A\nc@x.org,\n")  # c's row is now invalid
    kept = rig.sync(shorter)
    assert kept.counts.pruned == 0 and rig.status()["approved"] == ["a@x.org", "b@x.org",
                                                                     "c@x.org"]
    report = rig.sync(shorter, prune=True)
    assert report.counts.pruned == 1
    assert rig.status()["approved"] == ["a@x.org", "c@x.org"]  # rejected row is spared
    assert "b@x.org" in rig.status()["denied"]  # cancelled, still a registrant
    assert not [r for r in rig.requests() if r[0] == "DELETE"]
    assert next(line for line in report.lines if line.email == "b@x.org").status == "cancelled"


def test_a_person_registered_three_times_today_elsewhere_is_deferred_not_fatal(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path)
    # x registered for three other side events of the forum today (other webinars, other
    # tools): Zoom's per-person rule counts across the account.
    for n in range(3):
        other = rig.client.create_webinar({"topic": f"Side event {n}", "type": 5,
                                           "settings": {"approval_type": 0}})
        rig.client.add_registrant(other.id, {"email": "x@x.org", "first_name": "X"})
    people = [f"q{i}@x.org,Q{i}\n" for i in range(40)]
    people.insert(12, "x@x.org,X\n")  # inside the first batch of 30
    report = rig.sync(load("email,first name\n" + "".join(people)))
    assert rig.status()["approved"] == sorted(f"q{i}@x.org" for i in range(40))
    assert report.counts[Outcome.ADDED] == 40 and report.counts[Outcome.DEFERRED] == 1
    assert report.counts.adds_up
    (deferral,) = report.deferrals
    assert deferral.registration.email == "x@x.org"
    assert deferral.reason is DeferralReason.PERSON_DAILY_LIMIT
    now = sandbox.store.now()
    assert deferral.retry_at is not None and now < deferral.retry_at <= now + timedelta(days=1)
    assert (deferral.retry_at.hour, deferral.retry_at.minute) == (0, 0)
    # Nobody before x in the refused batch was registered twice, and nobody was re-sent.
    assert all(sandbox.store.registrations_today(f"q{i}@x.org") == 1 for i in range(40))
    assert "Zoom's per-person daily limit: 1" in report.counts.summary()


def test_an_account_wide_daily_quota_still_stops_the_run_with_its_reset_time(
        tmp_path: Path) -> None:
    with Sandbox(client_secret="s", plan="free", rate_limits=True) as sb:
        rig = Rig(sb, tmp_path)
        # The account's Heavy calls (batch registration) are used up for today.
        sb.limiter.set_daily_used(RateLabel.HEAVY, DAILY[Plan.FREE][RateLabel.HEAVY])
        with pytest.raises(SyncAborted) as stopped:
            rig.sync(load("email,first name\n" + "".join(
                f"q{i}@x.org,Q{i}\n" for i in range(5))))
    report = stopped.value.report
    assert report is not None and report.counts.adds_up
    assert {d.reason for d in report.deferrals} == {DeferralReason.RUN_STOPPED}
    assert all(d.retry_at is not None for d in report.deferrals)
    assert "daily limit for Heavy calls" in str(stopped.value)


def test_people_sent_three_times_today_are_not_sent_again(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path)
    run = rig.ledger.start_run("earlier", "")
    for seq in range(3):
        call = rig.ledger.sending(run, seq, "add", ["y@x.org"])
        rig.ledger.sent(call, [{"email": "y@x.org", "registrant_id": "r", "join_url": ""}])
    report = rig.sync(load("email,first name\ny@x.org,Y\n"))
    assert report.counts[Outcome.DEFERRED] == 1 and report.write_calls == 0


def test_an_interrupted_call_is_reconciled_before_anything_is_resent(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path)
    # A previous run wrote "sending" for a and b, then died; only a reached Zoom.
    run = rig.ledger.start_run("earlier", "")
    rig.ledger.sending(run, 1, "batch_add", ["a@x.org", "b@x.org"], True)
    rig.client.batch_add_registrants(rig.webinar_id, [{"email": "a@x.org", "first_name": "A"}],
                                     auto_approve=True)
    before = len(rig.requests())
    report = rig.sync(load("email,first name\na@x.org,A\nb@x.org,B\n"))
    posts = [r for r in rig.requests()[before:] if r[0] == "POST"]
    assert len(posts) == 1 and report.counts[Outcome.ADDED] == 1
    assert any("1 reached Zoom, 1 are planned again" in note for note in report.notes)
    assert rig.ledger.interrupted() == []
    assert rig.status()["approved"] == ["a@x.org", "b@x.org"]


def test_dry_run_writes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path)
    report = rig.sync(load(LIST), dry_run=True)
    assert {method for method, _ in rig.requests()} <= {"GET", "POST"}  # POST: webinar only
    assert rig.status()["approved"] == [] and report.counts[Outcome.ADDED] == 65
    assert rig.ledger.calls() == []


def test_registrants_csv_neutralises_formulas_and_keeps_accents(
        sandbox: Sandbox, tmp_path: Path) -> None:
    rig = Rig(sandbox, tmp_path)
    report = rig.sync(load('email,first name,last name\nf@x.org,=HYPERLINK("x"),Gómez\n'))
    out = tmp_path / "registrants.csv"
    write_registrants(out, report.lines)
    with out.open(encoding="utf-8-sig", newline="") as stream:
        [row] = list(csv.DictReader(stream))
    assert row["first_name"] == "'=HYPERLINK(\"x\")" and row["last_name"] == "Gómez"
    assert row["status"] == "approved" and row["join_url"].startswith("http")


@pytest.mark.parametrize("drop", [0.4])
def test_lost_answers_never_register_anyone_twice(
        sandbox: Sandbox, tmp_path: Path, drop: float) -> None:
    rig = Rig(sandbox, tmp_path)
    sandbox.faults.update({"drop_after_processing_rate": drop, "seed": 7})
    report = rig.sync(load(LIST))
    sandbox.faults.clear()
    assert report.counts[Outcome.ADDED] == 65
    listed = [r.email for r in rig.client.iter_registrants(rig.webinar_id, "approved")]
    assert sorted(listed) == sorted(set(listed)) and len(listed) == 65


class _BrokenProgress:
    """A progress display that breaks on its first update (an unexpected error mid-run)."""

    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, people: int) -> None:
        raise RuntimeError("the display broke")


def test_an_unexpected_error_drops_the_queued_calls_and_marks_the_run_failed(
        sandbox: Sandbox, tmp_path: Path) -> None:
    from zoomorch.registrants.ledger import SENT, RegistrantSyncCall, RegistrantSyncRun

    rig = Rig(sandbox, tmp_path)
    many = "email,first name,last name\n" + "".join(
        f"q{i}@example.org,Q{i},Denkers\n" for i in range(300))  # ten batches of 30
    sync = RegistrantSync(rig.client, rig.webinar_id, ledger=rig.ledger,
                          automatic_approval=True, workers=1, progress=_BrokenProgress())
    with pytest.raises(RuntimeError, match="the display broke"):
        sync.run(load(many))
    posts = [r for r in rig.requests() if r[0] == "POST" and "batch_registrants" in r[1]]
    assert len(posts) == 1  # the nine queued batches never left
    with rig.store.session() as session:
        calls = [(c.kind, c.state) for c in session.query(RegistrantSyncCall)]
        outcomes = [r.outcome for r in session.query(RegistrantSyncRun)]
    assert calls == [("batch_add", SENT)]
    assert outcomes == ["failed: RuntimeError: the display broke"]
    report = rig.sync(load(many))  # a re-run converges
    assert report.counts[Outcome.ADDED] == 270 and report.counts[Outcome.UNCHANGED] == 30
    assert len(rig.status()["approved"]) == 300
