"""Zoom's rate-limit labels and per-plan limits: facts shared by the client and the sandbox.

The label of each operation comes from Zoom's OpenAPI description (see
``scripts/extract_rate_labels.py``); the per-plan numbers from Zoom's rate-limit documentation.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources


class RateLabel(StrEnum):
    LIGHT = "Light"
    MEDIUM = "Medium"
    HEAVY = "Heavy"
    RESOURCE_INTENSIVE = "Resource-intensive"


class Plan(StrEnum):
    FREE = "free"
    PRO = "pro"
    BUSINESS = "business"


# Requests allowed per second for each label (Resource-intensive is per minute in Zoom's
# tables: 10/min and 20/min, expressed here per second).
PER_SECOND: dict[Plan, dict[RateLabel, float]] = {
    Plan.FREE: {RateLabel.LIGHT: 4, RateLabel.MEDIUM: 2, RateLabel.HEAVY: 1,
                RateLabel.RESOURCE_INTENSIVE: 10 / 60},
    Plan.PRO: {RateLabel.LIGHT: 30, RateLabel.MEDIUM: 20, RateLabel.HEAVY: 10,
               RateLabel.RESOURCE_INTENSIVE: 10 / 60},
    Plan.BUSINESS: {RateLabel.LIGHT: 80, RateLabel.MEDIUM: 60, RateLabel.HEAVY: 40,
                    RateLabel.RESOURCE_INTENSIVE: 20 / 60},
}

# Daily quotas. On Free each label has its own; on paid plans Heavy and Resource-intensive
# share one pool. None means no daily quota for that label.
DAILY: dict[Plan, dict[RateLabel, int | None]] = {
    Plan.FREE: {RateLabel.LIGHT: 6_000, RateLabel.MEDIUM: 2_000, RateLabel.HEAVY: 1_000,
                RateLabel.RESOURCE_INTENSIVE: 30_000},
    Plan.PRO: {RateLabel.LIGHT: None, RateLabel.MEDIUM: None, RateLabel.HEAVY: 30_000,
               RateLabel.RESOURCE_INTENSIVE: 30_000},
    Plan.BUSINESS: {RateLabel.LIGHT: None, RateLabel.MEDIUM: None, RateLabel.HEAVY: 60_000,
                    RateLabel.RESOURCE_INTENSIVE: 60_000},
}


def daily_pool(plan: Plan, label: RateLabel) -> str:
    """Name of the daily counter a call draws from (Heavy and Resource-intensive share one)."""
    if plan is not Plan.FREE and label in (RateLabel.HEAVY, RateLabel.RESOURCE_INTENSIVE):
        return "Heavy+Resource-intensive"
    return label.value


def next_utc_midnight(moment: datetime) -> datetime:
    """When Zoom's daily quotas reset: the next 00:00 UTC after ``moment``."""
    day = moment.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@cache
def _table() -> list[tuple[str, re.Pattern[str], str, RateLabel]]:
    raw = json.loads(resources.files("zoomorch").joinpath("data/rate_labels.json").read_text())
    table = []
    for key, label in raw.items():
        method, template = key.split(" ", 1)
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        table.append((method, pattern, template, RateLabel(label)))
    # Literal segments beat placeholders: try the templates with fewer placeholders first.
    table.sort(key=lambda row: row[1].pattern.count("[^/]+"))
    return table


def operation_for(method: str, path: str) -> tuple[str, RateLabel]:
    """The OpenAPI path template and rate-limit label of ``METHOD /path`` (relative to ``/v2``).

    A path the description does not know is its own template, labelled Light.
    """
    method = method.upper()
    path = "/" + path.split("?", 1)[0].strip("/")
    for candidate_method, pattern, template, label in _table():
        if candidate_method == method and pattern.match(path):
            return template, label
    return path, RateLabel.LIGHT


def label_for(method: str, path: str) -> RateLabel:
    """The rate-limit label of ``METHOD /path`` (path relative to ``/v2``); Light if unlabelled."""
    return operation_for(method, path)[1]
