"""Helpers for the registrant-sync tests: a client, a webinar and an event file on the sandbox."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter

from zoomorch.db.store import StateStore, open_store
from zoomorch.rate_labels import RateLabel
from zoomorch.registrants.normalise import RegistrationList, RegistrationRules, normalise_table
from zoomorch.registrants.source import decode_source, parse_table
from zoomorch.registrants.workbook import read_table
from zoomorch.sandbox import Sandbox
from zoomorch.zoom import RateLimiter, ZoomClient, ZoomCredentials
from zoomorch.zoom.retry import RetryPolicy

EVENT_KEY = "sync-test"


def load(text: str, rules: RegistrationRules | None = None) -> RegistrationList:
    """A registration list from CSV ``text``, read as list.csv."""
    return normalise_table(parse_table(decode_source(text.encode()), "list.csv"), rules)


def workbook_bytes(rows: Sequence[Sequence[Any]], *, sheet: str = "Sheet1",
                   constant_memory: bool = False) -> bytes:
    """An .xlsx of one sheet: strings written as text (never formulas), numbers as numbers,
    None and an empty row as empty cells."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": constant_memory,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    target = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                target.write_string(r, c, value)
            elif value is not None:
                target.write(r, c, value)
    book.close()
    return out.getvalue()


def load_xlsx(data: bytes, rules: RegistrationRules | None = None,
              sheet: str | None = None) -> RegistrationList:
    """A registration list from workbook bytes, read as list.xlsx."""
    return normalise_table(read_table(data, "list.xlsx", sheet), rules)


def client_for(sandbox: Sandbox, *, paced: bool = False,
               retry: RetryPolicy | None = None) -> ZoomClient:
    """A client of the sandbox; unpaced (functional tests) unless ``paced`` (Pro's limits);
    ``retry`` replaces the client's retry policy (e.g. without its seconds of backoff)."""
    env = sandbox.env()
    limiter = None if paced else RateLimiter("pro", limits=dict.fromkeys(RateLabel, 1000.0))
    return ZoomClient(ZoomCredentials(
        account_id=env["ZOOM_ACCOUNT_ID"], client_id=env["ZOOM_CLIENT_ID"],
        client_secret=env["ZOOM_CLIENT_SECRET"], api_base_url=env["ZOOM_API_BASE_URL"],
        oauth_url=env["ZOOM_OAUTH_URL"],
    ), plan="pro", limiter=limiter, retry=retry)


def make_webinar(client: ZoomClient, *, automatic: bool) -> int:
    """A scheduled (type 5) webinar tomorrow, with registration."""
    start = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    webinar = client.create_webinar({
        "topic": "Registrant sync test", "type": 5, "start_time": start, "duration": 60,
        "settings": {"approval_type": 0 if automatic else 1},
    })
    assert webinar.id is not None
    return int(webinar.id)


def store_at(tmp_path: Path) -> StateStore:
    return open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}")


def write_event(tmp_path: Path, *, approval: str = "automatic", questions: str = "") -> Path:
    """A minimal event file; ``questions`` is extra TOML for [registration]."""
    path = tmp_path / f"{EVENT_KEY}.toml"
    path.write_text(f'''key = "{EVENT_KEY}"

[webinar]
title = "Registrant sync test"
start = 2030-05-17T08:30:00-04:00
timezone = "America/New_York"
duration_minutes = 60

[[agenda]]
title = "Opening Remarks"
minutes = 60

[registration]
approval = "{approval}"
{questions}
''', encoding="utf-8")
    return path


def emails_by_status(client: ZoomClient, webinar_id: int) -> dict[str, list[str]]:
    """Zoom's registrants (lower-cased emails) in each status, as Zoom lists them."""
    return {status: sorted(r.email.lower() for r in client.iter_registrants(webinar_id, status))
            for status in ("approved", "pending", "denied")}
