"""Normalising rows and the pure diff against Zoom's registrants (no HTTP)."""

from __future__ import annotations

from registrants_support import load
from zoomorch.registrants.normalise import QuestionRule, RegistrationRules
from zoomorch.registrants.plan import (
    Action,
    DeferralReason,
    Outcome,
    Via,
    ZoomRegistrant,
    plan_sync,
)
from zoomorch.registrants.values import Language, RequestedStatus


def zr(email: str, status: str = "approved", rid: str | None = None) -> ZoomRegistrant:
    return ZoomRegistrant(id=rid or f"id-{email}", email=email, status=status)


def test_emails_are_trimmed_and_duplicates_merged_case_insensitively() -> None:
    result = load("email,first name,org\n  Ana@X.org ,Ana,\nana@x.ORG,Ana,OIT\nb@x.org,Bo,\n")
    assert [r.email for r in result.registrations] == ["Ana@X.org", "b@x.org"]
    merged = result.registrations[0]
    assert merged.rows == (2, 3)
    assert merged.answers["org"] == "OIT"
    assert len(result.merges) == 1
    assert "row 3" in result.merges[0].message and "row 2" in result.merges[0].message


def test_invalid_rows_are_rejected_with_row_and_reason_and_the_rest_kept() -> None:
    rules = RegistrationRules(required_fields=frozenset({"country"}))
    result = load(
        "email,first name,country,status\n"
        ",Nobody,ES,\n"
        "not-an-email,Bad,ES,\n"
        "c@x.org,Cy,,\n"
        "d@x.org,Di,ES,maybe\n"
        "e@x.org,Ed,Narnia,\n"
        "f@x.org,Fi,España,aprobado\n",
        rules,
    )
    reasons = {r.row: r.reason for r in result.rejections}
    assert reasons[2] == "no email"
    assert "malformed email" in reasons[3]
    assert "missing required answer 'country'" in reasons[4]
    assert "unknown status 'maybe'" in reasons[5]
    assert "Narnia" in reasons[6]
    [kept] = result.registrations
    assert (kept.row, kept.answers["country"], kept.status) == (7, "ES", RequestedStatus.APPROVED)


def test_answers_languages_and_custom_questions_are_normalised() -> None:
    rules = RegistrationRules(
        questions=(QuestionRule("Panel", required=True, answers=("Youth", "Climate")),)
    )
    result = load(
        "Correo,Nombre,Apellidos,País,Organización,Idioma,Panel\n"
        "a@x.org,María José,Gómez Sáenz,México,OIT,español,youth\n"
        "b@x.org,Zoé,Denkers,Allemagne,BIT,Français,Climate\n"
        "c@x.org,Cy,Ruggirello,IT,,klingon,Climate\n"
        "d@x.org,Di,,IT,,,Other\n",
        rules,
    )
    a, b = result.registrations
    assert (a.first_name, a.last_name, a.answers["country"]) == ("María José", "Gómez Sáenz", "MX")
    assert a.language is Language.ES and a.custom_answers == (("Panel", "Youth"),)
    assert b.zoom_fields() == {
        "email": "b@x.org", "first_name": "Zoé", "last_name": "Denkers", "country": "DE",
        "org": "BIT", "language": "fr-FR",
        "custom_questions": [{"title": "Panel", "value": "Climate"}],
    }
    reasons = [r.reason for r in result.rejections]
    assert "preferred language 'klingon' is not one zoomorch knows (English, " in reasons[0]
    assert "'Other' is not one of: Youth, Climate" in reasons[1]


def test_a_preferred_language_may_be_any_zoom_writes_its_emails_in() -> None:
    """German, Portuguese, Japanese…: Zoom's registration emails come in them (its
    ``language`` locales), so a list may ask for them, not only ES, EN and FR."""
    result = load("Email,First name,Last name,Language\n"
                  "a@x.org,Anna,Weber,Deutsch\n"
                  "b@x.org,João,Silva,pt-BR\n"
                  "c@x.org,Yuki,Sato,ja\n", RegistrationRules())
    assert not result.rejections
    assert [r.zoom_fields()["language"] for r in result.registrations] == [
        "de-DE", "pt-PT", "jp-JP"]


def test_language_questions_accept_codes_and_names_in_any_of_the_three_languages() -> None:
    rules = RegistrationRules(questions=(
        QuestionRule("Preferred language", True, ("Español", "English", "Français")),))
    result = load("email,first name,preferred language\na@x.org,A,ES\nb@x.org,B,anglais\n"
                  "c@x.org,C,français\n", rules)
    assert [r.custom_answers[0][1] for r in result.registrations] == [
        "Español", "English", "Français"]
    assert [r.language for r in result.registrations] == [Language.ES, Language.EN, Language.FR]


