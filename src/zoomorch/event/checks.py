"""Rules across the sections of an event file, and what is worth a warning.

:func:`check_event` returns every problem that makes a file unusable (``parse_event`` raises
them together); :func:`event_warnings` returns what a valid file does that people should
know before the event, e.g. someone whose cues cannot be in the language they speak.
"""

from __future__ import annotations

import difflib
from datetime import timedelta

from zoomorch.event.model import CHANNELS, EventSpec, Role
from zoomorch.event.problems import Problem
from zoomorch.event.zoom_fields import MAX_INTERPRETERS, REGISTRANT_COLUMNS, language_name
from zoomorch.vocab.durations import format_duration
from zoomorch.vocab.languages import CUE_LANGUAGES, cue_language


def check_event(spec: EventSpec) -> list[Problem]:
    """Rules that span several fields; returns every problem found (empty when valid)."""
    problems: list[Problem] = []
    problems += _check_people(spec)
    problems += _check_agenda(spec)
    problems += _check_interpretation(spec)
    problems += _check_registrants(spec)
    problems += _check_cues(spec)
    problems += _check_notifications(spec)
    return problems


def _check_people(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for i, person in enumerate(spec.people):
        if person.id in seen_ids:
            problems.append(Problem(f"people[{i}].id", f"'{person.id}' is already used by "
                                    f"people[{seen_ids[person.id]}]", "give each person a "
                                    "unique id"))
        seen_ids.setdefault(person.id, i)
        if person.email is None:
            if not person.tbc:
                problems.append(Problem(f"people[{i}].email", f"{person.name} has no email",
                                        "add their email (or mark them tbc = true)"))
            continue
        if person.email in seen_emails:
            problems.append(Problem(f"people[{i}].email", f"{person.email} is also the email "
                                    f"of people[{seen_emails[person.email]}]",
                                    "each person needs their own email address"))
        seen_emails.setdefault(person.email, i)
    hosts = spec.with_role(Role.HOST)
    if len(hosts) > 1:
        problems.append(Problem("people", f"{len(hosts)} people have the role 'host'",
                                "keep one host; make the others alternative_host"))
    return problems


def _check_agenda(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    known = {p.id for p in spec.people}
    speaking_roles = {Role.HOST, Role.ALTERNATIVE_HOST, Role.MODERATOR, Role.PANELIST}
    for i, segment in enumerate(spec.agenda):
        refs = [(f"agenda[{i}].speakers[{j}]", ref) for j, ref in enumerate(segment.speakers)]
        if segment.moderator is not None:
            refs.append((f"agenda[{i}].moderator", segment.moderator))
        for where, ref in refs:
            if ref not in known:
                close = difflib.get_close_matches(ref, sorted(known), n=1)
                problems.append(Problem(where, f"no person with id '{ref}'",
                                        f"did you mean '{close[0]}'?" if close
                                        else "add them under [[people]]"))
            elif not speaking_roles.intersection(spec.person(ref).roles):
                problems.append(Problem(where, f"'{ref}' speaks but is only "
                                        f"{', '.join(spec.person(ref).roles)}",
                                        "add the role 'panelist' (or 'moderator') to them"))
        if (segment.moderator and segment.moderator in known
                and not spec.person(segment.moderator).has(Role.MODERATOR)):
            problems.append(Problem(f"agenda[{i}].moderator", f"'{segment.moderator}' "
                                    "moderates but lacks the role 'moderator'",
                                    "add 'moderator' to their roles"))
    if problems:
        return problems
    total = spec.webinar.duration_minutes
    cursor = 0
    for i, (start, end) in enumerate(spec.segment_offsets()):
        where = f"agenda[{i}].start"
        if start > cursor:
            problems.append(Problem(where, f"leaves a {start - cursor}-minute gap after the "
                                    "previous segment", "remove start or make it meet the "
                                    "previous segment's end"))
        elif start < cursor:
            problems.append(Problem(where, f"overlaps the previous segment by "
                                    f"{cursor - start} minutes", "move it later or shorten the "
                                    "previous segment"))
        cursor = max(cursor, end)
    last = len(spec.agenda) - 1
    if cursor > total:
        problems.append(Problem(f"agenda[{last}].minutes", f"segments overflow the webinar "
                                f"({cursor} of {total} minutes)", "shorten a segment or raise "
                                "webinar.duration_minutes"))
    elif cursor < total:
        problems.append(Problem(f"agenda[{last}].minutes", f"segments leave the last "
                                f"{total - cursor} of {total} minutes unplanned",
                                "lengthen a segment, add one, or lower webinar.duration_minutes"))
    return problems


def _check_interpretation(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    interp = spec.interpretation
    if interp is None:
        return problems
    configured = set(interp.languages)
    if len(configured) != len(interp.languages):
        problems.append(Problem("interpretation.languages", "a language is listed twice",
                                "list each language once"))
    if interp.floor not in configured:
        problems.append(Problem("interpretation.floor", f"floor language {interp.floor} is not "
                                "in interpretation.languages", f"add {interp.floor} to "
                                "interpretation.languages"))
    if len(interp.interpreters) > MAX_INTERPRETERS:
        problems.append(Problem("interpretation.interpreters", f"{len(interp.interpreters)} "
                                f"interpreters; Zoom allows at most {MAX_INTERPRETERS}",
                                "remove some or share a pair between fewer interpreters"))
    known = {p.id for p in spec.people}
    edges: dict[str, set[str]] = {code: set() for code in configured}
    for i, assignment in enumerate(interp.interpreters):
        where = f"interpretation.interpreters[{i}]"
        if assignment.person not in known:
            problems.append(Problem(f"{where}.person", f"no person with id "
                                    f"'{assignment.person}'", "add them under [[people]] with "
                                    "roles = ['interpreter']"))
        elif not spec.person(assignment.person).has(Role.INTERPRETER):
            problems.append(Problem(f"{where}.person", f"'{assignment.person}' lacks the role "
                                    "'interpreter'", "add 'interpreter' to their roles"))
        elif spec.person(assignment.person).tbc and spec.person(assignment.person).email is None:
            problems.append(Problem(f"{where}.person", "an interpreter needs an email even "
                                    "while to be confirmed", "add a placeholder email"))
        for code in assignment.languages:
            if code not in configured:
                problems.append(Problem(f"{where}.languages", f"{code} "
                                        f"({language_name(code)}) is not in "
                                        "interpretation.languages", f"add {code} there or fix "
                                        "the pair"))
        a, b = assignment.languages
        edges.setdefault(a, set()).add(b)
        edges.setdefault(b, set()).add(a)
    for i, person in enumerate(spec.people):
        if person.has(Role.INTERPRETER) and not any(
            a.person == person.id for a in interp.interpreters
        ):
            problems.append(Problem(f"people[{i}].roles", f"{person.name} is an interpreter "
                                    "without a language pair", "add them under "
                                    "[[interpretation.interpreters]]"))
    reached = {interp.floor}
    frontier = [interp.floor]
    while frontier:
        for neighbour in edges.get(frontier.pop(), ()):
            if neighbour not in reached:
                reached.add(neighbour)
                frontier.append(neighbour)
    for code in interp.languages:
        if code not in reached:
            problems.append(Problem("interpretation.languages", f"{code} "
                                    f"({language_name(code)}) cannot be reached from the floor "
                                    f"language {interp.floor} through any interpreter",
                                    f"add an interpreter for {code} and a language already "
                                    "reached, or drop it"))
    for i, segment in enumerate(spec.agenda):
        if segment.language and segment.language not in configured:
            problems.append(Problem(f"agenda[{i}].language", f"{segment.language} is not in "
                                    "interpretation.languages", "add it there or change the "
                                    "segment's language"))
    return problems


def _check_registrants(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    custom = {q.title for q in spec.registration.custom_questions}
    for field, column in spec.registrants.columns.items():
        if field not in REGISTRANT_COLUMNS and field not in custom:
            problems.append(Problem(f"registrants.columns.{field}", "is neither a Zoom "
                                    "registrant field nor a custom question title",
                                    f"use one of {', '.join(REGISTRANT_COLUMNS)} or a title "
                                    "from registration.custom_questions"))
        if not column.strip():
            problems.append(Problem(f"registrants.columns.{field}", "names no source column",
                                    "write the column header of the registration list"))
    if spec.registrants.columns and "email" not in spec.registrants.columns:
        problems.append(Problem("registrants.columns", "no column is mapped to email",
                                "add email = \"<column header>\""))
    for i, question in enumerate(spec.registration.custom_questions):
        if question.type == "short" and question.answers:
            problems.append(Problem(f"registration.custom_questions[{i}].answers",
                                    "a short-answer question takes no answer choices",
                                    "remove answers or use type = \"single_radio\""))
        if question.type != "short" and not question.answers:
            problems.append(Problem(f"registration.custom_questions[{i}].answers",
                                    f"a {question.type} question needs answer choices",
                                    "list them in answers = [...]"))
    return problems


def _check_cues(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    cues = spec.cues
    if cues.doors_open_before > cues.tech_check_before:
        doors, tech = format_duration(cues.doors_open_before), format_duration(
            cues.tech_check_before)
        problems.append(Problem("cues.doors_open_before", f"doors open {doors} before the "
                                f"start, earlier than the tech check ({tech})",
                                "make tech_check_before at least doors_open_before"))
    for i, segment in enumerate(spec.agenda):
        length = timedelta(minutes=segment.minutes)
        for j, left in enumerate(segment.warnings or []):
            if left <= timedelta(0):
                problems.append(Problem(f"agenda[{i}].warnings[{j}]", "a warning of 0 minutes "
                                        "is the end itself", "remove it (\"time is up\" is "
                                        "always sent)"))
            elif left >= length:
                problems.append(Problem(f"agenda[{i}].warnings[{j}]", f"{format_duration(left)} "
                                        f"is not before the end of a {segment.minutes}-minute "
                                        "segment",
                                        f"use less than {segment.minutes}"))
        if segment.warnings and len(set(segment.warnings)) != len(segment.warnings):
            problems.append(Problem(f"agenda[{i}].warnings", "a warning is listed twice",
                                    "list each amount once"))
    return problems


def _check_notifications(spec: EventSpec) -> list[Problem]:
    problems: list[Problem] = []
    notes = spec.notifications
    hook = notes.webhook
    if hook is not None and (hook.url is None) == (hook.url_env is None):
        problems.append(Problem("notifications.webhook", "needs exactly one of url and url_env"
                                if hook.url else "has no URL",
                                'write url_env = "ZOOMORCH_CUE_WEBHOOK_URL" (the variable that '
                                "holds the URL), or url = \"https://…\" for a URL without "
                                "credentials"))
    known = {p.id for p in spec.people}
    for person_id, channels in notes.people.items():
        where = f"notifications.people.{person_id}"
        if person_id not in known:
            close = difflib.get_close_matches(person_id, sorted(known), n=1)
            problems.append(Problem(where, f"no person with id '{person_id}'",
                                    f"did you mean '{close[0]}'?" if close
                                    else "use an id from [[people]]"))
        for j, channel in enumerate(channels):
            if channel not in CHANNELS:
                close = difflib.get_close_matches(channel, CHANNELS, n=1)
                problems.append(Problem(f"{where}[{j}]", f"'{channel}' is not a channel",
                                        f"did you mean '{close[0]}'?" if close
                                        else f"use one of {', '.join(CHANNELS)}"))
        if not channels:
            problems.append(Problem(where, "lists no channel", "name at least one channel, or "
                                    "remove the line to use every channel"))
    return problems


def event_warnings(spec: EventSpec) -> list[Problem]:
    """What a valid file does that people should hear about before the event.

    Today: each person whose first language has no cue texts, with the language their cues
    fall back to (their next language that has texts, else English).
    """
    problems: list[Problem] = []
    written = ", ".join(lang.name for lang in CUE_LANGUAGES)
    for i, person in enumerate(spec.people):
        choice = cue_language(person.languages)
        if not choice.fallback:
            continue
        spoken = choice.spoken.name
        fix = (f"nothing to do if they read {choice.cues.name}; else list the language they "
               f"read best right after {spoken} (cues exist in {written})" if choice.listed
               else f"add a language they read to their languages after {spoken} (cues "
               f"exist in {written}), or accept {choice.cues.name}")
        problems.append(Problem(f"people[{i}].languages",
                                f"{person.name} speaks {spoken}; {choice.explain()}", fix))
    return problems
