"""The state store: location from the environment, UTC round trips, bindings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from zoomorch.db.store import StateStore, default_state_url, open_store


def test_state_dir_env_selects_sqlite_file(tmp_path: Path) -> None:
    url = default_state_url({"ZOOMORCH_STATE_DIR": str(tmp_path / "st")})
    assert url == f"sqlite:///{tmp_path / 'st' / 'zoomorch.sqlite3'}"
    store = open_store(url)
    store.save_binding("ev", webinar_id=123)
    assert (tmp_path / "st" / "zoomorch.sqlite3").exists()


def test_state_url_env_wins_over_state_dir() -> None:
    env = {"ZOOMORCH_STATE_URL": "postgresql+psycopg://u:pw@db/zoomorch",
           "ZOOMORCH_STATE_DIR": "/nowhere"}
    assert default_state_url(env) == "postgresql+psycopg://u:pw@db/zoomorch"


def test_default_location_is_per_user_state_dir() -> None:
    assert default_state_url({}).endswith("zoomorch.sqlite3")


def test_binding_round_trips_aware_datetimes_in_utc(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    start = datetime(2022, 5, 17, 8, 30, tzinfo=timezone(timedelta(hours=-4)))
    store.save_binding("ev", intent_topic="T", intent_start_time=start,
                       last_applied={"topic": "T"})
    again = StateStore(store.url).binding("ev")
    assert again is not None
    assert again.intent_start_time == datetime(2022, 5, 17, 12, 30, tzinfo=UTC)
    assert again.intent_start_time.tzinfo is UTC
    assert again.last_applied == {"topic": "T"}
    assert again.webinar_id is None
    store.save_binding("ev", webinar_id=98765432101)
    assert store.webinar_id_for("ev") == 98765432101
    assert store.webinar_id_for("other") is None


def test_naive_datetime_is_refused(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(Exception, match="naive datetime"):
        store.save_binding("ev", intent_start_time=datetime(2022, 5, 17, 8, 30))
