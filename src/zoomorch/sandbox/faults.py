"""Fault injection: errors, 429 bursts, latency and dropped connections (off by default)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultConfig:
    """Mutable fault settings; all zero means a well-behaved Zoom.

    - ``error_rate``: probability a /v2 call gets a 5xx BEFORE it is processed (no state change).
    - ``rate_limit_burst``: the next N /v2 calls get 429 (QPS); counts down to 0.
    - ``latency_ms``: delay added to every /v2 call.
    - ``drop_after_processing_rate``: probability the connection is cut AFTER the call changed
      state; the client sees a connection error instead of a response.
    - ``seed``: makes the random draws reproducible.
    """

    error_rate: float = 0.0
    rate_limit_burst: int = 0
    latency_ms: int = 0
    drop_after_processing_rate: float = 0.0
    seed: int | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "seed" and "_rng" in self.__dict__:
            self._rng.seed(value)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self._rng.seed(self.seed)

    def to_dict(self) -> dict[str, Any]:
        return {"error_rate": self.error_rate, "rate_limit_burst": self.rate_limit_burst,
                "latency_ms": self.latency_ms,
                "drop_after_processing_rate": self.drop_after_processing_rate,
                "seed": self.seed}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply the known keys of ``changes`` (validated by the caller)."""
        for key in ("error_rate", "rate_limit_burst", "latency_ms",
                    "drop_after_processing_rate", "seed"):
            if key in changes:
                setattr(self, key, changes[key])

    def clear(self) -> None:
        self.update({"error_rate": 0.0, "rate_limit_burst": 0, "latency_ms": 0,
                     "drop_after_processing_rate": 0.0})

    def draw_error(self) -> bool:
        with self._lock:
            return self.error_rate > 0 and self._rng.random() < self.error_rate

    def take_burst(self) -> bool:
        with self._lock:
            if self.rate_limit_burst > 0:
                self.rate_limit_burst -= 1
                return True
            return False

    def draw_drop(self) -> bool:
        with self._lock:
            return (self.drop_after_processing_rate > 0
                    and self._rng.random() < self.drop_after_processing_rate)
