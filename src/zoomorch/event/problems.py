"""What is wrong with an event file: one :class:`Problem` per field, all of them in one
:class:`EventFileError`, each line naming the file, the field and the fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an event file (or worth a warning): where, what, and the fix."""

    field: str
    message: str
    fix: str = ""

    def render(self, source: str) -> str:
        text = f"{source}: {self.field}: {self.message}"
        return f"{text} — {self.fix}" if self.fix else text


class EventFileError(ValueError):
    """Every problem found in one event file, reported together."""

    def __init__(self, source: str | Path, problems: Sequence[Problem]) -> None:
        self.source = str(source)
        self.problems = list(problems)
        super().__init__("\n".join(p.render(self.source) for p in self.problems))


class FieldProblem(ValueError):
    """Raised inside validators so the message and the fix survive pydantic's wrapping."""

    def __init__(self, message: str, fix: str = "") -> None:
        self.message, self.fix = message, fix
        super().__init__(f"{message} — {fix}" if fix else message)
