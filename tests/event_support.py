"""The seed event file as data, and the validation error a broken copy of it raises."""

from __future__ import annotations

import tomllib
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