def test_full_name_column_is_split_when_there_are_no_name_columns() -> None:
    [r] = load("email,full name\na@x.org,Ana María Sáenz\n").registrations
    assert (r.first_name, r.last_name) == ("Ana", "María Sáenz")


def test_new_people_are_added_with_the_event_approval_policy() -> None:
    source = load("email,first name,status\na@x.org,A,\nb@x.org,B,approved\nc@x.org,C,denied\n")
    plan = plan_sync(source, [], automatic_approval=False)
    assert [(a.registration.email, a.auto_approve, a.via, a.then) for a in plan.additions] == [
        ("a@x.org", False, Via.BATCH, None), ("b@x.org", True, Via.BATCH, None),
        ("c@x.org", False, Via.BATCH, Action.DENY)]


def test_people_with_answers_are_registered_one_by_one_so_answers_reach_zoom() -> None:
    source = load("email,first name,country,status\na@x.org,A,ES,\nb@x.org,B,FR,approved\n"
                  "c@x.org,C,,approved\n")
    plan = plan_sync(source, [], automatic_approval=False)
    assert [(a.via, a.then) for a in plan.additions] == [
        (Via.SINGLE, None), (Via.SINGLE, Action.APPROVE), (Via.BATCH, None)]


def test_people_already_registered_in_any_status_are_never_re_added() -> None:
    source = load("email,first name\nA@x.org,A\nb@x.org,B\nc@x.org,C\n")
    zoom = [zr("a@x.org", "approved"), zr("B@X.ORG", "pending"), zr("c@x.org", "denied")]
    plan = plan_sync(source, zoom, automatic_approval=True)
    assert plan.additions == () and plan.write_count == 0
    assert plan.counts(source)[Outcome.UNCHANGED] == 3


def test_status_column_drives_approve_deny_and_cancel() -> None:
    source = load(
        "email,first name,estado\n"
        "a@x.org,A,aprobado\nb@x.org,B,refusé\nc@x.org,C,cancelado\nd@x.org,D,cancelled\n"
        "e@x.org,E,approved\nf@x.org,F,cancelled\n"
    )
    zoom = [zr("a@x.org", "pending"), zr("b@x.org", "approved"), zr("c@x.org", "approved"),
            zr("d@x.org", "pending"), zr("e@x.org", "approved")]
    plan = plan_sync(source, zoom, automatic_approval=True)
    assert [(c.registrant.email, c.action) for c in plan.status_changes] == [
        ("a@x.org", Action.APPROVE), ("b@x.org", Action.DENY), ("c@x.org", Action.CANCEL),
        ("d@x.org", Action.DENY)]
    counts = plan.counts(source)
    assert (counts[Outcome.STATUS_CHANGED], counts[Outcome.CANCELLED]) == (2, 2)
    assert counts[Outcome.UNCHANGED] == 2  # e already approved; f was never registered
    assert counts.adds_up


def test_prune_takes_back_registrations_not_on_the_list_but_spares_rejected_rows() -> None:
    source = load("email,first name\na@x.org,A\nbad@x.org,\n")
    zoom = [zr("a@x.org"), zr("gone@x.org", "approved"), zr("wait@x.org", "pending"),
            zr("bad@x.org"), zr("denied@x.org", "denied")]
    assert plan_sync(source, zoom, automatic_approval=True).prunes == ()
    plan = plan_sync(source, zoom, automatic_approval=True, prune=True)
    assert [(c.registrant.email, c.action) for c in plan.prunes] == [
        ("gone@x.org", Action.CANCEL), ("wait@x.org", Action.DENY)]
    assert plan.counts(source).pruned == 2 and plan.counts(source).adds_up


def test_a_person_sent_three_times_today_is_deferred_not_re_added() -> None:
    source = load("email,first name\na@x.org,A\nb@x.org,B\n")
    plan = plan_sync(source, [], automatic_approval=True, adds_today={"a@x.org": 3, "b@x.org": 2})
    assert [a.registration.email for a in plan.additions] == ["b@x.org"]
    assert [d.registration.email for d in plan.deferred] == ["a@x.org"]
    assert plan.deferred[0].reason is DeferralReason.PERSON_DAILY_LIMIT
    assert plan.deferred[0].retry_at is not None and plan.deferred[0].retry_at.hour == 0
    assert plan.counts(source).adds_up


def test_counts_add_up_and_the_summary_says_so() -> None:
    source = load("email,first name\na@x.org,A\nA@x.org,A\n,x\nb@x.org,B\n")
    counts = plan_sync(source, [zr("b@x.org")], automatic_approval=True).counts(source)
    assert (counts[Outcome.ADDED], counts[Outcome.UNCHANGED], counts[Outcome.REJECTED],
            counts[Outcome.MERGED]) == (1, 1, 1, 1)
    assert "= 4 input rows: every row is accounted for" in counts.summary()
