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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests (marked slow) first, the rest in their order. `.ci/run` hands tests to
    its workers one at a time (`--maxschedchunk 1`), so each worker starts on a long one and
    the short ones fill in at the end: no long test starts last and keeps the run waiting."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
