"""Anti-abuse without identity: a fixed-window rate limiter keyed by HMAC(client address).

The HMAC key is random, lives only in this process's memory and is replaced every hour; the
counters are dropped with it. Neither the address nor its keyed hash is stored or logged, and
an hour later even this process cannot link a counter to an address."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable

from fastapi import Request

from nte.errors import RateLimited

ROTATE_SECONDS = 3600
MAX_TRACKED = 100_000  # bounded memory: beyond this the oldest window is dropped early


class RateLimiter:
    def __init__(self, *, limit: int, window_seconds: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._key = secrets.token_bytes(32)
        self._key_born = clock()
        self._counts: dict[bytes, tuple[float, int]] = {}

    def _rotate_if_due(self, now: float) -> None:
        if now - self._key_born >= ROTATE_SECONDS or len(self._counts) > MAX_TRACKED:
            self._key = secrets.token_bytes(32)
            self._key_born = now
            self._counts = {}

    def key_for(self, client: str) -> bytes:
        return hmac.new(self._key, client.encode(), hashlib.sha256).digest()[:16]

    def hit(self, client: str, *, what: str = "request") -> None:
        """Count one request; raise RateLimited when over the limit in the current window."""
        now = self.clock()
        with self._lock:
            self._rotate_if_due(now)
            key = self.key_for(client)
            start, count = self._counts.get(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            self._counts[key] = (start, count)
            if count > self.limit:
                retry = max(1, int(self.window - (now - start)))
                raise RateLimited(
                    f"Too many {what}s from this connection. Please wait a few minutes and try again.",
                    retry_after=retry,
                    field="body",
                )

    def tracked(self) -> int:
        return len(self._counts)


def client_address(request: Request) -> str:
    """The address a limit is counted against: the client as uvicorn resolved it (after the
    proxy's forwarded header). Never stored or logged; only its keyed hash is held, in memory."""
    return request.client.host if request.client else "unknown"
