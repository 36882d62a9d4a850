"""Shared fixtures: a fresh running sandbox per test (plan pro, no rate limits, no faults)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zoomorch.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running Sandbox on 127.0.0.1 (random port): plan pro, rate_limits=False, no faults."""
    with Sandbox(account_id="acc-test", client_id="cid-test", client_secret="s3cret-test",
                 plan="pro", rate_limits=False) as sb:
        yield sb


@pytest.fixture
def sandbox_env(sandbox: Sandbox) -> dict[str, str]:
    """The ZOOM_* environment for the ``sandbox`` fixture."""
    return sandbox.env()
