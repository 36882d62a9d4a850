"""Registrant sync: the organisers' list -> Zoom's registrants, idempotent and crash-safe.

``source`` reads and decodes the list, ``columns``/``values``/``normalise`` turn rows into
:class:`Registration` records, ``plan`` diffs them against Zoom (pure), ``ledger`` and
``sync`` execute the plan in batches, ``output`` writes the CSV files.
"""

from zoomorch.registrants.normalise import (
    DuplicateMerge,
    QuestionRule,
    Registration,
    RegistrationList,
    RegistrationRules,
    Rejection,
    normalise_table,
)
from zoomorch.registrants.plan import (
    Action,
    Addition,
    Outcome,
    StatusChange,
    SyncCounts,
    SyncPlan,
    ZoomRegistrant,
    plan_sync,
)
from zoomorch.registrants.source import SourceError, SourceTable, decode_source, read_source

__all__ = [
    "Action",
    "Addition",
    "DuplicateMerge",
    "Outcome",
    "QuestionRule",
    "Registration",
    "RegistrationList",
    "RegistrationRules",
    "Rejection",
    "SourceError",
    "SourceTable",
    "StatusChange",
    "SyncCounts",
    "SyncPlan",
    "ZoomRegistrant",
    "decode_source",
    "normalise_table",
    "plan_sync",
    "read_source",
]
