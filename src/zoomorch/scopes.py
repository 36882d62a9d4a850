"""Zoom's OAuth scopes: which operation accepts which, and which zoomorch feature calls what.

Shared by the client (to explain Zoom's refusal, code 4711) and the sandbox (to refuse like
Zoom). The scopes of each operation come from Zoom's OpenAPI description (see
``scripts/extract_scopes.py``); a token needs one of them, classic or granular.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import NamedTuple

from zoomorch.rate_labels import operation_for

# Zoom's answer to a call whose token lacks the operation's scopes: HTTP 400 with this code.
REFUSAL_CODE = 4711
_REFUSAL_LIST = re.compile(r"scopes:\s*\[([^\]]*)\]")


@dataclass(frozen=True)
class ScopeRule:
    """The scopes one operation accepts; any one of them is enough."""

    classic: tuple[str, ...]
    granular: tuple[str, ...] = ()

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every accepted scope, in the order Zoom's refusal lists them: classic, then granular."""
        return self.classic + self.granular

    def satisfied_by(self, granted: AbstractSet[str]) -> bool:
        """True if ``granted`` holds one accepted scope (an operation with none needs nothing)."""
        return not self.accepted or any(scope in granted for scope in self.accepted)


class Operation(NamedTuple):
    """One Zoom API operation: method and OpenAPI path template (relative to ``/v2``)."""

    method: str
    template: str

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


class Feature(StrEnum):
    """What zoomorch does with Zoom, each needing the scopes of the operations it calls."""

    SETUP = "setup"
    SYNC = "sync"
    CHAT_CUES = "chat_cues"
    ENFORCEMENT = "enforcement"
    REPORT = "report"
    DOCTOR = "doctor"


def _ops(*keys: str) -> tuple[Operation, ...]:
    return tuple(Operation(*key.split(" ", 1)) for key in keys)


# The operations each feature calls, read from the callers of zoomorch.zoom.ZoomClient
# (provision, registrants.sync, notify.zoom_chat, schedule, report.fetch) and their
# reconciliation look-ups after a lost answer.
FEATURE_OPERATIONS: Mapping[Feature, tuple[Operation, ...]] = {
    Feature.SETUP: _ops(
        "POST /users/{userId}/webinars", "GET /users/{userId}/webinars",
        "GET /webinars/{webinarId}", "PATCH /webinars/{webinarId}",
        "GET /webinars/{webinarId}/registrants/questions",
        "PATCH /webinars/{webinarId}/registrants/questions",
        "GET /webinars/{webinarId}/panelists", "POST /webinars/{webinarId}/panelists",
        "DELETE /webinars/{webinarId}/panelists/{panelistId}",
        "DELETE /webinars/{webinarId}/panelists",
    ),
    Feature.SYNC: _ops(
        "GET /webinars/{webinarId}/registrants", "POST /webinars/{webinarId}/registrants",
        "POST /webinars/{webinarId}/batch_registrants",
        "PUT /webinars/{webinarId}/registrants/status",
    ),
    Feature.CHAT_CUES: _ops("POST /chat/users/{userId}/messages"),
    # Ending the webinar at the hard stop. (Recording is the webinar's auto_recording
    # setting: Zoom's in-meeting controls are documented for meetings only.)
    Feature.ENFORCEMENT: _ops("PUT /webinars/{webinarId}/status"),
    Feature.REPORT: _ops(
        "GET /report/webinars/{webinarId}", "GET /report/webinars/{webinarId}/participants",
        "GET /report/webinars/{webinarId}/qa", "GET /report/webinars/{webinarId}/polls",
        "GET /past_webinars/{webinarId}/absentees", "GET /webinars/{webinarId}/registrants",
        "GET /webinars/{webinarId}/panelists",
    ),
    Feature.DOCTOR: _ops("GET /users/{userId}", "GET /users/{userId}/settings"),
}

# The classic scopes that cover every feature (account-wide ``:admin`` variants, as a
# Server-to-Server OAuth app needs): the sandbox grants these unless told otherwise.
# tests/test_scopes.py checks they are the smallest such set.
DEFAULT_GRANTED: frozenset[str] = frozenset({
    "chat_message:write:admin", "report:read:admin",
    "user:read:admin", "webinar:read:admin", "webinar:write:admin",
})


@cache
def rules() -> Mapping[Operation, ScopeRule]:
    """Every operation with scopes, from the packaged ``data/operation_scopes.json``."""
    raw = json.loads(resources.files("zoomorch").joinpath("data/operation_scopes.json")
                     .read_text(encoding="utf-8"))
    return {Operation(*key.split(" ", 1)): ScopeRule(tuple(rule["classic"]),
                                                     tuple(rule["granular"]))
            for key, rule in raw.items()}


def _operation(method: str, path_or_template: str) -> Operation:
    method = method.upper()
    template = "/" + path_or_template.split("?", 1)[0].strip("/")
    if Operation(method, template) not in rules():
        # A concrete path (/webinars/123): the rate-label table knows the templates.
        template = operation_for(method, template)[0]
    return Operation(method, template)


def scopes_for(method: str, path_or_template: str) -> ScopeRule | None:
    """The scopes ``METHOD /path`` accepts (path relative to ``/v2``); None if unknown."""
    return rules().get(_operation(method, path_or_template))


def features_for(method: str, path_or_template: str) -> tuple[Feature, ...]:
    """The zoomorch features that call ``METHOD /path`` (in Feature order)."""
    operation = _operation(method, path_or_template)
    return tuple(f for f in Feature if operation in FEATURE_OPERATIONS[f])


def missing(granted: Iterable[str], feature: Feature) -> list[Operation]:
    """The operations of ``feature`` that ``granted`` does not allow."""
    have = frozenset(granted)
    return [op for op in FEATURE_OPERATIONS[feature]
            if (rule := rules().get(op)) is None or not rule.satisfied_by(have)]


def granular_grant() -> tuple[list[str], list[tuple[Operation, str]]]:
    """A granular grant for every feature: one ``:admin`` granular scope per operation, and the
    operations that have no granular scope with the classic scope they still need."""
    granular: set[str] = set()
    classic_only: list[tuple[Operation, str]] = []
    for operations in FEATURE_OPERATIONS.values():
        for op in operations:
            rule = rules()[op]
            if rule.granular:
                granular.add(_account_wide(rule.granular))
            elif (op, scope := _account_wide(rule.classic)) not in classic_only:
                classic_only.append((op, scope))
    return sorted(granular), classic_only


def _account_wide(names: tuple[str, ...]) -> str:
    return next((name for name in names if name.endswith(":admin")), names[0])


def parse_scopes(text: str) -> frozenset[str]:
    """Scopes written space- or comma-separated (``--scopes``, a token's ``scope``)."""
    return frozenset(name for name in re.split(r"[\s,]+", text) if name)


def refusal_message(rule: ScopeRule) -> str:
    """Zoom's message for code 4711: the scopes the operation accepts."""
    return f"Invalid access token, does not contain scopes:[{', '.join(rule.accepted)}]."


def scopes_in_refusal(message: str) -> tuple[str, ...]:
    """The scopes a 4711 message lists (empty if it lists none)."""
    found = _REFUSAL_LIST.search(message)
    if not found:
        return ()
    return tuple(name.strip() for name in found.group(1).split(",") if name.strip())
