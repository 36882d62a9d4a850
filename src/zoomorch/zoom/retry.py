"""The one retry policy of the client: which failures are worth another try, and when.

Failures come in two kinds. *Safe* ones (connection refused, connect timeout, a 5xx on a
read, a per-second 429) mean the request did nothing, so it is simply repeated.
*Ambiguous* ones (read timeout, connection cut after sending, a 5xx on a write) mean a
write may have happened; the transport repeats those only for idempotent requests, or
after the caller's reconciliation has looked up what actually happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)
from urllib3.exceptions import NewConnectionError

from zoomorch.zoom.errors import ZoomError, ZoomRateLimited

log = logging.getLogger("zoomorch.zoom")

T = TypeVar("T")


class RetryableFailure(Exception):
    """A failure another attempt may cure; ``reason`` is what the log says.

    ``error`` is what the caller gets if the attempts run out.
    """

    def __init__(
        self, reason: str, *, ambiguous: bool, error: ZoomError | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.ambiguous = ambiguous
        self.error = error


def classify_network_error(exc: requests.RequestException) -> RetryableFailure:
    """Name a requests exception and say whether the request may have been processed."""
    if isinstance(exc, requests.ConnectTimeout):
        return RetryableFailure("connect timeout", ambiguous=False)
    if isinstance(exc, requests.ReadTimeout):
        return RetryableFailure("read timeout (request sent)", ambiguous=True)
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        if isinstance(inner, NewConnectionError):
            return RetryableFailure("connection refused", ambiguous=False)
        return RetryableFailure(
            "connection cut after sending (no complete answer)", ambiguous=True
        )
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return RetryableFailure("incomplete answer", ambiguous=True)
    return RetryableFailure(type(exc).__name__, ambiguous=True)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter; per-second 429s wait as Zoom says."""

    attempts: int = 5
    max_seconds: float = 120.0
    initial_wait: float = 0.5
    max_wait: float = 10.0
    jitter: float = 0.5
    max_rate_limit_wait: float = 60.0

    def _wait(self) -> Callable[[RetryCallState], float]:
        backoff = wait_exponential_jitter(
            multiplier=self.initial_wait, max=self.max_wait, jitter=self.jitter
        )

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, ZoomRateLimited) and exc.retry_after is not None:
                return min(exc.retry_after, self.max_rate_limit_wait)
            return float(backoff(state))

        return wait

    def run(self, attempt: Callable[[], T], *, describe: str) -> T:
        """Call ``attempt`` until it returns or raises something not worth retrying."""

        def worth_retrying(exc: BaseException) -> bool:
            if isinstance(exc, RetryableFailure):
                return True
            return (
                isinstance(exc, ZoomRateLimited)
                and exc.rate_limit_type != "Daily-limit"
                and (exc.retry_after or 0) <= self.max_rate_limit_wait
            )

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            reason = exc.reason if isinstance(exc, RetryableFailure) else str(exc)
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "retrying %s in %.2f s (attempt %d of %d failed: %s)",
                describe, wait, state.attempt_number, self.attempts, reason,
            )

        retrying = Retrying(
            retry=retry_if_exception(worth_retrying),
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_seconds),
            wait=self._wait(),
            before_sleep=log_retry,
            reraise=True,
        )
        return retrying(attempt)
