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
    page_numbers: bool = False,
) -> Iterator[dict[str, Any]]:
    """Yield each page's body, following ``next_page_token`` until it is empty.

    ``page_numbers`` is for the few endpoints (the user's webinars) that still page by
    ``page_number``: without a token, the next page is asked by number while
    ``page_number < page_count``. Pages are fetched lazily, so a consumer that stops early
    costs no further calls. Tokens expire after 15 minutes: consume promptly.
    """
    query: dict[str, Any] = {**(params or {}), "page_size": page_size}
    seen: set[str] = set()
    number = 1
    while True:
        page = fetch(dict(query)) or {}
        yield page
        token = page.get("next_page_token") or ""
        if token:
            if token in seen:
                raise ZoomError(
                    f"Zoom repeated the page token {token[:8]}…; stopping to avoid a loop"
                )
            seen.add(token)
            query["next_page_token"] = token
            continue
        if page_numbers and number < int(page.get("page_count") or 0):
            number += 1
            query["page_number"] = number
            continue
        return
