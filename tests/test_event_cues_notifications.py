"""The event file's [cues] and [notifications] sections: validated, and what the cues use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from event_support import SEED, problems_of, seed_data
from zoomorch.cues import agenda_from_event, plan_cues
from zoomorch.event import load_event, parse_event, url_secret_reason

M = timedelta(minutes=1)


@pytest.fixture
def seed() -> dict[str, Any]:
    return seed_data()


# -- [cues] ---------------------------------------------------------------------------------


def test_seed_cue_settings_come_from_the_file() -> None:
    spec = load_event(SEED)
    settings = agenda_from_event(spec).settings
    assert settings.advance == "manual"
    assert (settings.tech_check_before, settings.doors_open_before) == (30 * M, 10 * M)
    assert (settings.overrun_every, settings.handover_every) == (M, 30 * M)
    assert settings.late_grace == 2 * M and settings.hard_stop_grace == timedelta(0)
    assert not settings.end_webinar_at_hard_stop
    assert settings.warnings == {0: (M,), 1: (5 * M, 2 * M), 2: (M,)}


def test_cue_amounts_read_minutes_or_units_and_drive_the_plan(seed: dict[str, Any]) -> None:
    seed["cues"] = {"advance": "auto", "tech_check_before": "45m", "doors_open_before": 15,
                    "overrun_every": 0, "handover_every": "20m", "hard_stop_grace": "90s",
                    "late_grace": 0.5, "end_webinar_at_hard_stop": True}
    seed["agenda"][1]["warnings"] = [10, "30s"]
    agenda = agenda_from_event(parse_event(seed))
    s = agenda.settings
    assert s.advance == "auto" and s.late_grace == timedelta(seconds=30)
    assert s.end_webinar_at_hard_stop
    cues = plan_cues(agenda)

    def offsets(kind: str) -> list[float]:
        return [(c.due - agenda.scheduled_start) / M for c in cues if c.kind == kind]

    assert offsets("tech_check") == [-45]
    assert offsets("doors_open") == [-15]
    assert offsets("hard_stop") == [61.5]
    assert offsets("overrun") == []
    assert [o for o in offsets("warning") if 5 < o < 55] == [45, 54.5]  # the dialogue's own
    assert sorted(set(offsets("handover"))) == [20, 40]


def test_empty_warnings_turn_a_segments_warnings_off(seed: dict[str, Any]) -> None:
    seed["agenda"][0]["warnings"] = []
    cues = plan_cues(agenda_from_event(parse_event(seed)))
    assert not [c for c in cues if c.kind == "warning" and c.segment_index == 0]


def test_cue_section_refuses_unknown_keys_with_a_suggestion(seed: dict[str, Any]) -> None:
    seed["cues"] = {"handover_evry": 30}
    assert "config/x.toml: cues.handover_evry: unknown key 'handover_evry' — did you mean " \
           "'handover_every'?" in problems_of(seed)


def test_advance_must_be_manual_or_auto_and_says_what_each_means(
        seed: dict[str, Any]) -> None:
    seed["cues"] = {"advance": "sometimes"}
    text = problems_of(seed)
    assert "cues.advance: 'sometimes' is neither manual nor auto — use \"manual\" (a segment " \
           "ends when the host says `next`) or \"auto\"" in text


def test_bad_and_negative_amounts_name_the_field_and_the_fix(seed: dict[str, Any]) -> None:
    seed["cues"] = {"overrun_every": "soon", "late_grace": -1, "tech_check_before": True}
    text = problems_of(seed)
    assert "cues.overrun_every: 'soon' is not an amount of time — write minutes as a number" \
           in text
    assert "cues.late_grace: -1 is negative — write zero or more" in text
    assert "cues.tech_check_before: True is not an amount of time" in text


def test_doors_cannot_open_before_the_tech_check(seed: dict[str, Any]) -> None:
    seed["cues"] = {"tech_check_before": 5, "doors_open_before": 10}
    assert "cues.doors_open_before: doors open 10 min before the start, earlier than the tech " \
           "check (5 min) — make tech_check_before at least doors_open_before" in problems_of(seed)


def test_a_warning_must_come_before_the_segments_end(seed: dict[str, Any]) -> None:
    seed["agenda"][0]["warnings"] = [5, 0]
    seed["agenda"][1]["warnings"] = [2, 2]
    text = problems_of(seed)
    assert "agenda[0].warnings[0]: 5 min is not before the end of a 5-minute segment — use " \
           "less than 5" in text
    assert "agenda[0].warnings[1]: a warning of 0 minutes is the end itself" in text
    assert "agenda[1].warnings: a warning is listed twice — list each amount once" in text


# -- [notifications] --------------------------------------------------------------------------


def test_seed_notifications_are_console_and_board() -> None:
    notes = load_event(SEED).notifications
    assert notes.enabled() == ["console", "board"]


def test_every_channel_can_be_configured(seed: dict[str, Any]) -> None:
    seed["notifications"] = {
        "console": False, "zoom_chat": True, "board": False,
        "webhook": {"url_env": "CUES_HOOK"},
        "email": {"host": "smtp.example.org", "port": 2525, "sender": "cues@example.org",
                  "starttls": False, "user": "cues"},
        "people": {"ana-maria-diez": ["zoom_chat", "email"]},
    }
    spec = parse_event(seed)
    notes = spec.notifications
    assert notes.enabled() == ["zoom_chat", "webhook", "email"]
    assert notes.webhook is not None and notes.webhook.url_env == "CUES_HOOK"
    assert notes.email is not None and (notes.email.host, notes.email.port) == (
        "smtp.example.org", 2525)
    moderator = next(r for r in agenda_from_event(spec).recipients if r.id == "ana-maria-diez")
    assert moderator.wants("zoom_chat") and moderator.wants("email")
    assert not moderator.wants("console") and not moderator.wants("webhook1")
    others = [r for r in agenda_from_event(spec).recipients if r.id != "ana-maria-diez"]
    assert all(r.channels is None and r.wants("console") for r in others)


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "https://discord.com/api/webhooks/123/abc",
    "https://example.webhook.office.com/webhookb2/abc",
    "https://hooks.example.org/cues?token=abc",
    "https://user:pw@hooks.example.org/cues",
    "https://hooks.example.org/cues/9f8e7d6c5b4a39281706abcdef",
])
def test_literal_webhook_urls_with_a_token_are_refused_without_echoing_it(
        seed: dict[str, Any], url: str) -> None:
    seed["notifications"] = {"webhook": {"url": url}}
    text = problems_of(seed)
    assert "config/x.toml: notifications.webhook.url: this URL carries a secret" in text
    assert 'url_env = "ZOOMORCH_CUE_WEBHOOK_URL"' in text
    assert url not in text
    assert url.split("//", 1)[1].split("/", 1)[-1] not in text  # not even the path


def test_a_plain_webhook_url_is_accepted(seed: dict[str, Any]) -> None:
    seed["notifications"] = {"webhook": {"url": "https://cues.example.org/imrf/inbox"}}
    hook = parse_event(seed).notifications.webhook
    assert hook is not None and hook.url == "https://cues.example.org/imrf/inbox"
    assert url_secret_reason("http://127.0.0.1:8080/hook") is None


def test_webhook_needs_exactly_one_of_url_and_url_env(seed: dict[str, Any]) -> None:
    seed["notifications"] = {"webhook": {}}
    assert "notifications.webhook: has no URL — write url_env = " in problems_of(seed)
    seed["notifications"] = {"webhook": {"url": "https://cues.example.org/in",
                                         "url_env": "HOOK"}}
    assert "notifications.webhook: needs exactly one of url and url_env" in problems_of(seed)
    seed["notifications"] = {"webhook": {"url_env": "not a name"}}
    assert "notifications.webhook.url_env: 'not a name' is not an environment variable name" \
        in problems_of(seed)


def test_smtp_password_in_the_file_is_refused_and_points_to_the_env(
        seed: dict[str, Any]) -> None:
    seed["notifications"] = {"email": {"host": "smtp.example.org", "password": "hunter2"}}
    text = problems_of(seed)
    assert "notifications.email.password: secrets never go in the event file — remove it; " \
           "the SMTP password comes from ZOOMORCH_SMTP_PASSWORD only" in text
    assert "hunter2" not in text


def test_email_settings_are_validated(seed: dict[str, Any]) -> None:
    seed["notifications"] = {"email": {"host": "smtp.example.org", "port": 70000,
                                       "sender": "cues", "tls": True}}
    text = problems_of(seed)
    assert "notifications.email.port:" in text
    assert "notifications.email.sender: 'cues' is not an email address" in text
    assert "notifications.email.tls: unknown key 'tls' — remove it (known keys: host, port, " \
           "sender, starttls, user)" in text
    seed["notifications"] = {"email": {"port": 25}}
    assert "notifications.email.host: is required — add it" in problems_of(seed)


def test_per_person_channels_name_real_people_and_channels(seed: dict[str, Any]) -> None:
    seed["notifications"] = {"people": {"ana-maria-dies": ["zoom_caht"],
                                        "lucas-gomez": []}}
    text = problems_of(seed)
    assert "notifications.people.ana-maria-dies: no person with id 'ana-maria-dies' — did you " \
           "mean 'ana-maria-diez'?" in text
    assert "notifications.people.ana-maria-dies[0]: 'zoom_caht' is not a channel — did you " \
           "mean 'zoom_chat'?" in text
    assert "notifications.people.lucas-gomez: lists no channel" in text


def test_notifications_refuse_unknown_channels(seed: dict[str, Any]) -> None:
    seed["notifications"] = {"slack": True}
    assert "notifications.slack: unknown key 'slack'" in problems_of(seed)


def test_record_at_start_is_refused_with_the_auto_recording_fix(seed: dict[str, Any]) -> None:
    seed["cues"] = {"record_at_start": True}
    text = problems_of(seed)
    assert "cues.record_at_start" in text and "meetings only" in text
    assert 'auto_recording = "cloud"' in text


def test_webhook_timeout_is_read_and_bounded(seed: dict[str, Any]) -> None:
    seed["notifications"] = {"webhook": {"url": "https://cues.example.org/in",
                                         "timeout_seconds": 2.5}}
    hook = parse_event(seed).notifications.webhook
    assert hook is not None and hook.timeout_seconds == 2.5
    for bad, why in ((0, "greater than 0"), (61, "less than or equal to 60"),
                     ("soon", "a valid number")):
        seed["notifications"]["webhook"]["timeout_seconds"] = bad
        text = problems_of(seed)
        assert "config/x.toml: notifications.webhook.timeout_seconds: " in text
        assert why in text
