"""The seed event file as data, the validation error a broken copy of it raises, and a
changed copy written back as an event file."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest

from zoomorch.event import EventFileError, parse_event

SEED = Path(__file__).resolve().parents[1] / "config" / "imrf-2022-latam.toml"


def seed_data() -> dict[str, Any]:
    """A fresh copy of the seed event file's data, for a test to break."""
    return tomllib.loads(SEED.read_text(encoding="utf-8"))


def problems_of(data: dict[str, Any]) -> str:
    """The EventFileError message ``data`` raises, read as config/x.toml (fails if valid)."""
    with pytest.raises(EventFileError) as caught:
        parse_event(data, source="config/x.toml")
    return str(caught.value)


def toml_text(data: dict[str, Any]) -> str:
    """``data`` as an event file (the subset of TOML event files use), for CLI tests."""
    lines: list[str] = []
    _table(lines, "", data)
    return "\n".join(lines) + "\n"


def write_event(data: dict[str, Any], path: Path) -> Path:
    """Write ``data`` as an event file at ``path`` and return the path."""
    path.write_text(toml_text(data), encoding="utf-8")
    return path


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(lines: list[str], prefix: str, table: dict[str, Any]) -> None:
    for key, value in table.items():
        if not isinstance(value, dict) and not _is_tables(value):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        if isinstance(value, dict):
            lines.extend(["", f"[{name}]"])
            _table(lines, name, value)
        elif _is_tables(value):
            for item in value:
                lines.extend(["", f"[[{name}]]"])
                _table(lines, name, item)
