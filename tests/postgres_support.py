"""A fresh PostgreSQL schema per test, on the server ``ZOOMORCH_TEST_POSTGRES_URL`` names.

``scripts/ci-postgres.sh start`` runs such a server (127.0.0.1, trust auth) and prints the
variable. Without it the PostgreSQL tests skip, except under CI (``CI=true``), where a missing
server is a failure: CI must never pass by skipping them.

Each test gets its own schema, selected through the connection's ``search_path`` (part of the
URL, so every engine, process and APScheduler job store built from it lands there) and a
session time zone far from UTC, so that any datetime not normalised to UTC shows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

POSTGRES_URL_ENV = "ZOOMORCH_TEST_POSTGRES_URL"
# +05:45, no daylight saving: a naive value read back as UTC would be off by a visible amount.
SESSION_TIME_ZONE = "Asia/Kathmandu"
START_HINT = 'export "$(scripts/ci-postgres.sh start)"'


def postgres_server_url(env: Mapping[str, str] | None = None) -> str:
    """The test server's URL; skips the test without one, fails it under CI."""
    env = os.environ if env is None else env
    url = env.get(POSTGRES_URL_ENV, "").strip()
    if url:
        return url
    if env.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{POSTGRES_URL_ENV} is not set but CI=true: the PostgreSQL tests must "
                    f"run in CI; start a server with {START_HINT}", pytrace=False)
    pytest.skip(f"{POSTGRES_URL_ENV} not set (start a throwaway server with {START_HINT})")


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@contextmanager
def fresh_schema(server_url: str) -> Iterator[str]:
    """A new empty schema on the server; yields a URL whose connections use only it.

    Dropped afterwards, together with any connection a test left open on it.
    """
    server = make_url(server_url)
    schema = f"zt_{uuid.uuid4().hex[:16]}"
    app_name = f"zoomorch-test-{schema}"
    admin = create_engine(server, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = server.update_query_dict({
        "options": f"-c search_path={schema} -c timezone={SESSION_TIME_ZONE}",
        "application_name": app_name,
    })
    try:
        yield _render(url)
    finally:
        with admin.begin() as conn:
            # A pooled connection still open on the schema would make DROP wait for it.
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = :name AND pid <> pg_backend_pid()"),
                         {"name": app_name})
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
