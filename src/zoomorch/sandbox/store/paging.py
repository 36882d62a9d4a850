"""Zoom's ``next_page_token`` pagination, shared by every listing of the store."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from zoomorch.sandbox.errors import ZoomApiError
from zoomorch.sandbox.store.context import StoreContext

PAGE_TOKEN_TTL = timedelta(minutes=15)
MAX_CURSORS = 10_000  # past this, expired cursors are swept


@dataclass
class PageCursor:
    kind: str
    key: str
    offset: int
    expires_at: datetime


class Pager:
    """Page tokens handed out so far (caller holds the store lock)."""

    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx
        self.clear()

    def clear(self) -> None:
        self.cursors: dict[str, PageCursor] = {}

    def page(self, kind: str, key: str, items: Iterable[Any], total: int, page_size: int,
             token: str | None) -> tuple[list[Any], str]:
        """Slice ``items`` for one page; returns (page, next_page_token or "").

        Tokens carry the offset and expire after 15 minutes on the sandbox clock; a token
        from another listing, unknown or expired, is Zoom's 400 / 300.
        """
        now = self.ctx.now()
        offset = 0
        if token:
            cursor = self.cursors.get(token)
            if cursor is None or cursor.kind != kind or cursor.key != key:
                raise ZoomApiError(400, 300, "The next page token is invalid or expired.")
            if now >= cursor.expires_at:
                self.cursors.pop(token, None)
                raise ZoomApiError(400, 300, "The next page token is invalid or expired.")
            offset = cursor.offset
        chunk = list(itertools.islice(items, offset, offset + page_size))
        next_token = ""
        if offset + len(chunk) < total and chunk:
            next_token = secrets.token_urlsafe(24)
            self.cursors[next_token] = PageCursor(kind, key, offset + len(chunk),
                                                  now + PAGE_TOKEN_TTL)
            if len(self.cursors) > MAX_CURSORS:
                self.cursors = {t: c for t, c in self.cursors.items() if c.expires_at > now}
        return chunk, next_token


def page_count(total: int, page_size: int) -> int:
    """Zoom's ``page_count`` of a listing (0 when it is empty)."""
    return (total + page_size - 1) // page_size if total else 0
