"""Walking Zoom's ``next_page_token`` pages as one stream of items."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from zoomorch.zoom.errors import ZoomError

MAX_PAGE_SIZE = 300

FetchPage = Callable[[dict[str, Any]], dict[str, Any] | None]


def iter_pages(
    fetch: FetchPage,
    params: Mapping[str, Any] | None = None,
    *,
    page_size: int = MAX_PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """Yield each page's body, following ``next_page_token`` until it is empty.

    Pages are fetched lazily, so a consumer that stops early costs no further calls.
    Tokens expire after 15 minutes: consume promptly.
    """
    query: dict[str, Any] = {**(params or {}), "page_size": page_size}
    seen: set[str] = set()
    while True:
        page = fetch(dict(query)) or {}
        yield page
        token = page.get("next_page_token") or ""
        if not token:
            return
        if token in seen:
            raise ZoomError(f"Zoom repeated the page token {token[:8]}…; stopping to avoid a loop")
        seen.add(token)
        query["next_page_token"] = token


def iter_items(
    fetch: FetchPage,
    items_key: str,
    params: Mapping[str, Any] | None = None,
    *,
    page_size: int = MAX_PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """Yield the items under ``items_key`` of every page."""
    for page in iter_pages(fetch, params, page_size=page_size):
        yield from page.get(items_key) or []
